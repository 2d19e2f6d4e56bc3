"""The executed evidence behind the answers to the review questions (Exercise 5).

One small, self-contained demonstration per claim, each returning a small dataclass of plain
Python values (with ``rows()`` for a table and ``numbers()`` for what the answer quotes) that
the chapter glues into its answers:

1. gates — ``gate_demo``, ``fan_out_demo`` (the graph engine of ``computational_graphs`` and
   ``tf.GradientTape`` side by side);
2. advantages of graphs — ``mlp_gradient_demo``, ``graph_structure_demo``, ``export_demo``,
   ``constant_folding_demo``, ``placement_demo``;
3. static vs dynamic — ``step_time_demo``, ``autograph_demo``, ``overhead_demo``;
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
import numbers
import os
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass

import networkx as nx
import numpy as np

from pw06 import keras_mlp, uncertainty
from pw06 import lowlevel_mlp as ll
from pw06.computational_graphs import Value
from pw06.data import N_CLASSES, N_FEATURES
from pw06.graph_checks import central_difference
from pw06.tf_quiet import load, native_info_hidden
from pw06.timing import Stopwatch

tf = load()
import keras  # noqa: E402  (after TensorFlow, whose start-up noise tf_quiet hides)


# --- Q1: what the gates do to the gradient --------------------------------------------------
def gate_expression(x, y, z, w) -> Value:
    """f = 2·(x·y + max(z, w)): ×, max, + and a factor (CS231n)."""
    x, y = Value(x, "x"), Value(y, "y")
    z, w = Value(z, "z"), Value(w, "w")
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


@dataclass(frozen=True)
class GateGradients:
    """f = 2·(x·y + max(z, w)) and its gradients, by engine and by tape."""

    inputs: dict[str, float]  # x, y, z, w
    engine: dict[str, float]  # f, then ∂f/∂x, ∂f/∂y, ∂f/∂z, ∂f/∂w
    tape: dict[str, float]  # the same, by tf.GradientTape
    upstream: float  # the gradient that reaches the add gate
    output: Value  # the engine's output node, to draw the graph

    @property
    def max_abs_diff(self) -> float:
        """Largest difference between the engine and the tape."""
        engine, tape = self.engine, self.tape
        return max(abs(engine[k] - tape[k]) for k in engine)

    def rows(self) -> list[dict[str, object]]:
        """f and each gradient, engine beside tape: one row each."""
        return [
            {
                "quantity": "f" if k == "f" else f"∂f/∂{k}",
                "engine": value,
                "tf.GradientTape": self.tape[k],
            }
            for k, value in self.engine.items()
        ]

    def numbers(self) -> dict[str, float]:
        """What the answer quotes: inputs, f, dx … dw, upstream, difference."""
        grads = {f"d{k}": v for k, v in self.engine.items() if k != "f"}
        return {
            **self.inputs,
            "f": self.engine["f"],
            **grads,
            "upstream": self.upstream,
            "max_abs_diff": self.max_abs_diff,
        }


def gate_demo(x=3.0, y=-4.0, z=2.0, w=-1.0) -> GateGradients:
    """Back-propagate 1.0 through f = 2·(x·y + max(z, w)).

    Once with the graph engine of ``computational_graphs``, once with
    ``tf.GradientTape``; ``upstream`` is what the add gate receives.
    """
    inputs = {"x": x, "y": y, "z": z, "w": w}
    inputs = {k: _number(v, k) for k, v in inputs.items()}
    output = gate_expression(**inputs)
    output.backward(1.0)
    nodes = output.topological_order()
    leaves = {n.label: n for n in nodes if not n.op}
    grads = {k: leaves[k].grad for k in inputs}
    return GateGradients(
        inputs=inputs,
        engine={"f": output.data, **grads},
        tape=_tape(gate_tf, inputs),
        upstream=output.inputs[0].grad,  # s = x·y + max(z, w)
        output=output,
    )


@dataclass(frozen=True)
class FanOut:
    """h = x·y + x: the gradient of x along each path, and in total."""

    via_product: float  # ∂(x·y)/∂x = y
    via_sum: float  # ∂(… + x)/∂x = 1
    engine: float  # ∂h/∂x, by the engine
    tape: float  # ∂h/∂x, by tf.GradientTape


def fan_out_demo(x=3.0, y=-4.0) -> FanOut:
    """h = x·y + x: x feeds two operations, so its gradients add."""
    x, y = _number(x, "x"), _number(y, "y")
    vx, vy = Value(x, "x"), Value(y, "y")
    h = (vx * vy + vx).named("h")
    h.backward(1.0)
    tape = _tape(lambda x, y: x * y + x, {"x": x, "y": y})
    return FanOut(
        via_product=y,
        via_sum=1.0,
        engine=vx.grad,
        tape=tape["x"],
    )


def _count(value, name: str) -> int:
    """``value`` if it is a positive integer; else a clear error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _number(value, name: str) -> float:
    """``value`` as a float; a clear error naming ``name`` if it is not a number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


# --- the lab's MLP: the lesson's own functions (Q2, Q3) ---------------------------------------
def random_batch(n, n_inputs, n_outputs, seed, dtype=np.float32):
    """``n`` random inputs in [0, 1) and one-hot targets: enough to
    time or check a step."""
    rng = np.random.default_rng([seed, 1])
    x = rng.random((n, n_inputs)).astype(dtype)
    t = np.eye(n_outputs, dtype=dtype)[rng.integers(0, n_outputs, n)]
    return x, t


def _numpy_loss(arrays, x, t) -> float:
    """The lab's loss computed without TensorFlow: NumPy, float64."""
    w1, b1, w2, b2 = arrays
    y = 1.0 / (1.0 + np.exp(-(np.maximum(x @ w1 + b1, 0.0) @ w2 + b2)))
    return float(np.mean((y - t) ** 2))


