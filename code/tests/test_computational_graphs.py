"""Unit tests of the scalar autodiff engine and the logistic-regression graph (Exercise 1)."""

from __future__ import annotations

import math
import random

import matplotlib.pyplot as plt
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


def random_inputs(rng: random.Random) -> dict[str, float]:
    return {name: rng.uniform(-3.0, 3.0) for name in cg.INPUT_NAMES}


# --- the engine -------------------------------------------------------------------------------
def test_each_gate_has_its_local_derivatives():
    a, b = Value(3.0, "a"), Value(-4.0, "b")
    product = a * b
    product.backward()
    assert (product.data, a.grad, b.grad) == (-12.0, -4.0, 3.0)  # multiply swaps
    total = a + b
    total.backward(2.5)
    assert (total.data, a.grad, b.grad) == (-1.0, 2.5, 2.5)  # add distributes
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


@pytest.mark.parametrize("bad", ["1.0", None, [1.0], 1 + 2j, True])
def test_nonsense_types_raise_type_error(bad):
    with pytest.raises(TypeError, match="expected a real number"):
        Value(bad)
    with pytest.raises(TypeError):
        cg.logistic_regression_graph(bad, 0.0, 0.0, 0.0, 0.0)
    with pytest.raises(TypeError):
        Value(1.0) + bad
    with pytest.raises(TypeError):
        cg.tape_gradients(0.0, 0.0, bad, 0.0, 0.0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -math.inf])
def test_non_finite_numbers_raise_value_error(bad):
    with pytest.raises(ValueError, match="finite"):
        Value(bad)
    with pytest.raises(ValueError, match="finite"):
        cg.engine_gradients(1.0, 1.0, 1.0, 1.0, bad)
    with pytest.raises(ValueError, match="finite"):
        Value(1.0).backward(bad)


def test_overflow_and_division_by_zero_are_clear_errors():
    with pytest.raises(ValueError, match="overflow"):
        Value(1000.0).exp()
    with pytest.raises(ValueError, match="division by zero"):
        Value(0.0).reciprocal()
    with pytest.raises(TypeError):
        Value(1.0).maximum(2.0)


# --- logistic regression -------------------------------------------------------------------
def test_cs231n_neuron():
    grads = cg.engine_gradients(**cg.CS231N_INPUTS)
    assert grads == pytest.approx(CS231N_EXPECTED, abs=1e-12)
    assert round(grads["yhat"], 3) == 0.731
    assert [round(grads[k], 3) for k in ("w1", "w2", "x1", "x2", "b")] == [
        -0.197,
        -0.393,
        0.393,
        -0.590,
        0.197,
    ]


def test_graph_is_granular():
    graph = cg.logistic_regression_graph(**cg.CS231N_INPUTS)
    ops = [node.op for node in graph.operations()]
    assert len(ops) == 8 >= 7
    assert sorted(ops) == sorted(["×", "×", "+", "+", "×(−1)", "exp", "+1", "1/x"])
    assert len(graph.nodes()) == 13
    assert graph.output.label == "ŷ"


def test_engine_matches_gradient_tape_on_random_inputs():
    rng = random.Random(0)
    for _ in range(200):
        inputs = random_inputs(rng)
        assert cg.max_abs_diff(cg.engine_gradients(**inputs), cg.tape_gradients(**inputs)) <= 1e-6


def test_engine_matches_shortcut_and_finite_differences_on_random_inputs():
    rng = random.Random(1)
    for _ in range(200):
        inputs = random_inputs(rng)
        engine = cg.engine_gradients(**inputs)
        assert cg.max_abs_diff(engine, cg.sigmoid_shortcut_gradients(**inputs)) <= 1e-12
        fd = cg.finite_difference_gradients(cg.lr_forward, inputs)
        assert cg.max_abs_diff(engine, fd) <= 1e-6
        assert set(fd) == set(engine) == {"yhat", *cg.INPUT_NAMES}


def test_finite_differences_of_a_known_function():
    grads = cg.finite_difference_gradients(lambda a, b: a * a * b, {"a": 2.0, "b": 3.0})
    assert grads == pytest.approx({"yhat": 12.0, "a": 12.0, "b": 4.0}, abs=1e-6)


# --- tables ---------------------------------------------------------------------------------
def test_forward_table():
    graph = cg.logistic_regression_graph(**cg.CS231N_INPUTS)
    rows = {row["node"]: row for row in cg.forward_table(graph.output)}
    assert rows["p1"]["computed as"] == "w1·x1"
    assert rows["u"]["computed as"] == "(−1)·z"
    assert rows["d"]["operation"] == "+1"
    assert rows["b"]["operation"] == "input"
    assert rows["ŷ"]["value"] == pytest.approx(0.7310585786)


