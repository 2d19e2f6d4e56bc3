"""The fair comparison of Exercise 4: the Keras MLP against the low-level one, in numbers.

Result objects are small frozen dataclasses; ``glue()`` gives what the Keras chapter prints,
under its glue keys. Every comparative sentence ("faster", "within the spread") is computed
here from the measurements.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from pw06 import environment
from pw06.tf_quiet import load

tf = load()


def _std(values) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


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
        return {f"keras_{k}": v for k, v in asdict(self).items()}

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
    first_epoch_seconds: float  # tracing + the first run's first epoch, wall
    wall_per_epoch: float  # steady state: median over every other epoch
    cpu_per_epoch: float
    wall_per_run: float  # mean over the runs of all their epochs, tracing included
    cpu_per_run: float
    test_error: float  # mean over the runs, percent
    test_error_std: float  # sample standard deviation over the runs
    runs: int


#: Column titles of the comparison table, and their formats.
COLUMNS = {
    "batch_size": ("batch size", "{:d}"),
    "first_epoch_seconds": ("tracing + first epoch (s)", "{:.3f}"),
    "wall_per_epoch": ("wall s / epoch", "{:.4f}"),
    "cpu_per_epoch": ("CPU s / epoch", "{:.4f}"),
    "wall_per_run": ("wall s / run", "{:.2f}"),
    "cpu_per_run": ("CPU s / run", "{:.2f}"),
    "test_error": ("test error (%)", "{:.2f}"),
    "test_error_std": ("std over seeds", "{:.2f}"),
    "runs": ("runs", "{:d}"),
}


def summarize(label: str, runs) -> Row:
    """One row of the comparison: the first run's first epoch (with tracing) apart, the steady
    state per epoch (median over the later epochs of every run), totals per run (mean), and the
    test error's mean and sample standard deviation over the runs."""
    first = runs[0].timing()
    # Steady state: every epoch but the first run's first (later runs reuse the traced graph).
    wall = runs[0].wall[1:] + [w for run in runs[1:] for w in run.wall] or runs[0].wall
    cpu = runs[0].cpu[1:] + [c for run in runs[1:] for c in run.cpu] or runs[0].cpu
    errors = [run.final_test_error for run in runs]
    return Row(
        implementation=label,
        batch_size=runs[0].batch_size,
        first_epoch_seconds=first.trace_seconds + first.first_wall,
        wall_per_epoch=statistics.median(wall),
        cpu_per_epoch=statistics.median(cpu),
        wall_per_run=statistics.fmean(run.timing().total_wall for run in runs),
        cpu_per_run=statistics.fmean(run.timing().total_cpu for run in runs),
        test_error=statistics.fmean(errors),
        test_error_std=_std(errors),
        runs=len(runs),
    )


def table(rows) -> pd.DataFrame:
    """The rows as a table, one line per implementation, with readable column titles."""
    frame = pd.DataFrame([asdict(row) for row in rows]).set_index("implementation")
    return frame.rename(columns={k: title for k, (title, _) in COLUMNS.items()})


def styled(rows):
    """:func:`table`, formatted for display."""
    formats = {title: fmt for title, fmt in COLUMNS.values()}
    return table(rows).style.format(formats)


def times(a: float, b: float) -> str:
    """How ``a`` seconds compare with ``b`` seconds: '×r faster' or '×r slower'."""
    return f"{b / a:.1f}× faster" if a < b else f"{a / b:.1f}× slower"


def accuracy_sentence(a: Row, b: Row) -> str:
    """Whether the test errors of ``a`` and ``b`` differ by more than the seed-to-seed spread."""
    difference = a.test_error - b.test_error
    spread = max(a.test_error_std, b.test_error_std)
    verdict = "larger" if abs(difference) > spread else "no larger"
    return (
        f"{a.implementation} ends at {a.test_error:.2f}% against {b.test_error:.2f}% for "
        f"{b.implementation}: a difference of {abs(difference):.2f} points, {verdict} than the "
        f"seed-to-seed standard deviation ({spread:.2f} points)"
    )


