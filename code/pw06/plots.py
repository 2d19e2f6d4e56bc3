"""The figures of the MLP chapters, drawn with Matplotlib (imported only when a figure is drawn).

Each function returns the figure; the chapter glues it and closes it.
"""

from __future__ import annotations

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
    left.set(
        yscale="log",
        xlabel="step (mini-batch update)",
        ylabel="loss",
        title="Loss: mini-batches (one line per seed)",
    )
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
