"""A scalar computational graph with reverse-mode differentiation; 2-D logistic regression on it.

Exercise 1 of the lab, checked by machine. The pieces, in reading order:

- ``Value`` — one node of the graph: the operation that made it, its forward value, its gradient.
  Each operation computes its value *and* its local derivatives in the forward pass;
  ``Value.backward`` visits the nodes in reverse topological order and multiplies the upstream
  gradient by those local derivatives (the chain rule), **adding** contributions where a value
  feeds several operations.
- ``logistic_regression_graph`` — eq. 2 of the lab, one node per primitive operation.
- Three independent checks of the gradients: the sigmoid shortcut ŷ(1−ŷ), ``tf.GradientTape``,
  and central finite differences.
- ``draw_graph`` — draws any graph built here (and TensorFlow's traced graph) from the graph
  object itself, laid out left to right with NetworkX and drawn with Matplotlib.

Sign convention: the lab's eq. 1 reads exp(−wᵀx + b), i.e. ŷ = σ(wᵀx − b), while eq. 2 reads
exp(−(w₁x₁ + w₂x₂ + b)), i.e. ŷ = σ(wᵀx + b). This module follows eq. 2 (as CS231n does).
"""

from __future__ import annotations

import math
import numbers
import random
from dataclasses import dataclass

import matplotlib.pyplot as plt
import networkx as nx
from matplotlib.font_manager import FontProperties
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.textpath import TextPath

from pw06.tf_quiet import load

tf = load()

#: The inputs of the CS231n "Backpropagation, Intuitions" neuron: ŷ = 0.731.
CS231N_INPUTS = {"x1": -1.0, "x2": -2.0, "w1": 2.0, "w2": -3.0, "b": -3.0}

#: The names of the inputs of eq. 2, in the order the functions below take them.
INPUT_NAMES = ("x1", "x2", "w1", "w2", "b")


def _check_number(value, what: str = "value") -> float:
    """``value`` as a finite Python float, or a clear TypeError/ValueError."""
    if isinstance(value, Value):
        raise TypeError(f"{what}: expected a number, got a Value node (use it directly instead)")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what}: expected a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what}: expected a finite number, got {value}")
    return value


def _symbol(c: float) -> str:
    """A constant as printed in an operation's name: 1 → '1', −1 → '(−1)'."""
    text = f"{c:g}".replace("-", "−")
    return f"({text})" if c < 0 else text


