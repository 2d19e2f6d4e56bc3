"""How sure a measured error rate is, and what a comparison of two may claim.

Two sources of noise sit under every test error on the pages:

* the **test set**: N test digits are a sample; an error rate p measured on them has a binomial
  standard error sqrt(p(1 − p)/N), about 1 point for p ≈ 10 % and N = 1,000. Every seed is
  scored on the same N digits, so averaging over seeds does not shrink it;
* the **training run**: the seed sets the initial weights and the order of the mini-batches.
  Two variants trained with the same seeds are compared *paired*: seed by seed.

:func:`paired_difference` combines both into the verdict a page may print: "significant" only
when the 95 % paired-t interval of the per-seed differences excludes 0 *and* the mean difference
is larger than the test set's binomial standard error; "within noise" otherwise. Pure Python:
no TensorFlow.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

#: Two-sided 95 % quantiles of Student's t distribution, by degrees of freedom (1–30); beyond,
#: the normal's 1.96 is within 4 %.
T_975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip

WITHIN_NOISE = "within noise"
SIGNIFICANT = "significant"


def sample_std(values) -> float:
    """Sample standard deviation over seeds (0 for a single value)."""
    return statistics.stdev(values) if len(values) > 1 else 0.0


def binomial_se(error_percent: float, n_test: int) -> float:
    """Standard error, in percentage points, of an error rate measured on ``n_test`` examples:
    100 · sqrt(p (1 − p) / N) with p the error as a fraction."""
    if isinstance(n_test, bool) or not isinstance(n_test, int) or n_test < 1:
        raise ValueError(f"n_test must be a positive integer (test examples), got {n_test!r}")
    if not 0.0 <= error_percent <= 100.0:
        raise ValueError(f"error_percent must be in [0, 100], got {error_percent!r}")
    p = error_percent / 100.0
    return 100.0 * math.sqrt(p * (1.0 - p) / n_test)


def t_quantile(degrees: int) -> float:
    """The two-sided 95 % quantile of Student's t with ``degrees`` degrees of freedom."""
    if degrees < 1:
        raise ValueError(f"a t interval needs at least 2 paired values (1 degree), got {degrees}")
    return T_975[degrees - 1] if degrees <= len(T_975) else 1.96


@dataclass(frozen=True)
class PairedDifference:
    """Errors of variant B minus variant A, seed by seed, in points, and the verdict."""

    mean: float  # mean of the per-seed differences B − A
    std: float  # their sample standard deviation
    half_width: float  # of the 95 % paired-t interval of the mean
    pairs: int
    noise: float  # the test set's binomial standard error, points
    verdict: str  # WITHIN_NOISE or SIGNIFICANT

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    @property
    def consistent(self) -> bool:
        """The 95 % paired-t interval excludes 0: the seeds agree on these test digits."""
        return self.low > 0 or self.high < 0

    def judgement(self) -> str:
        """The verdict with its reason, e.g. 'within noise (the 95 % interval includes 0)'."""
        if self.verdict == SIGNIFICANT:
            return f"{SIGNIFICANT} (beyond the interval and the binomial standard error)"
        if self.mean == 0.0 and self.std == 0.0:
            return f"{WITHIN_NOISE} (the same error for every seed)"
        if self.consistent:
            return (
                f"{WITHIN_NOISE} (the seeds agree on these test digits, but the difference is "
                "below the binomial standard error of the test set)"
            )
        return f"{WITHIN_NOISE} (the 95 % interval includes 0)"

    def describe(self) -> str:
        """'-0.62 ± 0.30 points (mean ± std over 5 seeds; 95 % interval -1.00 to -0.24)'."""
        return (
            f"{self.mean:+.2f} ± {self.std:.2f} points (mean ± std over {self.pairs} seeds; "
            f"95 % interval {self.low:+.2f} to {self.high:+.2f})"
        )


def paired_difference(errors_a, errors_b, n_test) -> PairedDifference:
    """Compare variants A and B trained with the same seeds: test
    errors in percent, seed by seed, scored on the same ``n_test``
    examples.

    Significant when the 95 % paired-t interval of B − A excludes 0
    and the mean difference exceeds the binomial standard error of one
    run's error (at the pooled mean): a smaller difference could
    change sign on another test set of the same size.
    """
    a = [float(e) for e in errors_a]
    b = [float(e) for e in errors_b]
    if len(a) != len(b):
        expected = "errors_a and errors_b must hold one error per seed"
        raise ValueError(f"{expected} each, got {len(a)} and {len(b)}")
    if len(a) < 2:
        message = "a paired comparison needs at least 2 seeds"
        raise ValueError(f"{message}, got {len(a)}")
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    n = len(diffs)
    mean, std = statistics.fmean(diffs), statistics.stdev(diffs)
    half_width = t_quantile(n - 1) * std / math.sqrt(n)
    noise = binomial_se(statistics.fmean(a + b), n_test)
    beyond = abs(mean) > half_width and abs(mean) > noise
    return PairedDifference(
        mean=mean,
        std=std,
        half_width=half_width,
        pairs=n,
        noise=noise,
        verdict=SIGNIFICANT if beyond else WITHIN_NOISE,
    )
