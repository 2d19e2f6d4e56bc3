"""What the low-level chapter reports about its runs: summaries, statistics and verdicts.

Each function computes one result object, a small frozen dataclass; its ``glue()`` method gives
the values the page prints, under the page's glue keys. The verdict sentences are computed
here, from the numbers, never typed.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from pw06 import lowlevel_mlp as ll
from pw06 import training, uncertainty
from pw06.tf_quiet import load

tf = load()

#: The lab's expectation for Exercise 3 c): a test error of about 8–12 % (percent).
LAB_BAND = (8.0, 12.0)
#: Published reference: the test error (percent) of a 2-layer network with 300 hidden units
#: trained with the MSE on the full MNIST (60,000 training digits, no preprocessing) — LeCun,
#: Bottou, Bengio, Haffner (1998), "Gradient-based learning applied to document recognition",
#: Proc. IEEE 86(11); also in the table of yann.lecun.com/exdb/mnist.
LECUN_1998_MSE_300 = 4.7


def _prefixed(prefix: str, values: dict) -> dict[str, object]:
    """``values`` under glue keys ``<prefix>_<name>`` (a ``prefix`` entry itself is left out)."""
    return {f"{prefix}_{k}": v for k, v in values.items() if k != "prefix"}


@dataclass(frozen=True)
class DatasetFacts:
    """The data set in numbers."""

    name: str
    train_size: int
    test_size: int
    features: int
    classes: int

    def glue(self) -> dict[str, object]:
        return _prefixed("dataset", asdict(self))


def dataset_facts(digits) -> DatasetFacts:
    """Name, sizes, features and classes of a :class:`pw06.data.Digits`."""
    return DatasetFacts(
        name=digits.name,
        train_size=len(digits.y_train),
        test_size=len(digits.y_test),
        features=int(digits.n_features),
        classes=int(digits.n_classes),
    )


@dataclass(frozen=True)
class SeedSummary:
    """The test error of runs over seeds, and the first run's training time."""

    prefix: str
    seeds: int
    test_error: float  # the first seed's run
    test_error_mean: float
    test_error_std: float  # sample standard deviation over the seeds
    test_error_min: float
    test_error_max: float
    train_cpu_seconds: float  # the first run, tracing included
    train_wall_seconds: float

    def glue(self) -> dict[str, object]:
        return _prefixed(self.prefix, asdict(self))


def summarize_seeds(runs, prefix: str) -> SeedSummary:
    """Mean, spread and range of the final test error of ``runs`` (one per seed)."""
    errors = [run.final_test_error for run in runs]
    timing = runs[0].timing()
    return SeedSummary(
        prefix=prefix,
        seeds=len(runs),
        test_error=errors[0],
        test_error_mean=statistics.fmean(errors),
        test_error_std=uncertainty.sample_std(errors),
        test_error_min=min(errors),
        test_error_max=max(errors),
        train_cpu_seconds=timing.total_cpu,
        train_wall_seconds=timing.total_wall,
    )


def runs_table(runs) -> pd.DataFrame:
    """One row per seed: final training loss, training and test error, and how much each
    error changed in the last epoch (negative: still falling)."""
    return pd.DataFrame(
        {
            "seed": [run.seed for run in runs],
            "training loss": [run.loss[-1] for run in runs],
            "training error (%)": [run.train_error[-1] for run in runs],
            "test error (%)": [run.final_test_error for run in runs],
            "Δ training error, last epoch": [_last_change(r.train_error) for r in runs],
            "Δ test error, last epoch": [_last_change(r.test_error) for r in runs],
        }
    ).set_index("seed")


def _last_change(values) -> float:
    """The change of the last value from the one before (NaN with a single value)."""
    return values[-1] - values[-2] if len(values) > 1 else float("nan")


def band_position(value: float, band=LAB_BAND) -> str:
    """Where ``value`` lies against the interval ``band``: 'inside', 'below' or 'above'."""
    low, high = band
    return "below" if value < low else "above" if value > high else "inside"


