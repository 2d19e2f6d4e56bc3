"""The executed evidence behind the answers to the review questions (Exercise 5).

One small, self-contained demonstration per claim, each returning plain Python values that the
chapter glues into its answers:

1. gates — ``gate_demo``, ``fan_out_demo`` (the graph engine of ``computational_graphs`` and
   ``tf.GradientTape`` side by side);
2. advantages of graphs — ``mlp_gradient_demo``, ``graph_structure_demo``, ``export_demo``,
   ``constant_folding_demo``, ``placement_demo``;
3. static vs dynamic — ``step_time_demo``, ``autograph_demo``;
4. ``@tf.function`` — ``tracing_demo``, ``frozen_closure_demo``;
5. ``tf.gradients`` — ``tf_gradients_demo``;
6. Keras APIs — ``keras_api_demo``, with the MLP of ``keras_mlp`` built by both APIs
   (``keras_mlp.build_sequential``, ``keras_mlp.build_functional``) and
   ``build_two_input_model``, which only the Functional API can express.

The MLP here is the lab's own, from the lesson ``lowlevel_mlp`` (``init_params``, ``forward``,
``model_loss``, ``train_step``); the MLP demonstrations return small dataclasses whose ``glue()``
gives the values the chapter prints.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass

import networkx as nx
import numpy as np

from pw06 import computational_graphs as cg
from pw06 import keras_mlp
from pw06 import lowlevel_mlp as ll
from pw06.computational_graphs import Value
from pw06.data import N_CLASSES, N_FEATURES
from pw06.tf_quiet import load
from pw06.timing import Stopwatch

tf = load()
import keras  # noqa: E402  (after TensorFlow, whose start-up noise tf_quiet hides)


# --- Q1: what the gates do to the gradient --------------------------------------------------
def gate_expression(x, y, z, w) -> Value:
    """f = 2·(x·y + max(z, w)): a multiply, a max, an add and a constant factor (CS231n)."""
    x, y, z, w = Value(x, "x"), Value(y, "y"), Value(z, "z"), Value(w, "w")
    p = (x * y).named("p")
    m = z.maximum(w).named("m")
    s = (p + m).named("s")
    return (s * 2).named("f")


def gate_tf(x, y, z, w):
    """The same expression with TensorFlow operations."""
    return 2.0 * (x * y + tf.maximum(z, w))


def _tape(fn, values: dict[str, float]) -> dict[str, float]:
    """Value of ``fn`` and its gradient w.r.t. each named input, by ``tf.GradientTape``."""
    tensors = {k: tf.constant(float(v), dtype=tf.float64) for k, v in values.items()}
    with tf.GradientTape() as tape:
        tape.watch(list(tensors.values()))
        out = fn(**tensors)
    grads = tape.gradient(out, list(tensors.values()))
    return {"f": float(out)} | {k: float(g) for k, g in zip(tensors, grads, strict=True)}


def gate_demo(x: float = 3.0, y: float = -4.0, z: float = 2.0, w: float = -1.0) -> dict:
    """Back-propagate 1.0 through f = 2·(x·y + max(z, w)) with the engine and with the tape.

    Returns the ``inputs``, ``engine`` and ``tape`` (value ``f`` and gradients), side by side
    as ``table`` rows, the gradient ``upstream`` that reaches the add gate, ``max_abs_diff``
    between engine and tape, and the engine's ``output`` node (for drawing and the edge table).
    """
    output = gate_expression(x, y, z, w)
    output.backward(1.0)
    leaves = {n.label: n for n in output.topological_order() if not n.op}
    engine = {"f": output.data} | {k: leaves[k].grad for k in ("x", "y", "z", "w")}
    tape = _tape(gate_tf, {"x": x, "y": y, "z": z, "w": w})
    adder = output.inputs[0]  # s = p + m
    table = [
        {
            "quantity": "f" if k == "f" else f"∂f/∂{k}",
            "engine": engine[k],
            "tf.GradientTape": tape[k],
        }
        for k in ("f", "x", "y", "z", "w")
    ]
    return {
        "inputs": {"x": x, "y": y, "z": z, "w": w},
        "engine": engine,
        "tape": tape,
        "table": table,
        "upstream": adder.grad,
        "max_abs_diff": cg.max_abs_diff(engine, tape),
        "output": output,
    }


def fan_out_demo(x: float = 3.0, y: float = -4.0) -> dict:
    """h = x·y + x: x feeds two operations, so its gradient is the sum y + 1 of two paths."""
    vx, vy = Value(x, "x"), Value(y, "y")
    h = (vx * vy + vx).named("h")
    h.backward(1.0)
    tape = _tape(lambda x, y: x * y + x, {"x": x, "y": y})
    return {
        "via_product": y,  # ∂(x·y)/∂x
        "via_sum": 1.0,  # ∂(… + x)/∂x
        "engine": vx.grad,
        "tape": tape["x"],
    }


# --- the lab's MLP: the lesson's own functions (Q2, Q3) ---------------------------------------
def random_batch(n: int, n_inputs: int, n_outputs: int, seed: int, dtype=np.float32):
    """``n`` random inputs in [0, 1) and one-hot targets: enough to time or check a step."""
    rng = np.random.default_rng([seed, 1])
    x = rng.random((n, n_inputs)).astype(dtype)
    t = np.eye(n_outputs, dtype=dtype)[rng.integers(0, n_outputs, n)]
    return x, t


def _numpy_loss(arrays, x, t) -> float:
    """The lab's loss computed independently of TensorFlow: NumPy, float64."""
    w1, b1, w2, b2 = arrays
    y = 1.0 / (1.0 + np.exp(-(np.maximum(x @ w1 + b1, 0.0) @ w2 + b2)))
    return float(np.mean((y - t) ** 2))


