"""The figures of the MLP chapters, drawn with Matplotlib (imported only when a figure is drawn).

Each function returns the figure; the chapter glues it and closes it.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from pw06.data import IMAGE_SHAPE


def plot_digits(images, titles=None, ncols: int = 10, size: float = 0.9):
    """A grid of digit images (rows of ``images`` may be flattened), with optional titles.

    The digits are tiled into one image (one ``imshow``, much faster than a subplot each).
    """
    import matplotlib.pyplot as plt

    height, width = IMAGE_SHAPE
    images = np.asarray(images).reshape(-1, height, width)
    nrows = math.ceil(len(images) / ncols)
    gap = 10 if titles is not None else 4  # pixels between digits (room for the titles)
    cell_h, cell_w = height + gap, width + 4
    canvas = np.zeros((nrows * cell_h, ncols * cell_w), dtype=np.float32)
    for i, image in enumerate(images):
        row, col = divmod(i, ncols)
        top, left = row * cell_h + gap - 2, col * cell_w + 2
        canvas[top : top + height, left : left + width] = image
    fig, ax = plt.subplots(figsize=(ncols * size, nrows * size * cell_h / cell_w))
    ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.axis("off")
    if titles is not None:
        for i, title in enumerate(titles[: len(images)]):
            row, col = divmod(i, ncols)
            ax.text(
                col * cell_w + cell_w / 2,
                row * cell_h + gap - 3,
                title,
                ha="center",
                va="bottom",
                fontsize=8,
            )
    fig.tight_layout(pad=0.2)
    return fig


def plot_confusion(matrix: np.ndarray, title: str = ""):
    """The confusion matrix as a heat map with the counts written in the cells."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    off_diagonal = matrix - np.diag(np.diag(matrix))
    image = ax.imshow(off_diagonal, cmap="Reds")
    k = len(matrix)
    for i in range(k):
        for j in range(k):
            if matrix[i, j]:
                color = "tab:green" if i == j else "black"
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=8, color=color)
    ax.set(
        xticks=range(k),
        yticks=range(k),
        xlabel="predicted class",
        ylabel="true class",
        title=title,
    )
    fig.colorbar(image, ax=ax, label="misclassified examples (off-diagonal)")
    fig.tight_layout()
    return fig


def set_loss_per_step(ax, ylabel: str, title: str) -> None:
    """Label ``ax`` for a loss against the step (one mini-batch update each), on a log scale:
    the convergence panels here and the student's report figure (``lab_report``)."""
    ax.set(yscale="log", xlabel="step (mini-batch update)", ylabel=ylabel, title=title)