@dataclass(frozen=True)
class LabRuns:
    """The lab configuration of the runs, their tracing, and how their loss and errors went."""

    hidden_units: int
    learning_rate: float
    batch_size: int
    epochs: int
    steps_per_epoch: int
    trace_seconds: float  # tracing the epoch graph, once, in the first run: wall time
    trace_cpu_seconds: float  # the same tracing in CPU time (the process, all threads)
    loss_decreasing_runs: int  # runs whose training loss fell after every epoch
    final_gap: float  # test minus training error after the last epoch, mean over runs
    falling_runs: int  # runs whose training error fell in the last epoch
    last_epoch_train_drop: float  # how much the training error fell in the last epoch, mean
    last_epoch_test_drop: float  # the same for the test error
    lab_band_low: float
    lab_band_high: float
    band_position: str  # the mean test error against the lab's band: inside, below, above
    test_error_binomial_se: float  # of one run's test error, at the mean error, points
    seed_spread_vs_binomial: str  # 'smaller than' or 'larger than'
    lecun_test_error: float  # published, for comparison (see LECUN_1998_MSE_300)
    seed_list: str  # the seeds of the runs, e.g. '0, 1, 2, 3, 4'

    def glue(self) -> dict[str, object]:
        return _prefixed("lowlevel", asdict(self))


def lab_runs(runs, config: dict, n_test: int) -> LabRuns:
    """Configuration, tracing and progress of ``runs`` trained with ``config`` and scored on
    ``n_test`` test examples: are the errors still falling after the last epoch, where the
    mean error lies against the lab's band, and how large the test set's binomial standard
    error is against the seed-to-seed spread."""
    first = runs[0]
    decreasing = sum(bool(np.all(np.diff([run.initial_loss, *run.loss]) < 0)) for run in runs)
    train_drop = [-_last_change(run.train_error) for run in runs]
    test_drop = [-_last_change(run.test_error) for run in runs]
    errors = [run.final_test_error for run in runs]
    se = uncertainty.binomial_se(statistics.fmean(errors), n_test)
    return LabRuns(
        hidden_units=int(config["n_hidden"]),
        learning_rate=float(config["learning_rate"]),
        batch_size=int(config["batch_size"]),
        epochs=int(config["epochs"]),
        steps_per_epoch=len(first.step_loss) // len(first.learning_rate),
        trace_seconds=first.trace_seconds,
        trace_cpu_seconds=first.trace_cpu,
        loss_decreasing_runs=decreasing,
        final_gap=statistics.fmean(run.test_error[-1] - run.train_error[-1] for run in runs),
        falling_runs=sum(drop > 0 for drop in train_drop),
        last_epoch_train_drop=statistics.fmean(train_drop),
        last_epoch_test_drop=statistics.fmean(test_drop),
        lab_band_low=LAB_BAND[0],
        lab_band_high=LAB_BAND[1],
        band_position=band_position(statistics.fmean(errors)),
        test_error_binomial_se=se,
        seed_spread_vs_binomial=(
            "smaller than" if uncertainty.sample_std(errors) < se else "larger than"
        ),
        lecun_test_error=LECUN_1998_MSE_300,
        seed_list=", ".join(str(run.seed) for run in runs),
    )


@dataclass(frozen=True)
class PlateauRuns:
    """Runs trained until the validation error reached a plateau (``training.Plateau``)."""

    patience: int
    max_epochs: int
    min_improvement: float  # points a new best must gain to reset the patience
    train_size: int  # training digits left after the validation split
    validation_size: int
    epochs: float  # mean over seeds of the epoch of the lowest validation error
    epochs_min: int
    epochs_max: int
    stopped_runs: int  # runs stopped by the plateau rule (the others by the cap)
    validation_error_mean: float  # at the best epoch
    validation_binomial_se: float  # of one validation error, at that mean, points
    test_error_mean: float  # at the best epoch, mean over seeds
    test_error_std: float
    test_error_min: float
    test_error_max: float
    test_error_binomial_se: float  # of one run's test error, at the mean, points
    lab_gain: float  # the lab runs' mean test error minus this one, points
    lecun_gap: float  # this mean test error minus the published one, points

    def glue(self) -> dict[str, object]:
        return _prefixed("lowlevel_plateau", asdict(self))


