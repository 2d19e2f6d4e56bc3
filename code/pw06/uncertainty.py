"""How sure a measured error rate is, and what a comparison of two variants may claim.

Two sources of noise sit under every test error on the pages:

* the **test set**: N test digits are a sample; an error rate p measured on them has a binomial
  standard error sqrt(p(1 − p)/N), about 1 point for p ≈ 10 % and N = 1,000 (:func:`binomial_se`).
  Every seed is scored on the same N digits, so averaging over seeds does not shrink it;
* the **training run**: the seed sets the initial weights and the order of the mini-batches.

Two variants trained with the same seeds and scored on the same digits are compared **digit by
digit**: most digits are right (or wrong) for both, and only the digits on which the two networks
disagree say which one is better. :func:`paired_difference` applies **McNemar's exact test**
(McNemar 1947; recommended for comparing two classifiers on one test set by Dietterich 1998)
to these disagreements, pooled over the seeds: each seed is a stratum, each test digit a matched
pair, and the count of disagreements won by B is, if the variants do not differ, a binomial draw
with probability 1/2 (``scipy.stats.binomtest``). The verdict is "significant" when the
two-sided p-value is below 1 − :data:`CONFIDENCE` (95 % confidence), "within noise" otherwise,
"identical (bit for bit)" when the trained weights are the same for every seed, and
"identical on every test digit" when the weights differ but every seed's network gets the same
digits right. :func:`outputs_verdict` says the same of two networks' outputs.

:func:`calibrate` checks the rule by simulation on the lab's setup (seeds × test digits, an
error near 8 %, two networks that disagree on a few per cent of the digits): how often it calls
two variants with no true difference significant (the false-positive rate, which should not
exceed 1 − confidence), and how often it detects a true 1-point difference (the power).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

#: The confidence level of every comparison on the pages: significant when p < 1 − CONFIDENCE.
CONFIDENCE = 0.95

WITHIN_NOISE = "within noise"
SIGNIFICANT = "significant"
IDENTICAL = "identical (bit for bit)"
SAME_DIGITS = "identical on every test digit"

#: The rule's name and its sources, as the pages cite them.
METHOD = "McNemar's exact test, pooled over the seeds"
SOURCES = (
    "Q. McNemar, 'Note on the sampling error of the difference between correlated proportions "
    "or percentages', Psychometrika 12(2), 153–157, 1947",
    "T. G. Dietterich, 'Approximate statistical tests for comparing supervised classification "
    "learning algorithms', Neural Computation 10(7), 1895–1923, 1998",
)


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


def mcnemar_p(b_worse, b_better):
    """Two-sided p-value of McNemar's exact test for ``b_worse`` digits that A gets right and B
    wrong against ``b_better`` the other way round (integers or arrays of them): twice the
    smaller binomial tail at 1/2, at most 1. Equal to ``scipy.stats.binomtest(b_worse,
    b_worse + b_better).pvalue`` (the null distribution is symmetric), but vectorised for
    the simulations."""
    worse, better = np.asarray(b_worse), np.asarray(b_better)
    if np.any(worse < 0) or np.any(better < 0):
        raise ValueError(f"discordant counts must be ≥ 0, got {b_worse!r} and {b_better!r}")
    tail = stats.binom.cdf(np.minimum(worse, better), worse + better, 0.5)
    p = np.minimum(1.0, 2.0 * tail)
    return float(p) if p.ndim == 0 else p


def _correctness(values, name: str) -> np.ndarray:
    """``values`` as a 2-D boolean array: one row per seed, one column per test digit."""
    array = np.asarray(values)
    if array.ndim != 2 or array.size == 0:
        raise ValueError(
            f"{name} must hold one row per seed and one column per test digit (True where the "
            f"network is right), got shape {array.shape}"
        )
    if array.dtype != bool:
        if not np.isin(array, (0, 1)).all():
            raise ValueError(f"{name} must hold True/False (or 1/0) per test digit")
        array = array.astype(bool)
    return array


@dataclass(frozen=True)
class PairedDifference:
    """Test errors of variant B minus variant A, same seeds and test digits, and the verdict."""

    mean: float  # B − A in points: mean over the seeds (the pooled difference)
    std: float  # sample standard deviation of the per-seed differences
    low: float  # the 95 % interval of the mean difference, exact (Clopper–Pearson) on …
    high: float  # … the split of the discordant digits, given their number
    pairs: int  # seeds
    n_test: int  # test digits per seed
    b_worse: int  # digits, summed over the seeds, that A gets right and B wrong
    b_better: int  # digits that B gets right and A wrong
    p_value: float  # McNemar's exact test, two-sided
    noise: float  # the binomial standard error of one run's error, points (for reference)
    verdict: str  # IDENTICAL, SAME_DIGITS, SIGNIFICANT or WITHIN_NOISE

    @property
    def discordant(self) -> int:
        return self.b_worse + self.b_better

    @property
    def discordance(self) -> float:
        """The percentage of test digits, per seed, on which the two variants disagree."""
        return 100.0 * self.discordant / (self.pairs * self.n_test)

    def judgement(self) -> str:
        """The verdict with its reason, for a sentence naming B first ("B minus A"), e.g.
        'significant (over 5 seeds, 49 test digits right only in the first, 11 only in the
        second; exact McNemar p = 7.6e-07)'."""
        if self.verdict == IDENTICAL:
            return f"{IDENTICAL}: the same trained weights for every seed"
        if self.verdict == SAME_DIGITS:
            return (
                f"{SAME_DIGITS}: the same digits right and wrong for every seed (the trained "
                "weights are not the same bit for bit)"
            )
        counts = (
            f"over {self.pairs} seeds, {self.b_better} test digits right only in the first, "
            f"{self.b_worse} only in the second; exact McNemar p = {self.p_value:.2g}"
        )
        return f"{self.verdict} ({counts})"

    def describe(self) -> str:
        """'-0.76 ± 0.19 points (mean ± std over 5 seeds; 95 % interval -1.06 to -0.46)'."""
        level = f"{100 * CONFIDENCE:.0f} %"
        return (
            f"{self.mean:+.2f} ± {self.std:.2f} points (mean ± std over {self.pairs} seeds; "
            f"{level} interval {self.low:+.2f} to {self.high:+.2f})"
        )


