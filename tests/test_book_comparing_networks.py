"""Checks on the Going-further page "Comparing two trained networks" (deepens Exercise 4)."""

from __future__ import annotations

import pytest
from helpers import visible_text
from pw06 import uncertainty

pytestmark = pytest.mark.slow

PAGE = "comparing_networks"


def test_the_page_states_the_test_sets_error_and_shows_the_rule(glue, page_html):
    text = " ".join(visible_text(page_html(PAGE)).split())
    se = glue["lowlevel_mlp"]["lowlevel_test_error_binomial_se"]
    assert f"{se:.2f} points" in text
    assert "def paired_difference(" in text
    # the method named with its sources, and the confidence level stated
    assert "McNemar" in text and "Psychometrika 12(2)" in text  # (smart quotes: McNemar’s)
    assert "Neural Computation 10(7)" in text and "95 % confidence level" in text


def test_the_rule_is_calibrated(glue, page_html):
    """Issue 17: simulated pairs with no true difference are called significant at about the
    stated rate; a true 1-point difference is found almost always."""
    v = glue[PAGE]
    assert v["comparison_confidence"] == 100 * uncertainty.CONFIDENCE == 95.0
    assert v["comparison_alpha"] == pytest.approx(5.0)
    assert v["comparison_method"] == uncertainty.METHOD
    assert (v["comparison_seeds"], v["comparison_n_test"]) == (5, 1000)
    assert v["comparison_simulations"] >= 1000
    rate, tolerance = v["comparison_false_positive_rate"], v["comparison_false_positive_tolerance"]
    assert tolerance == pytest.approx(300 * (0.05 * 0.95 / v["comparison_simulations"]) ** 0.5)
    assert abs(rate - v["comparison_alpha"]) <= tolerance
    assert 80.0 <= v["comparison_power_1pt"] <= 100.0
    text = " ".join(visible_text(page_html(PAGE)).split())
    assert f"{rate:.1f} % significant" in text
    assert f"{v['comparison_power_1pt']:.1f} %" in text
    # the disagreement simulated is the order of the pages' own comparisons
    low = glue["lowlevel_mlp"]["schedule_vs_low_discordance"]
    high = glue["keras_mlp"]["keras_default_vs_graph_discordance"]
    assert min(low, high) / 3 <= v["comparison_sim_discordance"] <= 3 * max(low, high)
