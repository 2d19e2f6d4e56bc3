"""The workbook checks: the reference passes each one; each known mistake, injected into the
reference's source, makes its check print ✗ with the hint that names it; nothing crashes."""

from __future__ import annotations

import inspect
import math
import sys
import textwrap

import numpy as np
import pytest
from pw06 import check, data
from pw06 import computational_graphs as cg
from pw06 import keras_mlp as km
from pw06 import lowlevel_mlp as ll
from pw06.tf_quiet import load

tf = load()
import keras  # noqa: E402  (after TensorFlow, quietly)


def inject(func, old: str, new: str, **names):
    """``func`` recompiled from its own source with ``old`` replaced by ``new`` — the
    reference with one mistake. ``names`` are added to (or replace) its globals."""
    source = textwrap.dedent(inspect.getsource(func))
    assert source.count(old) == 1, f"{old!r} is not in {func.__name__} exactly once"
    namespace = {**func.__globals__, **names}
    exec(compile(source.replace(old, new), f"<{func.__name__} with a mistake>", "exec"), namespace)
    return namespace[func.__name__]


def run(capsys, a_check, *args, **kwargs) -> tuple[bool, str]:
    """Run a check; return its result and the one line it printed."""
    result = a_check(*args, **kwargs)
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1, f"a check prints one line, got {printed!r}"
    assert printed.strip() == result.line
    return bool(result), printed.strip()


REFERENCE = [
    (check.preprocess, data.preprocess),
    (check.one_hot, data.one_hot),
    (check.init_params, ll.init_params),
    (check.logits, ll.logits),
    (check.forward, ll.forward),
    (check.mse_loss, ll.mse_loss),
    (check.train_step, ll.train_step),
    (check.error_rate, ll.error_rate),
    (check.fit, ll.fit),
    (check.piecewise_constant, ll.piecewise_constant),
    (check.forward_softmax, ll.forward_softmax),
    (check.cross_entropy_loss, ll.cross_entropy_loss),
    (check.build_sequential, km.build_sequential),
    (check.build_functional, km.build_functional),
    (check.compile_model, km.compile_model),
]


@pytest.mark.parametrize(("a_check", "reference"), REFERENCE, ids=lambda x: x.__name__)
def test_the_reference_passes(capsys, a_check, reference):
    ok, line = run(capsys, a_check, reference)
    assert ok and line.startswith(f"✓ {a_check.__name__}: "), line


@pytest.mark.parametrize("a_check", [check.build_sequential, check.build_functional])
def test_the_reference_passes_the_softmax_variant(capsys, a_check):
    builder = getattr(km, a_check.__name__)
    assert run(capsys, a_check, builder, output="softmax")[0]
    assert run(capsys, check.compile_model, km.compile_model, output="softmax")[0]


# --- Injected mistakes: (check, reference, old text, new text, the hint it must print) ------

