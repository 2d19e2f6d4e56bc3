"""The checks of Exercises 3 and 4 (``workbooks/mlp.md``): the data, the low-level MLP in
TensorFlow (Ex. 3) and the same network in Keras (Ex. 4)."""

from __future__ import annotations

import functools
import math
import types
from collections.abc import Callable

import numpy as np

from pw06.check._core import (
    INTEGER_LABELS_HINT,
    Mistake,
    Variants,
    _array,
    _call,
    _check,
    _close,
    _compare,
    _hint_for,
    _is_number,
    _same_shape,
    _short,
)
from pw06.check._references import _function_of, _ll, _reference, _tf

#: The checks of Exercises 3 and 4, in the lab notebook's order, each named after the function it
#: grades; those of :data:`SOFTMAX_CHECKS` also take ``output="softmax"`` (the optional part).
LAB_CHECKS = tuple(
    "preprocess one_hot init_params logits forward mse_loss train_step error_rate fit "
    "piecewise_constant forward_softmax cross_entropy_loss "
    "build_sequential build_functional compile_model".split()
)
SOFTMAX_CHECKS = ("build_sequential", "build_functional", "compile_model")


# --- Exercise 3 is low-level TensorFlow: no Keras ------------------------------------------------


def _names_used(fn) -> set[str]:
    """Every global and attribute name the code of ``fn`` (and its inner functions) uses."""
    code = getattr(fn, "__code__", None)
    names, stack = set(), [code] if code else []
    while stack:
        code = stack.pop()
        names |= set(code.co_names)
        stack += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return names


def keras_used(fn) -> list[str]:
    """The names through which ``fn`` reaches Keras (``keras``, ``tf.keras``, a Keras class)."""
    fn = _function_of(fn) or fn  # a tf.function's, a partial's Python function
    found = []
    scope = dict(getattr(fn, "__globals__", {}))
    code, cells = getattr(fn, "__code__", None), getattr(fn, "__closure__", None) or ()
    for name, cell in zip(code.co_freevars if code else (), cells, strict=False):
        try:
            scope[name] = cell.cell_contents  # names of an enclosing function
        except ValueError:
            continue
    names = _names_used(fn) | set(code.co_freevars if code else ())
    for name in sorted(names):
        obj = scope.get(name)
        module = (
            obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", "")
        )
        root = (module or "").split(".")
        if (
            name == "keras"
            or root[0] in ("keras", "tf_keras")
            or root[:2] == ["tensorflow", "keras"]
        ):
            found.append(name)
    return found


def _forbid_keras(fn, exercise: str = "Exercise 3") -> None:
    used = keras_used(fn)
    if used:
        raise Mistake(
            f"{getattr(fn, '__name__', 'it')} uses Keras ({', '.join(used)})",
            f"{exercise} is low-level TensorFlow: tf.Variable, tf.matmul, tf.GradientTape, "
            "assign_sub — no Keras layers, models, losses, optimizers or initializers "
            "(Keras is Exercise 4)",
        )


# --- Exercise 3: data --------------------------------------------------------------------------


def _sample_images(n: int = 6) -> np.ndarray:
    """Six fixed 28×28 uint8 "images" with pixels 0–255."""
    rng = np.random.default_rng(6)
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


def _pixel_problems(x: np.ndarray, expected_shape) -> None:
    """Raise the mistake that prepared inputs ``x`` show, if any."""
    if x.ndim != 2:
        raise Mistake(
            f"the inputs have shape {x.shape}, expected {expected_shape}",
            "flatten each 28×28 image into one row of 784 features: "
            "images.reshape(len(images), -1)",
        )
    if np.issubdtype(x.dtype, np.number) and x.size and float(np.max(x)) > 1.0 + 1e-6:
        raise Mistake(
            f"pixel values go up to {float(np.max(x)):g}",
            "pixels left at 0–255: divide by 255 so that inputs are in [0, 1]; "
            "unscaled inputs saturate the units and SGD with the lab's learning rate fails",
        )
    if x.dtype == np.float64:
        raise Mistake(
            "the inputs are float64",
            "float64/float32 mix: `images / 255` is float64 in NumPy while the network's "
            "variables are float32 — use (images / np.float32(255)) or .astype(np.float32)",
        )
    if x.dtype != np.float32:
        raise Mistake(
            f"the inputs are {x.dtype}", "convert them to float32 (after scaling to [0, 1])"
        )


def _label_problems(t: np.ndarray, n: int, k: int) -> None:
    """Raise the mistake that targets ``t`` (for ``n`` examples, ``k`` classes) show, if any."""
    if t.ndim == 1:
        raise Mistake(
            f"the targets have shape {t.shape}: one number per example",
            "labels not one-hot: the MSE compares K outputs with K targets, so label 3 must "
            "become [0, 0, 0, 1, 0, …] (np.eye(K, dtype=np.float32)[labels], or tf.one_hot)",
        )
    if t.shape == (k, n) and n != k:
        raise Mistake(f"the targets have shape {t.shape}", "transposed: one row per example")
    if t.ndim != 2 or t.shape[0] != n:
        raise Mistake(
            f"the targets have shape {t.shape}, expected ({n}, {k})", "one row per example"
        )
    if t.shape[1] != k:
        raise Mistake(
            f"the targets have {t.shape[1]} columns, expected {k}",
            "one column per class, all K of them, even if a batch lacks some digit",
        )
    if not (np.isin(t, (0, 1)).all() and np.all(t.sum(axis=1) == 1)):
        raise Mistake("the targets are not one-hot", "each row has a single 1, the rest 0")
    if t.dtype != np.float32:
        raise Mistake(
            f"the targets are {t.dtype}",
            "float64/float32 mix: make the one-hot targets float32 like the outputs",
        )


@_check("preprocess")
def preprocess(fn) -> str:
    """Ex. 3: ``preprocess(images)`` — uint8 images (n, 28, 28) → float32 (n, 784) in [0, 1]."""
    images = _sample_images()
    expected = _reference("preprocess")(images)
    x = _array(_call(fn, images.copy()), "the result")
    _pixel_problems(x, expected.shape)
    _same_shape(x, expected, "one row per image")
    if not _close(x, expected):
        raise Mistake(
            "the values differ from pixel / 255", "scale each pixel by 1/255, nothing else"
        )
    return "images flattened to 784 features, float32, scaled to [0, 1]"


