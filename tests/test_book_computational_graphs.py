"""Checks on the built chapter "Computational graphs" (Exercise 1): glued values in their bands."""

from __future__ import annotations

import pytest
from helpers import visible_text

pytestmark = pytest.mark.slow

PAGE = "computational_graphs"

#: CS231n "Backpropagation, Intuitions": w = (2, −3), b = −3, x = (−1, −2).
CS231N = {
    "lr_x1": -1.0,
    "lr_x2": -2.0,
    "lr_w1": 2.0,
    "lr_w2": -3.0,
    "lr_b": -3.0,
    "lr_yhat": 0.731,
    "lr_grad_w1": -0.197,
    "lr_grad_w2": -0.393,
    "lr_grad_x1": 0.393,
    "lr_grad_x2": -0.590,
    "lr_grad_b": 0.197,
}

FIGURES = ["lr_fig_graph", "lr_fig_forward", "lr_fig_backward", "lr_fig_tf_graph", "lr_fig_try"]


@pytest.fixture(scope="module")
def values(glue):
    return glue[PAGE]


@pytest.fixture(scope="module")
def html(page_html):
    return page_html(PAGE)


def test_inputs_and_gradients_are_the_cs231n_neuron(values):
    for key, expected in CS231N.items():
        assert isinstance(values[key], float), key
        assert values[key] == pytest.approx(expected, abs=5e-4), key


def test_gradients_follow_the_gate_rules(values):
    v = values
    assert v["lr_grad_b"] == pytest.approx(v["lr_yhat"] * (1 - v["lr_yhat"]), abs=1e-12)
    assert v["lr_grad_w1"] == pytest.approx(v["lr_x1"] * v["lr_grad_b"], abs=1e-12)
    assert v["lr_grad_x1"] == pytest.approx(v["lr_w1"] * v["lr_grad_b"], abs=1e-12)
    assert v["lr_grad_w2"] == pytest.approx(v["lr_x2"] * v["lr_grad_b"], abs=1e-12)
    assert v["lr_grad_x2"] == pytest.approx(v["lr_w2"] * v["lr_grad_b"], abs=1e-12)


def test_graph_sizes(values):
    assert values["lr_node_count"] == 8  # ≥ 7, the lab's "about 7 nodes"
    assert values["lr_tf_compute_op_count"] == values["lr_node_count"]
    assert 12 <= values["lr_tf_op_count"] <= 20  # 5 placeholders, 2 constants, 1 identity


def test_three_checks_agree(values):
    for key in ("lr_max_abs_diff_tf", "lr_max_abs_diff_fd", "lr_max_abs_diff_shortcut"):
        assert isinstance(values[key], float), key
        assert 0.0 <= values[key] <= 1e-6, key


def test_figures_and_tables_are_glued(values):
    for key in [*FIGURES, "lr_table_forward", "lr_table_backward"]:
        assert key in values, key


def test_page_shows_figures_solutions_and_sign_note(html):
    for name in ["graph", "forward", "backward", "tf-graph", "try"]:
        assert f'id="fig-computational-graphs-{name}"' in html, name
    assert html.count("sd-dropdown") >= 3
    assert "disagree on the sign" in html
    assert "0.731" in html and "−1/d²" in html and "RealDiv" in html


def test_spoilers_are_folded_and_figures_not_closed_by_hand(html):
    """No glue( on any page is checked in test_book_build.py; here: no plt.close, folded answers."""
    assert "plt.close" not in visible_text(html)
    assert html.count("Show code cell output") >= 1  # spoilers folded: try first
