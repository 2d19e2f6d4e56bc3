"""The chapters' figures draw from real training records."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from pw06 import lowlevel_mlp as ll
from pw06 import plots, training
from tinynet import D, H, K, digits_like

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


def test_shown_units_keep_the_first_and_the_last():
    assert plots.shown_units(784) == [1, 2, 3, None, 784]
    assert plots.shown_units(10, shown=2) == [1, 2, None, 10]
    assert plots.shown_units(5) == [1, 2, 3, 4, 5]  # few enough to draw them all


def test_network_sizes_come_from_the_parameters():
    assert plots.network_sizes(ll.init_params(D, H, K, seed=0)) == (D, H, K)
    params = ll.init_params(D, H, K, seed=0)
    with pytest.raises(ValueError, match=r"params do not fit together: W1 \(6, 5\)"):
        plots.network_sizes([params[0], params[1], params[0], params[3]])
    with pytest.raises(ValueError, match="params must be"):
        plots.network_sizes(params[:2])


def test_plot_network_labels_the_layers_with_their_sizes():
    import matplotlib.pyplot as plt

    fig = plots.plot_network(ll.init_params(784, 30, 10, seed=0))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("D = 784" in t for t in texts) and any("H = 30 units, ReLU" in t for t in texts)
    assert any("K = 10 units, sigmoid" in t for t in texts)
    assert "$x_{784}$" in texts and "$h_{30}$" in texts and "$y_{10}$" in texts
    assert texts.count("⋮") == 3 and "$x_{4}$" not in texts
    assert len(fig.axes[0].patches) == 3 * 4  # four units drawn per layer
    plt.close(fig)


def test_plot_plateau_draws_both_curves_per_seed():
    import matplotlib.pyplot as plt

    d = digits_like(n_train=50)
    runs = training.fit_to_plateau(
        d, n_hidden=H, learning_rate=0.5, batch_size=10, seeds=[0, 1],
        rule=training.Plateau(patience=2, max_epochs=5),
    )  # fmt: skip
    fig = plots.plot_plateau(runs, band=(8, 12), lab_epochs=4)
    ax = fig.axes[0]
    # per seed: validation, test, best-epoch dot; plus the lab's epochs line
    assert len(ax.lines) == 3 * 2 + 1
    assert len(ax.get_legend().get_texts()) == 5
    plt.close(fig)