@_check("one_hot")
def one_hot(fn) -> str:
    """Ex. 3: ``one_hot(labels, n_classes)`` — integer labels → float32 one-hot rows."""
    labels = np.array([3, 0, 7, 1, 3, 2])  # digits 8 and 9 absent: K must still be 10
    t = _array(_call(fn, labels.copy(), 10), "the result")
    _label_problems(t, len(labels), 10)
    if not _close(t, np.eye(10, dtype=np.float32)[labels]):
        raise Mistake(
            "the 1s are not in the labels' columns", "row i has its 1 in column labels[i]"
        )
    return "labels 0–9 become float32 one-hot rows of 10"


@_check("training_data")
def training_data(x, t) -> str:
    """Ex. 3: prepared inputs ``x`` (float32 in [0, 1], one row per example) and one-hot ``t``."""
    x, t = _array(x, "x"), _array(t, "t")
    _pixel_problems(x, "(examples, 784)")
    _label_problems(t, len(x), t.shape[1] if t.ndim == 2 else 10)
    return f"{len(x)} examples: inputs float32 in [0, 1], one-hot float32 targets of {t.shape[1]}"


# --- Exercise 3: the network -------------------------------------------------------------------

#: The small fixed problem: 8 examples, D = 6 inputs, H = 5 hidden units, K = 3 outputs.
N, D, H, K = 8, 6, 5, 3


def _problem():
    """Reference parameters (biases made non-zero, so a forgotten bias shows), inputs in
    [0, 1], integer labels and one-hot targets."""
    tf, ll = _tf(), _ll()
    rng = np.random.default_rng(2024)
    params = ll.init_params(D, H, K, seed=0)
    params[1].assign(rng.uniform(-0.5, 0.5, H).astype(np.float32))
    params[3].assign(rng.uniform(-0.5, 0.5, K).astype(np.float32))
    x = rng.uniform(0, 1, (N, D)).astype(np.float32)
    labels = rng.integers(0, K, N)
    t = np.eye(K, dtype=np.float32)[labels]
    return params, tf.constant(x), labels, tf.constant(t)


def _copy(params):
    tf = _tf()
    return [tf.Variable(p.numpy(), name=p.name.split(":")[0]) for p in params]


def _logit_variants(params, x) -> Variants:
    """The pre-activations Z of the reference and of the known mistakes."""
    tf = _tf()
    W1, b1, W2, b2 = params
    a = tf.matmul(x, W1) + b1
    relu, misplaced = (
        tf.nn.relu,
        (
            "misplaced ReLU: apply it to the hidden pre-activation after adding b1, "
            "h = tf.nn.relu(x @ W1 + b1), and nowhere else"
        ),
    )
    return {
        "the hidden layer has no ReLU": (
            tf.matmul(a, W2) + b2,
            "missing ReLU: h = tf.nn.relu(x @ W1 + b1); without it the two layers make one "
            "linear map",
        ),
        "the ReLU is on the output layer": (relu(tf.matmul(a, W2) + b2), misplaced),
        "the ReLU is on both layers": (relu(tf.matmul(relu(a), W2) + b2), misplaced),
        "the ReLU comes before adding b1": (
            tf.matmul(relu(tf.matmul(x, W1)) + b1, W2) + b2,
            misplaced,
        ),
        "the hidden layer uses a sigmoid": (
            tf.matmul(tf.sigmoid(a), W2) + b2,
            "the hidden units are ReLU (tf.nn.relu); the sigmoid is for the outputs",
        ),
        "b1 is not added": (
            tf.matmul(relu(tf.matmul(x, W1)), W2) + b2,
            "add the bias: x @ W1 + b1",
        ),
        "b2 is not added": (tf.matmul(relu(a), W2), "add the bias: h @ W2 + b2"),
    }


def _network_call(fn, params, x, what):
    """Call ``fn(params, x)`` on copies of the parameters; return its output as an array."""
    _forbid_keras(fn)
    out = _array(_call(fn, _copy(params), x, what=what), f"the result of {what}")
    if out.dtype == np.float64:
        raise Mistake(
            f"{what} returns float64",
            "float64/float32 mix: keep everything float32 (tf.float32, .astype(np.float32))",
        )
    return out


def _same_outputs(fn, what: str, known, differs: str, hint: str) -> None:
    """Run the student's ``what`` (``fn(params, x)``) on the fixed problem; raise the mistake
    unless its outputs are the reference's: their shape, a known mistake (``known(params,
    x)``), or else ``differs`` (with the largest difference) and ``hint``."""
    params, x, _, _ = _problem()
    y = _network_call(fn, params, x, what)
    expected = getattr(_ll(), what)(params, x).numpy()
    _same_shape(y, expected, "(examples, K)")
    _compare(y, expected, lambda: known(params, x), differs, hint)


OUTPUTS_DIFFER = "the outputs differ from the reference by up to {diff:.3g}"


@_check("logits")
def logits(fn) -> str:
    """Ex. 3: ``logits(params, x)`` — Z = ReLU(x W1 + b1) W2 + b2 (no output activation)."""
    _same_outputs(
        fn,
        "logits",
        _logits_mistakes,
        "Z differs from the reference by up to {diff:.3g}",
        "compute h = relu(x @ W1 + b1), then h @ W2 + b2, with params = [W1, b1, W2, b2]",
    )
    return "Z = ReLU(x W1 + b1) W2 + b2 on a fixed batch, like the reference"


def _logits_mistakes(params, x) -> Variants:
    """The results of the known mistakes of ``logits``: those of the network, and an output
    activation that belongs in ``forward``."""
    tf = _tf()
    z = _ll().logits(params, x)
    return _logit_variants(params, x) | {
        "a sigmoid is applied": (
            tf.sigmoid(z),
            "logits are the pre-activations: the sigmoid belongs in forward",
        ),
        "a softmax is applied": (
            tf.nn.softmax(z),
            "logits are the pre-activations: leave the output activation to forward",
        ),
    }


