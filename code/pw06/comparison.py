"""The fair comparison of Exercise 4: the Keras MLP against the low-level one, in numbers.

Result objects are small frozen dataclasses; ``glue()`` gives what the Keras chapter prints,
under its glue keys. Every comparative sentence is computed here from the measurements: "faster"
only when the timings' ranges do not overlap; "identical (bit for bit)", "significant" or
"within noise" for accuracy by :func:`pw06.uncertainty.paired_difference` (McNemar's exact test
on the test digits the two variants disagree on, pooled over the seeds, at 95 % confidence).
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from pw06 import environment, uncertainty
from pw06.tf_quiet import load

tf = load()


@dataclass(frozen=True)
class BatchSteps:
    """Updates per epoch with Keras's default batch size and with the low-level one."""

    default_batch_size: int
    default_steps: int
    lowlevel_steps: int

    def glue(self) -> dict[str, object]:
        return {f"keras_{k}": v for k, v in asdict(self).items()}


def batch_steps(n_examples: int, default_batch: int, batch_size: int) -> BatchSteps:
    """Steps per epoch over ``n_examples`` at Keras's default batch and at ``batch_size``."""
    return BatchSteps(default_batch, -(-n_examples // default_batch), -(-n_examples // batch_size))


@dataclass(frozen=True)
class SameModel:
    """Parameters of the three builds of the MLP, and how far apart their outputs are."""

    sequential_params: int
    functional_params: int
    lowlevel_params: int
    max_abs_diff_apis: float  # Functional vs Sequential outputs
    max_abs_diff_lowlevel: float  # low-level vs Sequential outputs

    def glue(self) -> dict[str, object]:
        verdicts = {
            "keras_apis_outputs": uncertainty.outputs_verdict(self.max_abs_diff_apis),
            "keras_lowlevel_outputs": uncertainty.outputs_verdict(self.max_abs_diff_lowlevel),
        }
        return {f"keras_{k}": v for k, v in asdict(self).items()} | verdicts

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "parameters": [
                    self.sequential_params,
                    self.functional_params,
                    self.lowlevel_params,
                ],
                "max |output − Sequential's|": [
                    0.0,
                    self.max_abs_diff_apis,
                    self.max_abs_diff_lowlevel,
                ],
            },
            index=["Sequential", "Functional", "low-level"],
        )


def same_model(sequential, functional, forward, params, x) -> SameModel:
    """The Keras models against the low-level ``forward(params, x)``,
    on inputs ``x``."""
    reference = sequential(x).numpy()
    apis = np.abs(functional(x).numpy() - reference).max()
    lowlevel = np.abs(forward(params, x).numpy() - reference).max()
    return SameModel(
        sequential_params=int(sequential.count_params()),
        functional_params=int(functional.count_params()),
        lowlevel_params=int(sum(np.prod(p.shape) for p in params)),
        max_abs_diff_apis=float(apis),
        max_abs_diff_lowlevel=float(lowlevel),
    )


@dataclass(frozen=True)
class Row:
    """One implementation in the comparison, over its runs (one per seed)."""

    implementation: str
    batch_size: int
    first_epoch_seconds: float  # tracing + the first run's first epoch, wall (the warm-up)
    timed_epochs: int  # epochs timed after the warm-up: the repeats of the timing
    wall_per_epoch: float  # median over the timed epochs, seconds
    wall_min: float
    wall_max: float
    cpu_per_epoch: float  # median over the timed epochs, CPU seconds (all threads)
    cpu_min: float
    cpu_max: float
    cpu_per_run: float  # mean over the runs: CPU of tracing and of every epoch
    test_error: float  # mean over the runs, percent
    test_error_std: float  # sample standard deviation over the runs
    errors: tuple[float, ...]  # the test error of each run, in seed order
    seeds: tuple[int, ...]
    # per run and test digit, True where right (one row per seed): for paired comparisons
    correct: np.ndarray | None = field(default=None, compare=False, repr=False)
    weights: tuple[str, ...] = ()  # each run's weights digest (training.weights_digest)


