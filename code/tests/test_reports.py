"""The low-level chapter's summaries: numbers from runs, verdicts computed, glue keys stable."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pw06 import lowlevel_mlp as ll
from pw06 import reports, training
from tinynet import D, H, K, digits_like, tiny_data


def make_run(seed, errors, *, loss=(0.5, 0.3), initial=1.0, rates=(3.0, 3.0), steps=4):
    run = training.Run(mode="graph", seed=seed, batch_size=10, initial_loss=initial)
    run.test_error, run.train_error, run.loss = list(errors), [e - 1 for e in errors], list(loss)
    run.learning_rate, run.step_loss = list(rates), [0.1] * steps * len(rates)
    run.wall, run.cpu = [2.0, 1.0], [1.5, 1.0]
    run.trace_seconds, run.trace_cpu = (0.5, 0.25) if seed == 0 else (0.0, 0.0)
    return run


def test_dataset_facts():
    facts = reports.dataset_facts(
        type("D", (), {"name": "n", "y_train": [0] * 4, "y_test": [1], "n_features": 6,
                       "n_classes": 3})()
    )  # fmt: skip
    assert facts.glue() == {
        "dataset_name": "n",
        "dataset_train_size": 4,
        "dataset_test_size": 1,
        "dataset_features": 6,
        "dataset_classes": 3,
    }


def test_summarize_seeds():
    runs = [make_run(0, [12.0, 10.0]), make_run(1, [11.0, 12.0]), make_run(2, [9.0, 8.0])]
    summary = reports.summarize_seeds(runs, "lowlevel")
    assert (summary.seeds, summary.test_error, summary.test_error_mean) == (3, 10.0, 10.0)
    assert summary.test_error_std == pytest.approx(2.0)
    assert (summary.test_error_min, summary.test_error_max) == (8.0, 12.0)
    assert summary.converged_runs == 3
    assert summary.train_wall_seconds == 3.5 and summary.train_cpu_seconds == 2.75
    keys = summary.glue()
    assert keys["lowlevel_test_error_mean"] == 10.0 and "lowlevel_prefix" not in keys
    assert set(reports.summarize_seeds(runs, "keras").glue()) == {
        k.replace("lowlevel", "keras") for k in keys
    }
    assert reports.summarize_seeds(runs[:1], "x").test_error_std == 0.0
    assert list(reports.runs_table(runs).index) == [0, 1, 2]


def test_lab_runs_reports_configuration_and_convergence():
    runs = [make_run(0, [10.0, 9.0], loss=(0.5, 0.3)), make_run(1, [10.0, 9.0], loss=(0.5, 0.6))]
    report = reports.lab_runs(runs, ll.LAB_CONFIG)
    assert report.hidden_units == ll.LAB_CONFIG["n_hidden"] and report.steps_per_epoch == 4
    assert report.loss_decreasing_runs == 1  # the second run's loss rose in its last epoch
    assert report.final_gap == pytest.approx(1.0)
    assert report.trace_seconds == 0.5
    assert report.glue()["lowlevel_converged_loss_fraction"] == training.CONVERGED_LOSS_FRACTION


def test_confusions():
    labels = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 2, 2, 2, 2, 0])
    found = reports.confusions(labels, predicted, 3, shown=2)
    assert found.matrix.tolist() == [[1, 1, 0], [0, 1, 2], [1, 0, 3]]
    assert (found.top_confusion_true, found.top_confusion_pred, found.top_confusion_count) == (
        1,
        2,
        2,
    )
    assert found.worst_class == 1 and found.worst_class_error == pytest.approx(200 / 3)
    assert found.misclassified.tolist() == [1, 3]
    glued = found.glue()
    assert glued["lowlevel_misclassified_shown"] == 2 and "lowlevel_matrix" not in glued
    assert all(type(v) in (int, float) for v in glued.values())


def test_output_gradients_match_the_formulas():
    params = ll.init_params(D, H, K, seed=0)
    x, y = tiny_data(5)
    t = np.eye(K, dtype=np.float32)[y]
    z = ll.logits(params, x).numpy()
    s = 1 / (1 + np.exp(-z))
    mse = reports.output_gradients(params, x, t, "sigmoid")
    np.testing.assert_allclose(mse, 2 / K * (s - t) * s * (1 - s), rtol=1e-4, atol=1e-7)
    soft = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    ce = reports.output_gradients(params, x, t, "softmax")
    np.testing.assert_allclose(ce, soft - t, rtol=1e-4, atol=1e-6)
    scale = reports.gradient_scale(params, x, t)
    assert scale.grad_ratio == pytest.approx(scale.grad_ce / scale.grad_mse)
    assert 0 < scale.sigma_prime_init <= 0.25


def test_damping_on_misclassified_examples():
    params = ll.init_params(D, H, K, seed=0)
    x, y = tiny_data(40)
    found = reports.damping(params, x, y)
    predicted = ll.predict(params, x)
    assert found.wrong == int((predicted != y).sum()) > 0
    assert 0 < found.target_output_wrong < 1 and 0 < found.sigma_prime_wrong <= 0.25
    assert set(found.glue()) == {"lowlevel_target_output_wrong", "lowlevel_sigma_prime_wrong"}
    assert math.isnan(reports.damping(params, x, predicted).target_output_wrong)


@pytest.mark.parametrize(
    ("scheduled_errors", "words"),
    [
        ([9.0, 9.0, 9.0], ["lower by 1.00 points", "more than", "lower for 3 of the 3"]),
        ([10.1, 9.9, 10.3], ["higher by 0.10 points", "within", "lower for 1 of the 3"]),
    ],
)
def test_compare_schedule_computes_its_verdict(scheduled_errors, words):
    constant = [make_run(i, [e]) for i, e in enumerate([10.0, 10.0, 10.0])]
    constant[0].test_error = [9.8]
    constant[2].test_error = [10.2]
    scheduled = [make_run(i, [e], rates=(6.0, 3.0)) for i, e in enumerate(scheduled_errors)]
    schedule = ll.PiecewiseConstant((1,), (6.0, 3.0))
    result = reports.compare_schedule(constant, scheduled, schedule)
    for word in words:
        assert word in result.schedule_verdict, (word, result.schedule_verdict)
    assert result.glue()["lowlevel_schedule_first_rate"] == 6.0
    table = reports.schedule_table(constant, scheduled)
    assert list(table.index) == ["constant rate", "schedule"]
    assert table.loc["schedule", 1] == "6"


def test_reports_from_real_runs_publish_only_plain_values():
    from pw06.publish import glue_items

    d = digits_like()
    runs = training.fit_seeds(
        d, n_hidden=H, learning_rate=0.5, batch_size=10, epochs=2, seeds=[0, 1]
    )
    items = glue_items(
        reports.summarize_seeds(runs, "lowlevel"),
        reports.lab_runs(
            runs, {"n_hidden": H, "learning_rate": 0.5, "batch_size": 10, "epochs": 2}
        ),
        reports.confusions(d.y_test, runs[0].test_predictions, K),
    )
    assert items["lowlevel_steps_per_epoch"] == 4 and items["lowlevel_seeds"] == 2