@dataclass(frozen=True)
class Comparison:
    """The four ways to train the same network, side by side, and what they show."""

    eager: Row  # low-level step, eager
    graph: Row  # low-level epoch compiled with tf.function
    keras_default: Row  # Keras fit, default batch size
    keras_same: Row  # Keras fit, the low-level batch size
    default_steps: int  # updates per epoch at Keras's default batch
    same_steps: int  # updates per epoch at the low-level batch

    @property
    def rows(self) -> list[Row]:
        return [self.eager, self.graph, self.keras_default, self.keras_same]

    def comment(self) -> str:
        """What the measurements say, computed from them."""
        graph, default = self.graph, self.keras_default
        same = self.keras_same
        cpu = {r.implementation: r.cpu_per_epoch for r in self.rows}
        fastest = min(cpu, key=cpu.get)
        compiled = self.eager.wall_per_epoch / graph.wall_per_epoch
        parts = [
            f"The fastest per epoch in CPU time is {fastest}. ",
            "The low-level tf.function epoch is ",
            times(graph.cpu_per_epoch, default.cpu_per_epoch),
            " than Keras fit with its default batch in CPU time per ",
            f"epoch (ratio {self.cpu_ratio:.2f}), and ",
            times(graph.cpu_per_epoch, same.cpu_per_epoch),
            " than Keras fit at the same batch size ",
            f"(ratio {self.same_batch_cpu_ratio:.2f}). ",
            "Compiling with tf.function makes the low-level training ",
            f"{compiled:.1f}× faster than eager execution ",
            "(wall time). ",
            "At the same batch size Keras is ",
            times(same.cpu_per_epoch, default.cpu_per_epoch),
            f" than with its default batch of {default.batch_size}, ",
            f"which takes {self.default_steps} instead of ",
            f"{self.same_steps} steps per epoch. ",
            f"Accuracy: {accuracy_sentence(default, graph)}; ",
            f"{accuracy_sentence(same, graph)}.",
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

    def glue(self) -> dict[str, object]:
        return {
            "lowlevel_vs_keras_cpu_ratio": self.cpu_ratio,
            "lowlevel_vs_keras_same_batch_cpu_ratio": self.same_batch_cpu_ratio,
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

    @property
    def rows(self) -> list[Row]:
        sigmoid = [self.sigmoid_lowlevel, self.sigmoid_keras]
        return [*sigmoid, self.softmax_lowlevel, self.softmax_keras]

    def table(self):
        rows = self.rows
        frame = pd.DataFrame(
            {
                "output + loss": ["sigmoid + MSE"] * 2 + ["softmax + cross-entropy"] * 2,
                "learning rate": [self.sigmoid_learning_rate] * 2
                + [self.softmax_learning_rate] * 2,
                "test error (%)": [row.test_error for row in rows],
                "std over seeds": [row.test_error_std for row in rows],
                "CPU s / epoch": [row.cpu_per_epoch for row in rows],
            },
            index=pd.Index(
                [row.implementation.split(", softmax")[0] for row in rows], name="implementation"
            ),
        )
        return frame.style.format(
            {
                "learning rate": "{:g}",
                "test error (%)": "{:.2f}",
                "std over seeds": "{:.2f}",
                "CPU s / epoch": "{:.4f}",
            }
        )

    def comment(self) -> str:
        """Does the output layer change the error by more than the seed-to-seed spread?"""
        diff_ll = self.softmax_lowlevel.test_error - self.sigmoid_lowlevel.test_error
        diff_k = self.softmax_keras.test_error - self.sigmoid_keras.test_error
        spread = max(row.test_error_std for row in self.rows)
        both = min(abs(diff_ll), abs(diff_k)) > spread
        return (
            f"Softmax + cross-entropy changes the mean test error by {diff_ll:+.2f} points in the "
            f"low-level implementation and by {diff_k:+.2f} points in Keras; the largest "
            f"seed-to-seed standard deviation of the four is {spread:.2f} points, so the change "
            f"is {'larger' if both else 'not larger'} than the spread in both. "
            f"{accuracy_sentence(self.softmax_keras, self.softmax_lowlevel)}."
        )

    def glue(self) -> dict[str, object]:
        return {
            "softmax_lowlevel_test_error": self.softmax_lowlevel.test_error,
            "softmax_keras_test_error": self.softmax_keras.test_error,
            "softmax_lowlevel_test_error_std": self.softmax_lowlevel.test_error_std,
            "softmax_keras_test_error_std": self.softmax_keras.test_error_std,
            "softmax_learning_rate": self.softmax_learning_rate,
            "keras_softmax_comment": self.comment(),
        }
