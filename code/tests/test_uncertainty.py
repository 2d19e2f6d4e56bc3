"""Binomial standard error, paired differences over seeds, and the verdict they give."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from pw06 import uncertainty
from scipy import stats


def test_binomial_se_of_an_error_rate_in_points():
    assert uncertainty.binomial_se(10.0, 1000) == pytest.approx(100 * math.sqrt(0.09 / 1000))
    assert uncertainty.binomial_se(10.0, 1000) == pytest.approx(0.949, abs=1e-3)
    assert uncertainty.binomial_se(10.0, 10000) == pytest.approx(0.3, abs=1e-3)  # 10× the digits
    assert uncertainty.binomial_se(0.0, 50) == 0.0
    assert uncertainty.binomial_se(50.0, 100) == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("error", "n", "message"),
    [
        (10.0, 0, "n_test must be a positive integer"),
        (10.0, 2.5, "n_test must be a positive integer"),
        (110.0, 100, r"error_percent must be in \[0, 100\], got 110.0"),
        (-1.0, 100, "error_percent must be in"),
    ],
)
def test_binomial_se_refuses_bad_input(error, n, message):
    with pytest.raises(ValueError, match=message):
        uncertainty.binomial_se(error, n)


def discordant(better, worse, n_test=1000, wrong_both=60):
    """Per-digit correctness of A and B, one row per seed: on seed s, B is right and A wrong
    on ``better[s]`` digits, A right and B wrong on ``worse[s]``; both wrong on the first
    ``wrong_both`` digits, both right elsewhere."""
    a = np.ones((len(better), n_test), bool)
    b = a.copy()
    a[:, :wrong_both] = b[:, :wrong_both] = False
    for s, (up, down) in enumerate(zip(better, worse, strict=True)):
        a[s, wrong_both : wrong_both + up] = False  # B right, A wrong
        b[s, wrong_both + up : wrong_both + up + down] = False  # A right, B wrong
    return a, b


def test_mcnemar_exact_p_values_known_by_hand():
    # 0 against 5: P(X ≤ 0) = 1/32 per tail, two-sided 1/16; 0 against 6: 1/32
    assert uncertainty.mcnemar_p(0, 5) == pytest.approx(1 / 16)
    assert uncertainty.mcnemar_p(6, 0) == pytest.approx(1 / 32)
    assert uncertainty.mcnemar_p(7, 7) == 1.0 and uncertainty.mcnemar_p(0, 0) == 1.0
    exact = 2 * sum(math.comb(60, k) for k in range(12)) / 2**60  # 11 against 49
    assert uncertainty.mcnemar_p(11, 49) == pytest.approx(exact, rel=1e-9)
    worse, better = np.meshgrid(np.arange(0, 40, 3), np.arange(0, 40, 4))
    for w, b in zip(worse.ravel(), better.ravel(), strict=True):
        if w + b:
            expected = stats.binomtest(int(w), int(w + b), 0.5).pvalue
            assert uncertainty.mcnemar_p(w, b) == pytest.approx(expected, rel=1e-9)
    assert uncertainty.mcnemar_p(worse, better).shape == worse.shape
    with pytest.raises(ValueError, match="discordant counts must be ≥ 0"):
        uncertainty.mcnemar_p(-1, 3)


def test_the_schedule_counts_of_the_issue_are_significant():
    """Constant rate (A) against the schedule (B): 13/3, 11/4, 11/2, 7/0, 7/2 digits."""
    a, b = discordant(better=[13, 11, 11, 7, 7], worse=[3, 4, 2, 0, 2])
    result = uncertainty.paired_difference(a, b)
    assert (result.b_better, result.b_worse, result.discordant) == (49, 11, 60)
    assert result.discordance == pytest.approx(1.2)  # 60 of 5 × 1,000 digits
    assert result.mean == pytest.approx(100 * (11 - 49) / 5000)  # −0.76 points
    assert result.p_value == pytest.approx(uncertainty.mcnemar_p(11, 49))
    assert result.p_value < 1e-5 and result.verdict == uncertainty.SIGNIFICANT
    assert result.low < result.mean < result.high < 0
    per_seed = [(w - u) / 10 for u, w in zip([13, 11, 11, 7, 7], [3, 4, 2, 0, 2], strict=True)]
    assert result.std == pytest.approx(statistics.stdev(per_seed))
    assert result.describe() == (
        "-0.76 ± 0.19 points (mean ± std over 5 seeds; 95 % interval -0.97 to -0.47)"
    )
    assert result.judgement() == (
        "significant (over 5 seeds, 49 test digits right only in the first, 11 only in the "
        "second; exact McNemar p = 7.6e-07)"
    )
    both = 100 * float(np.mean(~np.concatenate([a, b])))  # the mean error of all the runs
    assert result.noise == pytest.approx(uncertainty.binomial_se(both, 1000))


def test_a_few_discordant_digits_are_within_noise():
    a, b = discordant(better=[2, 1, 1, 0, 1], worse=[1, 0, 1, 1, 0])  # 5 against 3
    result = uncertainty.paired_difference(a, b)
    assert result.verdict == uncertainty.WITHIN_NOISE
    assert result.p_value == pytest.approx(stats.binomtest(3, 8).pvalue)
    assert result.low < 0 < result.high
    # the interval and the test agree: the 95 % interval excludes 0 iff p < 0.05
    for better, worse in [(6, 0), (5, 0), (20, 9), (20, 8), (30, 14)]:
        r = uncertainty.paired_difference(*discordant([better], [worse]))
        assert (r.high < 0) == (r.verdict == uncertainty.SIGNIFICANT), (better, worse)


def test_identical_runs():
    a, b = discordant(better=[0] * 5, worse=[0] * 5)
    bitwise = uncertainty.paired_difference(a, b, identical_weights=True)
    assert (bitwise.mean, bitwise.std, bitwise.discordant, bitwise.p_value) == (0, 0, 0, 1)
    assert bitwise.verdict == uncertainty.IDENTICAL == "identical (bit for bit)"
    assert bitwise.judgement() == "identical (bit for bit): the same trained weights for every seed"
    same_digits = uncertainty.paired_difference(a, b)  # weights not known to be the same
    assert same_digits.verdict == uncertainty.SAME_DIGITS == "identical on every test digit"
    assert same_digits.judgement() == (
        "identical on every test digit: the same digits right and wrong for every seed (the "
        "trained weights are not the same bit for bit)"
    )
    with pytest.raises(ValueError, match="identical_weights=True, but the predictions differ"):
        uncertainty.paired_difference(*discordant([1], [0]), identical_weights=True)


def test_outputs_verdict():
    assert uncertainty.outputs_verdict(0.0) == "identical (bit for bit)"
    assert uncertainty.outputs_verdict(2.5e-7) == "different by at most 2.5e-07"
    with pytest.raises(ValueError, match="max_abs_diff must be ≥ 0"):
        uncertainty.outputs_verdict(float("nan"))


def test_paired_difference_refuses_unpaired_input():
    a, b = discordant(better=[1, 2], worse=[0, 1])
    with pytest.raises(ValueError, match=r"the same seeds and test digits, got shapes"):
        uncertainty.paired_difference(a, b[:1])
    with pytest.raises(ValueError, match="one row per seed and one column per test digit"):
        uncertainty.paired_difference(a[0], b[0])
    with pytest.raises(ValueError, match="True/False"):
        uncertainty.paired_difference(a * 2, b)
    with pytest.raises(ValueError, match="confidence must be in"):
        uncertainty.paired_difference(a, b, confidence=95)


def test_the_simulated_digits_have_the_error_and_discordance_asked_for():
    rho = uncertainty.shared_difficulty(8.0, 2.0)
    a, b = uncertainty.simulate_pairs(
        np.random.default_rng(1), seeds=50, n_test=4000, error_a=8.0, error_b=8.0, rho=rho
    )
    assert 100 * np.mean(~a) == pytest.approx(8.0, abs=0.5)
    assert 100 * np.mean(a != b) == pytest.approx(2.0, abs=0.1)
    assert uncertainty.shared_difficulty(8.0, 14.0) < rho  # more disagreement, less sharing
    with pytest.raises(ValueError, match=r"discordance must be in \(0, 16\) percent"):
        uncertainty.shared_difficulty(8.0, 20.0)


def test_no_difference_is_significant_at_the_stated_rate():
    """Calibration: pairs of variants with no true difference, on the lab's setup (5 seeds ×
    1,000 test digits, 8 % error, 2 % of the digits disagreeing): the rule calls about
    1 − confidence of them significant, within 3 binomial standard errors of the rate."""
    result = uncertainty.calibrate(simulations=2000, seed=0)
    alpha = 1 - uncertainty.CONFIDENCE
    assert result.false_positive_tolerance == pytest.approx(
        3 * math.sqrt(alpha * (1 - alpha) / 2000)
    )
    assert abs(result.false_positive_rate - alpha) <= result.false_positive_tolerance
    assert result.power_1pt > 0.8  # a true 1-point difference is found almost always
    glued = result.glue()
    assert glued["comparison_confidence"] == 95.0 and glued["comparison_alpha"] == pytest.approx(5)
    assert glued["comparison_false_positive_rate"] == 100 * result.false_positive_rate
    assert glued["comparison_power_1pt"] == 100 * result.power_1pt


@pytest.mark.parametrize("discordance", [1.0, 5.0])
def test_the_rate_holds_whatever_the_disagreement(discordance):
    rate = uncertainty.rejection_rate(
        difference=0.0, seeds=5, n_test=1000, error=8.0, discordance=discordance,
        simulations=1000, seed=3,
    )  # fmt: skip
    assert abs(rate - 0.05) <= 3 * math.sqrt(0.05 * 0.95 / 1000)


def test_a_large_difference_is_significant():
    rate = uncertainty.rejection_rate(
        difference=3.0, seeds=5, n_test=1000, error=8.0, discordance=2.0, simulations=200, seed=4
    )
    assert rate == 1.0
    rho = uncertainty.shared_difficulty(8.0, 2.0)
    a, b = uncertainty.simulate_pairs(
        np.random.default_rng(5), seeds=5, n_test=1000, error_a=8.0, error_b=11.0, rho=rho
    )
    result = uncertainty.paired_difference(a, b)
    assert result.verdict == uncertainty.SIGNIFICANT and result.low > 0
    with pytest.raises(ValueError, match="simulations must be a positive integer"):
        uncertainty.rejection_rate(
            difference=0.0, seeds=5, n_test=10, error=8.0, discordance=2.0, simulations=0, seed=0
        )


def test_the_module_does_not_import_tensorflow():
    import subprocess
    import sys

    code = "import sys, pw06.uncertainty; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_sample_std_is_the_seed_spread_and_zero_for_one_run():
    assert uncertainty.sample_std([10.0, 12.0]) == pytest.approx(2**0.5)
    assert uncertainty.sample_std([10.5]) == 0.0
