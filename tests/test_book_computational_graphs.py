"""Checks on the chapter "Computational graphs" (Exercise 1): glued values in their bands,
figures once per pass, the blank graph outside the solutions, no float noise.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import code_cells, shown_code, visible_text

PAGE = "computational_graphs"
ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "book" / f"{PAGE}.md"

#: CS231n "Backpropagation, Intuitions": w = (2, −3), b = −3, x = (−1, −2).
CS231N = {
    "lr_x1": -1.0,
    "lr_x2": -2.0,
    "lr_w1": 2.0,
    "lr_w2": -3.0,
    "lr_b": -3.0,
    "lr_yhat": 0.7311,
    "lr_grad_w1": -0.1966,
    "lr_grad_w2": -0.3932,
    "lr_grad_x1": 0.3932,
    "lr_grad_x2": -0.5898,
    "lr_grad_b": 0.1966,
}

#: One figure per pass (blank, forward, backward); TensorFlow's traced graph is on tf_function.
FIGURES = ["lr_fig_blank", "lr_fig_forward", "lr_fig_backward"]
FIGURE_IDS = ["blank", "forward", "backward"]


# --- the page's source (no build needed; the rules on shown code: test_shown_code.py) ----------
def test_the_page_shows_the_real_sources():
    shown = {s.where.split()[-1] for s in shown_code(SOURCE)}
    assert {"logistic_regression_graph", "Value", "node_values", "tape_gradients"} <= shown
    assert "logistic_regression_graph_eq1" in shown and "finite_difference_error" in shown


def test_removed_cells_only_publish():
    removed = [body for tags, body in code_cells(SOURCE) if "remove-cell" in tags]
    assert removed
    for cell in removed:
        lines = [line for line in cell.splitlines() if line.strip()]
        for line in lines:  # a glue call per result, after the one import
            assert line == "from myst_nb import glue" or re.fullmatch(
                r'glue\("\w+", [\w."\[\]()-]+, display=False\)', line
            ), line


# --- glued values (full build) ----------------------------------------------------------------
@pytest.mark.slow
def test_inputs_and_gradients_are_the_cs231n_neuron(v):
    for key, expected in CS231N.items():
        assert isinstance(v[key], float), key
        assert v[key] == pytest.approx(expected, abs=5e-5), key


@pytest.mark.slow
def test_gradients_follow_the_gate_rules(v):
    assert v["lr_grad_b"] == pytest.approx(v["lr_yhat"] * (1 - v["lr_yhat"]), abs=1e-12)
    assert v["lr_grad_w1"] == pytest.approx(v["lr_x1"] * v["lr_grad_b"], abs=1e-12)
    assert v["lr_grad_x1"] == pytest.approx(v["lr_w1"] * v["lr_grad_b"], abs=1e-12)
    assert v["lr_grad_w2"] == pytest.approx(v["lr_x2"] * v["lr_grad_b"], abs=1e-12)
    assert v["lr_grad_x2"] == pytest.approx(v["lr_w2"] * v["lr_grad_b"], abs=1e-12)


@pytest.mark.slow
def test_chains_in_the_prose_check_at_the_shown_digits(v):
    """ "0.1966 × 2 = 0.3932": the rounded numbers on the page multiply out."""
    upstream = round(v["lr_grad_b"], 4)
    assert round(upstream * v["lr_w1"], 4) == round(v["lr_grad_x1"], 4)
    assert round(upstream * v["lr_x1"], 4) == round(v["lr_grad_w1"], 4)


@pytest.mark.slow
def test_eq1_numbers(v):
    """Eq. 1 as printed: z = wᵀx − b = 7, ŷ = 0.9991, ∂ŷ/∂b = −ŷ(1 − ŷ) < 0 < eq. 2's."""
    assert (v["lr_eq1_z"], v["lr_z"]) == (7.0, 1.0)
    assert v["lr_eq1_yhat"] == pytest.approx(0.9991, abs=5e-5)
    assert v["lr_eq1_grad_b"] == pytest.approx(-v["lr_eq1_yhat"] * (1 - v["lr_eq1_yhat"]))
    assert v["lr_eq1_grad_b"] < 0 < v["lr_grad_b"]