def test_backward_table_is_the_chain_rule():
    graph = cg.logistic_regression_graph(**cg.CS231N_INPUTS)
    graph.output.backward()
    rows = cg.backward_table(graph.output)
    assert len(rows) == 12  # one row per edge
    assert rows[0]["node"] == "ŷ = 1/d" and rows[0]["upstream"] == 1.0
    for row in rows:
        assert row["downstream"] == pytest.approx(row["local value"] * row["upstream"])
    by_input = {row["input"]: row for row in rows}
    assert by_input["x1"]["local derivative"] == "∂p1/∂x1 = w1"  # the multiply gate swaps
    assert by_input["x1"]["downstream"] == pytest.approx(graph.inputs["x1"].grad)
    assert by_input["b"]["local derivative"] == "∂z/∂b = 1"


# --- TensorFlow's graph and the drawings ---------------------------------------------------
def test_traced_graph_has_the_same_operations():
    ops = cg.graph_operations(cg.traced_lr_graph())
    types = [op["type"] for op in ops]
    assert types.count("Placeholder") == 5
    assert {"Mul", "AddV2", "Neg", "Exp", "RealDiv", "Identity"} <= set(types)
    graph = cg.tf_graph(cg.traced_lr_graph())
    assert graph.number_of_nodes() == len(ops)


def test_layout_is_left_to_right():
    graph = cg.logistic_regression_graph(**cg.CS231N_INPUTS)
    dag = cg.value_graph(graph.output)
    pos = cg.layered_positions(dag)
    for source, target in dag.edges:
        assert pos[source][0] < pos[target][0]
    assert pos[id(graph.inputs["b"])][0] == pos[id(graph.output)][0] - 5  # b next to "+ b"
    rows = [pos[n] for n in dag]
    assert len(set(rows)) == len(rows)  # no two boxes in the same place


def test_drawings_show_values_and_gradients():
    graph = cg.logistic_regression_graph(**cg.CS231N_INPUTS)
    graph.output.backward()
    fig = cg.draw_graph(graph.output)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "v = 0.731" in texts and "g = 1.000" in texts and "g = −0.590" in texts
    assert "1/x → ŷ" in texts
    colours = {t.get_text()[:1]: t.get_color() for t in fig.axes[0].texts}
    assert colours["v"] != colours["g"]
    structure = cg.draw_graph(graph.output, values=False, grads=False)
    assert not any(t.get_text().startswith(("v =", "g =")) for t in structure.axes[0].texts)
    tf_fig = cg.draw_tf_graph(cg.traced_lr_graph())
    assert "RealDiv" in [t.get_text() for t in tf_fig.axes[0].texts]
    both = cg.show_both_passes(1.0, 0.5, 0.3, -2.0, 0.1)
    assert len(both.axes) == 2
    for f in (fig, structure, tf_fig, both):
        plt.close(f)


def test_random_inputs_are_seeded_and_in_range():
    first = cg.random_inputs(5, seed=3)
    assert first == cg.random_inputs(5, seed=3) != cg.random_inputs(5, seed=4)
    assert all(-3.0 <= v < 3.0 for row in first for v in row.values())
    assert all(set(row) == set(cg.INPUT_NAMES) for row in first)


def test_largest_differences_are_tiny():
    worst = cg.largest_differences([cg.CS231N_INPUTS, *cg.random_inputs(20, seed=0)])
    assert set(worst) == {"shortcut", "tape", "finite_differences"}
    assert all(0.0 <= v <= 1e-6 for v in worst.values())


def test_fused_sigmoid_traces_to_one_operation():
    types = [op["type"] for op in cg.graph_operations(cg.traced_lr_graph(cg.lr_tf_sigmoid))]
    assert types.count("Sigmoid") == 1 and "Exp" not in types


def test_layout_places_inputs_late_and_isolated_nodes_first():
    import networkx as nx

    dag = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "d"), ("k", "d")])
    dag.add_node("lonely")
    pos = cg.layered_positions(dag)
    assert [pos[n][0] for n in "abcd"] == [0, 1, 2, 3]
    assert pos["k"][0] == 2  # just left of its only user
    assert pos["lonely"][0] == 0


def test_tf_graph_drawing_without_names():
    fig = cg.draw_tf_graph(cg.traced_lr_graph(), names=False)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "RealDiv" in texts and "truediv" not in texts
    plt.close(fig)


def test_vertical_tf_graph_is_taller_than_wide():
    fig = cg.draw_tf_graph(cg.traced_lr_graph(), names=False, vertical=True)
    width, height = fig.get_size_inches()
    assert height > width
    plt.close(fig)


def test_drawings_are_not_left_open_in_pyplot():
    """Returned figures are closed to pyplot, so a notebook cell does not show them twice."""
    before = plt.get_fignums()
    graph = cg.logistic_regression_graph(**cg.CS231N_INPUTS)
    figures = [
        cg.draw_graph(graph.output),
        cg.draw_tf_graph(cg.traced_lr_graph()),
        cg.show_both_passes(1.0, 0.5, 0.3, -2.0, 0.1),
    ]
    assert plt.get_fignums() == before
    for fig in figures:  # closed, yet still drawable
        fig.canvas.draw()
        assert fig.canvas.get_width_height()[0] > 0