class Value:
    """One node of a scalar computational graph.

    ``data`` is the forward value, ``grad`` the gradient of the graph's output with respect to
    this node (filled in by ``backward``). An operation node also records its ``inputs``, the
    ``local_grads`` ∂(this node)/∂(input) computed in the forward pass, and how to print them.
    """

    def __init__(self, data, label: str = ""):
        self.data = _check_number(data, label or "Value")
        self.grad = 0.0
        self.label = label
        self.op = ""  # the operation's symbol; "" for an input (a leaf)
        self.inputs: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()
        self.local_formulas: tuple[str, ...] = ()
        self._template = ""  # e.g. "{0}·{1}", filled with the inputs' names

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:.6g}, grad={self.grad:.6g})"

    @staticmethod
    def _operation(data, op: str, template: str, edges) -> Value:
        """A new operation node. ``edges`` holds one (input, local derivative, the derivative
        as text) per input; ``template`` prints the operation from its inputs' names."""
        if not math.isfinite(data):
            raise ValueError(f"{op}: the result {data} is not finite")
        out = Value(data)
        out.op, out._template = op, template
        out.inputs = tuple(node for node, _, _ in edges)
        out.local_grads = tuple(float(local) for _, local, _ in edges)
        out.local_formulas = tuple(text for _, _, text in edges)
        return out

    def named(self, label: str) -> Value:
        """Give this node a name (shown in tables and figures); returns the node itself."""
        self.label = label
        return self

    @property
    def expression(self) -> str:
        """How this node is computed from its inputs' names, e.g. ``'w1·x1'``."""
        return self._template.format(*(node.label or "?" for node in self.inputs))

    # --- the primitive operations: forward value and local derivatives ---------------------
    def __mul__(self, other) -> Value:
        """Multiply gate: ∂(a·b)/∂a = b and ∂(a·b)/∂b = a — each input gets the *other* one."""
        if not isinstance(other, Value):
            return self.scale(other)
        a, b = self, other
        return Value._operation(
            a.data * b.data,
            op="×",
            template="{0}·{1}",
            edges=[(a, b.data, b.label), (b, a.data, a.label)],
        )

    def __add__(self, other) -> Value:
        """Add gate: both local derivatives are 1, so both inputs get the upstream gradient."""
        if not isinstance(other, Value):
            return self.add_constant(other)
        a, b = self, other
        return Value._operation(
            a.data + b.data,
            op="+",
            template="{0} + {1}",
            edges=[(a, 1.0, "1"), (b, 1.0, "1")],
        )

    __rmul__ = __mul__
    __radd__ = __add__

    def __neg__(self) -> Value:
        return self.scale(-1.0)

    def scale(self, c) -> Value:
        """Multiply by a constant c: local derivative c."""
        c = _check_number(c, "constant factor")
        op = f"×{_symbol(c)}"
        return Value._operation(self.data * c, op, f"{_symbol(c)}·{{0}}", [(self, c, _symbol(c))])

    def add_constant(self, c) -> Value:
        """Add a constant c: local derivative 1."""
        c = _check_number(c, "constant term")
        sign = "−" if c < 0 else "+"
        op = f"{sign}{abs(c):g}"
        return Value._operation(
            self.data + c, op, "{0} " + f"{sign} {abs(c):g}", [(self, 1.0, "1")]
        )

    def exp(self) -> Value:
        """Exponential: the local derivative is exp(x), the node's own value."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise ValueError(f"exp: exp({self.data:g}) overflows a float") from None
        return Value._operation(e, "exp", "exp({0})", [(self, e, f"exp({self.label})")])

    def reciprocal(self) -> Value:
        """1/x: the local derivative is −1/x²."""
        x = self.data
        if x == 0.0:
            raise ValueError("1/x: division by zero")
        return Value._operation(1.0 / x, "1/x", "1/{0}", [(self, -1.0 / x**2, f"−1/{self.label}²")])

    def maximum(self, other: Value) -> Value:
        """Max gate: local derivative 1 for the larger input, 0 for the other (ties: first)."""
        if not isinstance(other, Value):
            raise TypeError(f"maximum: expected a Value, got {type(other).__name__}")
        a, b = self, other
        first = a.data >= b.data  # ties go to the first input, as in tf.maximum
        edges = [
            (a, float(first), "1 (larger)" if first else "0"),
            (b, float(not first), "0" if first else "1 (larger)"),
        ]
        return Value._operation(max(a.data, b.data), "max", "max({0}, {1})", edges)

    # --- reverse mode -------------------------------------------------------------------------
    def topological_order(self) -> list[Value]:
        """Every node this one depends on, each after all of its inputs (this node last)."""
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for child in node.inputs:
                    visit(child)
                order.append(node)

        visit(self)
        return order

    def backward(self, seed: float = 1.0) -> None:
        """Back-propagate ``seed`` (∂output/∂output) from this node to every node it depends on.

        Gradients of the graph are reset first, so calling it twice gives the same result.
        """
        seed = _check_number(seed, "seed")
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = seed
        for node in reversed(order):  # a node's gradient is complete before it is passed on
            for child, local in zip(node.inputs, node.local_grads, strict=True):
                child.grad += local * node.grad  # += : gradients add up where a value fans out


# --- logistic regression, eq. 2 -------------------------------------------------------------
@dataclass
class LogisticRegressionGraph:
    """The graph of eq. 2: its named inputs and its output node ŷ."""

    inputs: dict[str, Value]
    output: Value

    def nodes(self) -> list[Value]:
        """All nodes, inputs included, in topological order."""
        return self.output.topological_order()

    def operations(self) -> list[Value]:
        """The operation nodes only (the gates), in topological order."""
        return [node for node in self.nodes() if node.op]

    def gradients(self) -> dict[str, float]:
        """ŷ and its gradient with respect to each input (after ``backward``)."""
        return {"yhat": self.output.data} | {k: v.grad for k, v in self.inputs.items()}


def logistic_regression_graph(x1, x2, w1, w2, b) -> LogisticRegressionGraph:
    """ŷ = 1 / (1 + exp(−(w1·x1 + w2·x2 + b))), one node per primitive operation (forward only)."""
    x1, x2, w1, w2, b = (Value(v, n) for v, n in zip((x1, x2, w1, w2, b), INPUT_NAMES, strict=True))
    p1 = (w1 * x1).named("p1")
    p2 = (w2 * x2).named("p2")
    s = (p1 + p2).named("s")
    z = (s + b).named("z")
    u = (-z).named("u")  # multiply by the constant −1
    e = u.exp().named("e")
    d = (e + 1).named("d")  # add the constant 1
    yhat = d.reciprocal().named("ŷ")
    return LogisticRegressionGraph({"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}, yhat)


def engine_gradients(x1, x2, w1, w2, b) -> dict[str, float]:
    """ŷ and ∂ŷ/∂(x1, x2, w1, w2, b), by the engine: build the graph, back-propagate 1.0."""
    graph = logistic_regression_graph(x1, x2, w1, w2, b)
    graph.output.backward(1.0)
    return graph.gradients()


def lr_forward(x1, x2, w1, w2, b) -> float:
    """Eq. 2 in plain Python, for finite differences."""
    x1, x2, w1, w2, b = (
        _check_number(v, n) for v, n in zip((x1, x2, w1, w2, b), INPUT_NAMES, strict=True)
    )
    return 1.0 / (1.0 + math.exp(-(w1 * x1 + w2 * x2 + b)))


def sigmoid_shortcut_gradients(x1, x2, w1, w2, b) -> dict[str, float]:
    """Gradients from dσ(z)/dz = σ(z)(1 − σ(z)) and the chain rule through z = w1·x1 + w2·x2 + b."""
    yhat = lr_forward(x1, x2, w1, w2, b)
    dz = yhat * (1.0 - yhat)
    return {"yhat": yhat, "x1": w1 * dz, "x2": w2 * dz, "w1": x1 * dz, "w2": x2 * dz, "b": dz}


def lr_tf(x1, x2, w1, w2, b):
    """Eq. 2 written with TensorFlow operations (the same function, for the tape and tracing)."""
    return 1.0 / (1.0 + tf.exp(-(w1 * x1 + w2 * x2 + b)))


def tape_gradients(x1, x2, w1, w2, b) -> dict[str, float]:
    """ŷ and its five gradients computed by ``tf.GradientTape`` in float64."""
    values = [_check_number(v, n) for v, n in zip((x1, x2, w1, w2, b), INPUT_NAMES, strict=True)]
    tensors = [tf.constant(v, dtype=tf.float64) for v in values]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        yhat = lr_tf(*tensors)
    grads = tape.gradient(yhat, tensors)
    return {"yhat": float(yhat)} | {n: float(g) for n, g in zip(INPUT_NAMES, grads, strict=True)}


def finite_difference_gradients(f, inputs: dict[str, float], h: float = 1e-5) -> dict[str, float]:
    """Central differences (f(v + h) − f(v − h)) / 2h for each named input of ``f``."""
    grads = {"yhat": f(**inputs)}
    for name, value in inputs.items():
        plus, minus = {**inputs, name: value + h}, {**inputs, name: value - h}
        grads[name] = (f(**plus) - f(**minus)) / (2 * h)
    return grads


def max_abs_diff(a: dict[str, float], b: dict[str, float]) -> float:
    """The largest |a[k] − b[k]| over the keys both dictionaries share."""
    return max(abs(a[k] - b[k]) for k in a.keys() & b.keys())


def random_inputs(n: int, seed: int, low: float = -3.0, high: float = 3.0) -> list[dict]:
    """``n`` random input sets for eq. 2, each value uniform in [low, high)."""
    rng = random.Random(seed)
    return [{name: rng.uniform(low, high) for name in INPUT_NAMES} for _ in range(n)]


def largest_differences(input_sets: list[dict], h: float = 1e-5) -> dict[str, float]:
    """Compare the engine with the three checks on every input set; the largest |difference|
    of ŷ or any gradient, per check: ``shortcut``, ``tape`` and ``finite_differences``."""
    worst = {"shortcut": 0.0, "tape": 0.0, "finite_differences": 0.0}
    for inputs in input_sets:
        engine = engine_gradients(**inputs)
        others = {
            "shortcut": sigmoid_shortcut_gradients(**inputs),
            "tape": tape_gradients(**inputs),
            "finite_differences": finite_difference_gradients(lr_forward, inputs, h),
        }
        for name, grads in others.items():
            worst[name] = max(worst[name], max_abs_diff(engine, grads))
    return worst


# --- tables ---------------------------------------------------------------------------------
def forward_table(output: Value) -> list[dict[str, object]]:
    """One row per node in topological order: name, operation, how it is computed, value."""
    return [
        {
            "node": node.label,
            "operation": node.op or "input",
            "computed as": node.expression if node.op else "given",
            "value": node.data,
        }
        for node in output.topological_order()
    ]


def backward_table(output: Value) -> list[dict[str, object]]:
    """One row per edge, from the output back: local derivative × upstream = downstream.

    Call ``output.backward()`` first. Where a node feeds several operations, its gradient is
    the sum of the downstream values of its rows.
    """
    rows = []
    for node in reversed(output.topological_order()):
        for child, local, formula in zip(
            node.inputs, node.local_grads, node.local_formulas, strict=True
        ):
            rows.append(
                {
                    "node": f"{node.label} = {node.expression}",
                    "input": child.label,
                    "local derivative": f"∂{node.label}/∂{child.label} = {formula}",
                    "local value": local,
                    "upstream": node.grad,
                    "downstream": local * node.grad,
                }
            )
    return rows


# --- TensorFlow's own graph -----------------------------------------------------------------
def lr_tf_sigmoid(x1, x2, w1, w2, b):
    """Eq. 2 with TensorFlow's fused ``tf.sigmoid``: one operation instead of four."""
    return tf.sigmoid(w1 * x1 + w2 * x2 + b)