def float64_params(n_inputs, n_hidden, n_outputs, seed) -> list:
    """The lesson's initial ``[W1, b1, W2, b2]`` as float64 variables
    (finite differences need more precision than float32)."""
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
    n_inputs=20,
    n_hidden=16,
    n_outputs=3,
    batch=8,
    seed=0,
) -> GradientCheck:
    """The tape's gradients of the lesson's loss, entry by entry
    against central differences of an independent NumPy loss."""
    params = float64_params(n_inputs, n_hidden, n_outputs, seed)
    x, t = random_batch(batch, n_inputs, n_outputs, seed, np.float64)
    with tf.GradientTape() as tape:
        loss = ll.model_loss(params, x, t)
    grads = tape.gradient(loss, params)
    arrays = [p.numpy() for p in params]
    h, worst = 1e-6, 0.0

    def moved_loss(_):  # of the arrays, one entry moved
        return _numpy_loss(arrays, x, t)

    for array, grad in zip(arrays, grads, strict=True):
        for index in np.ndindex(array.shape):
            numeric = central_difference(moved_loss, array, index, h)
            error = abs(numeric - float(grad.numpy()[index]))
            worst = max(worst, error)
    pairs = zip(grads, params, strict=True)
    shapes = [g.shape == p.shape for g, p in pairs]
    return GradientCheck(
        n_tensors=len(grads),
        n_parameters=int(sum(np.prod(p.shape) for p in params)),
        shapes_match=all(shapes),
        max_abs_diff_fd=worst,
        loss=float(loss),
    )


def traced_mlp_forward(n_inputs, n_hidden, n_outputs, seed=0):
    """The graph (concrete function) of the lesson's ``forward``,
    for a batch of any size."""
    params = ll.init_params(n_inputs, n_hidden, n_outputs, seed)
    forward = tf.function(lambda x: ll.forward(params, x))
    spec = tf.TensorSpec([None, n_inputs], tf.float32)
    return forward.get_concrete_function(spec)