@_check("forward")
def forward(fn) -> str:
    """Ex. 3: ``forward(params, x)`` — sigmoid(ReLU(x W1 + b1) W2 + b2)."""
    return _output_layer(fn, "sigmoid")


#: The workbook function of each output layer, the hint where it is wrong, the line where right.
_OUTPUT_LAYERS = {
    "sigmoid": (
        "forward",
        "forward(params, x) = tf.sigmoid(Z), Z = relu(x @ W1 + b1) @ W2 + b2",
        "sigmoid(ReLU(x W1 + b1) W2 + b2) on a fixed batch, like the reference",
    ),
    "softmax": (
        "forward_softmax",
        "tf.nn.softmax(logits(params, x))",
        "softmax(ReLU(x W1 + b1) W2 + b2): each row a probability distribution",
    ),
}


def _output_layer(fn, output: str) -> str:
    """Check ``forward`` (``output="sigmoid"``) or ``forward_softmax`` (``"softmax"``)."""
    what, hint, verified = _OUTPUT_LAYERS[output]
    known = functools.partial(_output_mistakes, output=output)
    _same_outputs(fn, what, known, OUTPUTS_DIFFER, hint)
    return verified


def _output_mistakes(params, x, output: str) -> Variants:
    """The outputs of the known mistakes of ``forward`` (``output="sigmoid"``) or
    ``forward_softmax`` (``"softmax"``): a wrong output layer on the reference logits, or the
    right one on the logits of each known mistake of ``logits``."""
    tf = _tf()
    z = _ll().logits(params, x)
    activation = tf.sigmoid if output == "sigmoid" else tf.nn.softmax
    if output == "sigmoid":
        layers = {
            "the output is a softmax": (
                tf.nn.softmax(z),
                "sigmoid/softmax mixed up: the lab's outputs are independent sigmoids (trained "
                "with the MSE); the softmax is the optional variant",
            ),
            "the output has no sigmoid": (
                z,
                "the outputs are sigmoid(Z): tf.sigmoid(logits(params, x))",
            ),
            "the output is a ReLU": (
                tf.nn.relu(z),
                "ReLU for the hidden layer, sigmoid for the outputs",
            ),
            "the sigmoid is applied twice": (tf.sigmoid(tf.sigmoid(z)), "apply the sigmoid once"),
        }
    else:
        layers = {
            "the output is a sigmoid": (
                tf.sigmoid(z),
                "sigmoid/softmax mixed up: the optional variant's outputs are a softmax over "
                "the K outputs, tf.nn.softmax(logits(params, x))",
            ),
            "the softmax runs over the examples": (
                tf.nn.softmax(z, axis=0),
                "softmax over the wrong axis: each example's row sums to 1 (axis=-1, the default)",
            ),
            "the output has no softmax": (z, "apply tf.nn.softmax to the logits"),
        }
    wrong_logits = _logit_variants(params, x).items()
    return layers | {what: (activation(wrong), hint) for what, (wrong, hint) in wrong_logits}


@_check("mse_loss")
def mse_loss(fn) -> str:
    """Ex. 3: ``mse_loss(y, t)`` — the mean of (y − t)² over examples and outputs."""
    tf = _tf()
    _forbid_keras(fn)
    rng = np.random.default_rng(7)
    n, k = 4, 3  # different, so that the two axes can be told apart
    y = tf.constant(rng.uniform(0.05, 0.95, (n, k)).astype(np.float32))
    t = tf.constant(np.eye(k, dtype=np.float32)[[0, 2, 1, 2]])
    sq = np.square(y.numpy() - t.numpy())
    unreduced = {
        f"the loss has shape {(k,)}: one value per output": (
            sq.mean(axis=0),
            "loss averaged over the wrong axis: reduce_mean(..., axis=0) averages over the "
            "examples only; average over all of them — tf.reduce_mean(tf.square(y - t))",
        ),
        f"the loss has shape {(n,)}: one value per example": (
            sq.mean(axis=1),
            "loss averaged over the wrong axis: axis=1 leaves one loss per example; average "
            "over examples and outputs — tf.reduce_mean(tf.square(y - t))",
        ),
    }
    loss, differentiable = _checked_loss(fn, y, t, "mse_loss", unreduced)
    _compare(loss, sq.mean(), lambda: _mse_mistakes(y, t), LOSS_DIFFERS, "mean of (y − t)²")
    _differentiable(
        differentiable,
        "use TensorFlow operations (tf.square, tf.reduce_mean), not NumPy: the tape sees only "
        "those",
    )
    return "mean of (y − t)² over examples and outputs, a differentiable scalar"


LOSS_DIFFERS = "the loss is {value:.5g}, expected {expected:.5g}"


def _checked_loss(fn, inputs, t, what: str, unreduced: Variants) -> tuple[np.ndarray, Callable]:
    """Call the loss ``fn(inputs, t)`` on a tape that watches ``inputs``; return it as one
    number, and a function that says whether its gradient reaches ``inputs``. A loss of
    several numbers is a Mistake: the known one of ``unreduced`` that it equals
    ({what: (values, hint)}), or else its shape."""
    tf = _tf()
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        result = _call(fn, inputs, t, what=what)
    loss = _array(result, "the loss")
    for mistake, (values, hint) in unreduced.items():
        if _close(loss, values):
            raise Mistake(mistake, hint)
    if loss.size != 1:
        raise Mistake(
            f"the loss has shape {loss.shape}", "the loss is one number (a scalar tensor)"
        )

    def differentiable() -> bool:
        return tf.is_tensor(result) and tape.gradient(result, inputs) is not None

    return loss.reshape(()), differentiable


def _differentiable(differentiable: Callable[[], bool], hint: str) -> None:
    if not differentiable():
        raise Mistake("the loss cannot be differentiated by GradientTape", hint)


