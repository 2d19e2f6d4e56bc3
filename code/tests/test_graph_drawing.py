"""Unit tests of the figures and tables of a computational graph."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import networkx as nx
import pytest
from pw06 import computational_graphs as cg
from pw06 import graph_checks as gc
from pw06 import graph_drawing as gd


@pytest.fixture
def graph():
    """The CS231n neuron after its backward pass."""
    graph = cg.logistic_regression_graph(**cg.CS231N_INPUTS)
    graph.output.backward(1.0)
    return graph


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


def crossings(graph: nx.DiGraph, pos) -> int:
    """Pairs of edges between the same two columns whose ends swap order."""
    edges = list(graph.edges)
    count = 0
    for i, (a, b) in enumerate(edges):
        for c, d in edges[i + 1 :]:
            same_columns = pos[a][0] == pos[c][0] and pos[b][0] == pos[d][0]
            if same_columns and (pos[a][1] - pos[c][1]) * (pos[b][1] - pos[d][1]) < 0:
                count += 1
    return count


# --- numbers ---------------------------------------------------------------------------------
def test_numbers_have_a_true_minus_and_no_float_noise():
    assert gd.number(-0.19661193324148185, 4) == "−0.1966"
    assert gd.number(0.1 + 0.2) == "0.300"
    assert gd.number(-1e-9) == "0.000"  # no "−0.000"
    assert gd.short_number(2.0) == "2" and gd.short_number(-1.0) == "−1"
    assert gd.short_number(0.36787944117144233) == "0.3679"


# --- layout ----------------------------------------------------------------------------------
def test_layout_is_left_to_right(graph):
    dag = gd.value_graph(graph.output)
    pos = gd.layered_positions(dag)
    for source, target in dag.edges:
        assert pos[source][0] < pos[target][0]
    assert pos[id(graph.inputs["b"])][0] == pos[id(graph.output)][0] - 5  # b next to "+ b"
    rows = [pos[n] for n in dag]
    assert len(set(rows)) == len(rows)  # no two boxes in the same place


def test_layout_places_inputs_late_and_isolated_nodes_first():
    dag = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "d"), ("k", "d")])
    dag.add_node("lonely")
    pos = gd.layered_positions(dag)
    assert [pos[n][0] for n in "abcd"] == [0, 1, 2, 3]
    assert pos["k"][0] == 2  # just left of its only user
    assert pos["lonely"][0] == 0


def test_layout_of_the_traced_graph_has_no_crossing_edges():
    """The reason for the hand-written layout: the traced graph is drawn uncrossed.

    (NetworkX's multipartite layout depends on node order, which the trace does not fix.)
    """
    dag = gd.tf_graph(gc.traced_lr_graph())
    assert crossings(dag, gd.layered_positions(dag)) == 0


# --- the engine's graph ----------------------------------------------------------------------
def test_drawings_show_values_gradients_and_local_derivatives(graph):
    fig = gd.draw_graph(graph.output, local_grads=True)
    shown = texts(fig)
    assert "v = 0.7311" in shown and "g = 1" in shown and "g = −0.5898" in shown
    assert "1/x → ŷ" in shown and "v = 2" in shown
    colours = {t.get_text()[:1]: t.get_color() for t in fig.axes[0].texts}
    assert len({colours["v"], colours["g"], colours["0"]}) == 3  # values, gradients, edges
    edge_labels = [t for t in fig.axes[0].texts if t.get_bbox_patch() is not None]
    assert len(edge_labels) == 12  # one per edge: the local derivative
    labels = sorted(t.get_text() for t in edge_labels)
    assert labels == sorted(
        ["−0.5344", "1", "0.3679", "−1", "1", "1", "1", "1", "−2", "−3", "−1", "2"]
    )
    structure = gd.draw_graph(graph.output, values=False, grads=False)
    assert not any(t.startswith(("v =", "g =")) for t in texts(structure))
    for f in (fig, structure):
        plt.close(f)


def test_blank_graph_has_slots_and_no_numbers(graph):
    fig = gd.draw_graph(graph.output, local_grads=True, blank=True, vertical=True)
    shown = texts(fig)
    assert shown.count(f"v = {gd.BLANK}") == shown.count(f"g = {gd.BLANK}") == 13
    assert "1/x → ŷ" in shown and "w1" in shown
    slots = [t for t in fig.axes[0].texts if t.get_bbox_patch() is not None]
    assert len(slots) == 12 and all(t.get_color() == "white" for t in slots)
    visible = [t for t in fig.axes[0].texts if t.get_color() != "white"]
    assert not any(re.search(r"\d\.\d", t.get_text()) for t in visible)  # no number given away
    width, height = fig.get_size_inches()
    assert height > width  # a portrait page, to print
    plt.close(fig)


def test_backward_table_arithmetic_checks_at_the_shown_digits(graph):
    """local × upstream = downstream holds for the rounded numbers a reader sees."""
    table = gd.backward_table(graph.output)
    assert len(table) == 12  # one row per edge
    first = table.iloc[0]
    assert table.index[0] == ("ŷ = 1/d", "d") and first["upstream"] == 1.0
    for _, row in table.iterrows():
        assert row["local value"] * row["upstream"] == pytest.approx(row["downstream"], abs=1e-4)
    by_input = table.reset_index().set_index("input")
    assert by_input.loc["x1", "local derivative"] == "∂p1/∂x1 = w1"  # the multiply gate swaps
    assert by_input.loc["x1", "downstream"] == 0.3932
    assert by_input.loc["b", "local derivative"] == "∂z/∂b = 1"
    rounded = gd.backward_table(graph.output, digits=3)  # 0.197 × 2 ≠ 0.393: no check
    misses = rounded["local value"] * rounded["upstream"] - rounded["downstream"]
    assert misses.abs().max() > 5e-4


def test_forward_table(graph):
    table = gd.forward_table(graph.output)
    assert table.loc["p1", "computed as"] == "w1·x1"
    assert table.loc["u", "computed as"] == "(−1)·z"
    assert table.loc["d", "operation"] == "+1"
    assert table.loc["b", "operation"] == "input"
    assert table.loc["ŷ", "value"] == 0.731


def test_bad_arguments_are_named(graph):
    with pytest.raises(TypeError, match=r"^output: expected the output Value"):
        gd.draw_graph(graph)
    with pytest.raises(ValueError, match=r"^digits: expected a whole number"):
        gd.draw_graph(graph.output, digits=-1)


# --- TensorFlow's graph ----------------------------------------------------------------------
def test_traced_graph_drawing_labels_placeholders_and_constants():
    concrete = gc.traced_lr_graph()
    graph = gd.tf_graph(concrete)
    assert graph.number_of_nodes() == len(gc.graph_operations(concrete))
    fig = gd.draw_tf_graph(concrete)
    shown = texts(fig)
    assert "RealDiv" in shown and "truediv" in shown
    for name in cg.INPUT_NAMES:  # each placeholder says which argument it stands for
        assert name in shown
    assert shown.count("Placeholder") == 5
    assert shown.count("= 1") == 2  # the constants of "1 + e" and "1 / d"
    plt.close(fig)
    unnamed = gd.draw_tf_graph(concrete, names=False)
    assert "RealDiv" in texts(unnamed) and "truediv" not in texts(unnamed)
    assert "x1" in texts(unnamed)  # placeholders stay labelled
    plt.close(unnamed)


def test_placeholders_of_captured_variables_say_so():
    tf = gc.tf
    weight = tf.Variable(2.0, dtype=tf.float64, name="weight")
    concrete = tf.function(lambda x: weight * x).get_concrete_function(
        tf.TensorSpec([], tf.float64, name="x")
    )
    fig = gd.draw_tf_graph(concrete, names=False)
    shown = texts(fig)
    assert "x" in shown and "captured variable" in shown and shown.count("Placeholder") == 2
    plt.close(fig)


def test_vertical_tf_graph_is_taller_than_wide():
    fig = gd.draw_tf_graph(gc.traced_lr_graph(), names=False, vertical=True)
    width, height = fig.get_size_inches()
    assert height > width
    plt.close(fig)


def test_drawings_are_not_left_open_in_pyplot(graph):
    """Returned figures are closed to pyplot, so a notebook cell does not show them twice."""
    before = plt.get_fignums()
    figures = [
        gd.draw_graph(graph.output),
        gd.draw_graph(graph.output, local_grads=True, vertical=True),
        gd.draw_tf_graph(gc.traced_lr_graph()),
    ]
    assert plt.get_fignums() == before
    for fig in figures:  # closed, yet still drawable
        fig.canvas.draw()
        assert fig.canvas.get_width_height()[0] > 0