@dataclass(frozen=True)
class GraphStructure:
    """The traced forward pass as data: its operations, their types,
    its serialised size."""

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
    n_inputs=N_FEATURES,
    n_hidden=300,
    n_outputs=N_CLASSES,
) -> GraphStructure:
    """Trace the MLP's forward pass and describe its graph."""
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
    """The lesson's network as a module with a traced ``__call__``."""

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
    directory=None,
    n_inputs=N_FEATURES,
    n_hidden=300,
    n_outputs=N_CLASSES,
    seed=0,
) -> ExportCheck:
    """Save the MLP's graph and weights as a SavedModel, load it
    back, compare the outputs.

    The loaded object runs the saved graph: it needs neither this
    module nor its Python code. ``directory`` defaults to a temporary
    folder, removed afterwards.
    """
    params = ll.init_params(n_inputs, n_hidden, n_outputs, seed)
    model = _ExportableMLP(params)
    x, _ = random_batch(5, n_inputs, n_outputs, seed)
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "mlp")
        if directory is not None:
            path = os.fspath(directory)
        tf.saved_model.save(model, path)
        files = sorted(os.listdir(path))
        loaded = tf.saved_model.load(path)
        diff = float(tf.reduce_max(tf.abs(loaded(x) - model(x))))
    return ExportCheck(
        files=files,
        max_abs_diff=diff,
        loaded_type=type(loaded).__name__,
    )


def _median_ms(fn, arg, repeats: int) -> float:
    """Median wall time of ``fn(arg)`` in ms, after one warm-up call.

    The warm-up traces a ``tf.function``; the median resists the odd slow call
    of a shared machine better than the mean.
    """
    _count(repeats, "repeats")
    fn(arg)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def matmul_chain(size: int, n_matmuls: int):
    """f(x): ``n_matmuls`` products of size×size matrices fed by x."""
    _count(size, "size")
    _count(n_matmuls, "n_matmuls")

    def chain(x):
        a = tf.ones((size, size)) * x / size
        for _ in range(n_matmuls):
            a = tf.matmul(a, a)
        return a[0, 0]

    return chain


@dataclass(frozen=True)
class FoldingTimes:
    """Median ms per call of the same products, eager and as a graph."""

    constant_eager_ms: float  # products of constants, eagerly
    constant_graph_ms: float  # … as a graph
    input_eager_ms: float  # products fed by the input, eagerly
    input_graph_ms: float  # … as a graph

    @property
    def graph_ratio(self) -> float:
        """How many times cheaper the constant graph is."""
        return self.input_graph_ms / self.constant_graph_ms

    def verdict(self) -> str:
        """What the times show: folded, or too close to tell."""
        if self.graph_ratio >= 2:
            return (
                "the graph no longer pays for the products of constants"
                " at each call: they were computed once, when the graph"
                " was optimised"
            )
        unseen = "no folding can be seen in this run"
        return f"the two graphs took similar times: {unseen}"


def constant_folding_demo(
    size=200,
    n_matmuls=20,
    repeats=10,
) -> FoldingTimes:
    """Graph optimisation: constants computed once, not per call.

    The same ``n_matmuls`` products, first of constants only, then
    fed by the input (``matmul_chain``). Median ms per call, eager
    and as a graph.
    """

    def constant_work(x):
        a = tf.ones((size, size)) / size
        for _ in range(n_matmuls):
            a = tf.matmul(a, a)
        return x + a[0, 0]

    input_work = matmul_chain(size, n_matmuls)

    def ms(fn):
        return _median_ms(fn, tf.constant(1.0), repeats)

    return FoldingTimes(
        constant_eager_ms=ms(constant_work),
        constant_graph_ms=ms(tf.function(constant_work)),
        input_eager_ms=ms(input_work),
        input_graph_ms=ms(tf.function(input_work)),
    )


@dataclass(frozen=True)
class Placement:
    """Where each traced operation asked to run, and whether two branches meet."""

    devices: dict[str, str]  # operation → device ('' = the runtime's choice)
    independent: bool  # no path joins branch_a and branch_b


