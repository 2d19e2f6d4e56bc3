"""The MLP of Exercise 3 again, in Keras (Exercise 4): both APIs,
``compile`` and ``fit``.

The network of :mod:`pw06.lowlevel_mlp` — D inputs, H ReLU units, K
sigmoid outputs trained with the MSE (or, with ``output="softmax"``,
linear outputs trained with the softmax cross-entropy of the logits) —
with the same initial weights for the same seed, the same loss and
plain SGD at the same learning rate. Built twice: with the Sequential
API and with the Functional API.

This module holds what a student writes for Exercise 4; the tooling
that fits, times and evaluates these models for the comparison is
:mod:`pw06.keras_training`. Lines are at most 72 characters: the
pages show this code.
"""

from __future__ import annotations

from pw06 import lowlevel_mlp as ll
from pw06.data import N_CLASSES, N_FEATURES
from pw06.lowlevel_mlp import init_params
from pw06.tf_quiet import load

tf = load()
import keras  # noqa: E402  (after TensorFlow: its start-up log stays hidden)


def _output_activation(output: str):
    """The output layer's activation; softmax models output logits,
    and their loss applies the softmax (numerically stable)."""
    if output not in ll.OUTPUTS:
        raise ValueError(f"output must be one of {ll.OUTPUTS}, got {output!r}")
    return "sigmoid" if output == "sigmoid" else None


def initial_weights(n_inputs, n_hidden, n_outputs, seed) -> list:
    """The low-level chapter's initial ``[W1, b1, W2, b2]`` for
    ``seed``, as NumPy arrays (``init_params`` checks the sizes; in a
    workbook it is the student's own)."""
    params = init_params(n_inputs, n_hidden, n_outputs, seed)
    return [p.numpy() for p in params]


def build_sequential(
    n_inputs=N_FEATURES,
    n_hidden=300,
    n_outputs=N_CLASSES,
    *,
    output="sigmoid",
    seed=0,
) -> keras.Sequential:
    """The MLP as a ``keras.Sequential`` stack, initialised like
    ``ll.init_params(..., seed)``."""
    weights = initial_weights(n_inputs, n_hidden, n_outputs, seed)
    activation = _output_activation(output)
    ### BEGIN SOLUTION
    model = keras.Sequential(
        [
            keras.Input(shape=(n_inputs,), name="pixels"),
            keras.layers.Dense(n_hidden, "relu", name="hidden"),
            keras.layers.Dense(n_outputs, activation, name="output"),
        ],
        name="mlp_sequential",
    )
    ### END SOLUTION
    model.set_weights(weights)
    return model


def build_functional(
    n_inputs=N_FEATURES,
    n_hidden=300,
    n_outputs=N_CLASSES,
    *,
    output="sigmoid",
    seed=0,
) -> keras.Model:
    """The same MLP with the Functional API: layers called on
    tensors, from ``keras.Input`` to ``keras.Model``."""
    weights = initial_weights(n_inputs, n_hidden, n_outputs, seed)
    activation = _output_activation(output)
    ### BEGIN SOLUTION
    inputs = keras.Input(shape=(n_inputs,), name="pixels")
    hidden = keras.layers.Dense(n_hidden, "relu", name="hidden")
    last = keras.layers.Dense(n_outputs, activation, name="output")
    outputs = last(hidden(inputs))
    model = keras.Model(inputs, outputs, name="mlp_functional")
    ### END SOLUTION
    model.set_weights(weights)
    return model


def compile_model(model, learning_rate, output="sigmoid"):
    """Plain SGD and the loss of the low-level model: the MSE, or
    the cross-entropy from the logits."""
    _output_activation(output)
    ### BEGIN SOLUTION
    if output == "sigmoid":
        loss = keras.losses.MeanSquaredError()
    else:
        loss = keras.losses.CategoricalCrossentropy(from_logits=True)
    sgd = keras.optimizers.SGD(learning_rate=learning_rate)
    model.compile(optimizer=sgd, loss=loss)
    ### END SOLUTION
    return model