def float64_params(n_inputs: int, n_hidden: int, n_outputs: int, seed: int) -> list:
    """The lesson's initial ``[W1, b1, W2, b2]`` as float64 variables (for finite differences,
    which need more precision than float32)."""
    params = ll.init_params(n_inputs, n_hidden, n_outputs, seed)
    return [tf.Variable(tf.cast(p, tf.float64), name=p.name.split(":")[0]) for p in params]


# --- Q2: four advantages of computational graphs ---------------------------------------------
@dataclass(frozen=True)
class GradientCheck:
    """Automatic gradients of the MLP's loss against finite differences."""

    n_tensors: int  # gradient tensors returned by the tape
    n_parameters: int  # numbers in them
    shapes_match: bool  # each gradient shaped like its variable
    max_abs_diff_fd: float  # largest difference from the finite differences
    loss: float

    def glue(self) -> dict[str, object]:
        return {
            "rq_mlp_n_tensors": self.n_tensors,
            "rq_mlp_n_parameters": self.n_parameters,
            "rq_mlp_max_abs_diff_fd": self.max_abs_diff_fd,
        }


def mlp_gradient_demo(
    n_inputs: int = 20, n_hidden: int = 16, n_outputs: int = 3, batch: int = 8, seed: int = 0
) -> GradientCheck:
    """Automatic gradients of the lesson's loss (``ll.model_loss``), checked entry by entry.

    The tape returns one gradient per variable, shaped like it; every entry is compared with a
    central difference of an independent NumPy implementation of the loss (float64).
    """
    params = float64_params(n_inputs, n_hidden, n_outputs, seed)
    x, t = random_batch(batch, n_inputs, n_outputs, seed, dtype=np.float64)
    with tf.GradientTape() as tape:
        loss = ll.model_loss(params, x, t)
    grads = tape.gradient(loss, params)
    arrays = [p.numpy() for p in params]
    h, worst = 1e-6, 0.0
    for array, grad in zip(arrays, grads, strict=True):
        for index in np.ndindex(array.shape):
            saved = array[index]
            array[index] = saved + h
            plus = _numpy_loss(arrays, x, t)
            array[index] = saved - h
            minus = _numpy_loss(arrays, x, t)
            array[index] = saved
            worst = max(worst, abs((plus - minus) / (2 * h) - float(grad.numpy()[index])))
    return GradientCheck(
        n_tensors=len(grads),
        n_parameters=int(sum(int(np.prod(p.shape)) for p in params)),
        shapes_match=all(g.shape == p.shape for g, p in zip(grads, params, strict=True)),
        max_abs_diff_fd=worst,
        loss=float(loss),
    )


def traced_mlp_forward(n_inputs: int, n_hidden: int, n_outputs: int, seed: int = 0):
    """The concrete function (graph) of the lesson's ``forward`` for a batch of any size."""
    params = ll.init_params(n_inputs, n_hidden, n_outputs, seed)
    forward = tf.function(lambda x: ll.forward(params, x))
    return forward.get_concrete_function(tf.TensorSpec([None, n_inputs], tf.float32))


