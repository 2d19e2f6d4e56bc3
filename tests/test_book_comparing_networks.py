"""Checks on the Going-further page "Comparing two trained networks" (deepens Exercise 4)."""

from __future__ import annotations

import pytest
from helpers import visible_text

pytestmark = pytest.mark.slow

PAGE = "comparing_networks"


def test_the_page_states_the_test_sets_error_and_shows_the_rule(glue, page_html):
    text = " ".join(visible_text(page_html(PAGE)).split())
    se = glue["lowlevel_mlp"]["lowlevel_test_error_binomial_se"]
    assert f"{se:.2f} points" in text
    assert "def paired_difference(" in text
