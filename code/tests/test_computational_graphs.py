"""Unit tests of the scalar autodiff engine and the logistic-regression graph (Exercise 1)."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from pw06 import computational_graphs as cg
from pw06.computational_graphs import Value

CS231N_EXPECTED = {
    "yhat": 0.7310585786300049,
    "w1": -0.19661193324148185,
    "w2": -0.3932238664829637,
    "x1": 0.3932238664829637,
    "x2": -0.5898357997244456,
    "b": 0.19661193324148185,
}
NODE_NAMES = ["x1", "x2", "w1", "w2", "b", "p1", "p2", "s", "z", "u", "e", "d", "ŷ"]


def cs231n_gradients(build=cg.logistic_regression_graph) -> dict[str, float]:
    graph = build(**cg.CS231N_INPUTS)
    graph.output.backward(1.0)
    return graph.gradients()


# --- importing -------------------------------------------------------------------------------
def modules_after_import(module: str) -> set[str]:
    """The heavy top-level packages present after importing ``module`` in a fresh Python."""
    code = (
        f"import sys, {module}; "
        "print(' '.join(m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    return set(result.stdout.split())


def test_importing_the_engine_leaves_tensorflow_and_matplotlib_out():
    assert modules_after_import("pw06.computational_graphs") == set()
    assert "tensorflow" not in modules_after_import("pw06.graph_drawing")


def test_the_import_check_sees_tensorflow_where_it_is_imported():
    """The check above can fail: the module of TensorFlow cross-checks does import it."""
    assert "tensorflow" in modules_after_import("pw06.graph_checks")


# --- the engine -------------------------------------------------------------------------------
def test_each_gate_has_its_local_derivatives():
    a, b = Value(3.0, "a"), Value(-4.0, "b")
    product = a * b
    product.backward()
    assert (product.data, a.grad, b.grad) == (-12.0, -4.0, 3.0)  # multiply swaps
    total = a + b
    total.backward(2.5)
    assert (total.data, a.grad, b.grad) == (-1.0, 2.5, 2.5)  # add distributes
    difference = a - b
    difference.backward(2.0)
    assert (difference.data, a.grad, b.grad) == (7.0, 2.0, -2.0)  # subtract flips one sign
    top = a.maximum(b)
    top.backward(2.0)
    assert (top.data, a.grad, b.grad) == (3.0, 2.0, 0.0)  # max routes to the winner
    tie = a.maximum(Value(3.0))
    tie.backward()
    assert a.grad == 1.0  # ties go to the first input, as in tf.maximum


def test_unary_operations():
    x = Value(0.5, "x")
    for node, value, grad in [
        (x.exp(), math.exp(0.5), math.exp(0.5)),
        (x.reciprocal(), 2.0, -4.0),
        (-x, -0.5, -1.0),
        (x + 1, 1.5, 1.0),
        (1 + x, 1.5, 1.0),
        (x - 1, -0.5, 1.0),
        (x * 3, 1.5, 3.0),
        (3 * x, 1.5, 3.0),
    ]:
        node.backward()
        assert node.data == pytest.approx(value)
        assert x.grad == pytest.approx(grad)


def test_fan_out_accumulates_gradients():
    x = Value(3.0, "x")
    y = x * x + x  # x feeds three edges: d/dx = 2x + 1
    y.backward()
    assert x.grad == 7.0
    a, b = Value(2.0, "a"), Value(5.0, "b")
    c = a * b
    out = c + c * a  # c fans out, a fans out: out = ab + a²b, d/da = b + 2ab, d/db = a + a²
    out.backward()
    assert (a.grad, b.grad, c.grad) == (25.0, 6.0, 3.0)


def test_backward_twice_gives_the_same_gradients():
    graph = cg.logistic_regression_graph(**cg.CS231N_INPUTS)
    graph.output.backward()
    first = graph.gradients()
    graph.output.backward()
    assert graph.gradients() == first


def test_topological_order_puts_inputs_first():
    graph = cg.logistic_regression_graph(**cg.CS231N_INPUTS)
    order = graph.nodes()
    position = {id(node): i for i, node in enumerate(order)}
    for node in order:
        for child in node.inputs:
            assert position[id(child)] < position[id(node)]
    assert order[-1] is graph.output


# --- clear errors --------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["1.0", None, [1.0], 1 + 2j, True])
def test_nonsense_types_raise_type_error_naming_the_argument(bad):
    with pytest.raises(TypeError, match="expected a real number"):
        Value(bad)
    with pytest.raises(TypeError, match=r"^w2: expected a real number"):
        cg.logistic_regression_graph(0.0, 0.0, 0.0, bad, 0.0)
    with pytest.raises(TypeError, match="constant"):
        Value(1.0) + bad
    with pytest.raises(TypeError, match="constant"):
        Value(1.0) - bad


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -math.inf])
def test_non_finite_numbers_raise_value_error_naming_the_argument(bad):
    with pytest.raises(ValueError, match="finite"):
        Value(bad)
    with pytest.raises(ValueError, match=r"^b: expected a finite number"):
        cg.logistic_regression_graph(1.0, 1.0, 1.0, 1.0, bad)
    with pytest.raises(ValueError, match=r"^seed: expected a finite number"):
        Value(1.0).backward(bad)


def test_wrong_names_and_labels_are_clear_errors():
    with pytest.raises(TypeError, match="unexpected keyword argument 'w3'"):
        cg.logistic_regression_graph(x1=1.0, x2=1.0, w1=1.0, w3=1.0, b=0.0)
    with pytest.raises(TypeError, match=r"^label: expected a str, got int"):
        Value(1.0, 3)
    with pytest.raises(ValueError, match="label: expected a non-empty name"):
        Value(1.0).named("")
    with pytest.raises(TypeError, match="Value node"):
        Value(Value(1.0))


def test_overflow_and_division_by_zero_are_clear_errors():
    with pytest.raises(ValueError, match="overflow"):
        Value(1000.0).exp()
    with pytest.raises(ValueError, match="division by zero"):
        Value(0.0).reciprocal()
    with pytest.raises(TypeError, match="maximum: expected a Value, got float"):
        Value(1.0).maximum(2.0)


def test_numpy_scalars_are_accepted_as_plain_floats():
    np = pytest.importorskip("numpy")
    node = Value(np.float32(0.5), "x")
    assert type(node.data) is float and node.data == 0.5


# --- logistic regression -------------------------------------------------------------------
def test_cs231n_neuron():
    grads = cs231n_gradients()
    assert grads == pytest.approx(CS231N_EXPECTED, abs=1e-12)
    assert round(grads["yhat"], 3) == 0.731
    rounded = [round(grads[k], 3) for k in ("w1", "w2", "x1", "x2", "b")]
    assert rounded == [-0.197, -0.393, 0.393, -0.590, 0.197]


def test_graph_is_granular():
    graph = cg.logistic_regression_graph(**cg.CS231N_INPUTS)
    ops = [node.op for node in graph.operations()]
    assert len(ops) == 8 >= 7
    assert sorted(ops) == sorted(["×", "×", "+", "+", "×(−1)", "exp", "+1", "1/x"])
    assert len(graph.nodes()) == 13
    assert graph.output.label == "ŷ"


def test_eq1_flips_the_sign_of_the_bias():
    """Eq. 1 as printed: ŷ = σ(wᵀx − b) = σ(7) = 0.9991 and ∂ŷ/∂b = −σ'(7) < 0."""
    eq1, eq2 = cs231n_gradients(cg.logistic_regression_graph_eq1), cs231n_gradients()
    yhat = 1 / (1 + math.exp(-7.0))
    assert eq1["yhat"] == pytest.approx(yhat, abs=1e-15)
    assert round(eq1["yhat"], 4) == 0.9991
    assert eq1["b"] == pytest.approx(-yhat * (1 - yhat), abs=1e-15)
    assert eq1["b"] < 0 < eq2["b"]
    assert eq1["w1"] == pytest.approx(cg.CS231N_INPUTS["x1"] * yhat * (1 - yhat))
    graph = cg.logistic_regression_graph_eq1(**cg.CS231N_INPUTS)
    assert [node.label for node in graph.nodes()] == [
        node.label for node in cg.logistic_regression_graph(1, 1, 1, 1, 1).nodes()
    ]
    nodes = {node.label: node for node in graph.nodes()}
    assert nodes["z"].op == "−" and nodes["z"].expression == "s − b"