def plateau_runs(runs, rule: training.Plateau, lab, n_test: int) -> PlateauRuns:
    """Summary of ``runs`` from ``training.fit_to_plateau`` with ``rule``: how many epochs the
    plateau took and the test error there, against the final test errors of the ``lab`` runs
    (the lab configuration); ``n_test`` test examples."""
    best = [run.best_epoch for run in runs]
    errors = [run.test_error_at_best for run in runs]
    mean = statistics.fmean(errors)
    validation = statistics.fmean(run.validation_error[run.best_epoch - 1] for run in runs)
    return PlateauRuns(
        patience=rule.patience,
        max_epochs=rule.max_epochs,
        min_improvement=float(rule.min_improvement),
        train_size=runs[0].train_examples,
        validation_size=runs[0].validation_examples,
        epochs=statistics.fmean(best),
        epochs_min=min(best),
        epochs_max=max(best),
        stopped_runs=sum(rule.reached(run.validation_error) for run in runs),
        validation_error_mean=validation,
        validation_binomial_se=uncertainty.binomial_se(validation, runs[0].validation_examples),
        test_error_mean=mean,
        test_error_std=uncertainty.sample_std(errors),
        test_error_min=min(errors),
        test_error_max=max(errors),
        test_error_binomial_se=uncertainty.binomial_se(mean, n_test),
        lab_gain=statistics.fmean(_errors(lab)) - mean,
        lecun_gap=mean - LECUN_1998_MSE_300,
    )


@dataclass(frozen=True)
class Confusions:
    """Which digits a network confuses on the test set."""

    matrix: np.ndarray  # m[i, j]: examples of class i predicted as j
    misclassified: np.ndarray  # indices of the first misclassified examples
    top_confusion_true: int  # the most frequent confusion: true class …
    top_confusion_pred: int  # … predicted as this class …
    top_confusion_count: int  # … this many times
    worst_class: int  # the class with the highest error rate
    worst_class_error: float  # its error rate, percent

    def glue(self) -> dict[str, object]:
        values = {k: v for k, v in asdict(self).items() if k not in ("matrix", "misclassified")}
        values["misclassified_shown"] = len(self.misclassified)
        return _prefixed("lowlevel", values)


def confusions(labels, predicted, n_classes: int, shown: int = 30) -> Confusions:
    """The confusion matrix of ``predicted`` against ``labels`` and what stands out in it."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    matrix = training.confusion_matrix(labels, predicted, n_classes)
    off = matrix - np.diag(np.diag(matrix))
    true_k, pred_k = np.unravel_index(np.argmax(off), off.shape)
    per_class = 100.0 * (1 - np.diag(matrix) / np.maximum(matrix.sum(axis=1), 1))
    worst = int(np.argmax(per_class))
    return Confusions(
        matrix=matrix,
        misclassified=np.flatnonzero(predicted != labels)[:shown],
        top_confusion_true=int(true_k),
        top_confusion_pred=int(pred_k),
        top_confusion_count=int(off.max()),
        worst_class=worst,
        worst_class_error=float(per_class[worst]),
    )


def output_gradients(params, x, t, output):
    """∂L/∂Z: the gradient of the loss, summed over the examples, with
    respect to the logits Z (one row per example), for sigmoid + MSE
    or softmax + cross-entropy."""
    z = ll.logits(params, x)
    n = float(len(z))
    with tf.GradientTape() as tape:
        tape.watch(z)
        if output == "sigmoid":  # n × the mean over examples: the sum
            loss = n * ll.mse_loss(tf.sigmoid(z), t)
        else:
            loss = n * ll.cross_entropy_loss(z, t)
    return tape.gradient(loss, z).numpy()


@dataclass(frozen=True)
class GradientScale:
    """How large the error signal ∂L/∂z is for each output and loss, with given weights, and
    what makes the difference: the ratio is the product of the three factors."""

    grad_mse: float  # mean |∂L/∂z|, sigmoid + MSE
    grad_ce: float  # mean |∂L/∂z|, softmax + cross-entropy
    grad_ratio: float  # how many times smaller the first is
    sigma_prime_init: float  # mean σ′(z) = σ(z)(1 − σ(z)) over all outputs
    grad_factor_k: float  # K/2: the MSE's mean over the K outputs, a constant
    grad_factor_sigma: float  # mean |ŷ − t| over mean |(ŷ − t) σ′|, sigmoid outputs
    grad_factor_outputs: float  # mean |ŷ − t|, softmax over sigmoid outputs

    def glue(self) -> dict[str, object]:
        return _prefixed("lowlevel", asdict(self))


def gradient_scale(params, x, t) -> GradientScale:
    """Mean |∂L/∂z| of both losses for the network ``params`` on inputs and one-hot targets,
    and the ratio split into factors: ∂L/∂z = (2/K)(ŷ − t)σ′ for sigmoid + MSE, ŷ − t for
    softmax + cross-entropy, so the ratio is (K/2) × the σ′ part × the outputs' part."""
    mse = float(np.abs(output_gradients(params, x, t, "sigmoid")).mean())
    ce = float(np.abs(output_gradients(params, x, t, "softmax")).mean())
    t = np.asarray(t, dtype=np.float32)
    y = ll.forward(params, x).numpy()
    y_soft = ll.forward_softmax(params, x).numpy()
    error_sigmoid = float(np.abs(y - t).mean())
    damped = float(np.abs((y - t) * y * (1 - y)).mean())
    return GradientScale(
        grad_mse=mse,
        grad_ce=ce,
        grad_ratio=ce / mse,
        sigma_prime_init=float((y * (1 - y)).mean()),
        grad_factor_k=t.shape[1] / 2,
        grad_factor_sigma=error_sigmoid / damped,
        grad_factor_outputs=float(np.abs(y_soft - t).mean()) / error_sigmoid,
    )


