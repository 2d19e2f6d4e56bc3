"""The Keras chapter's comparison: rows from runs, ratios, and sentences computed from them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pw06 import comparison, training
from pw06 import keras_mlp as km
from pw06 import lowlevel_mlp as ll
from tinynet import D, H, K, tiny_data


def run(seed, wall, error, trace=0.0, trace_cpu=0.0):
    record = training.Run(
        mode="graph", seed=seed, batch_size=10, trace_seconds=trace, trace_cpu=trace_cpu
    )
    record.wall, record.cpu, record.test_error = wall, [2 * w for w in wall], [error]
    return record


N_TEST = 1000


def correct_for(errors, n_test=N_TEST):
    """Per-digit correctness with these errors (percent), one row per seed: each run gets
    the first digits wrong, so two runs disagree only on the digits between their errors."""
    wrong = [round(e * n_test / 100) for e in errors]
    return np.arange(n_test)[None, :] >= np.array(wrong)[:, None]


def row(label, cpu, errors, spread=0.02, batch=100, weights=None):
    """A row with median CPU ``cpu`` ± ``spread`` and per-seed test errors ``errors``."""
    errors = tuple(errors)
    return comparison.Row(
        label, batch, 1.0, 19, cpu, cpu - spread, cpu + spread, cpu, cpu - spread,
        cpu + spread, 1.0, float(np.mean(errors)), float(np.std(errors, ddof=1)), errors,
        tuple(range(len(errors))), correct_for(errors),
        weights or tuple(f"{label}{i}" for i in range(len(errors))),
    )  # fmt: skip


def test_summarize_keeps_the_warm_up_apart_and_counts_cpu_as_cpu():
    runs = [
        run(0, [3.0, 1.0, 1.0], 10.0, trace=0.5, trace_cpu=0.25),
        run(1, [1.0, 2.0, 1.0], 12.0),
    ]
    for r, correct in zip(runs, correct_for([10.0, 12.0]), strict=True):
        r.test_correct, r.weights_digest = correct, f"w{r.seed}"
    summary = comparison.summarize("x", runs)
    assert summary.first_epoch_seconds == 3.5  # tracing + first epoch, wall
    assert summary.timed_epochs == 5  # every epoch but the first run's first
    assert summary.wall_per_epoch == 1.0 and summary.cpu_per_epoch == 2.0  # medians
    assert (summary.wall_min, summary.wall_max) == (1.0, 2.0)
    assert (summary.cpu_min, summary.cpu_max) == (2.0, 4.0)
    # CPU per run: tracing CPU (0.25) + the epochs' CPU (10 and 8); never the tracing wall time
    assert summary.cpu_per_run == pytest.approx((0.25 + 10.0 + 8.0) / 2)
    assert summary.test_error == 11.0 and summary.test_error_std == pytest.approx(2**0.5)
    assert summary.errors == (10.0, 12.0) and summary.seeds == (0, 1)
    assert summary.correct.shape == (2, N_TEST) and summary.weights == ("w0", "w1")
    frame = comparison.table([summary])
    assert frame.loc["x", "CPU ms / epoch, median (min–max)"] == "2000 (2000–4000)"
    assert frame.loc["x", "test error, mean ± std"] == "11.00 ± 1.41 %"


def test_summarize_never_times_an_epoch_with_fits_set_up():
    """Keras's fit: epoch 0 of every run includes fit's set-up (Run.setup_epochs = 1), so
    only the later epochs are timed repeats; low-level runs lose only the first run's first."""
    runs = [run(0, [9.0, 1.0, 1.0], 10.0), run(1, [5.0, 2.0, 1.0], 12.0)]
    for r in runs:
        r.setup_epochs = 1
    summary = comparison.summarize("Keras", runs)
    assert summary.timed_epochs == 4 and summary.wall_max == 2.0  # never 5.0
    assert comparison.timed_epochs(runs, "cpu") == [2.0, 2.0, 4.0, 2.0]
    assert comparison.summarize("x", runs[:1]).first_epoch_seconds == 9.0
    assert summary.correct is None  # runs without test data: no paired comparison
    single = [run(0, [9.0], 10.0)]  # nothing left after the warm-up: every epoch
    assert comparison.timed_epochs(single, "wall") == [9.0]


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
    assert same.glue()["keras_apis_outputs"] == "identical (bit for bit)"
    assert other.glue()["keras_apis_outputs"].startswith("different by at most ")
    assert list(same.table().index) == ["Sequential", "Functional", "low-level"]