def placement_demo(size: int = 4) -> Placement:
    """Placement and parallelism are visible in the graph.

    Branch a is pinned to the CPU with ``tf.device``, and records it.
    No path joins the two branches: the runtime may run them at once.
    """

    def two_branches(x):
        with tf.device("/CPU:0"):
            a = tf.matmul(x, x, name="branch_a")
        b = tf.reduce_sum(tf.square(x), name="branch_b")
        return a, b

    spec = tf.TensorSpec([size, size])
    traced = tf.function(two_branches).get_concrete_function(spec)
    ops = traced.graph.get_operations()
    edges = nx.DiGraph()  # operation → the operations that read it
    for op in ops:
        edges.add_node(op.name)
        edges.add_edges_from((t.op.name, op.name) for t in op.inputs)
    a, b = "branch_a", "branch_b"
    joined = nx.has_path(edges, a, b) or nx.has_path(edges, b, a)
    return Placement(
        devices={op.name: op.device for op in ops},
        independent=not joined,
    )


# --- Q3: static graph vs eager -----------------------------------------------------------------
@dataclass(frozen=True)
class StepTiming:
    """One SGD step of the MLP, eager and compiled, in milliseconds:
    medians over repeats (each the mean of a run of steps) and their
    range."""

    batch: int
    eager_ms: float  # per step, eagerly: median over the repeats
    graph_ms: float  # per step, as a tf.function: median
    first_call_ms: float  # the graph's first call: tracing + optimisation + one step
    traces: int
    repeats: int = 1
    eager_min_ms: float = math.nan  # the range over the repeats
    eager_max_ms: float = math.nan
    graph_min_ms: float = math.nan
    graph_max_ms: float = math.nan

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
            "rq_step_repeats": self.repeats,
            "rq_step_eager_min_ms": self.eager_min_ms,
            "rq_step_eager_max_ms": self.eager_max_ms,
            "rq_step_graph_min_ms": self.graph_min_ms,
            "rq_step_graph_max_ms": self.graph_max_ms,
        }


def step_time_demo(
    n_inputs=N_FEATURES,
    n_hidden=300,
    n_outputs=N_CLASSES,
    batch=64,
    steps=50,
    repeats=5,
    seed=0,
) -> StepTiming:
    """The lesson's ``train_step``, eager and as a ``tf.function``:
    milliseconds per step after a warm-up — the median (and range)
    over ``repeats`` runs of ``steps`` steps — and the compiled step's
    first call, which traces it."""
    _count(repeats, "repeats")
    params = ll.init_params(n_inputs, n_hidden, n_outputs, seed)
    x, t = random_batch(batch, n_inputs, n_outputs, seed)
    x, t, rate = tf.constant(x), tf.constant(t), tf.constant(0.1)

    def per_step_ms(step) -> list[float]:
        times = []
        for _ in range(repeats):
            with Stopwatch() as clock:
                for _ in range(steps):
                    step(params, x, t, rate)
            times.append(clock.wall / steps * 1e3)
        return times

    ll.train_step(params, x, t, rate)  # warm-up of the eager kernels
    eager = per_step_ms(ll.train_step)
    graph_step = tf.function(ll.train_step)
    with Stopwatch() as first:
        graph_step(params, x, t, rate)
    graph = per_step_ms(graph_step)
    return StepTiming(
        batch=batch,
        eager_ms=statistics.median(eager),
        graph_ms=statistics.median(graph),
        first_call_ms=first.wall * 1e3,
        traces=graph_step.experimental_get_tracing_count(),
        repeats=repeats,
        eager_min_ms=min(eager),
        eager_max_ms=max(eager),
        graph_min_ms=min(graph),
        graph_max_ms=max(graph),
    )


def collatz_steps(n):
    """Collatz steps from n to 1: a ``while`` and an ``if`` on data.

    Plain Python: it runs eagerly on a tensor, and AutoGraph converts
    it under ``tf.function``.
    """
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


