"""The Keras chapter's comparison: rows from runs, ratios, and sentences computed from them."""

from __future__ import annotations

import numpy as np
import pytest
from pw06 import comparison, training
from pw06 import keras_mlp as km
from pw06 import lowlevel_mlp as ll
from tinynet import D, H, K, tiny_data


def run(seed, wall, error, trace=0.0):
    record = training.Run(mode="graph", seed=seed, batch_size=10, trace_seconds=trace)
    record.wall, record.cpu, record.test_error = wall, [2 * w for w in wall], [error]
    return record


def row(label, cpu, error, std=0.5, batch=100):
    return comparison.Row(label, batch, 1.0, cpu, cpu, 1.0, 1.0, error, std, 3)


def test_summarize_keeps_the_first_epoch_apart_and_averages_over_seeds():
    runs = [run(0, [3.0, 1.0, 1.0], 10.0, trace=0.5), run(1, [1.0, 2.0, 1.0], 12.0)]
    summary = comparison.summarize("x", runs)
    assert summary.first_epoch_seconds == 3.5
    assert summary.wall_per_epoch == 1.0 and summary.cpu_per_epoch == 2.0  # medians
    assert summary.wall_per_run == pytest.approx((5.5 + 4.0) / 2)
    assert summary.test_error == 11.0 and summary.test_error_std == pytest.approx(2**0.5)
    table = comparison.table([summary])
    assert list(table.columns)[:2] == ["batch size", "tracing + first epoch (s)"]
    assert table.loc["x", "CPU s / epoch"] == 2.0


def test_batch_steps():
    steps = comparison.batch_steps(4000, 32, 100)
    assert steps.glue() == {
        "keras_default_batch_size": 32,
        "keras_default_steps": 125,
        "keras_lowlevel_steps": 40,
    }


def test_same_model_compares_the_three_builds():
    x, _ = tiny_data(9)
    params = ll.init_params(D, H, K, seed=1)
    same = comparison.same_model(
        km.build_sequential(D, H, K, seed=1),
        km.build_functional(D, H, K, seed=1),
        ll.forward,
        params,
        x,
    )
    n = D * H + H + H * K + K
    assert (same.sequential_params, same.functional_params, same.lowlevel_params) == (n, n, n)
    assert same.max_abs_diff_apis == 0.0 and same.max_abs_diff_lowlevel < 1e-6
    other = comparison.same_model(
        km.build_sequential(D, H, K, seed=1),
        km.build_functional(D, H, K, seed=2),
        ll.forward,
        ll.init_params(D, H, K, seed=3),
        x,
    )
    assert other.max_abs_diff_apis > 1e-3 and other.max_abs_diff_lowlevel > 1e-3
    assert list(same.table().index) == ["Sequential", "Functional", "low-level"]


def test_times():
    assert comparison.times(1.0, 2.0) == "2.0× faster"
    assert comparison.times(3.0, 2.0) == "1.5× slower"


def test_comparison_sentences_follow_the_numbers():
    result = comparison.Comparison(
        eager=row("eager", 0.9, 10.0),
        graph=row("graph", 0.1, 10.0),
        keras_default=row("Keras default", 0.4, 8.0, batch=32),
        keras_same=row("Keras same", 0.2, 10.3),
        default_steps=125,
        same_steps=40,
    )
    comment = result.comment()
    assert result.cpu_ratio == pytest.approx(0.25) and result.same_batch_cpu_ratio == 0.5
    assert "The fastest per epoch in CPU time is graph." in comment
    assert "4.0× faster than Keras fit with its default batch" in comment
    assert "(ratio 0.25)" in comment and "(ratio 0.50)" in comment
    assert "Keras default ends at 8.00% against 10.00% for graph" in comment
    assert "2.00 points, larger than" in comment  # more than the spread
    assert "0.30 points, no larger than" in comment  # within the spread
    assert "125 instead of 40 steps" in comment
    assert set(result.glue()) == {
        "lowlevel_vs_keras_cpu_ratio",
        "lowlevel_vs_keras_same_batch_cpu_ratio",
        "keras_comparison_comment",
    }


def test_output_comparison():
    outputs = comparison.OutputComparison(
        sigmoid_lowlevel=row("low-level", 0.1, 10.0),
        sigmoid_keras=row("Keras", 0.2, 10.2),
        softmax_lowlevel=row("low-level, softmax + cross-entropy", 0.1, 6.0),
        softmax_keras=row("Keras, softmax + cross-entropy", 0.2, 6.2),
        sigmoid_learning_rate=3.0,
        softmax_learning_rate=0.5,
    )
    comment = outputs.comment()
    assert "-4.00 points in the low-level" in comment and "-4.00 points in Keras" in comment
    assert "larger than the spread in both" in comment and "not larger" not in comment
    assert outputs.glue()["softmax_keras_test_error"] == 6.2
    assert list(outputs.table().data.index) == ["low-level", "Keras"] * 2


def test_machine_names_cpu_and_threads():
    facts = comparison.machine()
    assert "cores" in facts["keras_machine"] and "intra-op" in facts["keras_threads"]
    assert np.all([isinstance(v, str) for v in facts.values()])