def plot_convergence(runs):
    """Left: the mini-batch loss at every step (one line per seed, ``pw06.training.Run``s) and
    the training loss after each epoch. Right: training and test error after each epoch, mean
    ± std over seeds."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    steps_per_epoch = len(runs[0].step_loss) // len(runs[0].loss)
    for run in runs:
        left.plot(np.arange(1, len(run.step_loss) + 1), run.step_loss, lw=0.7, alpha=0.6)
    epochs = np.arange(0, len(runs[0].loss) + 1)
    mean_loss = np.mean([[run.initial_loss, *run.loss] for run in runs], axis=0)
    left.plot(epochs * steps_per_epoch, mean_loss, "ko-", label="training loss after each epoch")
    set_loss_per_step(left, "loss", "Loss: mini-batches (one line per seed)")
    left.legend()
    epochs = np.arange(1, len(runs[0].loss) + 1)
    for key, label in (("train_error", "training set"), ("test_error", "test set")):
        values = np.array([getattr(run, key) for run in runs])
        mean, std = values.mean(axis=0), values.std(axis=0, ddof=1) if len(runs) > 1 else 0
        right.errorbar(epochs, mean, yerr=std, marker="o", capsize=3, label=label)
    right.set(
        xticks=epochs,
        xlabel="epoch",
        ylabel="error rate (%)",
        title=f"Error rate, mean ± std over {len(runs)} seeds",
    )
    right.legend()
    fig.tight_layout()
    return fig


def plot_test_error_curves(curves: dict, title: str = ""):
    """Test error after each epoch, mean ± std over seeds, one line per labelled set of runs.

    Runs evaluated after their last epoch only (``every_epoch=False``) are left out.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for label, runs in curves.items():
        length = max(len(run.test_error) for run in runs)
        values = np.array([run.test_error for run in runs if len(run.test_error) == length])
        epochs = np.arange(1, values.shape[1] + 1)
        std = values.std(axis=0, ddof=1) if len(values) > 1 else None
        ax.errorbar(epochs, values.mean(axis=0), yerr=std, marker="o", capsize=3, label=label)
    ax.set(xticks=epochs, xlabel="epoch", ylabel="test error rate (%)", title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def shown_units(n: int, shown: int = 3) -> list[int | None]:
    """The units (numbered from 1) a drawing of a layer of ``n`` units shows: all of them if
    few, else the first ``shown``, ``None`` for the "⋮" that stands for the rest, and the last."""
    if n <= shown + 2:
        return list(range(1, n + 1))
    return [*range(1, shown + 1), None, n]


def network_sizes(params) -> tuple[int, int, int]:
    """(D, H, K) read from the shapes of ``[W1, b1, W2, b2]``; ``ValueError`` if they disagree."""
    shapes = [tuple(int(d) for d in p.shape) for p in params]
    if len(shapes) != 4 or len(shapes[0]) != 2 or len(shapes[2]) != 2:
        raise ValueError(f"params must be [W1, b1, W2, b2] with 2-D weights, got shapes {shapes}")
    (d, h), (h_b,), (h_w, k), (k_b,) = shapes
    if not h == h_b == h_w or k != k_b:
        raise ValueError(
            f"params do not fit together: W1 {shapes[0]}, b1 {shapes[1]}, W2 {shapes[2]}, "
            f"b2 {shapes[3]} (expected (D, H), (H,), (H, K), (K,))"
        )
    return d, h, k


def plot_network(params, shown: int = 3):
    """The MLP of the lab's Figure 1, drawn from the shapes of ``params``: D inputs, H hidden
    ReLU units, K sigmoid outputs; a few units of each layer, "⋮" for the rest."""
    import matplotlib.pyplot as plt

    d, h, k = network_sizes(params)
    layers = [
        ("x", d, f"input layer\nD = {d} pixels"),
        ("h", h, f"hidden layer\nH = {h} units, ReLU"),
        ("y", k, f"output layer\nK = {k} units, sigmoid"),
    ]
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    positions = []
    for column, (name, n, title) in enumerate(layers):
        units = shown_units(n, shown)
        ys = np.linspace(1, 0, len(units))
        placed = []
        for unit, y in zip(units, ys, strict=True):
            if unit is None:
                ax.text(column, y, "⋮", ha="center", va="center", fontsize=16)
                continue
            ax.add_patch(plt.Circle((column, y), 0.1, fc="white", ec="black", zorder=3))
            label = f"${name}_{{{unit}}}$"
            ax.text(column, y, label, ha="center", va="center", fontsize=8, zorder=4)
            placed.append(y)
        positions.append(placed)
        ax.text(column, 1.2, title, ha="center", va="bottom", fontsize=9)
    for column, (left, right) in enumerate(itertools.pairwise(positions)):
        for y0 in left:
            for y1 in right:
                ax.plot([column + 0.1, column + 0.9], [y0, y1], color="0.7", lw=0.6)
    ax.text(0.5, -0.22, f"$W_1$: {d} × {h}, $b_1$: {h}", ha="center", fontsize=9)
    ax.text(1.5, -0.22, f"$W_2$: {h} × {k}, $b_2$: {k}", ha="center", fontsize=9)
    ax.set(xlim=(-0.4, 2.4), ylim=(-0.35, 1.5), aspect="equal")
    ax.axis("off")
    fig.tight_layout()
    return fig


def plot_plateau(runs, band=None, lab_epochs=None):
    """Validation and test error after each epoch of runs trained to a plateau (one line per
    seed, ``training.fit_to_plateau``), a dot at each run's best validation epoch; optionally
    the lab's band of errors and its number of epochs."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.2, 3.8))
    if band is not None:
        ax.axhspan(*band, color="tab:green", alpha=0.12, label="the lab's expected band")
    if lab_epochs is not None:
        ax.axvline(lab_epochs, color="0.4", ls=":", label=f"the lab's {lab_epochs} epochs")
    for i, run in enumerate(runs):
        epochs = np.arange(1, len(run.validation_error) + 1)
        first = i == 0
        ax.plot(epochs, run.validation_error, color="tab:blue", lw=0.9, alpha=0.7,
                label="validation error" if first else None)  # fmt: skip
        ax.plot(epochs, run.test_error, color="tab:orange", lw=0.9, ls="--", alpha=0.7,
                label="test error" if first else None)  # fmt: skip
        best = run.best_epoch
        ax.plot(best, run.test_error[best - 1], "o", color="tab:red", ms=4,
                label="test error at the best validation epoch" if first else None)  # fmt: skip
    ax.set(
        xlabel="epoch",
        ylabel="error rate (%)",
        title=f"Training to a plateau, {len(runs)} seeds (one line each)",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
