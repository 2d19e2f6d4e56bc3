"""Tiny learnable data shared by the MLP unit tests: fast, deterministic, no MNIST needed."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

#: Inputs, hidden units and classes of the tiny networks the tests train.
D, H, K = 6, 5, 3


def tiny_data(n=40, seed=0):
    """``n`` points in [0, 1]^D; the label is the largest of the first K features."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(n, D)).astype(np.float32)
    y = (x[:, :K].argmax(axis=1)).astype(np.int64)  # a learnable rule
    return x, y


def digits_like(n_train=40, n_test=20):
    """A stand-in for ``pw06.data.Digits`` built from ``tiny_data``."""
    x, y = tiny_data(n_train + n_test)
    return SimpleNamespace(
        x_train=x[:n_train],
        y_train=y[:n_train],
        x_test=x[n_train:],
        y_test=y[n_train:],
        n_features=D,
        n_classes=K,
    )