def _paired(correct_a, correct_b, confidence: float):
    """The two correctness arrays, checked to hold the same seeds and digits, and the
    confidence checked to be in [0.5, 1)."""
    a = _correctness(correct_a, "correct_a")
    b = _correctness(correct_b, "correct_b")
    if a.shape != b.shape:
        raise ValueError(
            "correct_a and correct_b must hold the same seeds and test digits, got shapes "
            f"{a.shape} and {b.shape}"
        )
    if not 0.5 <= confidence < 1.0:
        raise ValueError(f"confidence must be in [0.5, 1), got {confidence!r}")
    return a, b


def paired_difference(
    correct_a,
    correct_b,
    *,
    identical_weights: bool = False,
    confidence: float = CONFIDENCE,
) -> PairedDifference:
    """Compare variants A and B trained with the same seeds and scored
    on the same test digits.

    ``correct_a``, ``correct_b``: one row per seed (the same seeds, in
    the same order), one column per test digit, True where that run
    classifies the digit correctly. McNemar's exact test on the
    discordant digits pooled over the seeds: significant when its
    two-sided p-value is below ``1 − confidence``.
    ``identical_weights``: the two variants ended with the same weights,
    bit for bit, for every seed (then no digit can differ).
    """
    a, b = _paired(correct_a, correct_b, confidence)
    seeds, n_test = a.shape
    worse, better = int(np.sum(a & ~b)), int(np.sum(~a & b))
    if identical_weights and worse + better:
        message = "identical_weights=True, but the predictions differ"
        raise ValueError(f"{message} on {worse + better} digits")
    # error of B − error of A, per seed
    per_seed = 100.0 * (a.mean(axis=1) - b.mean(axis=1))
    # points per discordant digit, pooled over the seeds
    scale = 100.0 / (seeds * n_test)
    n = worse + better
    if n:
        test = stats.binomtest(worse, n, 0.5)
        p_value = float(test.pvalue)
        ci = test.proportion_ci(
            confidence_level=confidence,
            method="exact",
        )
        low, high = (scale * n * (2 * q - 1) for q in (ci.low, ci.high))
    else:
        p_value, low, high = 1.0, 0.0, 0.0
    if identical_weights:
        verdict = IDENTICAL
    elif n == 0:
        verdict = SAME_DIGITS
    else:
        significant = p_value < 1.0 - confidence
        verdict = SIGNIFICANT if significant else WITHIN_NOISE
    error = 100.0 * float(np.mean(~np.concatenate([a, b])))
    return PairedDifference(
        mean=scale * (worse - better),
        std=sample_std([float(d) for d in per_seed]),
        low=float(low),
        high=float(high),
        pairs=seeds,
        n_test=n_test,
        b_worse=worse,
        b_better=better,
        p_value=p_value,
        noise=binomial_se(error, n_test),
        verdict=verdict,
    )


def outputs_verdict(max_abs_diff: float) -> str:
    """Two networks' outputs on the same inputs: 'identical (bit for bit)' when their largest
    absolute difference is 0, else 'different by at most …'."""
    if not max_abs_diff >= 0.0:  # also refuses nan
        raise ValueError(f"max_abs_diff must be ≥ 0, got {max_abs_diff!r}")
    return IDENTICAL if max_abs_diff == 0.0 else f"different by at most {max_abs_diff:.2g}"


# --- calibration: the rule on simulated pairs of networks ------------------------------------