def traced_lr_graph(fn=lr_tf):
    """The concrete function TensorFlow traces for ``fn`` (eq. 2) on five float64 scalars."""
    specs = [tf.TensorSpec([], tf.float64, name=n) for n in INPUT_NAMES]
    return tf.function(fn).get_concrete_function(*specs)


def graph_operations(concrete_function) -> list[dict[str, str]]:
    """The operations of a traced graph: name, type, and the tensors they read."""
    return [
        {"name": op.name, "type": op.type, "inputs": ", ".join(t.name for t in op.inputs)}
        for op in concrete_function.graph.get_operations()
    ]


# --- drawing ----------------------------------------------------------------------------------
VALUE_COLOR = "#1f4e9c"  # forward values: blue
GRAD_COLOR = "#b2182b"  # gradients: red


def value_graph(output: Value) -> nx.DiGraph:
    """The engine's graph as a NetworkX DiGraph (edges input → operation); nodes keep the Value."""
    graph = nx.DiGraph()
    for node in output.topological_order():
        graph.add_node(id(node), value=node)
        for child in node.inputs:
            graph.add_edge(id(child), id(node))
    return graph


def tf_graph(concrete_function) -> nx.DiGraph:
    """TensorFlow's traced graph as a NetworkX DiGraph; nodes keep the ``tf.Operation``."""
    graph = nx.DiGraph()
    for op in concrete_function.graph.get_operations():
        graph.add_node(op.name, op=op)
        for tensor in op.inputs:
            graph.add_edge(tensor.op.name, op.name)
    return graph