ANY_FLOAT64 = "float64/float32 mix"
MISTAKES = {
    # the data
    "pixels left at 0-255": (
        check.preprocess,
        data.preprocess,
        "return (x / np.float32(255.0)).astype(np.float32)",
        "return x.astype(np.float32)",
        "pixels left at 0–255",
    ),
    "pixels float64": (
        check.preprocess,
        data.preprocess,
        "return (x / np.float32(255.0)).astype(np.float32)",
        "return x / 255.0",
        ANY_FLOAT64,
    ),
    "images not flattened": (
        check.preprocess,
        data.preprocess,
        "x = images.reshape(len(images), -1)",
        "x = images",
        "flatten each 28×28 image",
    ),
    "labels not one-hot": (
        check.one_hot,
        data.one_hot,
        "return np.eye(n_classes, dtype=np.float32)[labels]",
        "return labels",
        "labels not one-hot",
    ),
    "one-hot float64": (
        check.one_hot,
        data.one_hot,
        "np.eye(n_classes, dtype=np.float32)",
        "np.eye(n_classes)",
        ANY_FLOAT64,
    ),
    "one-hot columns from the largest label": (
        check.one_hot,
        data.one_hot,
        "np.eye(n_classes, dtype=np.float32)",
        "np.eye(labels.max() + 1, dtype=np.float32)",
        "one column per class",
    ),
    # parameters
    "weights float64": (
        check.init_params,
        ll.init_params,
        'W1 = tf.Variable(w1.astype(np.float32), name="W1")',
        'W1 = tf.Variable(w1, name="W1")',
        ANY_FLOAT64,
    ),
    "weights not Variables": (
        check.init_params,
        ll.init_params,
        'W1 = tf.Variable(w1.astype(np.float32), name="W1")',
        "W1 = tf.constant(w1.astype(np.float32))",
        "wrap each parameter in tf.Variable",
    ),
    "weights from a Keras initializer": (
        check.init_params,
        ll.init_params,
        "w1 = rng.uniform(-a1, a1, size=(n_inputs, n_hidden))",
        "w1 = keras.initializers.GlorotUniform(seed)((n_inputs, n_hidden)).numpy()",
        "no Keras layers",
    ),
    "weights transposed": (
        check.init_params,
        ll.init_params,
        "size=(n_inputs, n_hidden))",
        "size=(n_hidden, n_inputs))",
        "W1 is transposed",
    ),
    "weights all zero": (
        check.init_params,
        ll.init_params,
        'W1 = tf.Variable(w1.astype(np.float32), name="W1")',
        'W1 = tf.Variable(tf.zeros([n_inputs, n_hidden]), name="W1")',
        "draw the weights at random",
    ),
    "weights standard normal": (
        check.init_params,
        ll.init_params,
        "w1 = rng.uniform(-a1, a1, size=",
        "w1 = rng.normal(0.0, 1.0, size=",
        "Glorot (Xavier) uniform",
    ),
    # the forward pass
    "missing ReLU": (
        check.logits,
        ll.logits,
        "h = tf.nn.relu(tf.matmul(x, W1) + b1)",
        "h = tf.matmul(x, W1) + b1",
        "missing ReLU",
    ),
    "ReLU on the output layer": (
        check.logits,
        ll.logits,
        "h = tf.nn.relu(tf.matmul(x, W1) + b1)\n    return tf.matmul(h, W2) + b2",
        "h = tf.matmul(x, W1) + b1\n    return tf.nn.relu(tf.matmul(h, W2) + b2)",
        "misplaced ReLU",
    ),
    "ReLU before the bias": (
        check.logits,
        ll.logits,
        "tf.nn.relu(tf.matmul(x, W1) + b1)",
        "tf.nn.relu(tf.matmul(x, W1)) + b1",
        "misplaced ReLU",
    ),
    "a Keras activation in the low-level exercise": (
        check.logits,
        ll.logits,
        "tf.nn.relu(",
        "keras.activations.relu(",
        "no Keras layers",
    ),
    "softmax instead of sigmoid": (
        check.forward,
        ll.forward,
        "return tf.sigmoid(logits(params, x))",
        "return tf.nn.softmax(logits(params, x))",
        "sigmoid/softmax mixed up",
    ),
    "no output sigmoid": (
        check.forward,
        ll.forward,
        "return tf.sigmoid(logits(params, x))",
        "return logits(params, x)",
        "the outputs are sigmoid(Z)",
    ),
    "sigmoid instead of softmax (optional variant)": (
        check.forward_softmax,
        ll.forward_softmax,
        "return tf.nn.softmax(logits(params, x))",
        "return tf.sigmoid(logits(params, x))",
        "sigmoid/softmax mixed up",
    ),
    # the loss
    "loss averaged over axis 0": (
        check.mse_loss,
        ll.mse_loss,
        "tf.reduce_mean(tf.square(y - t))",
        "tf.reduce_mean(tf.square(y - t), axis=0)",
        "loss averaged over the wrong axis",
    ),
    "loss averaged over axis 1": (
        check.mse_loss,
        ll.mse_loss,
        "tf.reduce_mean(tf.square(y - t))",
        "tf.reduce_mean(tf.square(y - t), axis=1)",
        "loss averaged over the wrong axis",
    ),
    "loss summed over the outputs": (
        check.mse_loss,
        ll.mse_loss,
        "tf.reduce_mean(tf.square(y - t))",
        "tf.reduce_mean(tf.reduce_sum(tf.square(y - t), axis=1))",
        "loss averaged over the wrong axis",
    ),
    "loss in NumPy": (
        check.mse_loss,
        ll.mse_loss,
        "tf.reduce_mean(tf.square(y - t))",
        "np.mean(np.square(np.asarray(y) - np.asarray(t)))",
        "use TensorFlow operations",
    ),
    "loss mixes float64 in": (
        check.mse_loss,
        ll.mse_loss,
        "tf.square(y - t)",
        "tf.square(tf.cast(y, tf.float64) - t)",
        ANY_FLOAT64,
    ),
    "cross-entropy of sigmoids (optional variant)": (
        check.cross_entropy_loss,
        ll.cross_entropy_loss,
        "tf.nn.softmax_cross_entropy_with_logits(labels=t, logits=z)",
        "tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=t, logits=z), axis=1)",
        "sigmoid/softmax mixed up",
    ),
    "softmax applied before the cross-entropy (optional variant)": (
        check.cross_entropy_loss,
        ll.cross_entropy_loss,
        "logits=z)",
        "logits=tf.nn.softmax(z))",
        "takes the logits",
    ),
    # the training step
    "W = W - ... instead of assign_sub": (
        check.train_step,
        ll.train_step,
        "p.assign_sub(learning_rate * g)",
        "p = p - learning_rate * g  # noqa",
        "`W = W - learning_rate * g` only rebinds",
    ),
    "params[i] = ... instead of assign_sub": (
        check.train_step,
        ll.train_step,
        "for p, g in zip(params, grads, strict=True):\n        p.assign_sub(learning_rate * g)",
        "for i, g in enumerate(grads):\n        params[i] = params[i] - learning_rate * g",
        "update the Variable in place",
    ),
    "update sign flipped": (
        check.train_step,
        ll.train_step,
        "p.assign_sub(learning_rate * g)",
        "p.assign_add(learning_rate * g)",
        "update sign flipped",
    ),
    "learning rate forgotten": (
        check.train_step,
        ll.train_step,
        "p.assign_sub(learning_rate * g)",
        "p.assign_sub(g)",
        "scale the gradient",
    ),
    "update in float64": (
        check.train_step,
        ll.train_step,
        "p.assign_sub(learning_rate * g)",
        "p.assign_sub(tf.cast(learning_rate * g, tf.float64))",
        ANY_FLOAT64,
    ),
    "loss computed outside the tape": (
        check.train_step,
        ll.train_step,
        "    with tf.GradientTape() as tape:\n        loss = model_loss(params, x, t, output)",
        "    loss = model_loss(params, x, t, output)\n    with tf.GradientTape() as tape:\n"
        "        pass",
        "compute the loss inside",
    ),
    "a Keras optimizer in the low-level exercise": (
        check.train_step,
        ll.train_step,
        "for p, g in zip(params, grads, strict=True):\n        p.assign_sub(learning_rate * g)",
        "keras.optimizers.SGD(learning_rate).apply_gradients(zip(grads, params))",
        "no Keras layers",
    ),
    # evaluation, the loop, the schedule
    "error rate as a fraction": (
        check.error_rate,
        ll.error_rate,
        "return 100.0 * float(np.mean(predicted != labels))",
        "return float(np.mean(predicted != labels))",
        "multiply by 100",
    ),
    "accuracy instead of error rate": (
        check.error_rate,
        ll.error_rate,
        "predicted != labels",
        "predicted == labels",
        "count the wrong predictions",
    ),
    "mini-batches not shuffled": (
        check.fit,
        ll.fit,
        "batch = order[start : start + batch_size]",
        "batch = np.arange(start, min(start + batch_size, len(x)))",
        "shuffled `order`",
    ),
    "the whole set as one batch": (
        check.fit,
        ll.fit,
        "batch = order[start : start + batch_size]",
        "batch = order",
        "slice batch_size examples",
    ),
    "schedule one epoch late": (
        check.piecewise_constant,
        ll.piecewise_constant,
        "if epoch < boundary:",
        "if epoch <= boundary:",
        "epoch 2 already gets 0.5",
    ),
    # Keras
    "Keras: softmax output in the sigmoid network": (
        check.build_sequential,
        km.build_sequential,
        'keras.layers.Dense(n_outputs, activation, name="output")',
        'keras.layers.Dense(n_outputs, "softmax", name="output")',
        "sigmoid/softmax mixed up",
    ),
    "Keras: missing ReLU": (
        check.build_functional,
        km.build_functional,
        'keras.layers.Dense(n_hidden, "relu", name="hidden")',
        'keras.layers.Dense(n_hidden, None, name="hidden")',
        "missing ReLU",
    ),
    "Keras: Adam instead of SGD": (
        check.compile_model,
        km.compile_model,
        "keras.optimizers.SGD(",
        "keras.optimizers.Adam(",
        "plain SGD",
    ),
    "Keras: cross-entropy in the MSE network": (
        check.compile_model,
        km.compile_model,
        "keras.losses.MeanSquaredError()",
        "keras.losses.CategoricalCrossentropy()",
        "the lab's loss is the MSE",
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_an_injected_mistake_gets_its_hint(capsys, mistake):
    a_check, reference, old, new, hint = MISTAKES[mistake]
    mistaken = inject(reference, old, new, keras=keras)
    ok, line = run(capsys, a_check, mistaken)
    assert not ok and line.startswith(f"✗ {a_check.__name__}: "), line
    assert hint in line.split(" — hint: ", 1)[-1], line


def test_forward_is_graded_with_the_reference_logits(capsys):
    """A mistake in logits is logits's alone: forward runs with the reference logits."""
    wrong_logits = inject(ll.logits, "tf.nn.relu(tf.matmul(x, W1) + b1)", "tf.matmul(x, W1) + b1")
    forward = inject(ll.forward, "return", "return", logits=wrong_logits)
    assert run(capsys, check.forward, forward)[0]
    assert forward.__globals__["logits"] is wrong_logits  # put back after the check
    inline = inject(
        ll.forward, "logits(params, x)", "wrong_logits(params, x)", wrong_logits=wrong_logits
    )
    ok, line = run(capsys, check.forward, inline)  # not a name the check knows: forward's own
    assert not ok and "missing ReLU" in line


def test_the_sigmoid_network_in_the_softmax_variant_is_named(capsys):
    sigmoid_always = inject(
        km.build_sequential, "activation = _output_activation(output)", 'activation = "sigmoid"'
    )
    ok, line = run(capsys, check.build_sequential, sigmoid_always, output="softmax")
    assert not ok and "sigmoid/softmax mixed up" in line


def test_a_functional_check_refuses_a_sequential_model(capsys):
    ok, line = run(capsys, check.build_functional, km.build_sequential)
    assert not ok and "this is a Sequential model" in line


def test_keras_fit_wants_keras_to_choose_the_batch_size(capsys):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (96, 6)).astype(np.float32)
    t = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 96)]
    model = km.compile_model(km.build_sequential(6, 5, 3, seed=0), 0.5)
    chosen = model.fit(x, t, epochs=2, verbose=0)
    assert run(capsys, check.keras_fit, chosen, x)[0]
    forced = model.fit(x, t, epochs=2, batch_size=8, verbose=0)
    ok, line = run(capsys, check.keras_fit, forced, x)
    assert not ok and "let Keras choose the batch size" in line