def _mse_mistakes(y, t) -> Variants:
    """The losses of the known mistakes of ``mse_loss(y, t)``."""
    diff = y.numpy() - t.numpy()
    sq = np.square(diff)
    return {
        "the loss is summed, not averaged": (sq.sum(), "average: tf.reduce_mean, not reduce_sum"),
        "the loss sums over the outputs and averages over the examples": (
            sq.sum(axis=1).mean(),
            "loss averaged over the wrong axis: average over the outputs too "
            "(tf.reduce_mean of the whole (examples, K) array)",
        ),
        "the loss sums over the examples": (
            sq.mean(axis=1).sum(),
            "loss averaged over the wrong axis: average over the examples too, so that the "
            "loss does not grow with the batch size",
        ),
        "the differences are not squared": (
            diff.mean(),
            "square the differences: tf.square(y - t)",
        ),
        "the loss is an absolute error": (np.abs(diff).mean(), "square, not abs"),
        "the loss is a root mean square": (
            np.sqrt(sq.mean()),
            "no square root: the mean of squares",
        ),
    }


@_check("forward_softmax")
def forward_softmax(fn) -> str:
    """Ex. 4 (optional): ``forward_softmax(params, x)`` — softmax(ReLU(x W1 + b1) W2 + b2)."""
    return _output_layer(fn, "softmax")


@_check("cross_entropy_loss")
def cross_entropy_loss(fn) -> str:
    """Ex. 4 (optional): ``cross_entropy_loss(z, t)`` — mean softmax cross-entropy of logits."""
    tf, ll = _tf(), _ll()
    _forbid_keras(fn)
    rng = np.random.default_rng(8)
    z = tf.constant(rng.normal(0, 2, (4, 3)).astype(np.float32))
    t = tf.constant(np.eye(3, dtype=np.float32)[[0, 2, 1, 2]])
    per_example = tf.nn.softmax_cross_entropy_with_logits(labels=t, logits=z).numpy()
    unreduced = {
        "the loss has one value per example": (
            per_example,
            "average over the examples: tf.reduce_mean(...)",
        )
    }
    loss, differentiable = _checked_loss(fn, z, t, "cross_entropy_loss", unreduced)
    _compare(
        loss,
        float(ll.cross_entropy_loss(z, t)),
        lambda: _cross_entropy_mistakes(z, t),
        LOSS_DIFFERS,
        "mean over the examples of −Σ t log softmax(z), computed from the logits",
    )
    _differentiable(differentiable, "use TensorFlow operations, not NumPy")
    _stable_on_large_logits(fn)
    return "mean softmax cross-entropy of the logits, a differentiable scalar, stable"


def _cross_entropy_mistakes(z, t) -> Variants:
    """The losses of the known mistakes of ``cross_entropy_loss(z, t)``."""
    tf = _tf()
    sig = tf.nn.sigmoid_cross_entropy_with_logits(labels=t, logits=z).numpy()
    per_example = tf.nn.softmax_cross_entropy_with_logits(labels=t, logits=z).numpy()
    mixed = (
        "sigmoid/softmax mixed up: the variant's loss is the cross-entropy of a softmax, "
        "tf.nn.softmax_cross_entropy_with_logits(labels=t, logits=z)"
    )
    return {
        "it is a sigmoid cross-entropy": (sig.sum(axis=1).mean(), mixed),
        "it is a sigmoid cross-entropy averaged over the outputs": (sig.mean(), mixed),
        "the softmax is applied twice": (
            tf.reduce_mean(
                tf.nn.softmax_cross_entropy_with_logits(labels=t, logits=tf.nn.softmax(z))
            ).numpy(),
            "the loss takes the logits z: do not apply the softmax first (it is inside)",
        ),
        "the loss is summed over the examples": (per_example.sum(), "average: tf.reduce_mean"),
        "it is the MSE of the softmax": (
            np.mean(np.square(tf.nn.softmax(z).numpy() - t.numpy())),
            "the variant's loss is the cross-entropy, not the MSE",
        ),
    }


def _stable_on_large_logits(fn) -> None:
    """The cross-entropy must stay right where a softmax underflows to 0 (logits ±80)."""
    tf, ll = _tf(), _ll()
    z = tf.constant([[80.0, 0.0, -80.0], [0.0, -80.0, 80.0]])
    t = tf.constant(np.eye(3, dtype=np.float32)[[2, 1]])  # the classes whose softmax is 0
    expected = float(ll.cross_entropy_loss(z, t))
    value = _array(_call(fn, z, t, what="cross_entropy_loss"), "the loss")
    if value.size == 1 and _close(value.reshape(()), expected):
        return
    value = float(value.reshape(-1)[0])
    hint = (
        "cross-entropy computed as log(softmax): the softmax of a very negative logit is "
        "exactly 0 in float32 and log(0) = −inf; compute it from the logits, "
        "tf.nn.softmax_cross_entropy_with_logits(labels=t, logits=z) (or tf.nn.log_softmax)"
    )
    if math.isfinite(value):
        hint += " — a small ε in log(softmax + ε) only hides the error"
    raise Mistake(f"on large logits (±80) the loss is {value:.5g}, expected {expected:.5g}", hint)


@_check("init_params")
def init_params(fn) -> str:
    """Ex. 3: ``init_params(n_inputs, n_hidden, n_outputs, seed)`` → [W1, b1, W2, b2]."""
    _forbid_keras(fn)
    d, h, k = 40, 30, 10
    params = _call(fn, d, h, k, 0, what="init_params")
    if not isinstance(params, list | tuple) or len(params) != 4:
        raise Mistake(
            f"expected a list [W1, b1, W2, b2], got {type(params).__name__}",
            "return the four parameters in a list, in this order",
        )
    shapes = {"W1": (d, h), "b1": (h,), "W2": (h, k), "b2": (k,)}
    for (name, shape), p in zip(shapes.items(), params, strict=True):
        _parameter_form(name, p, shape)
    W1, b1, W2, b2 = (p.numpy() for p in params)
    if np.any(b1) or np.any(b2):
        raise Mistake("the biases are not zero", "biases start at zero: tf.zeros([n])")
    _glorot_uniform("W1", W1)
    _glorot_uniform("W2", W2)
    again = _call(fn, d, h, k, 0, what="init_params")
    other = _call(fn, d, h, k, 1, what="init_params")
    if not np.array_equal(W1, np.asarray(again[0].numpy())):
        raise Mistake(
            "the same seed gives other weights",
            "draw from a generator made from the seed: np.random.default_rng(seed)",
        )
    if np.array_equal(W1, np.asarray(other[0].numpy())):
        raise Mistake("another seed gives the same weights", "use the seed argument")
    return "four float32 tf.Variables, Glorot-uniform weights, zero biases, seeded"


