"""Checks of the hand-built graph of ``computational_graphs`` (Exercise 1).

Three independent ways to get the gradients of eq. 2 — the sigmoid
shortcut ŷ(1−ŷ), ``tf.GradientTape`` and central finite differences — the
size of the finite-difference error (truncation and rounding), and the
graph TensorFlow traces for the same function. This module imports
TensorFlow; the engine itself does not.
"""

from __future__ import annotations

import math
import random
import sys
from dataclasses import dataclass

from pw06.computational_graphs import (
    INPUT_NAMES,
    check_number,
    logistic_regression_graph,
)
from pw06.tf_quiet import load

tf = load()

#: The float64 machine epsilon: the relative spacing of floats near 1.
EPSILON = sys.float_info.epsilon

#: The operation types of a traced graph that compute nothing themselves.
NON_COMPUTING = ("Placeholder", "Const", "Identity")


def check_inputs(inputs, name: str = "inputs") -> dict[str, float]:
    """``inputs`` as {x1, x2, w1, w2, b: float}, or an error naming what
    is missing, unexpected or not a number."""
    if not isinstance(inputs, dict):
        kind = type(inputs).__name__
        raise TypeError(f"{name}: expected a dict of numbers, got {kind}")
    missing = [k for k in INPUT_NAMES if k not in inputs]
    unexpected = [k for k in inputs if k not in INPUT_NAMES]
    if missing or unexpected:
        raise ValueError(
            f"{name}: expected the names {', '.join(INPUT_NAMES)}; "
            f"missing {missing}, unexpected {unexpected}"
        )
    return {k: check_number(inputs[k], f"{name}[{k!r}]") for k in INPUT_NAMES}


# --- the gradients, four ways ------------------------------------------------------------
def engine_gradients(x1, x2, w1, w2, b) -> dict[str, float]:
    """ŷ and ∂ŷ/∂(x1, x2, w1, w2, b) by the engine: build, back-propagate 1.0."""
    graph = logistic_regression_graph(x1, x2, w1, w2, b)
    graph.output.backward(1.0)
    return graph.gradients()


def lr_inputs(x1, x2, w1, w2, b) -> list[float]:
    """The five inputs as floats, or an error naming the bad one."""
    values = (x1, x2, w1, w2, b)
    return [check_number(v, n) for v, n in zip(values, INPUT_NAMES, strict=True)]


def lr_forward(x1, x2, w1, w2, b) -> float:
    """Eq. 2 in plain Python, for finite differences."""
    x1, x2, w1, w2, b = lr_inputs(x1, x2, w1, w2, b)
    return 1.0 / (1.0 + math.exp(-(w1 * x1 + w2 * x2 + b)))


def sigmoid_shortcut_gradients(x1, x2, w1, w2, b) -> dict[str, float]:
    """Gradients from σ'(z) = σ(z)(1 − σ(z)) and z = w1·x1 + w2·x2 + b."""
    x1, x2, w1, w2, b = lr_inputs(x1, x2, w1, w2, b)
    yhat = lr_forward(x1, x2, w1, w2, b)
    dz = yhat * (1.0 - yhat)
    return {"yhat": yhat, "x1": w1 * dz, "x2": w2 * dz, "w1": x1 * dz, "w2": x2 * dz, "b": dz}


def lr_tf(x1, x2, w1, w2, b):
    """Eq. 2 with TensorFlow operations, for the tape and tracing."""
    return 1.0 / (1.0 + tf.exp(-(w1 * x1 + w2 * x2 + b)))


def tape_gradients(x1, x2, w1, w2, b) -> dict[str, float]:
    """ŷ and its five gradients by ``tf.GradientTape``, in float64."""
    values = lr_inputs(x1, x2, w1, w2, b)
    tensors = [tf.constant(v, dtype=tf.float64) for v in values]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        yhat = lr_tf(*tensors)
    grads = tape.gradient(yhat, tensors)
    named = zip(INPUT_NAMES, grads, strict=True)
    return {"yhat": float(yhat)} | {n: float(g) for n, g in named}


def central_difference(f, point, key, h):
    """(f(point) with ``point[key]`` + h, minus with − h) / 2h: the
    derivative along one entry of ``point`` (a dict, or an array with
    an index as ``key``), changed in place and restored."""
    saved = point[key]
    point[key] = saved + h
    plus = f(point)
    point[key] = saved - h
    minus = f(point)
    point[key] = saved
    return (plus - minus) / (2 * h)


def finite_difference_gradients(f, inputs, h=1e-5):
    """Central differences (f(v + h) − f(v − h)) / 2h for each input."""
    _check_arguments(f, inputs, h)
    grads = {"yhat": f(**inputs)}
    point = dict(inputs)

    def at(p):
        return f(**p)

    for name in inputs:
        grads[name] = central_difference(at, point, name, h)
    return grads


def _check_arguments(f, inputs, h) -> None:
    """Errors naming the bad argument of ``finite_difference_gradients``."""
    if not callable(f):
        raise TypeError(f"f: expected a function, got {type(f).__name__}")
    if not isinstance(inputs, dict) or not inputs:
        raise TypeError(f"inputs: expected a non-empty dict of numbers, got {inputs!r}")
    for name, value in inputs.items():
        check_number(value, f"inputs[{name!r}]")
    if check_number(h, "h") <= 0:
        raise ValueError(f"h: expected a step > 0, got {h}")


