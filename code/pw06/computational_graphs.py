"""A scalar computational graph with reverse-mode differentiation.

Exercise 1 of the lab: two-dimensional logistic regression, one node per
primitive operation, pushed forward and then backward.

- ``Value`` is one node of the graph: the operation that made it, its
  forward value and its gradient. Each operation computes its value
  *and* its local derivatives in the forward pass; ``Value.backward``
  visits the nodes in reverse topological order and multiplies the
  upstream gradient by those local derivatives (the chain rule), adding
  up the contributions where a value feeds several operations.
- ``logistic_regression_graph`` writes eq. 2 of the lab with these
  operations; ``node_values`` and ``node_gradients`` read every node by
  name.

Sign convention: the lab's eq. 1 reads exp(−wᵀx + b), that is
ŷ = σ(wᵀx − b), while eq. 2 reads exp(−(w₁x₁ + w₂x₂ + b)), that is
ŷ = σ(wᵀx + b). This module follows eq. 2, as CS231n does;
``logistic_regression_graph_eq1`` builds eq. 1 for comparison.

Figures and tables of a graph are in ``pw06.graph_drawing``, the
checks against TensorFlow in ``pw06.graph_checks``: importing this
module imports neither Matplotlib nor TensorFlow.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

#: The inputs of the CS231n "Backpropagation, Intuitions" neuron.
CS231N_INPUTS = {
    "x1": -1.0,
    "x2": -2.0,
    "w1": 2.0,
    "w2": -3.0,
    "b": -3.0,
}

#: The inputs of eq. 2, in the order the functions below take them.
INPUT_NAMES = ("x1", "x2", "w1", "w2", "b")


def check_number(value, name: str) -> float:
    """``value`` as a finite float, or an error naming the argument."""
    if isinstance(value, Value):
        raise TypeError(
            f"{name}: expected a number, got a Value node; "
            "combine Value nodes with operations (a * b, a + b) instead"
        )
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        got = f"{type(value).__name__} {value!r}"
        raise TypeError(f"{name}: expected a real number, got {got}")
    value = float(value)
    if math.isfinite(value):
        return value
    raise ValueError(f"{name}: expected a finite number, got {value}")


def _check_label(label, name: str = "label") -> str:
    if not isinstance(label, str):
        kind = type(label).__name__
        raise TypeError(f"{name}: expected a str, got {kind} {label!r}")
    return label


def _symbol(c: float) -> str:
    """A constant as printed in an operation: 1 → '1', −1 → '(−1)'."""
    text = f"{c:g}".replace("-", "−")
    return f"({text})" if c < 0 else text


class Value:
    """One node of a scalar computational graph.

    ``data`` is the forward value, ``grad`` the gradient of the graph's
    output with respect to this node (filled in by ``backward``). An
    operation node also records its ``inputs``, the ``local_grads``
    ∂(this node)/∂(input) computed in the forward pass, and how to print
    them (``local_formulas``).
    """

    def __init__(self, data, label: str = ""):
        self.label = _check_label(label)
        self.data = check_number(data, label or "Value")
        self.grad = 0.0
        self.op = ""  # the operation's symbol; "" for an input (a leaf)
        self.inputs: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()
        self.local_formulas: tuple[str, ...] = ()
        self._template = ""  # e.g. "{0}·{1}", filled with input names

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:.6g}, grad={self.grad:.6g})"

    @staticmethod
    def _operation(data, op: str, template: str, edges) -> Value:
        """A new operation node. ``edges`` holds one (input, local
        derivative, the derivative as text) per input; ``template``
        prints the operation from its inputs' names."""
        if not math.isfinite(data):
            raise ValueError(f"{op}: the result {data} is not finite")
        out = Value(data)
        out.op, out._template = op, template
        out.inputs = tuple(node for node, _, _ in edges)
        out.local_grads = tuple(float(local) for _, local, _ in edges)
        out.local_formulas = tuple(text for _, _, text in edges)
        return out

    def named(self, label: str) -> Value:
        """Name this node (shown in tables and figures); returns it."""
        if not _check_label(label):
            raise ValueError("label: expected a non-empty name")
        self.label = label
        return self

    @property
    def expression(self) -> str:
        """How this node is computed from its inputs: ``'w1·x1'``."""
        names = (node.label or "?" for node in self.inputs)
        return self._template.format(*names)

    # --- the operations: forward value and local derivatives ----------
    def __mul__(self, other) -> Value:
        """Multiply gate: ∂(a·b)/∂a = b and ∂(a·b)/∂b = a.

        Each input gets the *other* one."""
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
        """Add gate: both local derivatives are 1, so both inputs get
        the upstream gradient."""
        if not isinstance(other, Value):
            return self.add_constant(other)
        a, b = self, other
        return Value._operation(
            a.data + b.data,
            op="+",
            template="{0} + {1}",
            edges=[(a, 1.0, "1"), (b, 1.0, "1")],
        )

    def __sub__(self, other) -> Value:
        """Subtract gate: ∂(a − b)/∂a = 1 and ∂(a − b)/∂b = −1."""
        if not isinstance(other, Value):
            return self.add_constant(-check_number(other, "constant"))
        a, b = self, other
        return Value._operation(
            a.data - b.data,
            op="−",
            template="{0} − {1}",
            edges=[(a, 1.0, "1"), (b, -1.0, "−1")],
        )

    __rmul__ = __mul__
    __radd__ = __add__

    def __neg__(self) -> Value:
        return self.scale(-1.0)

    def scale(self, c) -> Value:
        """Multiply by a constant c: local derivative c."""
        c = check_number(c, "constant factor")
        text = _symbol(c)
        return Value._operation(
            self.data * c,
            op=f"×{text}",
            template=f"{text}·{{0}}",
            edges=[(self, c, text)],
        )

    def add_constant(self, c) -> Value:
        """Add a constant c: local derivative 1."""
        c = check_number(c, "constant term")
        sign = "−" if c < 0 else "+"
        return Value._operation(
            self.data + c,
            f"{sign}{abs(c):g}",
            "{0} " + f"{sign} {abs(c):g}",
            [(self, 1.0, "1")],
        )

    def exp(self) -> Value:
        """exp(x): the local derivative is exp(x), the node's value."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            message = f"exp: exp({self.data:g}) overflows a float"
            raise ValueError(message) from None
        local = (self, e, f"exp({self.label})")
        return Value._operation(e, "exp", "exp({0})", [local])

    def reciprocal(self) -> Value:
        """1/x: the local derivative is −1/x²."""
        x = self.data
        if x == 0.0:
            raise ValueError("1/x: division by zero")
        local = (self, -1.0 / x**2, f"−1/{self.label}²")
        return Value._operation(1.0 / x, "1/x", "1/{0}", [local])

    def maximum(self, other: Value) -> Value:
        """Max gate: local derivative 1 for the larger input, 0 for the
        other (ties go to the first input, as in tf.maximum)."""
        if not isinstance(other, Value):
            kind = type(other).__name__
            raise TypeError(f"maximum: expected a Value, got {kind}")
        a, b = self, other
        first = a.data >= b.data
        edges = [
            (a, float(first), "1 (larger)" if first else "0"),
            (b, float(not first), "0" if first else "1 (larger)"),
        ]
        top = max(a.data, b.data)
        return Value._operation(top, "max", "max({0}, {1})", edges)

    # --- reverse mode -------------------------------------------------
    def topological_order(self) -> list[Value]:
        """Every node this one depends on, each after all of its inputs
        (this node last)."""
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
        """Back-propagate ``seed`` (∂output/∂output) to every node.

        Gradients are reset first: a second call gives the same result.
        """
        seed = check_number(seed, "seed")
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = seed
        # reversed: a node's gradient is complete before it is passed on
        for node in reversed(order):
            edges = zip(node.inputs, node.local_grads, strict=True)
            for child, local in edges:
                # += : gradients add up where a value fans out
                child.grad += local * node.grad


# --- logistic regression ---------------------------------------------
@dataclass
class LogisticRegressionGraph:
    """The graph of eq. 2: its named inputs and its output node ŷ."""

    inputs: dict[str, Value]
    output: Value

    def nodes(self) -> list[Value]:
        """All nodes, inputs included, in topological order."""
        return self.output.topological_order()

    def operations(self) -> list[Value]:
        """The operation nodes (the gates), in topological order."""
        return [node for node in self.nodes() if node.op]

    def gradients(self) -> dict[str, float]:
        """ŷ and its gradient with respect to each input (after
        ``backward``)."""
        grads = {name: node.grad for name, node in self.inputs.items()}
        return {"yhat": self.output.data} | grads


def _input_nodes(x1, x2, w1, w2, b) -> list[Value]:
    values = (x1, x2, w1, w2, b)
    pairs = zip(values, INPUT_NAMES, strict=True)
    return [Value(value, name) for value, name in pairs]


def logistic_regression_graph(x1, x2, w1, w2, b):
    """ŷ = 1 / (1 + exp(−(w1·x1 + w2·x2 + b))), eq. 2 of the lab.

    One node per primitive operation; forward pass only. Returns a
    LogisticRegressionGraph: ``.inputs`` by name, ``.output`` (ŷ).
    """
    x1, x2, w1, w2, b = _input_nodes(x1, x2, w1, w2, b)
    p1 = (w1 * x1).named("p1")
    p2 = (w2 * x2).named("p2")
    s = (p1 + p2).named("s")
    z = (s + b).named("z")
    u = (-z).named("u")  # multiply by the constant −1
    e = u.exp().named("e")
    d = (e + 1).named("d")  # add the constant 1
    yhat = d.reciprocal().named("ŷ")
    inputs = {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}
    return LogisticRegressionGraph(inputs, yhat)


def logistic_regression_graph_eq1(x1, x2, w1, w2, b):
    """ŷ = 1 / (1 + exp(−wᵀx + b)), eq. 1 of the lab as printed.

    The same graph but for z = s − b: ∂z/∂b = −1, so ∂ŷ/∂b changes sign.
    """
    x1, x2, w1, w2, b = _input_nodes(x1, x2, w1, w2, b)
    p1 = (w1 * x1).named("p1")
    p2 = (w2 * x2).named("p2")
    s = (p1 + p2).named("s")
    z = (s - b).named("z")  # eq. 2 has s + b here
    u = (-z).named("u")
    e = u.exp().named("e")
    d = (e + 1).named("d")
    yhat = d.reciprocal().named("ŷ")
    inputs = {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}
    return LogisticRegressionGraph(inputs, yhat)


def _output(graph) -> Value:
    """The output of a LogisticRegressionGraph, or a Value itself."""
    if isinstance(graph, LogisticRegressionGraph):
        return graph.output
    if not isinstance(graph, Value):
        kind = type(graph).__name__
        expected = "a LogisticRegressionGraph or a Value"
        raise TypeError(f"graph: expected {expected}, got {kind}")
    return graph


def _named_nodes(graph) -> list[Value]:
    """The named nodes of a graph, in topological order."""
    nodes = _output(graph).topological_order()
    nodes = [node for node in nodes if node.label]
    labels = [node.label for node in nodes]
    repeated = sorted({x for x in labels if labels.count(x) > 1})
    if repeated:
        raise ValueError(f"graph: several nodes are named {repeated}")
    return nodes


def node_values(graph) -> dict[str, float]:
    """The forward value of every named node: {'w1': 2.0, …, 'ŷ': …}."""
    return {node.label: node.data for node in _named_nodes(graph)}


def node_gradients(graph) -> dict[str, float]:
    """∂ŷ/∂(node) for every named node, after ``backward``."""
    if _output(graph).grad == 0.0:
        hint = "call graph.output.backward(1.0) first"
        raise ValueError(f"graph: no gradients yet; {hint}")
    return {node.label: node.grad for node in _named_nodes(graph)}
