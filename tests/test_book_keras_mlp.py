"""Checks on the built chapter "The same MLP in Keras" (Exercise 4)."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.slow

PAGE = "keras_mlp"
COLLECTED_AT = time.time()  # before the session's build: later timestamps come from it
ROWS = ("eager", "graph", "keras_default", "keras_same")


@pytest.fixture(scope="module")
def v(glue):
    return glue[PAGE]


@pytest.fixture(scope="module")
def default_data(glue):
    """True when the chapters ran on the default offline sample (the bands apply)."""
    return glue["lowlevel_mlp"]["dataset_name"].startswith("MNIST, 5,000-digit sample")


def test_default_batch_size_and_steps(v, glue):
    assert v["keras_default_batch_size"] == 32  # computed by a probe, as Keras documents
    n = glue["lowlevel_mlp"]["dataset_train_size"]
    assert v["keras_default_steps"] == -(-n // 32)
    assert v["keras_lowlevel_steps"] == glue["lowlevel_mlp"]["lowlevel_steps_per_epoch"]


def test_both_apis_are_the_lowlevel_model(v):
    assert v["keras_sequential_params"] == v["keras_functional_params"] == 784 * 300 + 300 + 3010
    assert v["keras_lowlevel_params"] == v["keras_sequential_params"]
    assert 0 <= v["keras_max_abs_diff_apis"] <= 1e-6
    assert 0 <= v["keras_max_abs_diff_lowlevel"] <= 1e-5


def test_keras_error_band(v, default_data):
    assert v["keras_converged_runs"] == v["keras_seeds"] >= 3
    if not default_data:
        pytest.skip("the bands are for the lab configuration on the default data")
    # more updates per epoch than the low-level batch: at most the lab's band, not far below
    assert 5.0 <= v["keras_test_error_mean"] <= 12.0
    assert 0.0 < v["keras_test_error_std"] < 2.0
    assert 4.0 <= v["keras_test_error"] <= 13.0
    # same algorithm and batch size as the low-level model: close to its error
    assert abs(v["keras_cmp_keras_same_error"] - v["keras_cmp_graph_error"]) < 2.0
    assert 8.0 <= v["keras_cmp_graph_error"] <= 12.0


def test_eager_and_graph_train_the_same_network(v):
    assert v["keras_cmp_eager_error"] == v["keras_cmp_graph_error"]


def test_every_timing_is_positive_and_from_this_build(v):
    assert v["keras_train_cpu_seconds"] > 0 and v["keras_train_wall_seconds"] > 0
    for row in ROWS:
        assert v[f"keras_cmp_{row}_cpu"] > 0, row
    for key in ("lowlevel_vs_keras_cpu_ratio", "lowlevel_vs_keras_wall_ratio"):
        assert v[key] > 0, key
    assert v["lowlevel_vs_keras_same_batch_cpu_ratio"] > 0 and v["keras_eager_vs_graph"] > 0
    ratio = v["keras_cmp_graph_cpu"] / v["keras_cmp_keras_default_cpu"]
    assert v["lowlevel_vs_keras_cpu_ratio"] == pytest.approx(ratio)
    assert COLLECTED_AT < v["keras_measured_at"] < time.time()


def test_comment_is_computed_from_the_measurements(v):
    comment = v["keras_comparison_comment"]
    assert f"(ratio {v['lowlevel_vs_keras_cpu_ratio']:.2f})" in comment
    assert f"(ratio {v['lowlevel_vs_keras_same_batch_cpu_ratio']:.2f})" in comment
    assert f"{v['keras_test_error_mean']:.2f}%" in comment
    assert v["keras_machine"] and v["keras_threads"]


def test_softmax_variant(v, default_data):
    for key in ("softmax_lowlevel_test_error", "softmax_keras_test_error"):
        assert 0 < v[key] < 100, key
        if default_data:
            assert 3.0 <= v[key] <= 12.0, key
    assert f"{v['softmax_keras_test_error']:.2f}%" in v["keras_softmax_comment"]


def test_softmax_figure_is_numbered(page_html):
    html = page_html(PAGE)
    assert 'id="fig-keras-mlp-softmax"' in html