@pytest.mark.parametrize(
    ("x", "t", "hint"),
    [
        (np.full((4, 784), 255.0, np.float32), np.eye(10, dtype=np.float32)[[1, 2, 3, 4]], "0–255"),
        (np.zeros((4, 784)), np.eye(10, dtype=np.float32)[[1, 2, 3, 4]], ANY_FLOAT64),
        (np.zeros((4, 784), np.float32), np.array([1, 2, 3, 4]), "labels not one-hot"),
    ],
    ids=["pixels 0-255", "float64 inputs", "labels not one-hot"],
)
def test_training_data_names_the_problem(capsys, x, t, hint):
    ok, line = run(capsys, check.training_data, x, t)
    assert not ok and hint in line


# --- Exercise 1: the answers are dictionaries ---------------------------------------------------


def reference_answers():
    graph = cg.logistic_regression_graph(**cg.CS231N_INPUTS)
    graph.output.backward(1.0)
    values = {node.label: node.data for node in graph.nodes()}
    grads = {node.label: node.grad for node in graph.nodes()}
    return values, grads


def test_exercise_1_reference_answers_pass_rounded_to_three_decimals(capsys):
    values, grads = reference_answers()
    rounded = {k: round(v, 3) for k, v in values.items()}
    assert run(capsys, check.node_values, rounded)[0]
    assert run(capsys, check.node_gradients, {k: round(v, 3) for k, v in grads.items()})[0]