@dataclass(frozen=True)
class AutographRun:
    """``collatz_steps`` run three ways, and what AutoGraph made of it."""

    python: dict[int, int]  # n → steps, plain Python
    eager: dict[int, int]  # … on tensors, eagerly
    graph: dict[int, int]  # … by one traced graph
    traces: int  # traces of the graph version
    loop_op: str  # the graph's loop operation
    converted: list[str]  # AutoGraph's lines for the while and the if

    def rows(self) -> list[dict[str, int]]:
        """One row per starting value: steps in Python, eagerly, as a graph."""
        return [
            {
                "n": n,
                "python": self.python[n],
                "eager": self.eager[n],
                "graph": self.graph[n],
            }
            for n in self.python
        ]


def autograph_demo(starts=(6, 27, 97)) -> AutographRun:
    """``collatz_steps`` in Python, eagerly on tensors, as one graph."""
    graph_fn = tf.function(collatz_steps)
    spec = tf.TensorSpec([], tf.int32)
    ops = graph_fn.get_concrete_function(spec).graph.get_operations()
    loop_types = ("While", "StatelessWhile")
    loops = [op.type for op in ops if op.type in loop_types]
    code = tf.autograph.to_code(collatz_steps).splitlines()
    lines = [line.strip() for line in code]
    stmts = ("ag__.if_stmt", "ag__.while_stmt")
    converted = [line for line in lines if line.startswith(stmts)]
    return AutographRun(
        python={n: collatz_steps(n) for n in starts},
        eager={n: int(collatz_steps(tf.constant(n))) for n in starts},
        graph={n: int(graph_fn(tf.constant(n))) for n in starts},
        traces=graph_fn.experimental_get_tracing_count(),
        loop_op=loops[0] if loops else "",
        converted=converted,
    )


@dataclass(frozen=True)
class Overhead:
    """The same chain of products, eager and as a graph, for one matrix size."""

    size: int  # the matrices are size × size
    eager_ms: float  # median ms per call, eagerly
    graph_ms: float  # … as a graph

    @property
    def speedup(self) -> float:
        """How many times faster the graph is."""
        return self.eager_ms / self.graph_ms


def overhead_verdict(rows: list[Overhead]) -> str:
    """What the speed-ups at the smallest and largest size show."""
    by_size = sorted(rows, key=lambda row: row.size)
    small, large = by_size[0], by_size[-1]
    first, last = f"×{small.speedup:.1f}", f"×{large.speedup:.1f}"
    n, m = small.size, large.size
    sizes = f"{n}×{n} and {m}×{m} matrices"
    if small.speedup > large.speedup:
        trend = f"the graph's advantage shrank from {first} to {last}"
        return f"{trend} between {sizes}"
    both = f"the speed-ups, {first} and {last}"
    return f"{both} for {sizes}, did not shrink"


def overhead_demo(
    sizes=(8, 384),
    n_matmuls=10,
    repeats=5,
) -> list[Overhead]:
    """When does a graph pay? The same ``matmul_chain`` at two sizes.

    Eagerly, Python dispatches each product; a graph dispatches the
    chain once. Small products cost less than their dispatch, large
    ones much more: the graph's advantage shrinks as they grow.
    """
    if len(set(sizes)) < 2:
        raise ValueError(f"sizes must hold two sizes, got {sizes!r}")
    one = tf.constant(1.0)
    rows = []
    for size in sizes:
        chain = matmul_chain(size, n_matmuls)
        graph = tf.function(chain)
        rows.append(
            Overhead(
                size=size,
                eager_ms=_median_ms(chain, one, repeats),
                graph_ms=_median_ms(graph, one, repeats),
            )
        )
    return rows


# --- Q4: @tf.function ----------------------------------------------------------------------------
def _shown(arg) -> str:
    """An argument as it was written: ``tf.constant([1.0, 2.0])`` or ``3``."""
    return f"tf.constant({arg.numpy().tolist()})" if tf.is_tensor(arg) else repr(arg)


def _float32(value) -> float:
    """A float32 result as the short decimal it stands for: 0.1, not 0.10000000149…"""
    return float(str(np.float32(value)))