def shared_difficulty(error: float, discordance: float) -> float:
    """The correlation ρ of the latent scores of two runs on the same digit that makes them,
    both at ``error`` percent, disagree on ``discordance`` percent of the digits.

    Model (a latent-class, probit model of per-digit correctness): run r is wrong on digit i
    when sqrt(ρ)·d_i + sqrt(1 − ρ)·e_ri < Φ⁻¹(error), with d_i the digit's difficulty, shared by
    every run, and e_ri the run's own noise, all standard normal and independent."""
    p, q = error / 100.0, discordance / 100.0
    if not 0.0 < p < 1.0:
        raise ValueError(f"error must be a percentage in (0, 100), got {error!r}")
    if not 0.0 < q < 2 * min(p, 1 - p):
        raise ValueError(
            f"discordance must be in (0, {200 * min(p, 1 - p):g}) percent for an error of "
            f"{error:g} %, got {discordance!r}"
        )
    z = stats.norm.ppf(p)

    def disagreement(rho):
        both_wrong = stats.multivariate_normal.cdf([z, z], cov=[[1.0, rho], [rho, 1.0]])
        return 2.0 * (p - both_wrong) - q

    return float(optimize.brentq(disagreement, 0.0, 1.0 - 1e-9, xtol=1e-6))


def simulate_pairs(rng, *, seeds, n_test, error_a, error_b, rho):
    """Per-digit correctness of variants A and B, one row per seed, on
    one simulated test set: the digits' difficulties are shared by every
    run (the shared test digits), each run adds its own noise (the
    seed). Errors in percent; ``rho`` from :func:`shared_difficulty`."""
    difficulty = rng.standard_normal(n_test)
    shared = math.sqrt(rho) * difficulty

    def correct(error):
        own = rng.standard_normal((seeds, n_test))
        noise = math.sqrt(1.0 - rho) * own
        return shared + noise >= stats.norm.ppf(error / 100.0)

    return correct(error_a), correct(error_b)


def rejection_rate(
    *,
    difference,
    seeds,
    n_test,
    error,
    discordance,
    simulations,
    seed,
) -> float:
    """The fraction of ``simulations`` pairs of variants, B worse than A
    by ``difference`` points, that :func:`paired_difference`'s rule (at
    ``CONFIDENCE``) calls significant."""
    integer = isinstance(simulations, int)
    if isinstance(simulations, bool) or not integer or simulations < 1:
        problem = "simulations must be a positive integer"
        raise ValueError(f"{problem}, got {simulations!r}")
    rng = np.random.default_rng(seed)
    rho = shared_difficulty(error, discordance)
    worse = np.empty(simulations, int)
    better = np.empty(simulations, int)
    for k in range(simulations):
        a, b = simulate_pairs(
            rng,
            seeds=seeds,
            n_test=n_test,
            error_a=error,
            error_b=error + difference,
            rho=rho,
        )
        worse[k], better[k] = np.sum(a & ~b), np.sum(~a & b)
    return float(np.mean(mcnemar_p(worse, better) < 1.0 - CONFIDENCE))


@dataclass(frozen=True)
class Calibration:
    """How often the rule calls simulated pairs of variants significant, on the lab's setup."""

    confidence: float
    seeds: int
    n_test: int
    error: float  # percent, variant A (and B when there is no difference)
    discordance: float  # percent of the digits two runs disagree on
    simulations: int
    false_positive_rate: float  # no true difference
    false_positive_tolerance: float  # 3 binomial standard errors of that rate at 1 − confidence
    power_1pt: float  # B truly 1 point worse

    def glue(self) -> dict[str, object]:
        return {
            "comparison_method": METHOD,
            "comparison_confidence": 100.0 * self.confidence,
            "comparison_alpha": 100.0 * (1.0 - self.confidence),
            "comparison_seeds": self.seeds,
            "comparison_n_test": self.n_test,
            "comparison_sim_error": self.error,
            "comparison_sim_discordance": self.discordance,
            "comparison_simulations": self.simulations,
            "comparison_false_positive_rate": 100.0 * self.false_positive_rate,
            "comparison_false_positive_tolerance": 100.0 * self.false_positive_tolerance,
            "comparison_power_1pt": 100.0 * self.power_1pt,
        }


def calibrate(
    *, seeds=5, n_test=1000, error=8.0, discordance=2.0, simulations=2000, seed=0
) -> Calibration:
    """The rule's false-positive rate (no true difference) and its power against a true
    1-point difference, each over ``simulations`` simulated pairs of variants."""
    setup = dict(seeds=seeds, n_test=n_test, error=error, discordance=discordance)
    alpha = 1.0 - CONFIDENCE
    return Calibration(
        confidence=CONFIDENCE,
        seeds=seeds,
        n_test=n_test,
        error=error,
        discordance=discordance,
        simulations=simulations,
        false_positive_rate=rejection_rate(
            difference=0.0, **setup, simulations=simulations, seed=seed
        ),
        false_positive_tolerance=3.0 * math.sqrt(alpha * (1.0 - alpha) / simulations),
        power_1pt=rejection_rate(difference=1.0, **setup, simulations=simulations, seed=seed + 1),
    )