def test_exercise_1_wrong_sign_of_b_is_named(capsys):
    values, grads = reference_answers()
    values["z"] = values["s"] - values["b"]  # eq. 1: z = wᵀx − b
    ok, line = run(capsys, check.node_values, values)
    assert not ok and line.startswith("✗ node_values: z = s + b should be") and "eq. 1" in line
    values, grads = reference_answers()
    grads["b"] = -grads["b"]
    ok, line = run(capsys, check.node_gradients, grads)
    assert not ok and "∂ŷ/∂b" in line and "the sign of b" in line


def test_exercise_1_forgotten_chain_rule_is_named(capsys):
    values, grads = reference_answers()
    grads["e"] = 1.0  # ∂d/∂e only, not × ∂ŷ/∂d
    ok, line = run(capsys, check.node_gradients, grads, values)
    assert not ok and "∂ŷ/∂e should be" in line and "chain rule" in line


def test_exercise_1_multiply_gate_that_does_not_swap_is_named(capsys):
    values, grads = reference_answers()
    grads["w1"] = values["w1"] * grads["p1"]
    ok, line = run(capsys, check.node_gradients, grads, values)
    assert not ok and "the multiply gate swaps" in line


def test_exercise_1_checks_the_inputs_given_in_the_answer(capsys):
    values = {"x1": 1.0, "x2": 0.5, "w1": 0.3, "w2": -2.0, "b": 0.1}
    graph = cg.logistic_regression_graph(**values)
    graph.output.backward(1.0)
    assert run(capsys, check.node_values, {n.label: n.data for n in graph.nodes()})[0]
    grads = {n.label: n.grad for n in graph.nodes()}
    assert run(capsys, check.node_gradients, grads, values)[0]
    assert not run(capsys, check.node_gradients, grads)[0]  # CS231n's inputs by default


# --- Never a crash -----------------------------------------------------------------------------


def not_written(*args, **kwargs):
    raise NotImplementedError()


def divides_by_zero(*args, **kwargs):
    return 1 / 0


@pytest.mark.parametrize(
    "a_check", [c for c, _ in REFERENCE] + [check.node_values], ids=lambda c: c.__name__
)
@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (not_written, "is not written yet"),
        (divides_by_zero, "raised ZeroDivisionError"),
        (lambda *a, **k: "text", ""),
        (None, ""),
    ],
    ids=["not written", "raises", "returns a string", "None"],
)
def test_a_check_explains_instead_of_crashing(capsys, a_check, answer, says):
    if a_check is check.node_values and answer is not None:  # a dict holding a bad value
        answer, says = {**reference_answers()[0], "z": answer}, "not a finite number"
    ok, line = run(capsys, a_check, answer)
    assert not ok and line.startswith(f"✗ {a_check.__name__}: ") and " — hint: " in line
    assert says in line