@dataclass(frozen=True)
class Damping:
    """On the training examples a trained network still gets wrong: its correct class's output
    and the σ′ that scales that output's correction."""

    wrong: int  # misclassified training examples
    target_output_wrong: float  # mean output of their correct class
    sigma_prime_wrong: float  # mean σ′ of that output (at most 0.25)

    def glue(self) -> dict[str, object]:
        return _prefixed("lowlevel", {k: v for k, v in asdict(self).items() if k != "wrong"})


def damping(params, x, labels) -> Damping:
    """How much σ′ damps the correction of the misclassified examples of ``x``."""
    labels = ll.check_labels(labels, params, len(x), "labels")
    y = ll.forward(params, x).numpy()
    target = y[np.arange(len(y)), labels]  # the output of the correct class
    wrong = np.argmax(y, axis=1) != labels
    return Damping(
        wrong=int(wrong.sum()),
        target_output_wrong=float(target[wrong].mean()) if wrong.any() else float("nan"),
        sigma_prime_wrong=float((target * (1 - target))[wrong].mean())
        if wrong.any()
        else float("nan"),
    )


@dataclass(frozen=True)
class ScheduleComparison:
    """Runs with a piecewise-constant schedule against two controls with the same seeds: a
    constant rate equal to the schedule's first (high) rate, and one equal to its last (low)."""

    boundary: int
    first_rate: float
    second_rate: float
    schedule_test_error: float  # mean over seeds
    schedule_test_error_std: float
    constant_high_test_error: float
    constant_high_test_error_std: float
    constant_low_test_error: float
    constant_low_test_error_std: float
    vs_high: str  # schedule − constant high rate: uncertainty.WITHIN_NOISE or SIGNIFICANT
    vs_low: str
    verdict: str

    def glue(self) -> dict[str, object]:
        values = asdict(self)
        keys = {
            "boundary": "lowlevel_schedule_boundary",
            "first_rate": "lowlevel_schedule_first_rate",
            "second_rate": "lowlevel_schedule_second_rate",
            "schedule_test_error": "lowlevel_schedule_test_error",
            "schedule_test_error_std": "lowlevel_schedule_test_error_std",
            "vs_high": "lowlevel_schedule_vs_high",
            "vs_low": "lowlevel_schedule_vs_low",
            "verdict": "lowlevel_schedule_verdict",
        }
        return {keys.get(k, f"schedule_{k}"): v for k, v in values.items()}


def _errors(runs) -> list[float]:
    return [run.final_test_error for run in runs]


def compare_schedule(
    constant_low, constant_high, scheduled, schedule: ll.PiecewiseConstant, n_test: int
) -> ScheduleComparison:
    """Compare the final test errors of ``scheduled`` runs with both controls (same seeds,
    paired), scored on ``n_test`` examples, and say what the differences show."""
    low, high, sched = _errors(constant_low), _errors(constant_high), _errors(scheduled)
    vs_low = uncertainty.paired_difference(low, sched, n_test)
    vs_high = uncertainty.paired_difference(high, sched, n_test)
    first, last = float(schedule.values[0]), float(schedule.values[-1])
    parts = [
        f"Schedule minus constant {last:g}: {vs_low.describe()}, {vs_low.judgement()}. ",
        f"Schedule minus constant {first:g}: {vs_high.describe()}, {vs_high.judgement()}. ",
        f"(Noise: the binomial standard error of the test set, {vs_low.noise:.2f} points.) ",
        _schedule_conclusion(vs_low, vs_high, first, last),
    ]
    return ScheduleComparison(
        boundary=int(schedule.boundaries[0]),
        first_rate=first,
        second_rate=float(schedule.values[1]),
        schedule_test_error=statistics.fmean(sched),
        schedule_test_error_std=uncertainty.sample_std(sched),
        constant_high_test_error=statistics.fmean(high),
        constant_high_test_error_std=uncertainty.sample_std(high),
        constant_low_test_error=statistics.fmean(low),
        constant_low_test_error_std=uncertainty.sample_std(low),
        vs_high=vs_high.verdict,
        vs_low=vs_low.verdict,
        verdict="".join(parts),
    )


