"""The chapters' figures draw from real training records."""

from __future__ import annotations

import matplotlib
import numpy as np
from pw06 import plots, training
from tinynet import H, digits_like

matplotlib.use("Agg")


def test_figures_draw():
    import matplotlib.pyplot as plt

    d = digits_like()
    kwargs = dict(n_hidden=H, learning_rate=0.5, batch_size=10, epochs=2)
    runs = training.fit_seeds(d, **kwargs, seeds=[0, 1])
    ragged = training.fit_seeds(d, **kwargs, seeds=[2], curves="none")[0]
    digits = plots.plot_digits(np.zeros((3, 784)), ["a", "b", "c"], ncols=2)
    assert digits.axes[0].images[0].get_array().shape == (2 * 38, 2 * 32)  # 28×28 + gaps
    confusion = plots.plot_confusion(training.confusion_matrix([0, 1], [1, 1], 3), "title")
    convergence = plots.plot_convergence(runs)
    assert len(convergence.axes[0].lines) == 3  # one line per seed and the epoch means
    curves = plots.plot_test_error_curves({"runs": runs, "first": [runs[0], ragged]}, "t")
    assert len(curves.axes[0].containers) == 2  # one error-bar line per label
    assert confusion.axes[0].get_xlabel() == "predicted class"
    plt.close("all")