def layered_positions(graph: nx.DiGraph) -> dict[object, tuple[float, float]]:
    """Left-to-right layout: each node as far right as its users allow.

    The column of a node is set by the longest path from it to an output (NetworkX's
    topological generations of the reversed graph), so an input sits just left of the
    operation that uses it (``b``, constants). Within a column, nodes are ordered by the mean
    height of the nodes they feed, so chains stay straight. Returns (column, row) per node,
    rows counted downwards.
    """
    to_output = {}
    for distance, generation in enumerate(nx.topological_generations(graph.reverse(copy=False))):
        for node in generation:
            to_output[node] = distance
    last = max(to_output.values())
    column = {n: 0 if nx.is_isolate(graph, n) else last - d for n, d in to_output.items()}
    order = list(graph)  # insertion order breaks ties
    row: dict[object, float] = {}
    for col in sorted(set(column.values()), reverse=True):
        nodes = [n for n in graph if column[n] == col]
        targets = {
            n: sum(row[s] for s in graph.successors(n)) / graph.out_degree(n)
            if graph.out_degree(n)
            else 0.0
            for n in nodes
        }
        nodes.sort(key=lambda n: (targets[n], order.index(n)))
        centre = sum(targets.values()) / len(nodes)
        for i, n in enumerate(nodes):
            row[n] = centre + i - (len(nodes) - 1) / 2
    return {n: (column[n], row[n]) for n in graph}