def test_under_nbgrader_a_failed_check_fails_its_cell(capsys, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(check.CheckFailed, match="not written yet"):
        check.forward(not_written)
    assert check.forward(ll.forward)  # a passing check does not raise
    monkeypatch.delenv("NBGRADER_EXECUTION")
    assert not check.forward(not_written)


def test_keras_is_found_however_it_is_imported():
    from keras.layers import Dense

    def by_module(x):
        return keras.layers.Dense(3)(x)

    def by_class(x):
        return Dense(3)(x)

    def by_tf(x):
        return tf.keras.layers.Dense(3)(x)

    def low_level(x):
        return tf.nn.relu(x)

    assert check.keras_used(by_module) == ["keras"]
    assert check.keras_used(by_class) == ["Dense"]
    assert check.keras_used(by_tf) == ["keras"]
    assert check.keras_used(low_level) == []
    assert check.keras_used(tf.function(by_module)) == ["keras"]
    assert check.keras_used(ll.train_step) == [] and check.keras_used(ll.fit) == []


def test_importing_the_checks_does_not_import_tensorflow():
    import subprocess
    import sys

    code = "import sys, pw06.check; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- One function at a time: a notebook's namespace with one injected mistake ----------------

#: The workbook functions in the order of the lab notebook (given code included).
NOTEBOOK_FUNCTIONS = [
    data.preprocess,
    data.one_hot,
    ll.init_params,
    ll.logits,
    ll.forward,
    ll.mse_loss,
    ll.model_loss,
    ll.train_step,
    ll.error_rate,
    ll.fit,
    ll.piecewise_constant,
    ll.forward_softmax,
    ll.cross_entropy_loss,
    km._output_activation,
    km.initial_weights,
    km.build_sequential,
    km.build_functional,
    km.compile_model,
]
#: What the notebook's set-up cells import, as a cell that runs first (in a notebook of
#: ``scripts/check_answers.py`` too, in the student package).
NOTEBOOK_IMPORTS = """\
import math

import keras
import numpy as np
import tensorflow as tf

from pw06 import lowlevel_mlp as ll
from pw06.data import N_CLASSES, N_FEATURES
from pw06.lowlevel_mlp import (
    LAB_CONFIG,
    OUTPUTS,
    History,
    check_count,
    check_inputs,
    check_labels,
    check_learning_rate,
    check_targets,
)
"""


def notebook(mistake: tuple[str, str, str] | None = None) -> dict:
    """A fresh namespace, like a notebook's globals, holding every workbook function run from
    the reference's source; ``mistake``: (function name, old text, new text) injected once."""
    namespace = {"__name__": "__main__"}
    exec(compile(NOTEBOOK_IMPORTS, "<cell imports>", "exec"), namespace)
    for func in NOTEBOOK_FUNCTIONS:
        source = textwrap.dedent(inspect.getsource(func))
        if mistake and mistake[0] == func.__name__:
            assert source.count(mistake[1]) == 1, mistake
            source = source.replace(mistake[1], mistake[2])
        exec(compile(source, f"<cell {func.__name__}>", "exec"), namespace)
    return namespace


def all_check_lines(capsys, ns) -> dict[str, str]:
    """Every Ex. 3 and Ex. 4 check on the notebook ``ns``: {label: the line printed}."""
    lines = {}
    for name in check.LAB_CHECKS:
        lines[name] = run(capsys, getattr(check, name), ns[name])[1]
    for name in check.SOFTMAX_CHECKS:
        a_check = getattr(check, name)
        lines[f"{name} (softmax)"] = run(capsys, a_check, ns[name], output="softmax")[1]
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (96, 6)).astype(np.float32)
    t = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 96)]
    model = ns["compile_model"](ns["build_sequential"](6, 5, 3, seed=0), 0.5)
    lines["keras_fit"] = run(capsys, check.keras_fit, model.fit(x, t, epochs=2, verbose=0), x)[1]
    return lines


def failed(lines: dict[str, str]) -> dict[str, str]:
    """The ✗ lines that are not "not checked — … fix it first"."""
    return {k: v for k, v in lines.items() if v.startswith("✗") and "not checked — " not in v}


def test_the_reference_notebook_passes_every_check(capsys):
    lines = all_check_lines(capsys, notebook())
    assert all(line.startswith("✓") for line in lines.values()), lines