def test_times():
    assert comparison.times(1.0, 2.0) == "2.0× faster"
    assert comparison.times(3.0, 2.0) == "1.5× slower"


def test_cpu_verdict_says_faster_only_when_the_ranges_are_apart():
    fast, slow = row("a", 0.1, [10, 11]), row("b", 0.3, [10, 11])
    assert comparison.cpu_verdict(fast, slow, "A", "B") == (
        "A is 3.0× faster than B (ratio 0.33; their ranges do not overlap)"
    )
    near = row("c", 0.13, [10, 11])  # 0.11–0.15 overlaps 0.08–0.12
    verdict = comparison.cpu_verdict(fast, near, "A", "C")
    assert verdict.startswith("A and C are not clearly different (ratio 0.77; their")


def test_accuracy_sentence_is_paired_digit_by_digit_and_needs_the_same_seeds():
    a = row("A", 0.1, [10.0, 10.2, 9.8, 10.1, 9.9])
    b = row("B", 0.1, [8.0, 8.1, 7.9, 8.0, 8.2])
    sentence = comparison.accuracy_sentence(b, a)
    assert sentence.startswith("B (8.04 %) minus A (10.00 %): -1.96 ± ")
    assert sentence.endswith(
        "(over 5 seeds, 98 test digits right only in the first, 0 only in the second; "
        "exact McNemar p = 6.3e-30)"
    )
    assert ", significant (" in sentence
    close = row("C", 0.1, [10.1, 10.3, 9.7, 10.0, 10.0])  # 2 digits against 3
    assert comparison.accuracy_sentence(close, a).endswith(
        "within noise (over 5 seeds, 2 test digits right only in the first, 3 only in the "
        "second; exact McNemar p = 1)"
    )
    fields = [getattr(a, f) for f in a.__dataclass_fields__]
    other_seeds = comparison.Row(*fields[:14], (5, 6, 7, 8, 9), *fields[15:])
    with pytest.raises(ValueError, match="same seeds"):
        comparison.accuracy_sentence(other_seeds, a)
    unscored = comparison.Row(*fields[:15], None, fields[16])
    with pytest.raises(ValueError, match="per-digit correctness"):
        comparison.accuracy_sentence(unscored, a)


def test_the_same_weights_for_every_seed_are_identical_bit_for_bit():
    errors = [10.0, 10.2, 9.8, 10.1, 9.9]
    a = row("A", 0.1, errors, weights=("w0", "w1", "w2", "w3", "w4"))
    same = row("B", 0.1, errors, weights=("w0", "w1", "w2", "w3", "w4"))
    assert comparison.paired(a, same).verdict == "identical (bit for bit)"
    assert comparison.accuracy_sentence(same, a).endswith(
        "+0.00 ± 0.00 points (mean ± std over 5 seeds; 95 % interval +0.00 to +0.00), "
        "identical (bit for bit): the same trained weights for every seed"
    )
    one_differs = row("C", 0.1, errors, weights=("w0", "w1", "w2", "w3", "x4"))
    verdict = comparison.paired(a, one_differs)
    assert verdict.verdict == "identical on every test digit" and verdict.discordant == 0


def make_comparison(same_errors=(10.0, 10.1, 9.9, 10.2, 9.8)):
    graph_errors = (10.0, 10.1, 9.9, 10.2, 9.8)
    same_weights = ("w0", "w1", "w2", "w3", "w4") if same_errors == graph_errors else None
    return comparison.Comparison(
        step=row("step", 0.3, graph_errors),
        graph=row("graph", 0.1, graph_errors, weights=("w0", "w1", "w2", "w3", "w4")),
        keras_default=row("Keras default", 0.4, (8.0, 8.2, 7.9, 8.1, 7.8), batch=32),
        keras_same=row("Keras same", 0.2, same_errors, weights=same_weights),
        default_steps=125,
        same_steps=40,
        n_test=1000,
    )