@dataclass(frozen=True)
class Tracing:
    """What ``tracing_demo`` counted: traces (Python ran) and calls (graph ran)."""

    calls: list[str]  # each call of double, as written
    traced: list[bool]  # whether that call traced
    traced_with: list[str]  # what each trace saw: a shape or a Python value
    tracing_count: int  # tf.function's own count of traces
    printed: int  # lines tf.print wrote
    signature_calls: int  # calls of total (fixed input_signature)
    signature_traces: int  # … and its traces
    signature_shape: str  # the shape in its signature

    @property
    def traces(self) -> int:
        return len(self.traced_with)

    def rows(self) -> list[dict[str, object]]:
        """One row per call: the call, and whether it traced."""
        return [
            {"call": call, "traced": traced}
            for call, traced in zip(self.calls, self.traced, strict=True)
        ]

    def numbers(self) -> dict[str, int]:
        """What the answer quotes."""
        return {
            "calls": len(self.calls),
            "traces": self.traces,
            "printed": self.printed,
            "signature_calls": self.signature_calls,
            "signature_traces": self.signature_traces,
        }


def tracing_demo(log_path=None) -> Tracing:
    """Count traces (a Python side effect) and calls (``tf.print``).

    Calls: two float32 scalars (one trace), a float32 vector (new
    shape: a trace), the Python number 3, then 4 twice (a trace per
    new Python value). Then a function with an ``input_signature``
    on vectors of three lengths (one trace). ``tf.print`` writes to
    ``log_path``, by default a temporary file, removed afterwards.
    """
    if log_path is None:
        with tempfile.TemporaryDirectory() as scratch:
            return tracing_demo(os.path.join(scratch, "calls.log"))
    traces = []
    stream = f"file://{os.fspath(log_path)}"

    @tf.function
    def double(x):
        traces.append(x)  # Python: runs only while tracing
        tf.print("called with", x, output_stream=stream)  # every call
        return 2 * x

    scalars = [tf.constant(1.0), tf.constant(2.0)]
    args = [*scalars, tf.constant([1.0, 2.0]), 3, 4, 4]
    traced = []
    for arg in args:
        before = len(traces)
        double(arg)
        traced.append(len(traces) > before)
    with open(log_path, encoding="utf-8") as fh:
        printed = sum(1 for _ in fh)

    seen = []

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def total(x):
        seen.append(x.shape)  # Python: runs only while tracing
        return tf.reduce_sum(x)

    lengths = (2, 3, 5)
    for length in lengths:
        total(tf.ones([length]))
    return Tracing(
        calls=[f"double({_shown(arg)})" for arg in args],
        traced=traced,
        traced_with=[str(getattr(x, "shape", x)) for x in traces],
        tracing_count=double.experimental_get_tracing_count(),
        printed=printed,
        signature_calls=len(lengths),
        signature_traces=len(seen),
        signature_shape=str(seen[0]),
    )


@dataclass(frozen=True)
class FrozenClosure:
    """A Python float read by a ``tf.function``, before and after it changed."""

    traced_value: float  # the float while the function was traced
    python_value: float  # the float after it was changed
    before: float  # scaled(1.0) before the change
    after: float  # scaled(1.0) after it: still the traced value


def frozen_closure_demo(first=0.1, second=0.5) -> FrozenClosure:
    """A Python float read by a ``tf.function`` is frozen at tracing."""
    rate = _number(first, "first")

    @tf.function
    def scaled(x):
        return rate * x

    before = _float32(scaled(tf.constant(1.0)))
    rate = _number(second, "second")  # the graph keeps the traced value
    after = _float32(scaled(tf.constant(1.0)))
    return FrozenClosure(
        traced_value=float(first),
        python_value=rate,
        before=before,
        after=after,
    )