NOTEBOOK_MISTAKES = {
    "ReLU removed": (
        ("logits", "h = tf.nn.relu(tf.matmul(x, W1) + b1)", "h = tf.matmul(x, W1) + b1"),
        "logits",
        "missing ReLU",
    ),
    "x[batch] in fit": (
        ("fit", "tf.gather(x, batch), tf.gather(t, batch)", "x[batch], t[batch]"),
        "fit",
        "tf.gather(x, batch)",
    ),
    "log(softmax)": (
        (
            "cross_entropy_loss",
            "tf.nn.softmax_cross_entropy_with_logits(labels=t, logits=z)",
            "-tf.reduce_sum(t * tf.math.log(tf.nn.softmax(z)), axis=1)",
        ),
        "cross_entropy_loss",
        "cross-entropy computed as log(softmax)",
    ),
    "softmax layer with from_logits=True": (
        (
            "build_sequential",
            "activation = _output_activation(output)",
            'activation = "sigmoid" if output == "sigmoid" else "softmax"',
        ),
        "build_sequential (softmax)",
        "a softmax layer with from_logits=True",
    ),
    **{  # three ways to lose the step losses that fit hands to its History
        label: (("fit", old, new), "fit", "`losses` must hold this epoch's step losses")
        for label, (old, new) in {
            "losses not appended": ("losses.append(float(loss))", "pass"),
            "losses hold tensors": ("losses.append(float(loss))", "losses.append(loss)"),
            "losses never made": ("losses = []", "pass"),
        }.items()
    },
    "train_step called instead of step": (
        (
            "fit",
            "loss = step(params, x_batch, t_batch, rate_var, output)",
            "loss = train_step(params, x_batch, t_batch, rate_var, output)",
        ),
        "fit",
        "not train_step directly",
    ),
    "train_step's loss outside the tape": (
        (
            "train_step",
            "    with tf.GradientTape() as tape:\n        loss = model_loss(params, x, t, output)",
            "    loss = model_loss(params, x, t, output)\n    with tf.GradientTape() as tape:\n"
            "        pass",
        ),
        "train_step",
        "compute the loss inside",
    ),
}


@pytest.mark.parametrize("mistake", NOTEBOOK_MISTAKES)
def test_one_mistake_fails_exactly_one_check(capsys, mistake):
    """Every other check runs its function with the reference versions of what it calls."""
    injected, label, hint = NOTEBOOK_MISTAKES[mistake]
    lines = all_check_lines(capsys, notebook(injected))
    assert list(failed(lines)) == [label], lines
    assert hint in lines[label].split(" — hint: ", 1)[1], lines[label]
    assert "could not be checked" not in lines[label]
    others = [v for k, v in lines.items() if k != label]
    assert all(v.startswith("✓") or "; fix it first" in v for v in others), lines


def test_under_nbgrader_one_mistake_fails_one_cell(capsys, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    ns = notebook(NOTEBOOK_MISTAKES["ReLU removed"][0])
    with pytest.raises(check.CheckFailed, match="missing ReLU"):
        check.logits(ns["logits"])
    for name in ("forward", "train_step", "error_rate", "fit", "forward_softmax"):
        assert getattr(check, name)(ns[name]), name  # no exception: the cell keeps its points
    capsys.readouterr()


def test_the_swap_leaves_the_namespace_exactly_as_it_was():
    ns = notebook()
    del ns["forward_softmax"]  # a name the notebook lacks is not added
    exec(
        "def student(*args):\n"
        "    assert logits is ll.logits and model_loss is ll.model_loss\n"
        "    raise RuntimeError('the student code fails')\n",
        ns,
    )
    before = dict(ns)
    with pytest.raises(RuntimeError), check.references(ns["student"], check._USES["train_step"]):
        ns["student"]()
    assert ns.keys() == before.keys() and "forward_softmax" not in ns
    assert all(ns[k] is before[k] for k in before)
    assert ns["logits"] is not ll.logits  # the notebook's own again
    with check.references(ns["student"], ["logits"]) as callee:
        assert callee is ns["student"] and ns["logits"] is ll.logits
    assert ns == before and all(ns[k] is before[k] for k in before)


def test_a_tf_function_is_checked_through_its_python_function(capsys):
    ns = notebook(NOTEBOOK_MISTAKES["ReLU removed"][0])
    ns["forward"] = tf.function(ns["forward"])
    ns["forward"](ll.init_params(6, 5, 3, seed=0), tf.zeros((8, 6)))  # traced with its logits
    assert run(capsys, check.forward, ns["forward"])[0]


@pytest.mark.parametrize(
    "source",
    [
        "def forward(params, x, logits=logits):\n    return tf.sigmoid(logits(params, x))\n",
        "def forward(params, x, *, logits=logits):\n    return tf.sigmoid(logits(params, x))\n",
        "def make(logits):\n"
        "    def forward(params, x):\n"
        "        return tf.sigmoid(logits(params, x))\n"
        "    return forward\n"
        "forward = make(logits)\n",
    ],
    ids=["default argument", "keyword-only default", "closure"],
)
def test_a_dependency_held_in_the_function_is_replaced_in_a_copy(capsys, source):
    ns = notebook(NOTEBOOK_MISTAKES["ReLU removed"][0])
    exec(source, ns)
    forward, before = ns["forward"], dict(ns)
    held = (forward.__defaults__, forward.__kwdefaults__, forward.__closure__)
    assert run(capsys, check.forward, forward)[0]
    assert (forward.__defaults__, forward.__kwdefaults__, forward.__closure__) == held
    assert all(ns[k] is before[k] for k in before) and ns.keys() == before.keys()
    assert not run(capsys, check.forward, lambda params, x: forward(params, x))[0]  # its own


def test_where_no_swap_reaches_the_dependency_is_named_not_blamed(capsys, monkeypatch):
    """A callable object holding its own (wrong) logits: not checked, logits named."""
    ns = notebook(NOTEBOOK_MISTAKES["ReLU removed"][0])
    source = (
        "class Forward:\n"
        "    def __call__(self, params, x, logits=logits):\n"
        "        return tf.sigmoid(logits(params, x))\n"
        "forward = Forward()\n"
    )
    exec(source, ns)
    ok, line = run(capsys, check.forward, ns["forward"])
    assert not ok and line == "✗ forward: not checked — logits fails its check; fix it first"
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert not check.forward(ns["forward"])  # the cell is not failed: logits's cell is
    capsys.readouterr()
    right = notebook()  # the same object with a right logits: graded as usual
    exec(source, right)
    monkeypatch.delenv("NBGRADER_EXECUTION")
    assert run(capsys, check.forward, right["forward"])[0]


def test_a_callable_object_runs_with_the_reference_too(capsys):
    ns = notebook(NOTEBOOK_MISTAKES["ReLU removed"][0])
    exec(
        "class Forward:\n"
        "    def __call__(self, params, x):\n"
        "        return tf.sigmoid(logits(params, x))\n"
        "forward = Forward()\n",
        ns,
    )
    assert run(capsys, check.forward, ns["forward"])[0]
    assert ns["logits"] is not ll.logits


def test_two_mistakes_fail_their_two_checks_each_with_its_hint(capsys):
    """fit's default step=train_step is not a binding the check cares about: it passes step."""
    ns = notebook()
    step_source = textwrap.dedent(inspect.getsource(ll.train_step))
    exec(
        step_source.replace("p.assign_sub(learning_rate * g)", "p.assign_add(learning_rate * g)"),
        ns,
    )
    exec(
        textwrap.dedent(inspect.getsource(ll.fit)).replace(
            "tf.gather(x, batch), tf.gather(t, batch)", "x[batch], t[batch]"
        ),
        ns,
    )
    assert "update sign flipped" in run(capsys, check.train_step, ns["train_step"])[1]
    assert "tf.gather(x, batch)" in run(capsys, check.fit, ns["fit"])[1]


# --- Keras: what model.fit returned ------------------------------------------------------------


def small_data():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (96, 6)).astype(np.float32)
    labels = rng.integers(0, 3, 96)
    return x, labels, np.eye(3, dtype=np.float32)[labels]