def _parameter_form(name: str, p, shape: tuple[int, ...]) -> None:
    """Raise the mistake in the form of parameter ``name``: a float32 tf.Variable of ``shape``."""
    tf = _tf()
    if type(p).__module__.split(".")[0] == "keras":
        raise Mistake(f"{name} is a Keras variable", "low-level: create it with tf.Variable")
    if not isinstance(p, tf.Variable):
        raise Mistake(
            f"{name} is not a tf.Variable (it is a {type(p).__name__})",
            "wrap each parameter in tf.Variable: the tape watches variables, and "
            "assign_sub updates them in place",
        )
    if p.dtype == tf.float64:
        raise Mistake(
            f"{name} is float64",
            "float64/float32 mix: NumPy draws float64; convert with .astype(np.float32)",
        )
    if p.dtype != tf.float32:
        raise Mistake(f"{name} is {p.dtype.name}", "make every parameter float32")
    if tuple(p.shape) != shape:
        hint = "W1 is (n_inputs, n_hidden), so that x @ W1 works; W2 is (n_hidden, n_outputs)"
        if tuple(p.shape) == shape[::-1]:
            hint = f"{name} is transposed: " + hint
        raise Mistake(f"{name} has shape {tuple(p.shape)}, expected {shape}", hint)


def _glorot_uniform(name: str, w: np.ndarray) -> None:
    """Raise the mistake unless the weights ``w`` look drawn from U(−a, a), Glorot's a."""
    fan_in, fan_out = w.shape
    a = math.sqrt(6.0 / (fan_in + fan_out))
    if not np.any(w):
        raise Mistake(
            f"{name} is all zeros",
            "with zero weights every hidden unit computes the same thing and they never "
            "differ: draw the weights at random (Glorot uniform)",
        )
    if np.abs(w).max() > a * 1.0001 or not (0.7 < w.std() / (a / math.sqrt(3)) < 1.3):
        raise Mistake(
            f"{name} is not Glorot-uniform (values up to {np.abs(w).max():.3g}, std "
            f"{w.std():.3g}; expected U(−{a:.3g}, {a:.3g}), std {a / math.sqrt(3):.3g})",
            "Glorot (Xavier) uniform: U(−a, a) with a = sqrt(6 / (fan_in + fan_out))",
        )


#: The names of the parameters, in the order of the list.
PARAMETERS = ("W1", "b1", "W2", "b2")


@_check("train_step")
def train_step(fn) -> str:
    """Ex. 3: ``train_step(params, x, t, learning_rate)`` — one SGD step in place, returns the
    loss (before the update). It runs with the reference model_loss, forward and mse_loss."""
    tf, ll = _tf(), _ll()
    _forbid_keras(fn)
    params, x, _, t = _problem()
    lr = 0.5
    before = [p.numpy() for p in params]
    reference = _copy(params)
    expected_loss = float(ll.train_step(reference, x, t, lr))
    mine = _copy(params)
    loss = _call(fn, mine, x, t, lr, what="train_step")
    for name, p in zip(PARAMETERS, mine, strict=True):
        if not isinstance(p, tf.Variable):
            raise Mistake(
                f"{name} in the list is no longer a tf.Variable (now a {type(p).__name__}): "
                "the Variable is lost",
                "`W = W - …` (or params[i] = …) makes a new tensor; update the Variable in "
                "place: W.assign_sub(learning_rate * grad)",
            )
    moved = [p.numpy() - b for p, b in zip(mine, before, strict=True)]
    wanted = [r.numpy() - b for r, b in zip(reference, before, strict=True)]
    _same_step(moved, wanted, lr)
    value = _array(loss, "the returned loss")
    if value.size != 1:
        raise Mistake(f"the returned loss has shape {value.shape}", "return the (scalar) loss")
    value = float(value.reshape(()))
    differs = "the returned loss is {value:.5g}, expected {expected:.5g}"

    def after_the_step():  # the known mistake: the loss after the update
        after = float(ll.mse_loss(ll.forward(mine, x), t))
        what = differs.format(value=value, expected=expected_loss)
        return {what: (after, "return the loss computed inside the tape, before the update")}

    _compare(value, expected_loss, after_the_step, differs, "return the loss of the mini-batch")
    return "GradientTape + assign_sub: every parameter updated in place like the reference"


def _same_step(moved: list[np.ndarray], wanted: list[np.ndarray], lr: float) -> None:
    """Raise the mistake that a step shows where each parameter ``moved`` instead of as
    ``wanted`` (the reference's step, with the learning rate ``lr``)."""
    if not any(np.any(m) for m in moved):
        raise Mistake(
            "the parameters did not change",
            "`W = W - learning_rate * g` only rebinds a local name and the Variable is lost; "
            "update it in place: W.assign_sub(learning_rate * g)",
        )
    known = {
        "the parameters moved up the gradient": (
            [-w for w in wanted],
            "update sign flipped: gradient descent subtracts the scaled gradient with "
            "assign_sub (assign_add climbs the loss)",
        ),
        "the step ignores the learning rate": (
            [w / lr for w in wanted],
            "scale the gradient: learning_rate * g",
        ),
        "the learning rate is applied twice": (
            [w * lr for w in wanted],
            "one factor: learning_rate * g",
        ),
    }
    for what, (steps, hint) in known.items():
        if all(_close(m, s) for m, s in zip(moved, steps, strict=True)):
            raise Mistake(what, hint)
    still = [n for n, m in zip(PARAMETERS, moved, strict=True) if not np.any(m)]
    if still:
        raise Mistake(
            f"{', '.join(still)} did not change",
            "update every parameter: loop over zip(params, grads)",
        )
    wrong = [n for n, m, w in zip(PARAMETERS, moved, wanted, strict=True) if not _close(m, w)]
    if wrong:
        raise Mistake(
            f"{', '.join(wrong)} moved differently from the reference",
            "one step is p ← p − learning_rate · ∂loss/∂p, with the gradients of "
            "model_loss(params, x, t, output) taken on the tape",
        )