@dataclass(frozen=True)
class GraphStructure:
    """The traced forward pass as data: its operations, their types, its serialised size."""

    shape: str  # the network, "D-H-K"
    n_operations: int
    op_types: dict[str, int]
    operations: list[tuple[str, str]]  # (name, type) of every operation
    graph_def_nodes: int
    graph_def_bytes: int

    def glue(self) -> dict[str, object]:
        return {
            "rq_mlp_shape": self.shape,
            "rq_graph_n_operations": self.n_operations,
            "rq_graph_def_bytes": self.graph_def_bytes,
        }


def graph_structure_demo(
    n_inputs: int = N_FEATURES, n_hidden: int = 300, n_outputs: int = N_CLASSES
) -> GraphStructure:
    """Trace the MLP's forward pass and describe the graph."""
    concrete = traced_mlp_forward(n_inputs, n_hidden, n_outputs)
    ops = concrete.graph.get_operations()
    graph_def = concrete.graph.as_graph_def()
    return GraphStructure(
        shape=f"{n_inputs}-{n_hidden}-{n_outputs}",
        n_operations=len(ops),
        op_types=dict(Counter(op.type for op in ops)),
        operations=[(op.name, op.type) for op in ops],
        graph_def_nodes=len(graph_def.node),
        graph_def_bytes=len(graph_def.SerializeToString()),
    )


class _ExportableMLP(tf.Module):
    """The lesson's network as a module with a traced ``__call__``, ready for a SavedModel."""

    def __init__(self, params):
        super().__init__()
        self.params = params

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
    def __call__(self, x):
        return ll.forward(self.params, x)


@dataclass(frozen=True)
class ExportCheck:
    """A SavedModel written, loaded back, and run."""

    files: list[str]  # what the SavedModel folder holds
    max_abs_diff: float  # loaded model's outputs against the original's
    loaded_type: str

    def glue(self) -> dict[str, object]:
        return {
            "rq_export_files": ", ".join(self.files),
            "rq_export_max_abs_diff": self.max_abs_diff,
        }


def export_demo(
    directory: str | os.PathLike | None = None,
    n_inputs: int = N_FEATURES,
    n_hidden: int = 300,
    n_outputs: int = N_CLASSES,
    seed: int = 0,
) -> ExportCheck:
    """Save the MLP's graph and weights as a SavedModel, load it back, compare the outputs.

    The loaded object runs the saved graph: it needs neither this module nor its Python code.
    ``directory`` defaults to a temporary folder that is removed afterwards.
    """
    model = _ExportableMLP(ll.init_params(n_inputs, n_hidden, n_outputs, seed))
    x, _ = random_batch(5, n_inputs, n_outputs, seed)
    with tempfile.TemporaryDirectory() as scratch:
        path = os.fspath(directory) if directory is not None else os.path.join(scratch, "mlp")
        tf.saved_model.save(model, path)
        files = sorted(os.listdir(path))
        loaded = tf.saved_model.load(path)
        diff = float(tf.reduce_max(tf.abs(loaded(x) - model(x))))
    return ExportCheck(files=files, max_abs_diff=diff, loaded_type=type(loaded).__name__)


def _mean_ms(fn, arg, repeats: int) -> float:
    fn(arg)  # warm-up (and tracing, for a tf.function)
    start = time.perf_counter()
    for _ in range(repeats):
        fn(arg)
    return (time.perf_counter() - start) / repeats * 1e3


def constant_folding_demo(size: int = 200, n_matmuls: int = 20, repeats: int = 10) -> dict:
    """Graph-level optimisation: a constant sub-graph is computed once, not at every call.

    Two functions do the same ``n_matmuls`` matrix products; in ``constant_work`` they depend
    only on constants, in ``input_work`` on the input. Per-call times, eager and as a graph.
    """

    def constant_work(x):
        a = tf.ones((size, size)) / size
        for _ in range(n_matmuls):
            a = tf.matmul(a, a)
        return x + a[0, 0]

    def input_work(x):
        a = tf.ones((size, size)) * x / size
        for _ in range(n_matmuls):
            a = tf.matmul(a, a)
        return a[0, 0]

    one = tf.constant(1.0)
    return {
        "constant_eager_ms": _mean_ms(constant_work, one, repeats),
        "constant_graph_ms": _mean_ms(tf.function(constant_work), one, repeats),
        "input_eager_ms": _mean_ms(input_work, one, repeats),
        "input_graph_ms": _mean_ms(tf.function(input_work), one, repeats),
    }


