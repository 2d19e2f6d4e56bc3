"""Checks on the Going-further page "SavedModel and device placement" (review question 2)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

PAGE = "savedmodel_devices"


def test_savedmodel_round_trip(v):
    assert "saved_model.pb" in v["rq_export_files"]
    assert 0.0 <= v["rq_export_max_abs_diff"] <= 1e-6


def test_placement(v):
    assert v["rq_placement_device"].endswith("CPU:0")
    assert v["rq_placement_independent"] is True


def test_the_page_quotes_the_installation_threads(glue, page_html):
    inst = glue["installation"]
    text = page_html(PAGE)
    assert f"{inst['inst_intra_op_threads']:d}" in text and "local_device.cc" in text