@_check("error_rate")
def error_rate(fn) -> str:
    """Ex. 3: ``error_rate(params, x, labels)`` — percent of wrong predictions (integer labels)."""
    ll = _ll()
    _forbid_keras(fn)
    params, _, _, _ = _problem()
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 1, (20, D)).astype(np.float32)
    labels = ll.predict(params, x)
    labels[:5] = (labels[:5] + 1) % K  # 5 of 20 wrong: 25 %
    expected = ll.error_rate(params, x, labels)
    value = _array(_call(fn, _copy(params), x, labels.copy(), what="error_rate"), "the error rate")
    if value.size != 1:
        raise Mistake(f"the result has shape {value.shape}", "return one number, a percentage")
    variants = {
        "it is a fraction, not a percentage": (expected / 100, "multiply by 100"),
        "it is the accuracy, not the error rate": (100 - expected, "count the wrong predictions"),
        "it is the accuracy as a fraction": (1 - expected / 100, "percent of wrong predictions"),
    }
    _compare(
        float(value.reshape(())),
        expected,
        lambda: variants,
        "the error rate is {value:g}, expected {expected:g}",
        "predicted class = argmax of the outputs over axis 1; compare with the integer labels",
    )
    return f"{expected:g} % of a fixed batch misclassified, like the reference"


def _fit_problem():
    """120 examples of 3 separable classes in [0, 1]⁸, and fresh reference parameters."""
    ll = _ll()
    rng = np.random.default_rng(5)
    centres = rng.uniform(0.2, 0.8, (3, 8))
    labels = np.repeat(np.arange(3), 40)
    x = np.clip(centres[labels] + rng.normal(0, 0.08, (120, 8)), 0, 1).astype(np.float32)
    return ll.init_params(8, 16, 3, seed=0), x, np.eye(3, dtype=np.float32)[labels]


@_check("fit")
def fit(fn) -> str:
    """Ex. 3: ``fit(params, x, t, *, epochs, batch_size, learning_rate, seed, step=…)`` — every
    example once per epoch, in the epoch's shuffled order, one step per mini-batch."""
    ll = _ll()
    _forbid_keras(fn)
    params, x, t = _fit_problem()
    epochs, batch_size, lr = 3, 25, 2.0
    steps: list[tuple[list[int], float, float]] = []
    before = float(ll.mse_loss(ll.forward(params, x), t))
    try:
        history = _call(
            fn,
            params,
            x,
            t,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=lr,
            seed=0,
            step=_recording_step(x, steps),
            what="fit",
        )
    except Mistake as mistake:
        if "'losses'" in mistake.what or "History.add_epoch" in mistake.what:
            raise Mistake(mistake.what, LOSSES_HINT) from None
        raise
    per_epoch = _shuffled_epochs(steps, len(x), epochs, batch_size)
    rates = {rate for _, rate, _ in steps}
    if rates != {lr}:
        raise Mistake(
            f"the steps got learning rates {sorted(rates)}, expected {lr}", "pass `rate` to step"
        )
    _fit_history(history, [loss for _, _, loss in steps])
    after = float(ll.mse_loss(ll.forward(params, x), t))
    if not after < before:
        raise Mistake(
            f"the loss went from {before:.4g} to {after:.4g}", "update the parameters passed in"
        )
    return (
        f"{epochs} epochs × {per_epoch} shuffled mini-batches of ≤ {batch_size}, every example "
        f"once per epoch; loss {before:.3f} → {after:.3f}"
    )


def _recording_step(x: np.ndarray, steps: list):
    """The reference ``train_step``, which appends to ``steps`` what each call got: the rows
    of ``x`` in its mini-batch (−1 for a row not in ``x``), its learning rate, its loss."""
    ll = _ll()
    row_of = {row.tobytes(): i for i, row in enumerate(x)}

    def step(params, xb, tb, rate, *args, **kwargs):
        rows = [row_of.get(r.tobytes(), -1) for r in np.asarray(xb, dtype=np.float32)]
        loss = ll.train_step(params, xb, tb, rate, *args, **kwargs)
        steps.append((rows, float(rate), float(loss)))
        return loss

    return step


def _shuffled_epochs(steps: list, n: int, epochs: int, batch_size: int) -> int:
    """Raise the mistake unless the ``steps`` of ``epochs`` epochs over ``n`` examples took
    mini-batches of ``batch_size`` that visit every example once an epoch, in a new order each
    epoch; return the number of steps per epoch."""
    per_epoch = math.ceil(n / batch_size)
    if not steps:
        raise Mistake(
            "fit never called its `step` argument",
            "one step per mini-batch through the argument: "
            "loss = step(params, x_batch, t_batch, rate, output) — not train_step directly",
        )
    if len(steps) != epochs * per_epoch:
        raise Mistake(
            f"{len(steps)} steps for {epochs} epochs of {n} examples in batches of "
            f"{batch_size}; expected {epochs * per_epoch}",
            "one step per mini-batch: for start in range(0, len(x), batch_size)",
        )
    sizes = [len(rows) for rows, _, _ in steps[:per_epoch]]
    if max(sizes) > batch_size:
        raise Mistake(f"mini-batches of up to {max(sizes)} examples", "slice batch_size examples")
    orders = []
    for epoch in range(epochs):
        batches = steps[epoch * per_epoch : (epoch + 1) * per_epoch]
        seen = [i for rows, _, _ in batches for i in rows]
        if sorted(seen) != list(range(n)):
            raise Mistake(
                f"epoch {epoch} does not visit every example exactly once",
                "take the mini-batches from this epoch's `order`: "
                "x[order[start:start + batch_size]]",
            )
        orders.append(seen)
    if orders[0] == list(range(n)) or orders[0] == orders[1]:
        raise Mistake(
            "the examples are visited in the same order every epoch",
            "use this epoch's shuffled `order` (tf.gather(x, order[start:start + batch_size]))",
        )
    return per_epoch


LOSSES_HINT = (
    "before history.add_epoch(epoch, losses, rate), `losses` must hold this epoch's step "
    "losses, one Python float per mini-batch in order: an empty list before the loop over "
    "the mini-batches, and float(loss) appended to it after each step"
)