def placement_demo(size: int = 4) -> dict:
    """Placement and parallelism are visible in the graph.

    One branch is pinned to the CPU with ``tf.device``: the operation records its device. The
    two branches share no path in the graph, so the runtime is free to run them concurrently.
    """

    def two_branches(x):
        with tf.device("/CPU:0"):
            a = tf.matmul(x, x, name="branch_a")
        b = tf.reduce_sum(tf.square(x, name="branch_b_square"), name="branch_b")
        return a, b

    concrete = tf.function(two_branches).get_concrete_function(tf.TensorSpec([size, size]))
    ops = {op.name: op for op in concrete.graph.get_operations()}
    graph = cg.tf_graph(concrete)
    a, b = "branch_a", "branch_b"
    return {
        "devices": {name: op.device for name, op in ops.items()},
        "device_a": ops[a].device,
        "independent": not (nx.has_path(graph, a, b) or nx.has_path(graph, b, a)),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
    }


# --- Q3: static graph vs eager -----------------------------------------------------------------
@dataclass(frozen=True)
class StepTiming:
    """One SGD step of the MLP, eager and compiled, in milliseconds."""

    batch: int
    eager_ms: float  # per step, eagerly
    graph_ms: float  # per step, as a tf.function
    first_call_ms: float  # the graph's first call: tracing + optimisation + one step
    traces: int

    @property
    def speedup(self) -> float:
        return self.eager_ms / self.graph_ms

    @property
    def trace_ms(self) -> float:
        """The tracing overhead: the first call minus a regular step."""
        return self.first_call_ms - self.graph_ms

    @property
    def break_even_steps(self) -> float:
        """Steps after which the compiled step has paid its tracing back."""
        gain = self.eager_ms - self.graph_ms
        return self.trace_ms / gain if gain > 0 else math.inf

    def glue(self) -> dict[str, object]:
        return {
            "rq_step_batch": self.batch,
            "rq_step_eager_ms": self.eager_ms,
            "rq_step_graph_ms": self.graph_ms,
            "rq_step_speedup": self.speedup,
            "rq_step_first_call_ms": self.first_call_ms,
            "rq_step_trace_ms": self.trace_ms,
            "rq_step_break_even_steps": self.break_even_steps,
        }


def step_time_demo(
    n_inputs: int = N_FEATURES,
    n_hidden: int = 300,
    n_outputs: int = N_CLASSES,
    batch: int = 64,
    steps: int = 200,
    seed: int = 0,
) -> StepTiming:
    """Time the lesson's ``train_step`` eagerly and compiled by ``tf.function``.

    Milliseconds per step for both (after a warm-up), and the first call of the compiled step,
    which traces it.
    """
    params = ll.init_params(n_inputs, n_hidden, n_outputs, seed)
    x, t = (tf.constant(a) for a in random_batch(batch, n_inputs, n_outputs, seed))
    rate = tf.constant(0.1)

    def per_step_ms(step) -> float:
        with Stopwatch() as clock:
            for _ in range(steps):
                step(params, x, t, rate)
        return clock.wall / steps * 1e3

    ll.train_step(params, x, t, rate)  # warm-up of the eager kernels
    eager = per_step_ms(ll.train_step)
    graph_step = tf.function(ll.train_step)
    with Stopwatch() as first:
        graph_step(params, x, t, rate)
    graph = per_step_ms(graph_step)
    return StepTiming(
        batch=batch,
        eager_ms=eager,
        graph_ms=graph,
        first_call_ms=first.wall * 1e3,
        traces=graph_step.experimental_get_tracing_count(),
    )


def collatz_steps(n):
    """Steps of the Collatz sequence from n to 1: data-dependent ``while`` and ``if``.

    Plain Python: it runs eagerly on a tensor, and AutoGraph converts it under ``tf.function``.
    """
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


def autograph_demo(starts=(6, 27, 97)) -> dict:
    """Run ``collatz_steps`` in Python, eagerly on tensors and as one traced graph."""
    graph_fn = tf.function(collatz_steps)
    python = {n: collatz_steps(n) for n in starts}
    eager = {n: int(collatz_steps(tf.constant(n))) for n in starts}
    graph = {n: int(graph_fn(tf.constant(n))) for n in starts}
    concrete = graph_fn.get_concrete_function(tf.TensorSpec([], tf.int32))
    op_types = sorted({op.type for op in concrete.graph.get_operations()})
    loops = [t for t in op_types if t in ("While", "StatelessWhile")]
    return {
        "python": python,
        "eager": eager,
        "graph": graph,
        "traces": graph_fn.experimental_get_tracing_count(),
        "loop_op": loops[0] if loops else "",
        "op_types": op_types,
        "converted_statements": [
            line.strip()
            for line in tf.autograph.to_code(collatz_steps).splitlines()
            if "ag__.if_stmt" in line or "ag__.while_stmt" in line
        ],
    }


