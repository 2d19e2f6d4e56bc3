"""Checks on the built chapter "The same MLP in Keras" (Exercise 4)."""

from __future__ import annotations

import pytest
from helpers import visible_text

pytestmark = pytest.mark.slow

PAGE = "keras_mlp"


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
    assert v["keras_test_error_min"] <= v["keras_test_error_mean"] <= v["keras_test_error_max"]
    if not default_data:
        pytest.skip("the bands are for the lab configuration on the default data")
    # more updates per epoch than the low-level batch: at most the lab's band, not far below
    assert 5.0 <= v["keras_test_error_mean"] <= 12.0
    assert 0.0 < v["keras_test_error_std"] < 2.0
    assert 4.0 <= v["keras_test_error"] <= 13.0


def test_timings_are_positive(v):
    assert 0 < v["keras_train_cpu_seconds"] and 0 < v["keras_train_wall_seconds"]
    assert v["lowlevel_vs_keras_cpu_ratio"] > 0 and v["lowlevel_vs_keras_same_batch_cpu_ratio"] > 0


def test_comment_is_computed_from_the_measurements(v):
    comment = v["keras_comparison_comment"]
    assert f"(ratio {v['lowlevel_vs_keras_cpu_ratio']:.2f})" in comment
    assert f"(ratio {v['lowlevel_vs_keras_same_batch_cpu_ratio']:.2f})" in comment
    assert f"{v['keras_test_error_mean']:.2f}%" in comment
    faster = v["lowlevel_vs_keras_cpu_ratio"] < 1
    assert ("faster than Keras fit with its default batch" in comment) == faster
    assert v["keras_machine"] and "intra-op" in v["keras_threads"]


def test_same_batch_rows_agree_in_accuracy(v, default_data):
    """Keras at the low-level batch size runs the same algorithm: its error is close."""
    if not default_data:
        pytest.skip("the bands are for the default data")
    sentence = v["keras_comparison_comment"].split("Accuracy: ")[1].split("; ")[1]
    difference = float(sentence.split("a difference of ")[1].split(" points")[0])
    assert difference < 2.0


def test_softmax_variant(v, default_data):
    for key in ("softmax_lowlevel_test_error", "softmax_keras_test_error"):
        assert 0 < v[key] < 100, key
        if default_data:
            assert 3.0 <= v[key] <= 12.0, key
    assert f"{v['softmax_keras_test_error']:.2f}%" in v["keras_softmax_comment"]
    assert v["softmax_learning_rate"] < 3.0


def test_softmax_figure_is_numbered_and_the_text_is_the_glue(v, page_html):
    html = page_html(PAGE)
    assert 'id="fig-keras-mlp-softmax"' in html
    text = " ".join(visible_text(html).split())
    assert v["keras_comparison_comment"] in text and v["keras_softmax_comment"] in text
    assert "ll.tf" not in text