def timed_epochs(runs, times: str) -> list[float]:
    """The timed repeats among the ``times`` ("wall" or "cpu") of
    ``runs``: every epoch but the first run's first (the warm-up, with
    the tracing) and, in every run, the epochs that include set-up
    (``Run.setup_epochs``: Keras's ``fit``). All epochs if none is left.
    """
    timed = []
    for i, run in enumerate(runs):
        skipped = max(run.setup_epochs, 1 if i == 0 else 0)
        timed += getattr(run, times)[skipped:]
    return timed or list(getattr(runs[0], times))


def correctness(runs) -> np.ndarray | None:
    """Per-digit correctness of ``runs`` (one row per run), or None if a run has none."""
    if any(run.test_correct is None for run in runs):
        return None
    return np.stack([np.asarray(run.test_correct, dtype=bool) for run in runs])


def summarize(label: str, runs) -> Row:
    """One row of the comparison: the first run's first epoch (with tracing) is the warm-up;
    every later epoch of every run is one timed repeat, except epochs with set-up
    (:func:`timed_epochs`) — median and range per epoch, wall and CPU apart; CPU per run
    (mean); the test error of each run, its mean and spread."""
    first = runs[0].timing()
    wall, cpu = timed_epochs(runs, "wall"), timed_epochs(runs, "cpu")
    errors = tuple(run.final_test_error for run in runs)
    return Row(
        implementation=label,
        batch_size=runs[0].batch_size,
        first_epoch_seconds=first.trace_seconds + first.first_wall,
        timed_epochs=len(wall),
        wall_per_epoch=statistics.median(wall),
        wall_min=min(wall),
        wall_max=max(wall),
        cpu_per_epoch=statistics.median(cpu),
        cpu_min=min(cpu),
        cpu_max=max(cpu),
        cpu_per_run=statistics.fmean(run.timing().total_cpu for run in runs),
        test_error=statistics.fmean(errors),
        test_error_std=uncertainty.sample_std(errors),
        errors=errors,
        seeds=tuple(run.seed for run in runs),
        correct=correctness(runs),
        weights=tuple(run.weights_digest for run in runs),
    )


def table(rows) -> pd.DataFrame:
    """The rows as a table for the page: one line per implementation, times per epoch in
    milliseconds as median and (min–max) over the timed epochs, errors with their unit."""
    ms = 1000.0
    return pd.DataFrame(
        {
            "batch": [r.batch_size for r in rows],
            "warm-up: tracing + 1st epoch (s, wall)": [
                f"{r.first_epoch_seconds:.2f}" for r in rows
            ],
            "CPU ms / epoch, median (min–max)": [
                f"{ms * r.cpu_per_epoch:.0f} ({ms * r.cpu_min:.0f}–{ms * r.cpu_max:.0f})"
                for r in rows
            ],
            "wall ms / epoch, median (min–max)": [
                f"{ms * r.wall_per_epoch:.0f} ({ms * r.wall_min:.0f}–{ms * r.wall_max:.0f})"
                for r in rows
            ],
            "CPU s / run": [f"{r.cpu_per_run:.2f}" for r in rows],
            "test error, mean ± std": [
                f"{r.test_error:.2f} ± {r.test_error_std:.2f} %" for r in rows
            ],
        },
        index=pd.Index([r.implementation for r in rows], name="implementation"),
    )


def times(a: float, b: float) -> str:
    """How ``a`` seconds compare with ``b`` seconds: '×r faster' or '×r slower'."""
    return f"{b / a:.1f}× faster" if a < b else f"{a / b:.1f}× slower"