def _fit_history(history, losses: list[float]) -> None:
    """The History ``fit`` returned must hold the ``losses`` that its steps returned."""
    recorded = getattr(history, "step_loss", None)
    if not isinstance(recorded, list):
        raise Mistake(
            f"fit returned {type(history).__name__}, not the History",
            "keep the given lines: history = History() … return history",
        )
    if len(recorded) != len(losses):
        raise Mistake(
            f"the history holds {len(recorded)} step losses for {len(losses)} steps", LOSSES_HINT
        )
    if not all(isinstance(v, float) for v in recorded):
        kinds = sorted({type(v).__name__ for v in recorded if not isinstance(v, float)})
        raise Mistake(f"the history holds {', '.join(kinds)}, not floats", LOSSES_HINT)
    if not _close(recorded, losses):
        raise Mistake("the history's losses are not those the steps returned", LOSSES_HINT)


@_check("piecewise_constant")
def piecewise_constant(fn) -> str:
    """Ex. 3 (optional): ``piecewise_constant(epoch, boundaries, values)``, an epoch's rate."""
    boundaries, values = (2, 5), (1.0, 0.5, 0.1)
    expected = [1.0, 1.0, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1]
    got = []
    for epoch in range(len(expected)):
        value = _call(fn, epoch, boundaries, values, what="piecewise_constant")
        if not _is_number(value) and not (hasattr(value, "numpy") and np.ndim(value) == 0):
            raise Mistake(f"epoch {epoch} gives {value!r}", "return the learning rate, a number")
        got.append(float(value))
    if _close(got, expected):
        return "boundaries (2, 5), rates (1, 0.5, 0.1): the right rate for epochs 0–7"
    shifted = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.1, 0.1]
    if _close(got, shifted):
        raise Mistake(
            "the rate changes one epoch late",
            "values[i] applies from epoch boundaries[i−1] on: epoch 2 already gets 0.5 "
            "(epoch < boundary)",
        )
    raise Mistake(
        f"rates for epochs 0–7: {got}, expected {expected}", "values[i] from boundaries[i−1]"
    )


# --- Exercise 4: Keras ---------------------------------------------------------------------------


def _keras():
    _tf()
    import keras

    return keras


def _dense_layers(model):
    keras = _keras()
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def _activation(layer) -> str:
    return getattr(layer.activation, "__name__", str(layer.activation))


_OUTPUT_HINTS = {
    (
        "sigmoid",
        "softmax",
    ): "sigmoid/softmax mixed up: the lab's outputs are sigmoids (with the MSE)",
    ("sigmoid", "relu"): "misplaced ReLU: ReLU on the hidden layer, sigmoid on the outputs",
    ("sigmoid", "linear"): "the outputs need activation='sigmoid'",
    ("softmax", "sigmoid"): (
        "sigmoid/softmax mixed up: the optional variant has a softmax output — here as logits "
        "(no activation) for CategoricalCrossentropy(from_logits=True)"
    ),
    ("softmax", "relu"): "misplaced ReLU: the output layer of the softmax variant gives logits",
    ("softmax", "softmax"): (
        "a softmax layer with from_logits=True: the variant's model outputs logits (no "
        "activation), because CategoricalCrossentropy(from_logits=True) applies the softmax "
        "itself; a softmax layer as well applies it twice (Keras warns about it)"
    ),
}


def _check_model(model, *, functional: bool, output: str) -> str:
    keras, ll = _keras(), _ll()
    api = "Functional" if functional else "Sequential"
    if not isinstance(model, keras.Model):
        raise Mistake(f"expected a keras model, got {type(model).__name__}", "return the model")
    if functional and isinstance(model, keras.Sequential):
        raise Mistake(
            "this is a Sequential model",
            "Functional API: inputs = keras.Input(...), call each layer on a tensor, then "
            "keras.Model(inputs=inputs, outputs=outputs)",
        )
    if not functional and not isinstance(model, keras.Sequential):
        raise Mistake(f"this is a {type(model).__name__}", "use keras.Sequential([...])")
    dense = _dense_layers(model)
    if len(dense) != 2:
        raise Mistake(
            f"{len(dense)} Dense layers, expected 2", "one hidden Dense layer, one output"
        )
    if model.input_shape[-1] != D:
        raise Mistake(
            f"the input has {model.input_shape[-1]} features, expected {D}",
            "keras.Input(shape=(n_inputs,))",
        )
    hidden, out = dense
    if hidden.units != H or out.units != K:
        raise Mistake(
            f"Dense layers of {hidden.units} and {out.units} units, expected {H} and {K}",
            "n_hidden units, then n_outputs units",
        )
    if _activation(hidden) != "relu":
        raise Mistake(
            f"the hidden layer's activation is {_activation(hidden)}",
            "missing ReLU: Dense(n_hidden, activation='relu')",
        )
    allowed = {"sigmoid": ("sigmoid",), "softmax": ("linear",)}[output]
    if _activation(out) not in allowed:
        act = _activation(out)
        raise Mistake(
            f"the output activation is {act}",
            _OUTPUT_HINTS.get((output, act), f"use {' or '.join(allowed)}"),
        )
    params = ll.init_params(D, H, K, seed=3)
    model.set_weights([p.numpy() for p in params])
    x = np.random.default_rng(3).uniform(0, 1, (N, D)).astype(np.float32)
    expected = ll.forward(params, x) if output == "sigmoid" else ll.logits(params, x)
    if not _close(model(x).numpy(), expected.numpy()):
        raise Mistake(
            "with the reference weights the outputs differ", "connect Input → hidden → output"
        )
    layers = f"Dense({H}, relu) → Dense({K}, {_activation(out)})"
    return f"{api}: {layers}, same outputs as the low-level MLP"


def _build(fn, output, what):
    kwargs = {"seed": 0} | ({} if output == "sigmoid" else {"output": output})
    return _call(fn, D, H, K, what=what, **kwargs)


@_check("build_sequential")
def build_sequential(fn, output: str = "sigmoid") -> str:
    """Ex. 4: ``build_sequential(n_inputs, n_hidden, n_outputs, *, seed, [output])``."""
    return _check_model(_build(fn, output, "build_sequential"), functional=False, output=output)


@_check("build_functional")
def build_functional(fn, output: str = "sigmoid") -> str:
    """Ex. 4: ``build_functional(n_inputs, n_hidden, n_outputs, *, seed, [output])``."""
    return _check_model(_build(fn, output, "build_functional"), functional=True, output=output)