# --- Q4: @tf.function ----------------------------------------------------------------------------
def _shown(arg) -> str:
    """An argument as it was written: ``tf.constant([1.0, 2.0])`` or ``3``."""
    return f"tf.constant({arg.numpy().tolist()})" if tf.is_tensor(arg) else repr(arg)


def tracing_demo(log_path: str | os.PathLike | None = None) -> dict:
    """Count traces (a Python side effect) and calls (``tf.print`` into ``log_path``).

    Calls, in order: two float32 scalars (one trace), a float32 vector (new shape: a trace),
    the Python number 3, then 4 twice (a trace per new Python value). Then a function with an
    ``input_signature`` called on vectors of three lengths (one trace). ``log_path`` defaults
    to a temporary file that is removed afterwards. ``calls_table`` has one row per call.
    """
    if log_path is None:
        with tempfile.TemporaryDirectory() as scratch:
            return tracing_demo(os.path.join(scratch, "calls.log"))
    traces = []
    stream = f"file://{os.fspath(log_path)}"

    @tf.function
    def double(x):
        traces.append(x)  # Python: runs only while tracing
        tf.print("called with", x, output_stream=stream)  # TensorFlow: runs at every call
        return 2 * x

    calls = [tf.constant(1.0), tf.constant(2.0), tf.constant([1.0, 2.0]), 3, 4, 4]
    calls_table = []
    for arg in calls:
        before = len(traces)
        double(arg)
        calls_table.append({"call": f"double({_shown(arg)})", "traced": len(traces) > before})
    with open(log_path, encoding="utf-8") as fh:
        printed = sum(1 for _ in fh)

    signature_traces = []

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def total(x):
        signature_traces.append(x.shape)
        return tf.reduce_sum(x)

    lengths = (2, 3, 5)
    for length in lengths:
        total(tf.ones([length]))
    return {
        "calls": len(calls),
        "traces": len(traces),
        "tracing_count": double.experimental_get_tracing_count(),
        "printed": printed,
        "traced_with": [str(getattr(x, "shape", x)) for x in traces],
        "calls_table": calls_table,
        "signature_calls": len(lengths),
        "signature_traces": len(signature_traces),
        "signature_shape": str(signature_traces[0]),
    }


def frozen_closure_demo(first: float = 0.1, second: float = 0.5) -> dict:
    """A Python float read by a ``tf.function`` is baked into the graph at trace time."""
    rate = first

    @tf.function
    def scaled(x):
        return rate * x

    before = float(scaled(tf.constant(1.0)))
    rate = second  # the graph keeps the value it was traced with
    after = float(scaled(tf.constant(1.0)))
    return {"before": before, "after": after, "traced_value": first, "python_value": rate}