@pytest.mark.parametrize(
    ("history", "says"),
    [(None, "history is None"), (ll.History(), "Exercise 3's"), ({"loss": [0.3]}, "a dict")],
    ids=["None", "Exercise 3's history", "History.history"],
)
def test_a_history_not_kept_is_named(capsys, monkeypatch, history, says):
    monkeypatch.setattr(sys, "last_value", None, raising=False)
    monkeypatch.setattr(sys, "last_exc", None, raising=False)
    ok, line = run(capsys, check.keras_fit, history, small_data()[0])
    assert not ok and says in line and " — hint: " in line, line
    assert "history = model.fit(" in line or "the History object itself" in line


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_integer_labels_given_to_keras_fit_are_named(capsys, monkeypatch, output):
    x, labels, _ = small_data()
    model = km.compile_model(km.build_sequential(6, 5, 3, seed=0, output=output), 0.5, output)
    with pytest.raises(ValueError) as raised:  # what the student's cell shows
        model.fit(x, labels, epochs=1, verbose=0)
    monkeypatch.setattr(sys, "last_value", raised.value, raising=False)  # as IPython keeps it
    monkeypatch.setattr(sys, "last_exc", raised.value, raising=False)
    ok, line = run(capsys, check.keras_fit, ll.History(), x)  # the stale `history`
    assert not ok and "integer labels passed to Keras fit" in line, line


def test_integer_labels_that_keras_broadcasts_into_the_mse_are_named(capsys):
    x = small_data()[0]
    labels = np.arange(len(x)) % 10  # the digits 0–9
    model = km.compile_model(km.build_sequential(6, 5, 10, seed=0), 0.5)
    column = labels.reshape(-1, 1).astype(np.float32)  # (n, 1): broadcast against (n, 10)
    ok, line = run(capsys, check.keras_fit, model.fit(x, column, epochs=2, verbose=0), x)
    assert not ok and "integer labels passed to Keras fit" in line, line


@pytest.mark.filterwarnings("ignore:.*from_logits=True.*Softmax")  # Keras's own warning
def test_keras_fit_names_a_softmax_layer_with_from_logits(capsys):
    x, _, t = small_data()
    softmax_layer = inject(
        km.build_sequential,
        "activation = _output_activation(output)",
        'activation = "softmax"',
    )
    model = km.compile_model(softmax_layer(6, 5, 3, seed=0, output="softmax"), 0.5, "softmax")
    ok, line = run(capsys, check.keras_fit, model.fit(x, t, epochs=2, verbose=0), x)
    assert not ok and "a softmax layer with from_logits=True" in line, line