def max_abs_diff(a: dict[str, float], b: dict[str, float]) -> float:
    """The largest |a[k] − b[k]| over the keys both dictionaries share."""
    shared = a.keys() & b.keys()
    if not shared:
        raise ValueError(f"a, b: no key in common ({sorted(a)} vs {sorted(b)})")
    return max(abs(a[k] - b[k]) for k in shared)


def random_inputs(n: int, seed: int, low: float = -3.0, high: float = 3.0) -> list[dict]:
    """``n`` random input sets for eq. 2, each value uniform in [low, high)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n: expected a whole number ≥ 1, got {n!r}")
    low, high = check_number(low, "low"), check_number(high, "high")
    if not low < high:
        raise ValueError(f"low, high: expected low < high, got {low} and {high}")
    rng = random.Random(seed)
    return [{name: rng.uniform(low, high) for name in INPUT_NAMES} for _ in range(n)]


def largest_differences(input_sets: list[dict], h: float = 1e-5) -> dict[str, float]:
    """The largest |difference| between the engine and each check, of ŷ or any
    gradient, over every input set: ``shortcut``, ``tape``, ``finite_differences``."""
    worst = {"shortcut": 0.0, "tape": 0.0, "finite_differences": 0.0}
    for i, inputs in enumerate(input_sets):
        inputs = check_inputs(inputs, f"input_sets[{i}]")
        engine = engine_gradients(**inputs)
        others = {
            "shortcut": sigmoid_shortcut_gradients(**inputs),
            "tape": tape_gradients(**inputs),
            "finite_differences": finite_difference_gradients(lr_forward, inputs, h),
        }
        for name, grads in others.items():
            worst[name] = max(worst[name], max_abs_diff(engine, grads))
    return worst


# --- how large the finite-difference error should be -------------------------------------
@dataclass(frozen=True)
class FiniteDifferenceError:
    """Measured and expected error of central differences at step ``h``.

    ``measured``: largest |difference| from the engine over the input sets.
    ``truncation``: h²·max|f'''|/6, the Taylor remainder; for ŷ = σ(a·v + c)
    along one input v, |f'''| ≤ |a|³·max|σ'''| = |a|³/8.
    ``rounding``: ε·max|f|/h with ε the float64 machine epsilon and |f| ≤ 1.
    """

    h: float
    measured: float
    truncation: float
    rounding: float


def finite_difference_error(input_sets, h) -> FiniteDifferenceError:
    """Central differences at step ``h`` against the engine, with the
    two error estimates, over ``input_sets``."""
    h = check_number(h, "h")
    measured, slope = 0.0, 1.0  # |a| ≥ 1: b's factor in z is 1
    for i, inputs in enumerate(input_sets):
        inputs = check_inputs(inputs, f"input_sets[{i}]")
        fd = finite_difference_gradients(lr_forward, inputs, h)
        engine = engine_gradients(**inputs)
        measured = max(measured, max_abs_diff(engine, fd))
        factors = [abs(v) for k, v in inputs.items() if k != "b"]
        slope = max(slope, *factors)
    return FiniteDifferenceError(
        h=h,
        measured=measured,
        truncation=h**2 * slope**3 / 8 / 6,  # h²·max|f'''|/6
        rounding=EPSILON / h,  # ε·max|f|/h, with |f| ≤ 1
    )


# --- TensorFlow's own graph --------------------------------------------------------------
def lr_tf_sigmoid(x1, x2, w1, w2, b):
    """Eq. 2 with TensorFlow's fused ``tf.sigmoid``: one operation, not four."""
    return tf.sigmoid(w1 * x1 + w2 * x2 + b)


def traced_lr_graph(fn=lr_tf):
    """The concrete function TensorFlow traces for ``fn`` on five float64 scalars."""
    specs = [tf.TensorSpec([], tf.float64, name=n) for n in INPUT_NAMES]
    return tf.function(fn).get_concrete_function(*specs)


def graph_operations(concrete_function) -> list[dict[str, str]]:
    """The operations of a traced graph: name, type, the tensors they read."""
    return [
        {"name": op.name, "type": op.type, "inputs": ", ".join(t.name for t in op.inputs)}
        for op in concrete_function.graph.get_operations()
    ]


@dataclass(frozen=True)
class OperationCounts:
    """How many operations a traced graph holds, and which compute."""

    total: int
    computing: int  # all but placeholders, constants and the output's Identity
    computing_types: str  # their types in order, e.g. "Mul, Mul, AddV2"


def operation_counts(concrete_function) -> OperationCounts:
    """Count the operations of a traced graph (see ``NON_COMPUTING``)."""
    types = [op.type for op in concrete_function.graph.get_operations()]
    computing = [t for t in types if t not in NON_COMPUTING]
    return OperationCounts(
        total=len(types), computing=len(computing), computing_types=", ".join(computing)
    )