def cpu_verdict(a: Row, b: Row, name_a: str, name_b: str) -> str:
    """How ``a``'s CPU time per epoch compares with ``b``'s, as a
    clause: faster or slower only when their min–max ranges over the
    timed epochs do not overlap."""
    ratio = a.cpu_per_epoch / b.cpu_per_epoch
    apart = a.cpu_max < b.cpu_min or b.cpu_max < a.cpu_min
    if apart:
        how = times(a.cpu_per_epoch, b.cpu_per_epoch)
        note = f"(ratio {ratio:.2f}; their ranges do not overlap)"
        return f"{name_a} is {how} than {name_b} {note}"
    note = f"(ratio {ratio:.2f}; their ranges overlap)"
    return f"{name_a} and {name_b} are not clearly different {note}"


def paired(a: Row, b: Row) -> uncertainty.PairedDifference:
    """``b``'s test error minus ``a``'s, digit by digit over the same seeds and test digits
    (:func:`pw06.uncertainty.paired_difference`); identical when every seed's trained weights
    are the same, bit for bit."""
    if a.seeds != b.seeds:
        raise ValueError(f"a paired comparison needs the same seeds, got {a.seeds} and {b.seeds}")
    if a.correct is None or b.correct is None:
        message = "a paired comparison needs each run's per-digit correctness"
        raise ValueError(f"{message} (Run.test_correct): train the runs with test data")
    same = bool(a.weights) and all(a.weights) and a.weights == b.weights
    return uncertainty.paired_difference(a.correct, b.correct, identical_weights=same)


def accuracy_sentence(a: Row, b: Row) -> str:
    """``a`` against ``b`` (same seeds, same test digits): the paired difference of their test
    errors and its verdict (:func:`paired`)."""
    difference = paired(b, a)
    return (
        f"{a.implementation} ({a.test_error:.2f} %) minus {b.implementation} "
        f"({b.test_error:.2f} %): {difference.describe()}, {difference.judgement()}"
    )


@dataclass(frozen=True)
class Comparison:
    """The four ways to train the same network, side by side, and what they show."""

    step: Row  # low-level: Python loop calling a tf.function step (the student's loop)
    graph: Row  # low-level epoch compiled with tf.function (the optimised row)
    keras_default: Row  # Keras fit, default batch size, Keras's shuffling
    keras_same: Row  # Keras fit, the low-level batch size and order
    default_steps: int  # updates per epoch at Keras's default batch
    same_steps: int  # updates per epoch at the low-level batch
    n_test: int  # test examples every error is measured on

    @property
    def rows(self) -> list[Row]:
        return [self.step, self.graph, self.keras_default, self.keras_same]

    @property
    def same_batch_accuracy(self) -> uncertainty.PairedDifference:
        return paired(self.graph, self.keras_same)

    @property
    def default_batch_accuracy(self) -> uncertainty.PairedDifference:
        return paired(self.graph, self.keras_default)

    def comment(self) -> str:
        """What the measurements say, computed from them."""
        graph, step = self.graph, self.step
        same, default = self.keras_same, self.keras_default
        cpu = {r.implementation: r.cpu_per_epoch for r in self.rows}
        fastest = min(cpu, key=cpu.get)
        whole = "the whole-epoch graph"
        loop = "the Python loop calling a compiled step"
        at_same = f"at batch {same.batch_size}"
        parts = [
            f"Lowest median CPU time per epoch: {fastest}. ",
            "In CPU time per epoch at the same batch size ",
            f"({same.batch_size}): ",
            cpu_verdict(graph, same, whole, "Keras fit"),
            "; ",
            cpu_verdict(step, same, loop, "Keras fit"),
            ". Keras fit at its default batch of ",
            f"{default.batch_size} takes {self.default_steps} instead ",
            f"of {self.same_steps} steps per epoch: ",
            cpu_verdict(default, same, "it", at_same),
            f". Accuracy: {accuracy_sentence(same, graph)}; ",
            f"{accuracy_sentence(default, graph)}.",
        ]
        return "".join(parts)

    @property
    def cpu_ratio(self) -> float:
        """CPU time per epoch, low-level graph ÷ Keras fit at its default batch."""
        return self.graph.cpu_per_epoch / self.keras_default.cpu_per_epoch

    @property
    def same_batch_cpu_ratio(self) -> float:
        """CPU time per epoch, low-level graph ÷ Keras fit at the same batch."""
        return self.graph.cpu_per_epoch / self.keras_same.cpu_per_epoch

    @property
    def step_cpu_ratio(self) -> float:
        """CPU time per epoch, Python loop + compiled step ÷ Keras fit at the same batch."""
        return self.step.cpu_per_epoch / self.keras_same.cpu_per_epoch

    def glue(self) -> dict[str, object]:
        same, default = self.same_batch_accuracy, self.default_batch_accuracy
        return {
            "lowlevel_vs_keras_cpu_ratio": self.cpu_ratio,
            "lowlevel_vs_keras_same_batch_cpu_ratio": self.same_batch_cpu_ratio,
            "lowlevel_step_vs_keras_cpu_ratio": self.step_cpu_ratio,
            "timing_repeats": min(row.timed_epochs for row in self.rows),
            "keras_same_minus_graph": same.mean,
            "keras_same_minus_graph_std": same.std,
            "keras_same_vs_graph": same.verdict,
            "keras_same_vs_graph_discordant": same.discordant,
            "keras_default_minus_graph": default.mean,
            "keras_default_minus_graph_std": default.std,
            "keras_default_vs_graph": default.verdict,
            "keras_default_vs_graph_p": default.p_value,
            "keras_default_vs_graph_discordance": default.discordance,
            "keras_test_error_binomial_se": same.noise,
            "keras_comparison_comment": self.comment(),
        }


