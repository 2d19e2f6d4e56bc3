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
from pw06 import training
from pw06.tf_quiet import load

tf = load()


def _prefixed(prefix: str, values: dict) -> dict[str, object]:
    """``values`` under glue keys ``<prefix>_<name>`` (a ``prefix`` entry itself is left out)."""
    return {f"{prefix}_{k}": v for k, v in values.items() if k != "prefix"}


def _std(values) -> float:
    """Sample standard deviation (0 for a single value)."""
    return statistics.stdev(values) if len(values) > 1 else 0.0


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
    converged_runs: int
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
        test_error_std=_std(errors),
        test_error_min=min(errors),
        test_error_max=max(errors),
        converged_runs=sum(run.converged for run in runs),
        train_cpu_seconds=timing.total_cpu,
        train_wall_seconds=timing.total_wall,
    )


def runs_table(runs) -> pd.DataFrame:
    """One row per seed: final training loss, training and test error, convergence."""
    return pd.DataFrame(
        {
            "seed": [run.seed for run in runs],
            "training loss": [run.loss[-1] for run in runs],
            "training error (%)": [run.train_error[-1] for run in runs],
            "test error (%)": [run.final_test_error for run in runs],
            "converged": [run.converged for run in runs],
        }
    ).set_index("seed")


@dataclass(frozen=True)
class LabRuns:
    """The lab configuration of the runs, their tracing, and how their loss and errors went."""

    hidden_units: int
    learning_rate: float
    batch_size: int
    epochs: int
    steps_per_epoch: int
    trace_seconds: float  # tracing the epoch graph, once, in the first run
    loss_decreasing_runs: int  # runs whose training loss fell after every epoch
    final_gap: float  # test minus training error after the last epoch, mean over runs
    converged_loss_fraction: float = training.CONVERGED_LOSS_FRACTION
    converged_max_error: float = training.CONVERGED_MAX_TRAIN_ERROR

    def glue(self) -> dict[str, object]:
        return _prefixed("lowlevel", asdict(self))


def lab_runs(runs, config: dict) -> LabRuns:
    """Configuration, tracing and convergence of ``runs`` trained with ``config``."""
    first = runs[0]
    decreasing = sum(bool(np.all(np.diff([run.initial_loss, *run.loss]) < 0)) for run in runs)
    return LabRuns(
        hidden_units=int(config["n_hidden"]),
        learning_rate=float(config["learning_rate"]),
        batch_size=int(config["batch_size"]),
        epochs=int(config["epochs"]),
        steps_per_epoch=len(first.step_loss) // len(first.learning_rate),
        trace_seconds=first.trace_seconds,
        loss_decreasing_runs=decreasing,
        final_gap=statistics.fmean(run.test_error[-1] - run.train_error[-1] for run in runs),
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
    """How large the error signal ∂L/∂z is for each output and loss, with given weights."""

    grad_mse: float  # mean |∂L/∂z|, sigmoid + MSE
    grad_ce: float  # mean |∂L/∂z|, softmax + cross-entropy
    grad_ratio: float  # how many times smaller the first is
    sigma_prime_init: float  # mean σ′(z) = σ(z)(1 − σ(z)) over all outputs

    def glue(self) -> dict[str, object]:
        return _prefixed("lowlevel", asdict(self))


def gradient_scale(params, x, t) -> GradientScale:
    """Mean |∂L/∂z| of both losses for the network ``params`` on inputs and one-hot targets."""
    mse = float(np.abs(output_gradients(params, x, t, "sigmoid")).mean())
    ce = float(np.abs(output_gradients(params, x, t, "softmax")).mean())
    y = ll.forward(params, x).numpy()
    return GradientScale(
        grad_mse=mse, grad_ce=ce, grad_ratio=ce / mse, sigma_prime_init=float((y * (1 - y)).mean())
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
    """Runs with a piecewise-constant schedule against the same runs at a constant rate."""

    schedule_boundary: int
    schedule_first_rate: float
    schedule_second_rate: float
    schedule_test_error: float  # mean over seeds
    schedule_test_error_std: float
    schedule_verdict: str

    def glue(self) -> dict[str, object]:
        return _prefixed("lowlevel", asdict(self))


def compare_schedule(constant, scheduled, schedule: ll.PiecewiseConstant) -> ScheduleComparison:
    """Compare the final test errors of ``scheduled`` and ``constant`` runs (same seeds), and
    say in a sentence whether the difference is larger than the seed-to-seed spread."""
    a = [run.final_test_error for run in constant]
    b = [run.final_test_error for run in scheduled]
    mean_a, mean_b = statistics.fmean(a), statistics.fmean(b)
    difference, spread = mean_b - mean_a, max(_std(a), _std(b))
    lower = sum(y < x for x, y in zip(a, b, strict=True))
    verdict = (
        f"With the schedule the mean test error is {mean_b:.2f}% instead of {mean_a:.2f}%: "
        f"{'lower' if difference < 0 else 'higher'} by {abs(difference):.2f} points, "
        + ("more than" if abs(difference) > spread else "within")
        + f" the seed-to-seed standard deviation ({spread:.2f} points); seed by seed it is "
        f"lower for {lower} of the {len(a)} seeds."
    )
    return ScheduleComparison(
        schedule_boundary=int(schedule.boundaries[0]),
        schedule_first_rate=float(schedule.values[0]),
        schedule_second_rate=float(schedule.values[1]),
        schedule_test_error=mean_b,
        schedule_test_error_std=_std(b),
        schedule_verdict=verdict,
    )


def schedule_table(constant, scheduled) -> pd.DataFrame:
    """The learning rate of each epoch and the final test errors, constant rate vs schedule."""
    both = {"constant rate": constant, "schedule": scheduled}
    table = pd.DataFrame(
        {name: [f"{v:g}" for v in runs[0].learning_rate] for name, runs in both.items()},
        index=pd.RangeIndex(1, len(constant[0].learning_rate) + 1, name="epoch"),
    ).T
    errors = {name: [run.final_test_error for run in runs] for name, runs in both.items()}
    table["test error (%), mean ± std"] = [
        f"{statistics.fmean(e):.2f} ± {_std(e):.2f}" for e in errors.values()
    ]
    table["per seed"] = [", ".join(f"{v:.1f}" for v in e) for e in errors.values()]
    return table