def test_comparison_sentences_follow_the_numbers():
    result = make_comparison()
    comment = result.comment()
    assert result.cpu_ratio == pytest.approx(0.25) and result.same_batch_cpu_ratio == 0.5
    assert result.step_cpu_ratio == pytest.approx(1.5)
    assert "Lowest median CPU time per epoch: graph." in comment
    assert "the whole-epoch graph is 2.0× faster than Keras fit (ratio 0.50" in comment
    assert "the Python loop calling a compiled step is 1.5× slower than Keras fit" in comment
    assert "125 instead of 40 steps per epoch: it is 2.0× slower than at batch 100" in comment
    assert "Keras same (10.00 %) minus graph (10.00 %): +0.00 ± 0.00 points" in comment
    assert "identical (bit for bit): the same trained weights for every seed; Keras " in comment
    assert comment.endswith("exact McNemar p = 1.6e-30).") and "significant (over" in comment
    glued = result.glue()
    assert glued["timing_repeats"] == 19
    assert [r.implementation for r in result.rows] == [
        "step",
        "graph",
        "Keras default",
        "Keras same",
    ]
    assert glued["lowlevel_step_vs_keras_cpu_ratio"] == pytest.approx(1.5)
    assert glued["keras_same_vs_graph"] == "identical (bit for bit)"
    assert glued["keras_same_vs_graph_discordant"] == 0
    assert glued["keras_default_vs_graph"] == "significant"
    assert glued["keras_default_vs_graph_p"] < 1e-20
    assert glued["keras_default_vs_graph_discordance"] == pytest.approx(2.0)  # 100 of 5,000
    assert glued["keras_default_minus_graph"] == pytest.approx(-2.0)
    assert glued["keras_test_error_binomial_se"] == pytest.approx(100 * (0.1 * 0.9 / 1000) ** 0.5)
    worse = make_comparison(same_errors=(12.0, 12.3, 11.9, 12.2, 12.1)).glue()
    assert worse["keras_same_vs_graph"] == "significant"
    near = make_comparison(same_errors=(10.1, 10.1, 9.9, 10.2, 9.8)).glue()  # one digit
    assert near["keras_same_vs_graph"] == "within noise"


def test_output_comparison():
    sigmoid = (10.0, 10.1, 9.9, 10.2, 9.8)
    softmax = (6.0, 6.2, 5.9, 6.1, 6.0)
    outputs = comparison.OutputComparison(
        sigmoid_lowlevel=row("low-level", 0.1, sigmoid),
        sigmoid_keras=row("Keras", 0.2, sigmoid),
        softmax_lowlevel=row("low-level, softmax + cross-entropy", 0.1, softmax),
        softmax_keras=row("Keras, softmax + cross-entropy", 0.2, softmax),
        sigmoid_learning_rate=3.0,
        softmax_learning_rate=0.5,
        n_test=1000,
    )
    comment = outputs.comment()
    assert comment.count("significant (") == 2
    same_digits = "identical on every test digit: the same digits right and wrong for every seed"
    assert comment.endswith(f"{same_digits} (the trained weights are not the same bit for bit).")
    assert "low-level: -3.96 ± " in comment
    glued = outputs.glue()
    assert glued["softmax_keras_test_error"] == pytest.approx(6.04)
    assert glued["softmax_vs_sigmoid_lowlevel"] == "significant"
    frame = outputs.table()
    assert list(frame.index) == ["low-level", "Keras"] * 2
    assert frame["test error, mean ± std"].iloc[2] == "6.04 ± 0.11 %"


def test_machine_names_cpu_and_threads():
    facts = comparison.machine()
    assert "cores" in facts["keras_machine"] and "intra-op" in facts["keras_threads"]
    assert np.all([isinstance(v, str) for v in facts.values()])


def test_rate_sweep_says_where_the_chosen_rate_sits():
    sweep = comparison.rate_sweep("softmax", 0.5, {0.1: 12.0, 0.5: 7.5, 1: 7.7, 2: 71.0, 4: 80.0})
    assert (sweep.best, sweep.fails) == (0.5, 2.0)
    assert sweep.sentence() == (
        "softmax: rate 0.5 is the best of the grid (7.5 %); from 2 on, training fails "
        "(validation error above 50 %)"
    )
    behind = comparison.rate_sweep("sigmoid", 3, {1: 17.0, 3: 12.1, 6: 10.4})
    assert behind.best == 6.0 and math.isnan(behind.fails)
    assert behind.sentence() == "sigmoid: rate 3 is 1.7 points behind the best, 6 (12.1 %)"
    assert behind.glue()["sigmoid_rate_chosen_error"] == 12.1
    tie = comparison.rate_sweep("softmax", 1, {1: 7.5, 0.5: 7.5})
    assert tie.best == 0.5  # the smaller rate on a tie
    frame = comparison.rate_table([sweep, behind])
    assert frame.loc[6.0, "sigmoid: validation error (%)"] == 10.4
    assert math.isnan(frame.loc[6.0, "softmax: validation error (%)"])
    with pytest.raises(ValueError, match=r"the chosen rate 0\.3 is not in the grid"):
        comparison.rate_sweep("softmax", 0.3, {0.1: 12.0})