def machine() -> dict[str, str]:
    """The machine and TensorFlow's thread settings, for the comparison's caption."""
    intra = tf.config.threading.get_intra_op_parallelism_threads()
    inter = tf.config.threading.get_inter_op_parallelism_threads()
    return {
        "keras_machine": environment.hardware_summary(),
        "keras_threads": f"intra-op {intra or 'TensorFlow default (one per core)'}, "
        f"inter-op {inter or 'TensorFlow default'}",
    }


@dataclass(frozen=True)
class OutputComparison:
    """Sigmoid + MSE against softmax + cross-entropy, in both implementations."""

    sigmoid_lowlevel: Row
    sigmoid_keras: Row
    softmax_lowlevel: Row
    softmax_keras: Row
    sigmoid_learning_rate: float
    softmax_learning_rate: float
    n_test: int

    @property
    def rows(self) -> list[Row]:
        sigmoid = [self.sigmoid_lowlevel, self.sigmoid_keras]
        return [*sigmoid, self.softmax_lowlevel, self.softmax_keras]

    def table(self) -> pd.DataFrame:
        rows = self.rows
        return pd.DataFrame(
            {
                "output + loss": ["sigmoid + MSE"] * 2 + ["softmax + cross-entropy"] * 2,
                "learning rate": [f"{self.sigmoid_learning_rate:g}"] * 2
                + [f"{self.softmax_learning_rate:g}"] * 2,
                "test error, mean ± std": [
                    f"{r.test_error:.2f} ± {r.test_error_std:.2f} %" for r in rows
                ],
                "CPU ms / epoch, median": [f"{1000 * r.cpu_per_epoch:.0f}" for r in rows],
            },
            index=pd.Index(
                [row.implementation.split(", softmax")[0] for row in rows], name="implementation"
            ),
        )

    def differences(self) -> tuple[uncertainty.PairedDifference, ...]:
        """Softmax minus sigmoid, paired over the seeds: low-level, then Keras."""
        pairs = (
            (self.sigmoid_lowlevel, self.softmax_lowlevel),
            (self.sigmoid_keras, self.softmax_keras),
        )
        return tuple(paired(a, b) for a, b in pairs)

    def comment(self) -> str:
        """Does the output layer change the error, after the same epochs, beyond the noise?
        Digit by digit over the seeds: how fast each learns, not where each ends."""
        lowlevel, keras = self.differences()
        return (
            "After the same epochs, softmax + cross-entropy minus sigmoid + MSE, low-level: "
            f"{lowlevel.describe()}, "
            f"{lowlevel.judgement()}; in Keras: {keras.describe()}, {keras.judgement()}. "
            f"{accuracy_sentence(self.softmax_keras, self.softmax_lowlevel)}."
        )

    def glue(self) -> dict[str, object]:
        lowlevel, keras = self.differences()
        return {
            "softmax_lowlevel_test_error": self.softmax_lowlevel.test_error,
            "softmax_keras_test_error": self.softmax_keras.test_error,
            "softmax_lowlevel_test_error_std": self.softmax_lowlevel.test_error_std,
            "softmax_keras_test_error_std": self.softmax_keras.test_error_std,
            "softmax_learning_rate": self.softmax_learning_rate,
            "softmax_minus_sigmoid_lowlevel": lowlevel.mean,
            "softmax_vs_sigmoid_lowlevel": lowlevel.verdict,
            "softmax_vs_sigmoid_keras": keras.verdict,
            "keras_softmax_comment": self.comment(),
        }