INPUT_FILL = "#fff3c4"  # inputs (leaves): pale yellow
OPERATION_FILL = "#eeeeee"  # operations: light grey
FONT_SIZE = 14  # points; the figures are wide, and shrink to the page width
LINE_STEP = 0.28  # inches between two lines of text in a box


def _text_width(text: str, fontsize: float, weight: str) -> float:
    """Width of ``text`` in inches, as Matplotlib's default font draws it."""
    path = TextPath((0, 0), text, size=fontsize, prop=FontProperties(weight=weight))
    return path.get_extents().width / 72


def _draw(graph, lines, fills, *, ax=None, title="", fontsize=FONT_SIZE, vertical=False):
    """Draw a DAG left to right (top to bottom if ``vertical``), each node a rounded box.

    ``lines[node]`` is a list of (text, colour, weight); ``fills[node]`` the box colour.
    Sizes are in inches. Creates a figure sized to the graph unless ``ax`` is given; returns
    the figure. A figure created here is closed to pyplot at once: it is not shown
    automatically at the end of a notebook cell, only where it is displayed, saved or glued.
    """
    n_lines = max(len(texts) for texts in lines.values())
    height = 0.16 + LINE_STEP * n_lines  # every box fits the longest text, plus a margin
    width = 0.16 + max(_text_width(t, fontsize, w) for ts in lines.values() for t, _, w in ts)
    positions = layered_positions(graph)
    if vertical:  # layers become rows, read downwards
        dx, dy = width + 0.2, height + 0.3
        xy = {n: (r * dx, -c * dy) for n, (c, r) in positions.items()}
    else:
        dx, dy = width + 0.3, height + 0.18  # distance between columns and between rows
        xy = {n: (c * dx, -r * dy) for n, (c, r) in positions.items()}
    xs, ys = [p[0] for p in xy.values()], [p[1] for p in xy.values()]
    xlim = (min(xs) - width / 2 - 0.05, max(xs) + width / 2 + 0.05)
    ylim = (min(ys) - height / 2 - 0.05, max(ys) + height / 2 + 0.05)
    if ax is None:
        size = (xlim[1] - xlim[0], ylim[1] - ylim[0])
        fig, ax = plt.subplots(figsize=(size[0], size[1] + (0.5 if title else 0.1)))
        plt.close(fig)  # still drawable; just not shown twice in a notebook
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.9 if title else 0.99)
    for source, target in graph.edges:
        (x0, y0), (x1, y1) = xy[source], xy[target]
        if vertical:
            start, end = (x0, y0 - height / 2), (x1, y1 + height / 2)
        else:
            start, end = (x0 + width / 2, y0), (x1 - width / 2, y1)
        arrow = FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=13,
            color="0.3",
            linewidth=1.1,
        )
        ax.add_patch(arrow)
    for node, (x, y) in xy.items():
        box = FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0,rounding_size=0.08",
            facecolor=fills[node],
            edgecolor="0.25",
            linewidth=1.0,
        )
        ax.add_patch(box)
        texts = lines[node]
        for i, (text, colour, weight) in enumerate(texts):
            ty = y + LINE_STEP * ((len(texts) - 1) / 2 - i)
            ax.text(
                x, ty, text, ha="center", va="center", color=colour, size=fontsize, weight=weight
            )
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=fontsize + 1, loc="left")
    return ax.figure