def _schedule_conclusion(vs_low, vs_high, first: float, last: float) -> str:
    """What the two paired comparisons allow one to conclude, in one sentence."""
    significant = uncertainty.SIGNIFICANT
    beats_low = vs_low.verdict == significant and vs_low.mean < 0
    beats_high = vs_high.verdict == significant and vs_high.mean < 0
    if beats_low and beats_high:
        return (
            "The schedule beats both constant rates beyond the noise: decaying the rate helps "
            "more than a larger rate alone."
        )
    if beats_low and vs_high.verdict != significant:
        return (
            f"The schedule beats the constant {last:g} but not the constant {first:g}: the gain "
            "comes from the larger early rate, not from the decay."
        )
    if vs_low.verdict != significant and vs_high.verdict != significant:
        return (
            "No difference exceeds the noise: these runs do not show that the schedule helps "
            "or hurts."
        )
    phrases = [
        (f"{'better' if d.mean < 0 else 'worse'} than" if d.verdict == significant else
         "within noise of") + f" the constant {r:g}"
        for r, d in ((last, vs_low), (first, vs_high))
    ]  # fmt: skip
    return f"The schedule is {' and '.join(phrases)}."


def schedule_table(constant_low, constant_high, scheduled) -> pd.DataFrame:
    """The learning rate of each epoch and the final test errors of the three variants."""
    high_label = f"constant {constant_high[0].learning_rate[0]:g}"
    low_label = f"constant {constant_low[0].learning_rate[0]:g}"
    variants = {low_label: constant_low, high_label: constant_high, "schedule": scheduled}
    table = pd.DataFrame(
        {name: [f"{v:g}" for v in runs[0].learning_rate] for name, runs in variants.items()},
        index=pd.RangeIndex(1, len(scheduled[0].learning_rate) + 1, name="epoch"),
    ).T
    errors = {name: _errors(runs) for name, runs in variants.items()}
    table["test error, mean ± std"] = [
        f"{statistics.fmean(e):.2f} ± {uncertainty.sample_std(e):.2f} %" for e in errors.values()
    ]
    table["per seed (%)"] = [", ".join(f"{v:.1f}" for v in e) for e in errors.values()]
    return table


@dataclass(frozen=True)
class EpochGraph:
    """What the traced epoch graph holds: its loops, conditionals and parameter updates."""

    while_loops: int  # While ops, in the graph and its functions
    conditionals: int  # If ops, in the graph and its functions
    updates_per_step: int  # AssignSubVariableOp in the loop body
    sigmoid_ops: int
    softmax_ops: int

    def glue(self) -> dict[str, object]:
        return _prefixed("lowlevel_graph", asdict(self))


def epoch_graph_facts(run_epoch) -> EpochGraph:
    """Count the operations of the graph traced from ``run_epoch`` (``training.epoch_graph``):
    AutoGraph's loop, any conditional, the updates of one step."""
    graph = run_epoch.get_concrete_function().graph.as_graph_def()
    bodies = [f for f in graph.library.function if "body" in f.signature.name]
    ops = [n.op for n in graph.node] + [n.op for f in graph.library.function for n in f.node_def]
    body_ops = [n.op for f in bodies for n in f.node_def]
    return EpochGraph(
        while_loops=sum(op in ("While", "StatelessWhile") for op in ops),
        conditionals=sum(op in ("If", "StatelessIf") for op in ops),
        updates_per_step=body_ops.count("AssignSubVariableOp"),
        sigmoid_ops=ops.count("Sigmoid"),
        softmax_ops=ops.count("Softmax") + ops.count("SoftmaxCrossEntropyWithLogits"),
    )
