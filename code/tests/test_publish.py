"""Publishing glue values: plain values and figures only, each key once."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass

import matplotlib
import numpy as np
import pytest
from pw06 import publish

matplotlib.use("Agg")


@dataclass(frozen=True)
class Result:
    value: float

    def glue(self):
        return {"a_value": self.value}


def test_glue_items_merges_mappings_and_results():
    assert publish.glue_items(Result(1.5), {"b": "x", "c": 3, "d": True}) == {
        "a_value": 1.5,
        "b": "x",
        "c": 3,
        "d": True,
    }


@pytest.mark.parametrize("value", [np.float64(1.0), np.int64(3), [1, 2], None])
def test_numpy_scalars_and_other_objects_are_refused(value):
    with pytest.raises(TypeError, match="expected a plain int, float, str or bool"):
        publish.glue_items({"key": value})


def test_a_key_is_published_once():
    with pytest.raises(ValueError, match="'a_value' is published twice"):
        publish.glue_items(Result(1.0), {"a_value": 2.0})


def test_publish_glues_and_closes_figures(monkeypatch):
    """myst-nb is the book's build tool, not a dependency of pw06: a stand-in records the glue
    calls, so the test runs in a reader's venv too."""
    import matplotlib.pyplot as plt

    glued = {}
    stand_in = types.ModuleType("myst_nb")
    stand_in.glue = lambda key, value, display: glued.update({key: (value, display)})
    monkeypatch.setitem(sys.modules, "myst_nb", stand_in)
    fig = plt.figure()
    publish.publish(Result(2.0), {"fig": fig})
    assert glued == {"a_value": (2.0, False), "fig": (fig, False)}
    assert not plt.fignum_exists(fig.number)