# --- Q5: tf.gradients -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Gradients:
    """What ``tf.gradients`` returned: ys = [w·x, Σx²], x = [1, 2, 3], w = 2.

    ``grads`` is ``tf.gradients(ys, [x, w, u])``: one entry per element
    of xs, None for u, which no y depends on.
    """

    grads: list  # [∂/∂x (a list), ∂/∂w (a float), ∂/∂u (None)]
    du_zero: float  # ∂/∂u with unconnected_gradients=ZERO
    weighted: list[float]  # ∂(w·x)/∂x with grad_ys = [1, 0, 10]
    total: float  # ∂(a + b)/∂a with b = 2a
    partial: float  # the same with stop_gradients=[b]
    v1_graph: list[float]  # ∂(Σx²)/∂x in a tf.compat.v1 graph and session
    eager_error: str  # what an eager call raises …
    eager_message: str  # … and its message

    def numbers(self) -> dict[str, object]:
        """What the answer quotes: numbers, and lists or None as text."""
        dx, dw, du = self.grads
        return {
            "length": len(self.grads),
            "dx": str(dx),
            "dw": dw,
            "du": str(du),
            "du_zero": self.du_zero,
            "weighted": str(self.weighted),
            "total": self.total,
            "partial": self.partial,
            "v1_graph": str(self.v1_graph),
            "eager_error": self.eager_error,
            "eager_message": self.eager_message,
        }

    def rows(self) -> list[dict[str, str]]:
        """One row per call: the call as written, its result and shape."""
        call = "tf.gradients(ys, [x, w, u])"
        calls = [
            *((f"{call}[{i}]", g) for i, g in enumerate(self.grads)),
            ("tf.gradients(ys, [u], unconnected_gradients=ZERO)[0]", self.du_zero),
            ("tf.gradients(w * x, [x], grad_ys=[[1, 0, 10]])[0]", self.weighted),
            ("tf.gradients(a + b, [a])[0], with b = 2a", self.total),
            ("tf.gradients(a + b, [a], stop_gradients=[b])[0]", self.partial),
            ("tf.gradients(Σx², [x])[0] in a tf.Graph (tf.compat.v1)", self.v1_graph),
        ]
        n = str(len(self.grads))
        rows = [{"call": f"len({call})", "result": n, "shape": ""}]
        for text, value in calls:
            shape = "" if value is None else str(list(np.shape(value)))
            rows.append({"call": text, "result": str(value), "shape": shape})
        error = self.eager_error
        rows.append({"call": "tf.gradients(…) eagerly", "result": error, "shape": ""})
        return rows


def _plain(tensor):
    """A float32 tensor as Python floats, without float noise (None stays)."""
    if tensor is None:
        return None
    values = tensor.numpy()
    if values.ndim == 0:
        return _float32(values)
    return [_float32(v) for v in values.ravel()]


def tf_gradients_demo() -> Gradients:
    """``tf.gradients(ys, xs)`` in a ``tf.function``, in a TensorFlow 1
    graph (``tf.compat.v1``), and called eagerly (an error)."""

    @tf.function
    def in_function():
        x = tf.constant([1.0, 2.0, 3.0])
        w = tf.constant(2.0)
        u = tf.constant(5.0)
        ys = [w * x, tf.reduce_sum(x**2)]
        dx, dw, du = tf.gradients(ys, [x, w, u])
        zero = tf.UnconnectedGradients.ZERO
        (du_zero,) = tf.gradients(ys, [u], unconnected_gradients=zero)
        weights = tf.constant([1.0, 0.0, 10.0])
        (weighted,) = tf.gradients(w * x, [x], grad_ys=[weights])
        a = tf.constant(1.0)
        b = 2.0 * a
        (total,) = tf.gradients(a + b, [a])
        (partial,) = tf.gradients(a + b, [a], stop_gradients=[b])
        return dx, dw, du, du_zero, weighted, total, partial

    dx, dw, du, du_zero, weighted, total, partial = in_function()

    graph = tf.Graph()  # TensorFlow 1: build a graph, run a session
    with graph.as_default():
        x = tf.constant([1.0, 2.0, 3.0])
        (dx_v1,) = tf.gradients(tf.reduce_sum(x**2), [x])
    with native_info_hidden():  # TF 2.19 logs a line here
        with tf.compat.v1.Session(graph=graph) as session:
            v1_graph = [_float32(v) for v in session.run(dx_v1)]

    try:
        tf.gradients(tf.constant(1.0), [tf.constant(2.0)])
        eager_error, eager_message = "", ""
    except RuntimeError as error:
        eager_error, eager_message = type(error).__name__, str(error)
    return Gradients(
        grads=[_plain(dx), _plain(dw), _plain(du)],
        du_zero=_plain(du_zero),
        weighted=_plain(weighted),
        total=_plain(total),
        partial=_plain(partial),
        v1_graph=v1_graph,
        eager_error=eager_error,
        eager_message=eager_message,
    )


