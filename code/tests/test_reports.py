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
    assert summary.train_wall_seconds == 3.5 and summary.train_cpu_seconds == 2.75
    keys = summary.glue()
    assert keys["lowlevel_test_error_mean"] == 10.0 and "lowlevel_prefix" not in keys
    assert set(reports.summarize_seeds(runs, "keras").glue()) == {
        k.replace("lowlevel", "keras") for k in keys
    }
    assert reports.summarize_seeds(runs[:1], "x").test_error_std == 0.0
    assert list(reports.runs_table(runs).index) == [0, 1, 2]


def test_lab_runs_reports_configuration_progress_and_noise():
    a = make_run(0, [10.0, 9.0], loss=(0.5, 0.3))
    b = make_run(1, [10.0, 11.0], loss=(0.5, 0.6))
    b.train_error = [8.0, 8.0]  # flat in its last epoch
    report = reports.lab_runs([a, b], ll.LAB_CONFIG, n_test=1000)
    assert report.hidden_units == ll.LAB_CONFIG["n_hidden"] and report.steps_per_epoch == 4
    assert report.loss_decreasing_runs == 1  # the second run's loss rose in its last epoch
    assert report.final_gap == pytest.approx((1.0 + 3.0) / 2)
    assert report.trace_seconds == 0.5 and report.trace_cpu_seconds == 0.25  # wall, CPU
    assert report.falling_runs == 1  # only the first run's training error still fell
    assert report.last_epoch_train_drop == pytest.approx(0.5)
    assert report.last_epoch_test_drop == pytest.approx(0.0)  # −1 and +1
    assert report.band_position == "inside"
    assert report.test_error_binomial_se == pytest.approx(0.949, abs=1e-3)  # at 10 %
    assert report.seed_spread_vs_binomial == "larger than"  # std of 9 and 11 is 1.41
    glued = report.glue()
    assert (glued["lowlevel_lab_band_low"], glued["lowlevel_lab_band_high"]) == reports.LAB_BAND
    assert glued["lowlevel_lecun_test_error"] == 4.7
    assert glued["lowlevel_seed_list"] == "0, 1"


@pytest.mark.parametrize(("value", "where"), [(7.9, "below"), (8.0, "inside"), (12.5, "above")])
def test_band_position(value, where):
    assert reports.band_position(value) == where


def test_plateau_runs_summarises_the_best_epochs():
    rule = training.Plateau(patience=2, max_epochs=6)
    runs = []
    for seed, validation in enumerate([[12, 10, 11, 10.5], [12, 11, 10, 9, 8, 8.5]]):
        run = make_run(seed, [v - 1 for v in validation])
        run.validation_error, run.train_examples, run.validation_examples = validation, 80, 20
        runs.append(run)
    lab = [make_run(0, [10.0]), make_run(1, [11.0])]
    summary = reports.plateau_runs(runs, rule, lab, n_test=1000)
    assert (summary.epochs, summary.epochs_min, summary.epochs_max) == (3.5, 2, 5)
    assert summary.stopped_runs == 1  # the second run reached the cap
    assert summary.test_error_mean == pytest.approx((9 + 7) / 2)
    assert summary.validation_error_mean == pytest.approx(9.0)
    assert summary.validation_binomial_se == pytest.approx(100 * (0.09 * 0.91 / 20) ** 0.5)
    assert summary.lab_gain == pytest.approx(10.5 - 8.0)
    assert summary.lecun_gap == pytest.approx(8.0 - 4.7)
    assert summary.test_error_binomial_se == pytest.approx(100 * (0.08 * 0.92 / 1000) ** 0.5)
    glued = summary.glue()
    assert glued["lowlevel_plateau_epochs"] == 3.5 and glued["lowlevel_plateau_patience"] == 2
    assert glued["lowlevel_plateau_min_improvement"] == 0.0
    assert (glued["lowlevel_plateau_train_size"], glued["lowlevel_plateau_validation_size"]) == (
        80,
        20,
    )


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
    # the ratio is K/2 × the σ′ part × the outputs' part, each computed on its own
    assert scale.grad_factor_k == K / 2
    assert scale.grad_factor_sigma == pytest.approx(
        np.abs(s - t).mean() / np.abs((s - t) * s * (1 - s)).mean(), rel=1e-4
    )
    assert scale.grad_factor_outputs == pytest.approx(
        np.abs(soft - t).mean() / np.abs(s - t).mean(), rel=1e-4
    )
    product = scale.grad_factor_k * scale.grad_factor_sigma * scale.grad_factor_outputs
    assert product == pytest.approx(scale.grad_ratio, rel=1e-4)
    assert scale.grad_factor_sigma >= 4  # σ′ ≤ 1/4