#: A validation error above this (percent) means the rate failed: training diverged or
#: saturated (chance is 90 % for ten digits).
FAILED_ERROR = 50.0


@dataclass(frozen=True)
class RateSweep:
    """Validation errors after the same epochs for a grid of learning rates, one output."""

    output: str  # "sigmoid" (+ MSE) or "softmax" (+ cross-entropy)
    chosen: float  # the rate the page trains with
    errors: dict[float, float]  # rate → validation error after the epochs, percent

    @property
    def best(self) -> float:
        """The rate with the lowest validation error (the smaller one on a tie)."""
        return min(self.errors, key=lambda rate: (self.errors[rate], rate))

    @property
    def fails(self) -> float:
        """The smallest rate whose validation error exceeds ``FAILED_ERROR`` (nan: none)."""
        failed = [rate for rate, error in self.errors.items() if error > FAILED_ERROR]
        return min(failed) if failed else float("nan")

    def sentence(self) -> str:
        """Where the chosen rate sits in the grid, computed from the errors."""
        best, chosen = self.best, self.chosen
        errors = self.errors
        where = (
            "the best of the grid"
            if chosen == best
            else f"{errors[chosen] - errors[best]:.1f} points behind the best, {best:g}"
        )
        fails = (
            f"; from {self.fails:g} on, training fails (validation error above "
            f"{FAILED_ERROR:.0f} %)"
            if self.fails == self.fails
            else ""
        )
        return f"{self.output}: rate {chosen:g} is {where} ({errors[chosen]:.1f} %){fails}"

    def glue(self) -> dict[str, object]:
        return {
            f"{self.output}_rate_best": self.best,
            f"{self.output}_rate_fails": self.fails,
            f"{self.output}_rate_chosen_error": self.errors[self.chosen],
            f"{self.output}_rate_comment": self.sentence(),
        }


def rate_sweep(output: str, chosen: float, errors: dict) -> RateSweep:
    """A :class:`RateSweep` from ``training.rate_sweep``'s errors; ``chosen`` must be in it."""
    errors = {float(rate): float(error) for rate, error in errors.items()}
    if float(chosen) not in errors:
        raise ValueError(f"the chosen rate {chosen!r} is not in the grid {sorted(errors)}")
    return RateSweep(output, float(chosen), errors)


def rate_table(sweeps) -> pd.DataFrame:
    """Validation error (percent) by rate, one column per output."""
    return pd.DataFrame(
        {f"{s.output}: validation error (%)": pd.Series(s.errors) for s in sweeps}
    ).rename_axis("learning rate")
