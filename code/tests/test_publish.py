"""Publishing glue values: plain values and figures only, each key once."""

from __future__ import annotations

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
    import matplotlib.pyplot as plt
    import myst_nb

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda k, v, display: glued.update({k: (v, display)}))
    fig = plt.figure()
    publish.publish(Result(2.0), {"fig": fig})
    assert glued == {"a_value": (2.0, False), "fig": (fig, False)}
    assert not plt.fignum_exists(fig.number)
