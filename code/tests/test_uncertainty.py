"""Binomial standard error, paired differences over seeds, and the verdict they give."""

from __future__ import annotations

import math

import pytest
from pw06 import uncertainty


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


def test_t_quantiles_match_student():
    stats = pytest.importorskip("scipy.stats")
    for degrees in (1, 2, 4, 10, 30):
        assert uncertainty.t_quantile(degrees) == pytest.approx(stats.t.ppf(0.975, degrees), 1e-3)
    assert uncertainty.t_quantile(100) == 1.96
    with pytest.raises(ValueError, match="at least 2 paired values"):
        uncertainty.t_quantile(0)


def test_identical_runs_are_within_noise():
    errors = [10.0, 10.5, 9.8, 10.1, 10.3]
    same = uncertainty.paired_difference(errors, errors, 1000)
    assert (same.mean, same.std, same.half_width, same.pairs) == (0.0, 0.0, 0.0, 5)
    assert same.verdict == uncertainty.WITHIN_NOISE
    assert same.judgement() == "within noise (the same error for every seed)"


def test_a_clear_shift_is_significant():
    a = [10.0, 10.5, 9.8, 10.1, 10.3]
    b = [x - 2.0 + d for x, d in zip(a, [0.1, -0.1, 0.0, 0.2, -0.2], strict=True)]
    shift = uncertainty.paired_difference(a, b, 1000)
    assert shift.mean == pytest.approx(-2.0)
    assert shift.half_width == pytest.approx(2.776 * shift.std / math.sqrt(5))
    assert shift.high < 0 and shift.verdict == uncertainty.SIGNIFICANT
    assert (
        shift.describe()
        == "-2.00 ± 0.16 points (mean ± std over 5 seeds; 95 % interval -2.20 to -1.80)"
    )
    assert shift.consistent and shift.judgement().startswith("significant (beyond")


def test_a_consistent_but_small_shift_is_within_the_test_sets_noise():
    """Every seed 0.5 points lower: the t interval excludes 0, but 0.5 < the binomial SE."""
    a = [10.0, 10.5, 9.8, 10.1, 10.3]
    small = uncertainty.paired_difference(a, [x - 0.5 for x in a], 1000)
    assert small.half_width == pytest.approx(0.0, abs=1e-12) and small.noise > 0.5
    assert small.verdict == uncertainty.WITHIN_NOISE
    assert small.consistent and "the seeds agree on these test digits" in small.judgement()
    # the same shift measured on 100,000 test digits is beyond the noise
    assert uncertainty.paired_difference(a, [x - 0.5 for x in a], 100_000).verdict == (
        uncertainty.SIGNIFICANT
    )


def test_a_large_but_erratic_difference_is_within_noise():
    a = [10.0, 10.0, 10.0, 10.0, 10.0]
    b = [5.0, 14.0, 4.0, 15.0, 7.0]  # mean −1.0, but the seeds disagree
    erratic = uncertainty.paired_difference(a, b, 100_000)
    assert erratic.low < 0 < erratic.high and erratic.verdict == uncertainty.WITHIN_NOISE
    assert not erratic.consistent
    assert erratic.judgement() == "within noise (the 95 % interval includes 0)"


def test_paired_difference_refuses_unpaired_input():
    with pytest.raises(ValueError, match="one error per seed each, got 3 and 2"):
        uncertainty.paired_difference([1, 2, 3], [1, 2], 100)
    with pytest.raises(ValueError, match="at least 2 seeds, got 1"):
        uncertainty.paired_difference([1], [2], 100)


def test_the_module_does_not_import_tensorflow():
    import subprocess
    import sys

    code = "import sys, pw06.uncertainty; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_sample_std_is_the_seed_spread_and_zero_for_one_run():
    assert uncertainty.sample_std([10.0, 12.0]) == pytest.approx(2**0.5)
    assert uncertainty.sample_std([10.5]) == 0.0