_MSE_NAMES = ("mse", "mean_squared_error", "meansquarederror")


def _loss_name(loss) -> str:
    if isinstance(loss, str):
        return loss.lower()
    return getattr(loss, "__name__", type(loss).__name__).lower()


@_check("compile_model")
def compile_model(fn, output: str = "sigmoid") -> str:
    """Ex. 4: ``compile_model(model, learning_rate, [output])``: plain SGD, Ex. 3's loss."""
    keras = _keras()
    model = keras.Sequential([keras.Input(shape=(D,)), keras.layers.Dense(K)])  # any model
    kwargs = {} if output == "sigmoid" else {"output": output}
    result = _call(fn, model, 0.25, what="compile_model", **kwargs)
    model = result if result is not None else model
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or getattr(model, "loss", None) is None:
        raise Mistake("the model is not compiled", "model.compile(optimizer=..., loss=...)")
    name = type(optimizer).__name__
    if name != "SGD":
        raise Mistake(
            f"the optimizer is {name}",
            "plain SGD, as in Exercise 3, so that the comparison is fair",
        )
    rate = float(np.asarray(optimizer.learning_rate))
    if not math.isclose(rate, 0.25, rel_tol=1e-6):
        raise Mistake(
            f"the learning rate is {rate:g}, expected 0.25", "SGD(learning_rate=learning_rate)"
        )
    if float(np.asarray(getattr(optimizer, "momentum", 0.0))):
        raise Mistake("SGD has momentum", "plain SGD: momentum=0, as in Exercise 3")
    loss = _loss_name(model.loss)
    mse = loss in _MSE_NAMES
    ce = "categorical" in loss and "sparse" not in loss
    if "sparse" in loss:
        raise Mistake(
            "the loss is a sparse cross-entropy", "labels not one-hot? the targets here are one-hot"
        )
    if output == "sigmoid":
        if not mse:
            hint = "the lab's loss is the MSE: keras.losses.MeanSquaredError()"
            if ce or "binary" in loss:
                hint += " (the cross-entropy is the optional softmax variant)"
            raise Mistake(f"the loss is {loss}", hint)
        return "plain SGD with the given learning rate, MSE loss"
    if not ce:
        raise Mistake(
            f"the loss is {loss}", "softmax variant: keras.losses.CategoricalCrossentropy"
        )
    if not getattr(model.loss, "from_logits", False):
        raise Mistake(
            "the cross-entropy expects probabilities, but the model outputs logits",
            "CategoricalCrossentropy(from_logits=True): the model's last layer has no softmax",
        )
    return "plain SGD with the given learning rate, cross-entropy from the logits"


def _last_error() -> BaseException | None:
    """The last exception a notebook cell raised (IPython keeps it in ``sys.last_value``)."""
    import sys

    return getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)


FIT_RESULT_HINT = (
    "keep what model.fit returns: history = model.fit(x_train, t_train, epochs=..., verbose=0)"
)


def _not_a_keras_history(history) -> Mistake:
    """Why ``history`` is not what ``model.fit`` returned."""
    error = _last_error()
    if error is not None and _hint_for(error) == INTEGER_LABELS_HINT:
        return Mistake(
            f"model.fit raised {type(error).__name__}: {_short(error, 100)}", INTEGER_LABELS_HINT
        )
    if history is None:
        return Mistake("history is None", FIT_RESULT_HINT)
    if isinstance(history, dict):
        return Mistake(
            "history is a dict (History.history?)",
            "keep the History object itself: history = model.fit(...)",
        )
    if type(history).__module__ == "pw06.lowlevel_mlp" or hasattr(history, "step_loss"):
        return Mistake(
            "this `history` is Exercise 3's (from your low-level fit): model.fit's History "
            "was not kept",
            FIT_RESULT_HINT,
        )
    return Mistake(
        f"expected the History that model.fit returns, got {type(history).__name__}",
        FIT_RESULT_HINT,
    )


def _softmax_with_logits(model) -> bool:
    """Whether ``model`` ends with a softmax layer while its loss expects logits."""
    dense = _dense_layers(model)
    loss = getattr(model, "loss", None)
    return (
        bool(dense)
        and _activation(dense[-1]) == "softmax"
        and bool(getattr(loss, "from_logits", False))
    )


@_check("keras_fit")
def keras_fit(history, x) -> str:
    """Ex. 4: the ``History`` of ``model.fit(x, t, epochs=…)`` — Keras chose the batch size."""
    from pw06 import keras_training as km

    params = getattr(history, "params", None)
    if not isinstance(params, dict) or "steps" not in params:
        raise _not_a_keras_history(history)
    model = getattr(history, "model", None)
    if model is not None and _softmax_with_logits(model):
        raise Mistake(
            "the model ends with a softmax layer and its loss has from_logits=True",
            _OUTPUT_HINTS[("softmax", "softmax")],
        )
    n = len(x)
    default = km.default_batch_size()
    steps = params["steps"]
    if steps != math.ceil(n / default):
        batch = math.ceil(n / steps)
        raise Mistake(
            f"{steps} steps per epoch for {n} examples: batches of about {batch}",
            f"let Keras choose the batch size (the lab's note): leave batch_size out of fit "
            f"(Keras then uses {default})",
        )
    losses = history.history.get("loss", [])
    mse = model is not None and _loss_name(getattr(model, "loss", "")) in _MSE_NAMES
    if mse and losses and max(losses) > 1:  # sigmoid outputs against one-hot targets: < 1
        raise Mistake(
            f"MSE training losses up to {max(losses):.3g}: targets outside [0, 1]",
            INTEGER_LABELS_HINT,
        )
    if not losses or not all(math.isfinite(v) for v in losses):
        raise Mistake(f"training losses {losses}", "a smaller learning rate, or check the data")
    if len(losses) > 1 and not losses[-1] < losses[0]:
        raise Mistake(
            f"the loss did not decrease: {losses}", "check the data and the learning rate"
        )
    return (
        f"Keras chose batches of {default} ({steps} steps per epoch); "
        f"loss {losses[0]:.4f} → {losses[-1]:.4f}"
    )