def _number(x: float) -> str:
    return f"{x:.3f}".replace("-", "−")


def draw_graph(output: Value, *, values: bool = True, grads: bool = True, ax=None, title=""):
    """Draw the graph that computes ``output``, from the graph object itself.

    Each box shows the operation and the name of the value it produces (inputs: just the
    name), then optionally the forward value (blue, ``v =``) and the gradient of the output
    with respect to that value (red, ``g =``). Returns the Matplotlib figure.
    """
    graph = value_graph(output)
    lines, fills = {}, {}
    for key, data in graph.nodes(data=True):
        node = data["value"]
        texts = [(f"{node.op} → {node.label}" if node.op else node.label, "black", "bold")]
        if values:
            texts.append((f"v = {_number(node.data)}", VALUE_COLOR, "normal"))
        if grads:
            texts.append((f"g = {_number(node.grad)}", GRAD_COLOR, "bold"))
        lines[key] = texts
        fills[key] = OPERATION_FILL if node.op else INPUT_FILL
    return _draw(graph, lines, fills, ax=ax, title=title)


def draw_tf_graph(concrete_function, *, names: bool = True, vertical=False, ax=None, title=""):
    """Draw the operations of a traced TensorFlow graph: type in bold, name below (optional).

    ``vertical`` lays the graph out top to bottom, for long chains.
    """
    graph = tf_graph(concrete_function)
    lines, fills = {}, {}
    for name, data in graph.nodes(data=True):
        kind = data["op"].type
        lines[name] = [(kind, "black", "bold")] + ([(name, "0.3", "normal")] if names else [])
        fills[name] = INPUT_FILL if kind in ("Placeholder", "Const") else OPERATION_FILL
    return _draw(graph, lines, fills, ax=ax, title=title, fontsize=FONT_SIZE - 1, vertical=vertical)


def show_both_passes(x1, x2, w1, w2, b):
    """Try your own numbers: build eq. 2, back-propagate 1.0, draw both passes in one figure.

    Returns the figure (display it, e.g. as the last line of a notebook cell, or save it).
    """
    graph = logistic_regression_graph(x1, x2, w1, w2, b)
    graph.output.backward(1.0)
    top = draw_graph(graph.output, grads=False)  # measure the two drawings, then stack them
    bottom = draw_graph(graph.output)
    (w1, h1), (w2, h2) = top.get_size_inches(), bottom.get_size_inches()
    fig, axes = plt.subplots(2, 1, figsize=(max(w1, w2), h1 + h2 + 0.8), height_ratios=[h1, h2])
    plt.close(fig)  # as in ``_draw``: shown only where it is displayed or glued
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.95, hspace=0.12)
    draw_graph(graph.output, grads=False, ax=axes[0], title="Forward pass: values v")
    draw_graph(graph.output, ax=axes[1], title="Backward pass from 1.0: values v, gradients g of ŷ")
    return fig