def test_damping_on_misclassified_examples():
    params = ll.init_params(D, H, K, seed=0)
    x, y = tiny_data(40)
    found = reports.damping(params, x, y)
    predicted = ll.predict(params, x)
    assert found.wrong == int((predicted != y).sum()) > 0
    assert 0 < found.target_output_wrong < 1 and 0 < found.sigma_prime_wrong <= 0.25
    assert set(found.glue()) == {"lowlevel_target_output_wrong", "lowlevel_sigma_prime_wrong"}
    assert math.isnan(reports.damping(params, x, predicted).target_output_wrong)


LOW = [10.0, 10.4, 9.8, 10.2, 9.6]  # the constant low rate, seed by seed


def schedule_runs(errors, rates):
    return [make_run(i, [e], rates=rates) for i, e in enumerate(errors)]


@pytest.mark.parametrize(
    ("high", "scheduled", "verdicts", "conclusion"),
    [
        (  # the high rate alone does as well as the schedule
            [x - 2.1 for x in LOW],
            [x - 2.0 for x in LOW],
            ("significant", "within noise"),
            "the gain comes from the larger early rate, not from the decay",
        ),
        (  # the schedule beats both
            [x - 2.0 for x in LOW],
            [x - 4.0 for x in LOW],
            ("significant", "significant"),
            "decaying the rate helps more than a larger rate alone",
        ),
        (  # nothing beyond the noise
            [x - 0.3 for x in LOW],
            [x - 0.4 for x in LOW],
            ("within noise", "within noise"),
            "No difference exceeds the noise",
        ),
        (  # the schedule is worse than the high rate
            [x - 3.0 for x in LOW],
            [x - 0.2 for x in LOW],
            ("within noise", "significant"),
            "The schedule is within noise of the constant 3 and worse than the constant 6.",
        ),
    ],
)
def test_compare_schedule_with_both_controls(high, scheduled, verdicts, conclusion):
    schedule = ll.PiecewiseConstant((1,), (6.0, 3.0))
    result = reports.compare_schedule(
        schedule_runs(LOW, (3.0, 3.0)),
        schedule_runs(high, (6.0, 6.0)),
        schedule_runs(scheduled, (6.0, 3.0)),
        schedule,
        n_test=1000,
    )
    assert (result.vs_low, result.vs_high) == verdicts
    assert conclusion in result.verdict, result.verdict
    assert result.verdict.startswith("Schedule minus constant 3: ")
    assert "Schedule minus constant 6: " in result.verdict
    glued = result.glue()
    assert glued["schedule_constant_low_test_error"] == pytest.approx(10.0)
    assert glued["schedule_constant_high_test_error"] == pytest.approx(sum(high) / 5)
    assert glued["lowlevel_schedule_test_error"] == pytest.approx(sum(scheduled) / 5)
    assert glued["lowlevel_schedule_first_rate"] == 6.0 and glued["lowlevel_schedule_boundary"] == 1
    table = reports.schedule_table(
        schedule_runs(LOW, (3.0, 3.0)),
        schedule_runs(high, (6.0, 6.0)),
        schedule_runs(scheduled, (6.0, 3.0)),
    )
    assert list(table.index) == ["constant 3", "constant 6", "schedule"]
    assert table.loc["schedule", 1] == "6" and table.loc["schedule", 2] == "3"
    assert table.loc["constant 3", "test error, mean ± std"] == "10.00 ± 0.32 %"


def test_epoch_graph_facts_count_the_traced_operations():
    params = ll.init_params(D, H, K, seed=0)
    facts = reports.epoch_graph_facts(training.epoch_graph(params, "sigmoid"))
    assert (facts.while_loops, facts.conditionals, facts.updates_per_step) == (1, 0, 4)
    assert facts.sigmoid_ops >= 1 and facts.softmax_ops == 0
    softmax = reports.epoch_graph_facts(training.epoch_graph(params, "softmax"))
    assert softmax.sigmoid_ops == 0 and softmax.softmax_ops >= 1
    assert set(facts.glue()) == {
        f"lowlevel_graph_{k}"
        for k in ("while_loops", "conditionals", "updates_per_step", "sigmoid_ops", "softmax_ops")
    }


def test_reports_from_real_runs_publish_only_plain_values():
    from pw06.publish import glue_items

    d = digits_like()
    runs = training.fit_seeds(
        d, n_hidden=H, learning_rate=0.5, batch_size=10, epochs=2, seeds=[0, 1]
    )
    items = glue_items(
        reports.summarize_seeds(runs, "lowlevel"),
        reports.lab_runs(
            runs, {"n_hidden": H, "learning_rate": 0.5, "batch_size": 10, "epochs": 2}, 20
        ),
        reports.confusions(d.y_test, runs[0].test_predictions, K),
    )
    assert items["lowlevel_steps_per_epoch"] == 4 and items["lowlevel_seeds"] == 2