def test_node_values_and_gradients_by_name():
    graph = cg.logistic_regression_graph(**cg.CS231N_INPUTS)
    values = cg.node_values(graph)
    assert sorted(values) == sorted(NODE_NAMES)
    assert all(type(v) is float for v in values.values())
    assert values["p2"] == 6.0 and values["z"] == 1.0 and values["u"] == -1.0
    assert values["e"] == pytest.approx(math.exp(-1.0))
    assert values["ŷ"] == pytest.approx(CS231N_EXPECTED["yhat"])
    with pytest.raises(ValueError, match=r"backward\(1.0\) first"):
        cg.node_gradients(graph)
    graph.output.backward(1.0)
    grads = cg.node_gradients(graph)
    assert sorted(grads) == sorted(NODE_NAMES)
    assert grads["ŷ"] == 1.0
    assert grads["d"] == pytest.approx(-1 / values["d"] ** 2)
    assert grads["u"] == pytest.approx(-grads["z"])
    for name in cg.INPUT_NAMES:
        assert grads[name] == pytest.approx(CS231N_EXPECTED[name], abs=1e-12)
    assert cg.node_values(graph.output) == values  # the output Value works as well


def test_node_values_refuse_other_objects_and_repeated_names():
    with pytest.raises(TypeError, match="graph: expected a LogisticRegressionGraph or a Value"):
        cg.node_values({"x1": 1.0})
    a = Value(1.0, "a")
    with pytest.raises(ValueError, match=r"several nodes are named \['a'\]"):
        cg.node_values(a + Value(2.0, "a"))