# --- Q6: Keras Sequential vs Functional -----------------------------------------------------------
def build_two_input_model(
    n_inputs: int,
    n_hidden: int,
    n_outputs: int,
) -> keras.Model:
    """Two inputs through one *shared* hidden layer, merged by a sum.

    Sequential cannot express it: two inputs, a shared layer, a merge.
    """
    Dense = keras.layers.Dense
    left = keras.Input(shape=(n_inputs,), name="left")
    right = keras.Input(shape=(n_inputs,), name="right")
    shared = Dense(n_hidden, activation="relu", name="shared_hidden")
    merged = keras.layers.Add(name="sum")([shared(left), shared(right)])
    output = Dense(n_outputs, activation="sigmoid", name="output")
    return keras.Model(
        [left, right],
        output(merged),
        name="two_input_shared",
    )


@dataclass(frozen=True)
class KerasApis:
    """The lab's MLP by both APIs, and a model only the Functional API builds."""

    models: list[dict[str, object]]  # one row per model: see _model_row
    max_abs_diff: float  # Sequential vs Functional outputs, same weights
    shared_params: int  # the two-input model's shared hidden layer
    two_input_output_shape: list[int]  # its output for a batch of 4

    def numbers(self) -> dict[str, int | float]:
        """What the answer quotes."""
        sequential, functional, two = self.models
        return {
            "sequential_params": sequential["parameters"],
            "functional_params": functional["parameters"],
            "two_input_params": two["parameters"],
            "two_input_inputs": two["inputs"],
            "shared_params": self.shared_params,
            "max_abs_diff": self.max_abs_diff,
            "outputs": uncertainty.outputs_verdict(self.max_abs_diff),
        }


def keras_api_demo(
    n_inputs=784,
    n_hidden=300,
    n_outputs=10,
    seed=0,
) -> KerasApis:
    """The Keras chapter's MLP built with both APIs, then the two-input
    model: same parameters and, from the same seed, same outputs."""
    keras.utils.set_random_seed(seed)  # the two-input model's weights
    sizes = (n_inputs, n_hidden, n_outputs)
    sequential = keras_mlp.build_sequential(*sizes, seed=seed)
    functional = keras_mlp.build_functional(*sizes, seed=seed)
    rng = np.random.default_rng(seed)
    x = rng.random((4, n_inputs), dtype=np.float32)
    # a direct call runs the layers eagerly: nothing to trace for 4 rows
    diff = np.abs(np.asarray(sequential(x)) - np.asarray(functional(x)))
    two = build_two_input_model(n_inputs, n_hidden, n_outputs)
    return KerasApis(
        models=[
            _model_row(sequential, "Sequential"),
            _model_row(functional, "Functional"),
            _model_row(two, "Functional"),
        ],
        max_abs_diff=float(diff.max()),
        shared_params=two.get_layer("shared_hidden").count_params(),
        two_input_output_shape=list(np.shape(two([x, x]))),
    )


def _model_row(model: keras.Model, api: str) -> dict[str, object]:
    """One row of the comparison table: name, API, inputs, layers, parameters."""
    return {
        "model": model.name,
        "API": api,
        "inputs": len(model.inputs),
        "layers": ", ".join(type(layer).__name__ for layer in model.layers),
        "parameters": int(model.count_params()),
    }
