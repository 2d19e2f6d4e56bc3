"""Checks on the Going-further page "Inside tf.function" (deepens Exercise 3; review Q3, Q4)."""

from __future__ import annotations

import pytest
from helpers import visible_text

pytestmark = pytest.mark.slow

PAGE = "tf_function"


def test_the_traced_lr_graph_matches_the_hand_graph(v, glue):
    nodes = glue["computational_graphs"]["lr_node_count"]
    assert v["lr_tf_compute_op_count"] == nodes
    assert 12 <= v["lr_tf_op_count"] <= 20  # 5 placeholders, 2 constants, 1 identity
    types = v["lr_tf_compute_op_types"].split(", ")
    assert len(types) == v["lr_tf_compute_op_count"] and types.count("Mul") == 2
    assert "lr_fig_tf_graph" in v


def test_the_epoch_graph_holds_one_while_loop_and_no_conditional(v):
    assert v["lowlevel_graph_while_loops"] == 1
    assert v["lowlevel_graph_conditionals"] == 0
    assert v["lowlevel_graph_updates_per_step"] == 4  # W1, b1, W2, b2
    assert v["lowlevel_graph_sigmoid_ops"] >= 1 and v["lowlevel_graph_softmax_ops"] == 0


def test_autograph_loop(v):
    assert v["rq_autograph_loop_op"] in ("While", "StatelessWhile")
    assert v["rq_autograph_traces"] == 1
    assert v["rq_autograph_n_starts"] == 3
    assert v["rq_collatz_27"] == 111
    assert "rq_autograph_code" in v


def test_constant_folding(v):
    assert (v["rq_fold_size"], v["rq_fold_products"]) == (200, 20)
    assert all(v[f"rq_fold_{k}"] > 0 for k in ("constant_eager_ms", "constant_graph_ms"))
    assert all(v[f"rq_fold_{k}"] > 0 for k in ("input_eager_ms", "input_graph_ms"))
    ratio = v["rq_fold_input_graph_ms"] / v["rq_fold_constant_graph_ms"]
    assert v["rq_fold_ratio"] == pytest.approx(ratio)
    # the sentence on the page follows the times it quotes
    folded = "computed once" in v["rq_fold_verdict"]
    assert folded == (ratio >= 2), (ratio, v["rq_fold_verdict"])


def test_page_shows_the_graph_and_the_generated_code(page_html):
    html = page_html(PAGE)
    assert 'id="fig-tf-function-lr-graph"' in html
    assert "while_stmt" in html and "if_stmt" in html
    text = visible_text(html)
    assert "RealDiv" in text
    assert "Placeholder" in text and "labelled with the argument it stands for" in text