@pytest.mark.slow
def test_graph_sizes(v):
    assert v["lr_node_count"] == 8  # ≥ 7, the lab's "about 7 nodes"


@pytest.mark.slow
def test_three_checks_agree(v):
    eps = v["lr_float64_eps"]
    assert eps == 2.0**-52
    for key in ("lr_max_abs_diff_tf", "lr_max_abs_diff_shortcut"):  # "a few rounding steps"
        assert 0.0 <= v[key] <= 8 * eps, key
    assert 1e-12 <= v["lr_max_abs_diff_fd"] <= 1e-9


@pytest.mark.slow
def test_finite_difference_error_is_truncation_and_rounding(v):
    """At h = 1e-5 both estimates are comparable and the measurement is of their order."""
    assert v["lr_fd_h"] == 1e-5
    assert v["lr_fd_rounding"] == pytest.approx(v["lr_float64_eps"] / v["lr_fd_h"])
    assert 0.1 <= v["lr_fd_truncation"] / v["lr_fd_rounding"] <= 10  # "comparable"
    total = v["lr_fd_truncation"] + v["lr_fd_rounding"]
    assert 0.3 * total <= v["lr_fd_measured"] <= 1.5 * total  # "of the order of their sum"
    assert v["lr_fd_measured"] == v["lr_max_abs_diff_fd"]


@pytest.mark.slow
def test_figures_and_tables_are_glued(v):
    for key in [*FIGURES, "lr_table_forward", "lr_table_backward"]:
        assert key in v, key


# --- the rendered page ------------------------------------------------------------------------
def inside_dropdown(html: str, position: int) -> bool:
    before = html[:position]
    return before.count("<details") > before.count("</details>")


@pytest.mark.slow
def test_each_pass_is_drawn_once_and_the_blank_graph_is_outside_the_solutions(html):
    figures = re.findall(r'id="fig-computational-graphs-([\w-]+)"', html)
    assert sorted(figures) == sorted(FIGURE_IDS)
    blank = html.index('id="fig-computational-graphs-blank"')
    assert not inside_dropdown(html, blank)
    for name in ("forward", "backward"):  # the filled-in graphs are solutions
        assert inside_dropdown(html, html.index(f'id="fig-computational-graphs-{name}"'))
    text = visible_text(html)
    assert "blank=True, local_grads=True" in text  # slots for values, gradients, edges
    assert "values=False, local_grads=True" in text  # the backward figure labels its edges


@pytest.mark.slow
def test_page_shows_solutions_sign_note_and_labelled_placeholders(html):
    assert html.count("sd-dropdown") >= 3
    assert "disagree on the sign" in html
    text = visible_text(html)
    assert "0.7311" in text and "0.9991" in text and "−1/d²" in text
    assert r"z \to u \to e \to d \to \hat{y}" in text  # the chain starts at z
    assert "TypeError: x1: expected a real number" in text
    assert "ValueError: x2: expected a finite number" in text


@pytest.mark.slow
def test_no_float_noise_or_unit_less_plus_minus(html):
    text = visible_text(html)
    noise = re.findall(r"\d\.\d{12,}|\d\.\d*(?:0{6,}|9{6,})[1-9]", text)
    assert not noise, noise
    bare = re.findall(r"±\s*[\d.,]+(?![\d.,])(?!\s*(?:%|ms|s\b|points?\b))", text)
    assert not bare, bare  # "10.7 ± 0.4 %": every ± carries its unit


@pytest.mark.slow
def test_spoilers_are_folded_and_figures_not_closed_by_hand(html):
    """No glue( on any page is checked in test_book_build.py; here: no plt.close, folded answers."""
    assert "plt.close" not in visible_text(html)
    assert html.count("Show code cell output") >= 3  # spoilers folded: try first
