"""Checks on the Going-further page "Timing TensorFlow code fairly" (deepens Exercise 4)."""

from __future__ import annotations

import re

import pytest
from helpers import visible_text

pytestmark = pytest.mark.slow

PAGE = "timing"


def test_when_a_graph_pays(v):
    verdict = v["rq_overhead_verdict"]
    small, large = (float(x) for x in re.findall(r"×(\d+\.\d)", verdict))
    assert small > 0 and large > 0
    assert "8×8 and 384×384 matrices" in verdict
    assert ("shrank" in verdict) == (small > large), verdict


def test_the_page_shows_the_clock_the_epoch_graph_and_the_low_level_times(glue, page_html):
    text = " ".join(visible_text(page_html(PAGE)).split())
    assert "class EpochClock" in text and "def epoch_graph(" in text
    lowlevel = glue["lowlevel_mlp"]
    assert f"{lowlevel['lowlevel_train_cpu_seconds']:.2f} s of CPU time" in text