# --- Exercise 1: one mistake, one ✗ -------------------------------------------------------------


def workbook_answers(mistakes: dict[str, str] | None = None):
    """Exercise 1's values and gradients computed as the workbook's solution does, from the
    values, with ``mistakes``: {node: Python expression replacing its value's formula}."""
    x1, x2, w1, w2, b = -1.0, -2.0, 2.0, -3.0, -3.0
    v = {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}
    formulas = {
        "p1": "w1 * x1",
        "p2": "w2 * x2",
        "s": "v['p1'] + v['p2']",
        "z": "v['s'] + b",
        "u": "-v['z']",
        "e": "math.exp(v['u'])",
        "d": "v['e'] + 1",
        "ŷ": "1 / v['d']",
    } | (mistakes or {})
    scope = {"math": math, "v": v, **v}
    for node, formula in formulas.items():
        v[node] = eval(formula, scope)
    g = {"ŷ": 1.0}
    g["d"] = -1 / v["d"] ** 2 * g["ŷ"]
    g["e"] = 1.0 * g["d"]
    g["u"] = math.exp(v["u"]) * g["e"]
    g["z"] = -1.0 * g["u"]
    g["s"] = g["b"] = g["z"]
    g["p1"] = g["p2"] = g["s"]
    g["w1"], g["x1"] = x1 * g["p1"], w1 * g["p1"]
    g["w2"], g["x2"] = x2 * g["p2"], w2 * g["p2"]
    return v, g


def test_exercise_1_inputs_that_overflow_are_explained(capsys):
    values, _ = workbook_answers()
    ok, line = run(capsys, check.node_values, {**values, "b": 800.0, "x1": -1000.0})
    assert not ok and "could not be checked" not in line and "|z| < 700" in line, line


def test_exercise_1_not_checked_does_not_fail_its_cell_under_nbgrader(capsys, monkeypatch):
    values, grads = workbook_answers({"d": "v['e']"})
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(check.CheckFailed, match="the '1 \\+' of the denominator"):
        check.node_values(values)
    assert not check.node_gradients(grads, values)  # printed, not raised
    assert "not checked — node_values" in capsys.readouterr().out


def test_exercise_1_the_issue_s_values_get_their_hint_and_no_crash(capsys):
    values, grads = workbook_answers({"u": "v['z']", "e": "math.exp(v['z'])", "d": "v['e']"})
    ok, line = run(capsys, check.node_values, values)
    assert not ok and "could not be checked" not in line
    assert line.startswith("✗ node_values: u = ") and "the minus sign of exp(−z)" in line
    assert "also wrong for its own inputs: d" in line  # e = exp(u) is right for its u
    ok, line = run(capsys, check.node_gradients, grads, values)  # right for those values
    assert line == "✗ node_gradients: not checked — node_values fails its check; fix it first"


@pytest.mark.parametrize(
    ("node", "formula", "hint"),
    [
        ("u", "v['z']", "the minus sign of exp(−z)"),
        ("e", "math.exp(-v['u'])", "u already holds the minus sign"),
        ("d", "v['e']", "the '1 +' of the denominator"),
        ("d", "v['e'] - 1", "d = e + 1, not e − 1"),
        ("ŷ", "v['d']", "the reciprocal closes the sigmoid"),
        ("s", "v['p1'] * v['p2']", "a sum, not a product"),
        ("p1", "w1 + x1", "p1 is a product"),
    ],
)
def test_exercise_1_every_node_s_hint_shows(capsys, node, formula, hint):
    values, grads = workbook_answers({node: formula})
    ok, line = run(capsys, check.node_values, values)
    assert not ok and line.startswith(f"✗ node_values: {node} = ") and hint in line, line
    ok, line = run(capsys, check.node_gradients, grads, values)  # right for those values
    assert ok or line.endswith("not checked — node_values fails its check; fix it first"), line


def test_exercise_1_one_wrong_gradient_is_named_once(capsys):
    values, _ = workbook_answers()
    wrong = check._reference_graph(values)
    wrong.output.backward(1.0)
    grads = {n.label: n.grad for n in wrong.nodes()}
    grads["u"] = 1.0 * grads["e"]  # the local derivative exp(u) forgotten…
    for name, factor in (("z", -1.0), ("s", 1.0), ("b", 1.0)):  # …and used downstream
        grads[name] = factor * (grads["u"] if name == "z" else grads["z"])
    grads["p1"] = grads["p2"] = grads["s"]
    grads["w1"], grads["x1"] = values["x1"] * grads["p1"], values["w1"] * grads["p1"]
    grads["w2"], grads["x2"] = values["x2"] * grads["p2"], values["w2"] * grads["p2"]
    ok, line = run(capsys, check.node_gradients, grads, values)
    assert not ok and line.startswith("✗ node_gradients: ∂ŷ/∂u should be "), line
    assert "multiply the upstream gradient by the local derivative" in line
    assert run(capsys, check.node_values, values)[0]