# --- Q5: tf.gradients -----------------------------------------------------------------------------
def tf_gradients_demo() -> dict:
    """What ``tf.gradients(ys, xs)`` returns, inside a ``tf.function``, and its eager error.

    ys = [w·x, Σx²] with x = [1, 2, 3], w = 2, and u = 5 unconnected.
    """
    seen = {}

    @tf.function
    def graph_part():
        x = tf.constant([1.0, 2.0, 3.0])
        w = tf.constant(2.0)
        u = tf.constant(5.0)
        ys = [w * x, tf.reduce_sum(x**2)]
        grads = tf.gradients(ys, [x, w, u])
        seen["length"] = len(grads)
        seen["is_none"] = [g is None for g in grads]
        seen["shapes"] = [None if g is None else g.shape.as_list() for g in grads]
        zeros = tf.gradients(ys, [u], unconnected_gradients=tf.UnconnectedGradients.ZERO)
        weighted = tf.gradients(w * x, [x], grad_ys=[tf.constant([1.0, 0.0, 10.0])])
        a = tf.constant(1.0)
        b = 2.0 * a
        total = tf.gradients(a + b, [a])
        partial = tf.gradients(a + b, [a], stop_gradients=[b])
        return {
            "dx": grads[0],
            "dw": grads[1],
            "du_zero": zeros[0],
            "weighted": weighted[0],
            "total": total[0],
            "partial": partial[0],
        }

    out = {k: v.numpy().tolist() for k, v in graph_part().items()}
    try:
        tf.gradients(tf.constant(1.0), [tf.constant(2.0)])
        eager_error, eager_message = "", ""
    except RuntimeError as error:
        eager_error, eager_message = type(error).__name__, str(error)
    call = "tf.gradients(ys, [x, w, u])"
    results = [
        (f"{call}[0]", out["dx"]),
        (f"{call}[1]", out["dw"]),
        (f"{call}[2]", None),
        ("tf.gradients(ys, [u], unconnected_gradients=ZERO)[0]", out["du_zero"]),
        ("tf.gradients(w * x, [x], grad_ys=[[1, 0, 10]])[0]", out["weighted"]),
        ("tf.gradients(a + b, [a])[0], with b = 2a", out["total"]),
        ("tf.gradients(a + b, [a], stop_gradients=[b])[0]", out["partial"]),
    ]
    calls_table = [
        {"call": f"len({call})", "result": str(seen["length"]), "shape": ""},
        *(
            {
                "call": text,
                "result": str(value),
                "shape": "" if value is None else str(list(np.shape(value))),
            }
            for text, value in results
        ),
        {"call": "tf.gradients(…) called eagerly", "result": eager_error, "shape": ""},
    ]
    return out | {
        "length": seen["length"],
        "is_none": seen["is_none"],
        "shapes": seen["shapes"],
        "eager_error": eager_error,
        "eager_message": eager_message,
        "calls_table": calls_table,
    }


# --- Q6: Keras Sequential vs Functional -----------------------------------------------------------
def build_two_input_model(n_inputs: int, n_hidden: int, n_outputs: int) -> keras.Model:
    """Two inputs through one *shared* hidden layer, merged by a sum: no Sequential equivalent."""
    left = keras.Input(shape=(n_inputs,), name="left")
    right = keras.Input(shape=(n_inputs,), name="right")
    shared = keras.layers.Dense(n_hidden, activation="relu", name="shared_hidden")
    merged = keras.layers.Add(name="sum")([shared(left), shared(right)])
    outputs = keras.layers.Dense(n_outputs, activation="sigmoid", name="output")(merged)
    return keras.Model([left, right], outputs, name="two_input_shared")


def keras_api_demo(
    n_inputs: int = 784, n_hidden: int = 300, n_outputs: int = 10, seed: int = 0
) -> dict:
    """The MLP of the Keras chapter built with both APIs (``keras_mlp.build_sequential`` and
    ``keras_mlp.build_functional``): same parameters and, initialised from the same seed,
    same outputs. Only the Functional API builds the two-input model with a shared layer."""
    keras.utils.set_random_seed(seed)  # the two-input model's initial weights
    sequential = keras_mlp.build_sequential(n_inputs, n_hidden, n_outputs, seed=seed)
    functional = keras_mlp.build_functional(n_inputs, n_hidden, n_outputs, seed=seed)
    x, _ = random_batch(4, n_inputs, n_outputs, seed)
    # a direct call runs the layers eagerly: no predict function to trace for four rows
    same = float(np.max(np.abs(np.asarray(sequential(x)) - np.asarray(functional(x)))))
    two = build_two_input_model(n_inputs, n_hidden, n_outputs)
    shared = two.get_layer("shared_hidden")
    pred = np.asarray(two([x, x]))
    return {
        "sequential_params": int(sequential.count_params()),
        "functional_params": int(functional.count_params()),
        "max_abs_diff_outputs": same,
        "two_input_params": int(two.count_params()),
        "two_input_inputs": len(two.inputs),
        "shared_params": int(shared.count_params()),
        "two_input_output_shape": list(pred.shape),
        "layers": {
            "sequential": [type(layer).__name__ for layer in sequential.layers],
            "functional": [type(layer).__name__ for layer in functional.layers],
            "two_input": [layer.name for layer in two.layers],
        },
        "models": [
            _model_row(sequential, "Sequential"),
            _model_row(functional, "Functional"),
            _model_row(two, "Functional"),
        ],
    }


def _model_row(model: keras.Model, api: str) -> dict:
    """One row of the comparison table: name, API, inputs, layers, parameters."""
    return {
        "model": model.name,
        "API": api,
        "inputs": len(model.inputs),
        "layers": ", ".join(type(layer).__name__ for layer in model.layers),
        "parameters": int(model.count_params()),
    }
