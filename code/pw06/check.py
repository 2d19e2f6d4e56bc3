"""Self-checks for the workbooks: one line that says what is right, or which mistake it sees.

    from pw06 import check
    check.train_step(train_step)
    ✗ train_step: the parameters did not change — hint: `W = W - learning_rate * g` only …
    ✓ train_step: GradientTape + assign_sub: every parameter updated in place like the reference

Each check runs your function on a small fixed problem, compares it with the handbook's tested
reference (the same package), prints one line and returns a :class:`Result`, true when the
check passed. Where the answer is wrong, it looks for the known mistakes — each one is a
variant of the reference computed on the same problem — and names the one that matches.
A check never crashes on a wrong answer: exceptions from your code, wrong types or shapes, and
a function not written yet are explained in the same one line.

One function at a time: while a check runs your function, the other workbook functions it
calls (``logits`` inside ``forward``, ``model_loss`` inside ``train_step``, ``train_step``
inside ``fit``…) are the handbook's reference versions, swapped into your notebook's globals
for the call and put back after it (:func:`references`). So one mistake fails exactly one
check; a function that holds its own version in a closure or a same-named default argument is
called as a copy holding the reference. Where no swap is possible (a method or a callable
object holding its own version) and the answer is wrong, the check says which function it
calls fails its own check: ``✗ forward: not checked — logits fails its check; fix it
first``. Exercise 1 does the same for gradients that are right for your own (wrong) forward
values: ``✗ node_gradients: not checked — node_values fails its check; fix it first``.

For instructors: when nbgrader's autograder runs the notebook (``NBGRADER_EXECUTION`` is set),
a failed check also raises :class:`CheckFailed`, so that its test cell scores zero. A "not
checked … fix it first" line does not raise: the one mistake already costs the points of the
check that names it (whose cell fails), and is not charged twice.

In the student package (the student edition's wheel, without the solutions) the reference
versions are results recorded when the wheel was built, for the checks' fixed problems
(:mod:`pw06.recorded`); the lines printed are the same. For an input that was not recorded,
the check says so: ``✗ fit: not checked — no reference result for train_step …``.

Importing this module does not import TensorFlow; the checks that need it load it.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import types
from dataclasses import dataclass

import numpy as np

from pw06 import recorded

PASS, FAIL = "✓", "✗"
NOT_WRITTEN = "replace `# YOUR CODE HERE` and `raise NotImplementedError()` with your code"


@dataclass(frozen=True)
class Result:
    """The outcome of a check: ``ok``, and the line that was printed."""

    ok: bool
    line: str

    def __bool__(self) -> bool:
        return self.ok

    def _ipython_display_(self):
        """Show nothing at the end of a cell: the check has printed its line already."""


class CheckFailed(AssertionError):
    """A failed check under nbgrader's autograder (the test cell then scores zero)."""


class Mistake(Exception):
    """Raised inside a check: what differs, and a hint naming the likely mistake."""

    def __init__(self, what: str, hint: str = ""):
        super().__init__(what)
        self.what, self.hint = what, hint


def _grading() -> bool:
    return os.environ.get("NBGRADER_EXECUTION", "").lower() in ("autograde", "validate")


def _check(name: str):
    """Turn a function that returns what it verified (or raises Mistake) into a check.

    ``_USES[name]``: the workbook functions that the checked function (the first argument)
    calls. While it runs, each of them is the handbook's reference (see :func:`references`), so a
    mistake in one of them fails its own check only. Where that swap is impossible (see
    :func:`_student_versions`) and the answer is wrong, the line says which of them fails its
    own check instead (not checked).
    """

    def decorate(body):
        uses = _USES.get(name, ())

        @functools.wraps(body)
        def run(*args, **kwargs) -> Result:
            graded = True
            try:
                try:
                    line = f"{PASS} {name}: {body(*args, **kwargs)}"
                except Mistake:
                    if args and uses:
                        _blame_unswapped(args[0], uses)
                    raise
                ok = True
            except recorded.NoReference as missing:
                line, ok = f"{FAIL} {name}: not checked — {missing}", False
            except NotChecked as first:
                line, ok, graded = (
                    f"{FAIL} {name}: not checked — {first}; fix it first",
                    False,
                    False,
                )
            except Mistake as mistake:
                hint = f" — hint: {mistake.hint}" if mistake.hint else ""
                line, ok = f"{FAIL} {name}: {mistake.what}{hint}", False
            except Exception as error:  # an answer this check did not foresee: still one line
                line = (
                    f"{FAIL} {name}: your answer could not be checked "
                    f"({type(error).__name__}: {_short(error)}) — hint: {_hint_for(error)}"
                )
                ok = False
            print(line)
            if not ok and graded and _grading():
                raise CheckFailed(line)
            return Result(ok, line)

        run.uses = uses
        return run

    return decorate


class NotChecked(Exception):
    """A check that cannot grade a function alone: another function it calls fails its check.

    Under nbgrader this does not fail the cell: that mistake costs the other check's points.
    """


# --- Running student code --------------------------------------------------------------------


def _short(error: BaseException, limit: int = 160) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


INTEGER_LABELS_HINT = (
    "integer labels passed to Keras fit: with the MSE or the categorical cross-entropy the "
    "loss compares the K outputs of an example with K targets — pass the one-hot targets "
    "(t_train), not the integer labels"
)


def _hint_for(error: BaseException) -> str:
    """The likely mistake behind an exception raised by student code."""
    text = str(error)
    if ("double" in text or "float64" in text) and "float" in text.replace("float64", ""):
        return (
            "float64/float32 mix: NumPy makes float64 by default, TensorFlow's variables and "
            "inputs here are float32 — convert with .astype(np.float32) or dtype=tf.float32"
        )
    if "has no attribute 'assign" in text:
        return (
            "a parameter is no longer a tf.Variable: `W = W - …` makes a new tensor and loses "
            "the Variable; update it in place with W.assign_sub(…)"
        )
    if "compile_loss" in text or "`target` and `output`" in text:
        return INTEGER_LABELS_HINT
    if "are valid indices" in text:
        return (
            "x and t are tf.Tensors here (the given check_inputs converted them), and a tensor "
            "cannot be indexed with an array of indices such as x[batch]: take those rows with "
            "tf.gather(x, batch) and tf.gather(t, batch)"
        )
    if "NoneType" in text or "No gradients" in text:
        return (
            "a gradient is None: compute the loss inside `with tf.GradientTape() as tape:`, "
            "from the tf.Variables themselves, with TensorFlow operations (not NumPy)"
        )
    if "Matrix size-incompatible" in text or "Incompatible shapes" in text:
        return (
            "the shapes do not fit: x is (examples, D), W1 (D, H), b1 (H,), W2 (H, K), b2 (K,), "
            "and targets (examples, K) — one-hot"
        )
    if "[0, 1]" in text and "255" in text:
        return "pixels left at 0–255: divide them by 255 (as float32) before training"
    if "one-hot" in text:
        return "labels not one-hot: turn each label k into a row with a single 1 in column k"
    if isinstance(error, NameError):
        return "a name is not defined: import it (e.g. `import math`) or run the cells above first"
    if isinstance(error, TypeError) and "argument" in text:
        return "keep the signature given in the workbook (names and order of the arguments)"
    return "run your function on a small input and read the error"


def _call(fn, *args, what: str = "", uses=None, **kwargs):
    """``fn(*args, **kwargs)``, any exception turned into a Mistake that explains it.

    ``uses``: names of workbook functions that ``fn`` calls (default: those of the check named
    ``what``); they are the reference versions during the call (:func:`references`)."""
    uses = _USES.get(what, ()) if uses is None else uses
    what = what or getattr(fn, "__name__", "your function")
    if not callable(fn):
        raise Mistake(
            f"expected a function, got {type(fn).__name__}",
            "pass the function itself, without calling it: check.forward(forward)",
        )
    try:
        with references(fn, uses) as callee:
            return callee(*args, **kwargs)
    except recorded.NoReference:
        raise
    except NotImplementedError:
        raise Mistake(f"{what} is not written yet", NOT_WRITTEN) from None
    except Exception as error:
        raise Mistake(
            f"{what} raised {type(error).__name__}: {_short(error)}", _hint_for(error)
        ) from None


#: The checks of Exercises 3 and 4, in the lab notebook's order, each named after the function it
#: grades; those of :data:`SOFTMAX_CHECKS` also take ``output="softmax"`` (the optional part).
LAB_CHECKS = (
    "preprocess",
    "one_hot",
    "init_params",
    "logits",
    "forward",
    "mse_loss",
    "train_step",
    "error_rate",
    "fit",
    "piecewise_constant",
    "forward_softmax",
    "cross_entropy_loss",
    "build_sequential",
    "build_functional",
    "compile_model",
)
SOFTMAX_CHECKS = ("build_sequential", "build_functional", "compile_model")


#: The handbook's version of each workbook function a checked function may call:
#: module of pw06 and attribute.
_REFERENCE = {
    **{
        name: ("lowlevel_mlp", name)
        for name in (
            "init_params",
            "logits",
            "forward",
            "forward_softmax",
            "mse_loss",
            "cross_entropy_loss",
            "model_loss",
            "train_step",
            "predict",
            "error_rate",
            "piecewise_constant",
        )
    },
    "preprocess": ("data", "preprocess"),
    "one_hot": ("data", "one_hot"),
    "_output_activation": ("keras_mlp", "_output_activation"),
    "initial_weights": ("keras_mlp", "initial_weights"),
}
#: What each Ex. 3 and Ex. 4 function may call (the workbooks' given code included).
_LOSS_USES = (
    "model_loss",
    "forward",
    "logits",
    "mse_loss",
    "forward_softmax",
    "cross_entropy_loss",
)
_USES = {
    "forward": ("logits",),
    "forward_softmax": ("logits",),
    "train_step": _LOSS_USES,
    "error_rate": ("logits", "forward", "forward_softmax", "predict"),
    "fit": ("train_step", *_LOSS_USES, "piecewise_constant"),
    "build_sequential": ("initial_weights", "_output_activation"),
    "build_functional": ("initial_weights", "_output_activation"),
    "compile_model": ("_output_activation",),
}


@functools.cache
def _reference(name: str):
    """The handbook's ``name``: the live code in the full package; in the student package,
    its results recorded on the checks' fixed problems (:mod:`pw06.recorded`)."""
    import importlib

    if recorded.MODE == "replay":
        return recorded.replayer(name)
    module, attribute = _REFERENCE[name]
    live = getattr(importlib.import_module(f"pw06.{module}"), attribute)
    return recorded.recorder(name, live) if recorded.MODE == "record" else live


class _References:
    """A module of pw06 whose workbook functions are :func:`_reference`'s versions."""

    def __init__(self, module: str):
        import importlib

        self._module = importlib.import_module(f"pw06.{module}")
        self._names = {n for n, (m, _) in _REFERENCE.items() if m == module}

    def __getattr__(self, name: str):
        if name in self._names:
            return _reference(name)
        return getattr(self._module, name)


def _function_of(fn) -> types.FunctionType | None:
    """The Python function behind ``fn``: itself, a ``tf.function``'s, a partial's, a method's."""
    for _ in range(10):
        if isinstance(fn, types.FunctionType):
            return fn
        inner = (
            getattr(fn, "python_function", None)  # tf.function
            or getattr(fn, "func", None)  # functools.partial
            or getattr(fn, "__func__", None)  # a bound method
        )
        if inner is None:
            return None
        fn = inner
    return None


def _bound(fn, names) -> dict[str, object]:
    """The names among ``names`` that ``fn`` holds in a closure or as a default argument of
    the same name (``def forward(params, x, logits=logits)``), where a swap of its globals does
    not reach, with the function they hold."""
    found = {}
    code, cells = fn.__code__, fn.__closure__ or ()
    for name, cell in zip(code.co_freevars, cells, strict=False):
        try:
            if name in names:
                found[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    positional = fn.__defaults__ or ()
    parameters = code.co_varnames[code.co_argcount - len(positional) : code.co_argcount]
    defaults = {**dict(zip(parameters, positional, strict=True)), **(fn.__kwdefaults__ or {})}
    for name, value in defaults.items():
        if name in names and callable(value):
            found.setdefault(name, value)
    return {name: value for name, value in found.items() if value is not _reference(name)}


@contextlib.contextmanager
def references(fn, names):
    """Run ``fn`` with the reference version of each of ``names`` in its globals.

    Only names already there are swapped (none is added), and every one is put back when the
    block ends, even if it raises: the namespace is left exactly as it was. Yields ``fn`` as it
    should be called: a ``tf.function``'s Python function, so that no earlier trace is reused,
    and a function that holds its own version of one of ``names`` (in a closure, or as a
    default argument of the same name) as a copy holding the reference instead.
    """
    function = _code_of(fn)
    if function is None:
        yield fn
        return
    scope = function.__globals__
    saved = {name: scope[name] for name in names if name in scope}
    swapped = {name: _reference(name) for name in saved}
    callee = fn
    if function is _function_of(fn) and (
        fn is function or getattr(fn, "python_function", None) is not None
    ):
        callee = _rebound(function, names)
    try:
        scope.update(swapped)
        yield callee
    finally:
        scope.update(saved)


def _rebound(fn: types.FunctionType, names) -> types.FunctionType:
    """``fn``, or a copy of it whose closure cells and same-named default arguments among
    ``names`` hold the reference versions (``fn`` itself is left as it is)."""
    bound = _bound(fn, names)
    if not bound:
        return fn
    code = fn.__code__
    cells = tuple(
        types.CellType(_reference(name)) if name in bound else cell
        for name, cell in zip(code.co_freevars, fn.__closure__ or (), strict=False)
    )
    positional = fn.__defaults__ or ()
    parameters = code.co_varnames[code.co_argcount - len(positional) : code.co_argcount]
    defaults = tuple(
        _reference(name) if name in bound else value
        for name, value in zip(parameters, positional, strict=True)
    )
    copy = types.FunctionType(code, fn.__globals__, fn.__name__, defaults or None, cells or None)
    copy.__kwdefaults__ = {
        name: _reference(name) if name in bound else value
        for name, value in (fn.__kwdefaults__ or {}).items()
    } or None
    copy.__dict__.update(fn.__dict__)
    copy.__qualname__ = fn.__qualname__
    return copy


def _code_of(fn) -> types.FunctionType | None:
    """The Python function whose globals ``fn`` runs in: ``_function_of(fn)``, or the
    ``__call__`` of a callable object's class."""
    function = _function_of(fn)
    if function is None:
        for cls in type(fn).__mro__:
            if "__call__" in vars(cls):
                return _function_of(vars(cls)["__call__"])
    return function


def _student_versions(fn, names) -> dict[str, object]:
    """The student's own version of each of ``names`` that a call of ``fn`` cannot be kept
    from: held in a closure or a default argument of a method, a partial or a callable object
    (a plain function or a ``tf.function`` is called as a copy holding the references)."""
    function = _code_of(fn)
    if function is None or fn is function or getattr(fn, "python_function", None) is not None:
        return {}
    return _bound(function, names)


def _blame_unswapped(fn, names) -> None:
    """Raise NotChecked if ``fn`` calls its own version of one of ``names`` (no swap possible)
    and that version fails its own check."""
    try:
        students = _student_versions(fn, names)
    except Exception:  # never let the search crash a check
        return
    for name, student in students.items():
        verify = globals().get(name)
        if student is _reference(name) or not hasattr(verify, "uses"):
            continue
        if not _passes(verify, student):
            raise NotChecked(f"{name} fails its check")


def _passes(a_check, *args, **kwargs) -> bool:
    """Whether ``a_check`` passes, silently (nothing printed, nothing raised)."""
    try:
        a_check.__wrapped__(*args, **kwargs)
    except Exception:
        return False
    return True


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


def _array(value, what: str) -> np.ndarray:
    """``value`` (tensor, array, number) as a NumPy array, or a Mistake saying what it was."""
    if value is None:
        raise Mistake(f"{what} is None", "return the result (a `return` statement is missing?)")
    try:
        array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    except Exception:
        array = None
    real = array is not None and any(
        np.issubdtype(array.dtype, kind) for kind in (np.integer, np.floating, np.bool_)
    )
    if not real:
        raise Mistake(
            f"{what} is a {type(value).__name__}, not a tensor or an array of numbers",
            "return a tf.Tensor (or a NumPy array)",
        )
    return array


def _close(a, b, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    try:
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _differs(value, expected, variants: dict[str, tuple[object, str]], what: str, hint: str):
    """The mistake behind a ``value`` that is not ``expected``: the first known mistake (a
    variant of the reference, computed on the same problem) that it equals, or else ``what``
    (formatted with ``value``, ``expected`` and ``diff``, the largest difference) and ``hint``."""
    found = _match(value, variants)
    if found:
        return Mistake(*found)
    value, expected = np.asarray(value, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    diff = float(np.abs(value - expected).max()) if value.shape == expected.shape else math.nan
    if value.size == 1 and expected.size == 1:
        value, expected = float(value.reshape(-1)[0]), float(expected.reshape(-1)[0])
    return Mistake(what.format(value=value, expected=expected, diff=diff), hint)


def _match(value, variants: dict[str, tuple[object, str]]) -> tuple[str, str] | None:
    """The first known mistake whose result equals ``value``: (what, hint), or None."""
    for what, (expected, hint) in variants.items():
        if _close(value, expected):
            return what, hint
    return None


def _tf():
    from pw06.tf_quiet import load

    return load()


def _ll():
    """pw06.lowlevel_mlp, its workbook functions the reference (live or recorded)."""
    if recorded.MODE == "live":
        from pw06 import lowlevel_mlp

        return lowlevel_mlp
    return _References("lowlevel_mlp")


# --- Exercise 1: the computational graph by hand --------------------------------------------

#: How close a hand-computed number must be (three decimals are enough).
HAND_TOLERANCE = {"rel_tol": 1e-2, "abs_tol": 6e-3}
_INPUTS = ("x1", "x2", "w1", "w2", "b")


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, **HAND_TOLERANCE)


def _reference_graph(inputs: dict | None):
    from pw06 import computational_graphs as cg

    given = dict(cg.CS231N_INPUTS)
    if inputs:
        given.update({k: inputs[k] for k in _INPUTS if _is_number(inputs.get(k))})
    try:
        graph = cg.logistic_regression_graph(**{k: float(given[k]) for k in _INPUTS})
    except ValueError as error:  # exp overflows, 1/0
        raise Mistake(
            f"the inputs {', '.join(f'{k} = {given[k]:g}' for k in _INPUTS)} give {error}",
            "choose inputs with a moderate w1·x1 + w2·x2 + b (|z| < 700)",
        ) from None
    graph.output.backward(1.0)
    return graph


def _is_number(value) -> bool:
    return isinstance(value, int | float | np.floating | np.integer) and not isinstance(value, bool)


def _hand_values(answer, graph, what: str) -> dict[str, float]:
    """The student's dict checked for form: one number per node ("yhat" may name ŷ)."""
    if not isinstance(answer, dict):
        raise Mistake(
            f"expected a dict {{node name: number}}, got {type(answer).__name__}",
            "build a dict, e.g. values = {'x1': -1.0, …}, with one entry per node",
        )
    answer = {("ŷ" if k == "yhat" else k): v for k, v in answer.items()}
    names = [node.label for node in graph.nodes()]
    missing = [n for n in names if n not in answer]
    if missing:
        raise Mistake(
            f"no {what} for {', '.join(missing)}",
            f"one entry per node of the graph: {', '.join(names)} ('yhat' also names ŷ)",
        )
    for name in names:
        value = answer[name]
        if not _is_number(value) or not math.isfinite(float(value)):
            raise Mistake(
                f"the {what} of {name} is {value!r}, not a finite number",
                "write a number, or an expression that computes one (math.exp, 1 / d, …)",
            )
    return {n: float(answer[n]) for n in names}


def _fmt(x: float) -> str:
    return f"{x:.3f}".replace("-", "−")


@_check("node_values")
def node_values(values) -> str:
    """Exercise 1 b): the forward value of every node, ``{name: value}``.

    The inputs are read from ``values`` (default: CS231n's x = (−1, −2), w = (2, −3), b = −3).
    The line names the first wrong node, and any later node that is wrong on its own (wrong
    for the values of its own inputs, as you wrote them).
    """
    graph = _reference_graph(values if isinstance(values, dict) else None)
    got = _hand_values(values, graph, "value")
    wrong = [node for node in graph.nodes() if not _same(got[node.label], node.data)]
    if not wrong:
        return f"all {len(graph.nodes())} node values are right (ŷ = {graph.output.data:.3f})"
    node = wrong[0]  # its inputs are right: every node before it is
    name, expected = node.label, node.data
    args = ", ".join(f"{c.label} = {_fmt(got[c.label])}" for c in node.inputs)
    what = f"{name} = {node.expression} should be {_fmt(expected)} ({args})"
    what += f"; you have {_fmt(got[name])}"
    also = [n.label for n in wrong[1:] if not _same(got[n.label], _recompute(n, got))]
    if also:
        what += f"; also wrong for its own inputs: {', '.join(also)}"
    raise Mistake(what, _value_hint(node, got))


def _exp(x: float) -> float:
    return math.exp(x) if x < 700 else math.inf


def _recompute(node, got) -> float:
    """``node``'s operation applied to the values ``got`` of its inputs (inf where undefined)."""
    ins = [got[child.label] for child in node.inputs]
    if not node.op:
        return got[node.label]
    if node.op == "exp":
        return _exp(ins[0])
    if node.op == "1/x":
        return 1.0 / ins[0] if ins[0] else math.inf
    if node.op == "max":
        return max(ins)
    if len(ins) == 2:
        return {"×": ins[0] * ins[1], "+": ins[0] + ins[1], "−": ins[0] - ins[1]}[node.op]
    if node.op.startswith("×"):  # times a constant
        return node.local_grads[0] * ins[0]
    return ins[0] + (node.data - node.inputs[0].data)  # plus a constant


def _value_variants(node, ins):
    """(value, hint) of each known mistake for ``node``, from the values ``ins`` of its inputs."""
    label, expression = node.label, node.expression
    if label == "z" and len(ins) == 2:
        yield (
            ins[0] - ins[1],
            "the sign of b: eq. 1 reads exp(−wᵀx + b), i.e. z = wᵀx − b, but this workbook "
            "follows eq. 2, z = w1·x1 + w2·x2 + b",
        )
    if label == "u" and len(ins) == 1:
        yield ins[0], "u = −z: the minus sign of exp(−z)"
    if label == "e" and len(ins) == 1:
        yield _exp(-ins[0]), "e = exp(u): u already holds the minus sign"
    if label == "d" and len(ins) == 1:
        yield ins[0], "d = e + 1: the '1 +' of the denominator"
        yield ins[0] - 1, "d = e + 1, not e − 1"
    if label == "ŷ" and len(ins) == 1:
        yield ins[0], "ŷ = 1/d: the reciprocal closes the sigmoid"
    if node.op == "×" and len(ins) == 2:
        yield ins[0] + ins[1], f"{label} is a product: {expression}"
    if node.op == "+" and len(ins) == 2:
        yield ins[0] - ins[1], f"{label} is a sum: {expression}"
        yield ins[0] * ins[1], f"{label} is a sum, not a product: {expression}"


def _value_hint(node, got) -> str:
    """The likely mistake behind a wrong forward value of ``node`` (its inputs are right)."""
    ins = [got[child.label] for child in node.inputs]
    for expected, hint in _value_variants(node, ins):
        if math.isfinite(expected) and _same(got[node.label], expected):
            return hint
    if node.inputs:
        return f"recompute {node.label} = {node.expression} from the values above"
    return "the inputs x1, x2, w1, w2, b are given: keep them"


@_check("node_gradients")
def node_gradients(grads, values=None) -> str:
    """Exercise 1 c): the gradient ∂ŷ/∂node of every node after back-propagating 1.0.

    ``values``: the forward values (for their inputs); default CS231n's inputs.

    Each gradient is graded on its own, from the output back: it must be the local derivative
    (at the reference forward values) times the gradient upstream *as you wrote it*, so one
    wrong gradient is named once, not again in every gradient computed from it. A gradient that
    is right for your own forward values, where those are wrong, is not blamed: the line says
    that node_values fails its check instead.
    """
    graph = _reference_graph(values if isinstance(values, dict) else None)
    got = _hand_values(grads, graph, "gradient")
    try:
        mine = _hand_values(values, graph, "value") if isinstance(values, dict) else None
    except Mistake:
        mine = None
    parents: dict[int, list] = {id(node): [] for node in graph.nodes()}
    for node in graph.nodes():
        for i, (child, local, formula) in enumerate(
            zip(node.inputs, node.local_grads, node.local_formulas, strict=True)
        ):
            parents[id(child)].append((node, local, formula, i))
    from_own_values = []
    for node in reversed(graph.nodes()):
        name, users = node.label, parents[id(node)]
        expected = sum(local * got[p.label] for p, local, _, _ in users) if users else node.grad
        if _same(got[name], expected):
            continue
        if mine is not None and any(
            _same(got[name], total) for total in _own_chain_rule(users, got, mine)
        ):
            from_own_values.append(name)
            continue
        what = f"∂ŷ/∂{name} should be {_fmt(expected)}"
        if not _same(expected, node.grad):
            upstream = ", ".join(f"∂ŷ/∂{p.label} = {_fmt(got[p.label])}" for p, *_ in users)
            what += f" from your {upstream}"
        what += f"; you have {_fmt(got[name])}"
        raise Mistake(what, _gradient_hint(node, got, users, expected))
    if from_own_values and not _passes(node_values, values):
        raise NotChecked("node_values fails its check")
    return (
        f"all {len(graph.nodes())} gradients are right (∂ŷ/∂w1 = {graph.inputs['w1'].grad:.3f}, "
        f"∂ŷ/∂b = {graph.inputs['b'].grad:.3f})"
    )


def _own_chain_rule(users, got, mine) -> list[float]:
    """The gradient of a node by the chain rule with the local derivatives at the student's
    own forward values ``mine`` (each way a student may write them)."""
    if len(users) != 1:
        return []
    parent, local, _, i = users[0]
    upstream = got[parent.label]
    if parent.op == "×" and len(parent.inputs) == 2:
        options = [mine[parent.inputs[1 - i].label]]
    elif parent.op == "exp":
        options = [mine[parent.label], _exp(mine[parent.inputs[0].label])]
    elif parent.op == "1/x":
        d = mine[parent.inputs[0].label]
        options = [-1.0 / d**2 if d else math.inf, -(mine[parent.label] ** 2)]
    else:
        options = [local]
    return [option * upstream for option in options if math.isfinite(option)]


def _gradient_hint(node, got, parents, expected) -> str:
    """The likely mistake behind a wrong gradient of ``node`` (its users' gradients are taken
    as written); ``expected``: the right one given those."""
    v = got[node.label]
    if not parents:
        return "the backward pass starts at the output with ∂ŷ/∂ŷ = 1.0"
    if node.label == "b" and _same(v, -expected):
        return (
            "the sign of b: with eq. 1 (z = wᵀx − b) ∂ŷ/∂b = −σ′(z); this workbook follows "
            "eq. 2, z = w1·x1 + w2·x2 + b, so ∂ŷ/∂b = +σ′(z) = ∂ŷ/∂z"
        )
    if len(parents) == 1:
        parent, local, formula, _ = parents[0]
        upstream = got[parent.label]
        chain = (
            f"∂ŷ/∂{node.label} = ∂{parent.label}/∂{node.label} × ∂ŷ/∂{parent.label} = "
            f"({formula}) × ∂ŷ/∂{parent.label} = {_fmt(local)} × {_fmt(upstream)}"
        )
        if not _same(upstream, 1.0) and _same(v, local):
            return (
                f"chain rule: you wrote the local derivative ∂{parent.label}/∂{node.label} "
                f"only; multiply it by the upstream gradient: {chain}"
            )
        if not _same(local, 1.0) and _same(v, upstream):
            return f"multiply the upstream gradient by the local derivative: {chain}"
        if parent.op == "×" and _same(v, node.data * upstream):
            return (
                f"the multiply gate swaps: {node.label} receives the upstream gradient times the "
                f"*other* input ({formula}), not times itself: {chain}"
            )
        if _same(v, -expected):
            return f"a sign: {chain}"
        return chain
    total = " + ".join(f"{_fmt(local)} × {_fmt(got[p.label])}" for p, local, _, _ in parents)
    return f"{node.label} feeds several nodes: add their contributions, {total}"


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
    if x.shape != expected.shape:
        raise Mistake(
            f"the result has shape {x.shape}, expected {expected.shape}", "one row per image"
        )
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


def _logit_variants(params, x) -> dict[str, tuple[object, str]]:
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


@_check("logits")
def logits(fn) -> str:
    """Ex. 3: ``logits(params, x)`` — Z = ReLU(x W1 + b1) W2 + b2 (no output activation)."""
    tf, ll = _tf(), _ll()
    params, x, _, _ = _problem()
    z = _network_call(fn, params, x, "logits")
    expected = ll.logits(params, x).numpy()
    if z.shape != expected.shape:
        raise Mistake(f"the result has shape {z.shape}, expected {expected.shape}", "(examples, K)")
    if _close(z, expected):
        return "Z = ReLU(x W1 + b1) W2 + b2 on a fixed batch, like the reference"
    variants = _logit_variants(params, x)
    variants["a sigmoid is applied"] = (
        tf.sigmoid(expected),
        "logits are the pre-activations: the sigmoid belongs in forward",
    )
    variants["a softmax is applied"] = (
        tf.nn.softmax(expected),
        "logits are the pre-activations: leave the output activation to forward",
    )
    raise _differs(
        z,
        expected,
        variants,
        "Z differs from the reference by up to {diff:.3g}",
        "compute h = relu(x @ W1 + b1), then h @ W2 + b2, with params = [W1, b1, W2, b2]",
    )


@_check("forward")
def forward(fn) -> str:
    """Ex. 3: ``forward(params, x)`` — sigmoid(ReLU(x W1 + b1) W2 + b2)."""
    tf, ll = _tf(), _ll()
    params, x, _, _ = _problem()
    y = _network_call(fn, params, x, "forward")
    expected = ll.forward(params, x).numpy()
    if y.shape != expected.shape:
        raise Mistake(f"the result has shape {y.shape}, expected {expected.shape}", "(examples, K)")
    if _close(y, expected):
        return "sigmoid(ReLU(x W1 + b1) W2 + b2) on a fixed batch, like the reference"
    z = ll.logits(params, x)
    variants = {
        "the output is a softmax": (
            tf.nn.softmax(z),
            "sigmoid/softmax mixed up: the lab's outputs are independent sigmoids (trained with "
            "the MSE); the softmax is the optional variant",
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
    variants |= {
        what: (tf.sigmoid(wrong), hint)
        for what, (wrong, hint) in _logit_variants(params, x).items()
    }
    raise _differs(
        y,
        expected,
        variants,
        "the outputs differ from the reference by up to {diff:.3g}",
        "forward(params, x) = tf.sigmoid(Z), Z = relu(x @ W1 + b1) @ W2 + b2",
    )


@_check("mse_loss")
def mse_loss(fn) -> str:
    """Ex. 3: ``mse_loss(y, t)`` — the mean of (y − t)² over examples and outputs."""
    tf = _tf()
    _forbid_keras(fn)
    rng = np.random.default_rng(7)
    n, k = 4, 3  # different, so that the two axes can be told apart
    y = tf.constant(rng.uniform(0.05, 0.95, (n, k)).astype(np.float32))
    t = tf.constant(np.eye(k, dtype=np.float32)[[0, 2, 1, 2]])
    with tf.GradientTape() as tape:
        tape.watch(y)
        result = _call(fn, y, t, what="mse_loss")
    loss = _array(result, "the loss")
    sq = np.square(y.numpy() - t.numpy())
    expected = sq.mean()
    if loss.shape == (k,) and _close(loss, sq.mean(axis=0)):
        raise Mistake(
            f"the loss has shape {loss.shape}: one value per output",
            "loss averaged over the wrong axis: reduce_mean(..., axis=0) averages over the "
            "examples only; average over all of them — tf.reduce_mean(tf.square(y - t))",
        )
    if loss.shape == (n,) and _close(loss, sq.mean(axis=1)):
        raise Mistake(
            f"the loss has shape {loss.shape}: one value per example",
            "loss averaged over the wrong axis: axis=1 leaves one loss per example; average "
            "over examples and outputs — tf.reduce_mean(tf.square(y - t))",
        )
    if loss.size != 1:
        raise Mistake(
            f"the loss has shape {loss.shape}", "the loss is one number (a scalar tensor)"
        )
    variants = {
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
            (y.numpy() - t.numpy()).mean(),
            "square the differences: tf.square(y - t)",
        ),
        "the loss is an absolute error": (np.abs(y.numpy() - t.numpy()).mean(), "square, not abs"),
        "the loss is a root mean square": (
            np.sqrt(expected),
            "no square root: the mean of squares",
        ),
    }
    if not _close(loss.reshape(()), expected):
        raise _differs(
            loss.reshape(()),
            expected,
            variants,
            "the loss is {value:.5g}, expected {expected:.5g}",
            "mean of (y − t)²",
        )
    if not tf.is_tensor(result) or tape.gradient(result, y) is None:
        raise Mistake(
            "the loss cannot be differentiated by GradientTape",
            "use TensorFlow operations (tf.square, tf.reduce_mean), not NumPy: the tape sees "
            "only those",
        )
    return "mean of (y − t)² over examples and outputs, a differentiable scalar"


@_check("forward_softmax")
def forward_softmax(fn) -> str:
    """Ex. 4 (optional): ``forward_softmax(params, x)`` — softmax(ReLU(x W1 + b1) W2 + b2)."""
    tf, ll = _tf(), _ll()
    params, x, _, _ = _problem()
    y = _network_call(fn, params, x, "forward_softmax")
    expected = ll.forward_softmax(params, x).numpy()
    if y.shape != expected.shape:
        raise Mistake(f"the result has shape {y.shape}, expected {expected.shape}", "(examples, K)")
    if _close(y, expected):
        return "softmax(ReLU(x W1 + b1) W2 + b2): each row a probability distribution"
    z = ll.logits(params, x)
    variants = {
        "the output is a sigmoid": (
            tf.sigmoid(z),
            "sigmoid/softmax mixed up: the optional variant's outputs are a softmax over the "
            "K outputs, tf.nn.softmax(logits(params, x))",
        ),
        "the softmax runs over the examples": (
            tf.nn.softmax(z, axis=0),
            "softmax over the wrong axis: each example's row sums to 1 (axis=-1, the default)",
        ),
        "the output has no softmax": (z, "apply tf.nn.softmax to the logits"),
    }
    variants |= {
        what: (tf.nn.softmax(wrong), hint)
        for what, (wrong, hint) in _logit_variants(params, x).items()
    }
    raise _differs(
        y,
        expected,
        variants,
        "the outputs differ from the reference by up to {diff:.3g}",
        "tf.nn.softmax(logits(params, x))",
    )


@_check("cross_entropy_loss")
def cross_entropy_loss(fn) -> str:
    """Ex. 4 (optional): ``cross_entropy_loss(z, t)`` — mean softmax cross-entropy of logits."""
    tf, ll = _tf(), _ll()
    _forbid_keras(fn)
    rng = np.random.default_rng(8)
    z = tf.constant(rng.normal(0, 2, (4, 3)).astype(np.float32))
    t = tf.constant(np.eye(3, dtype=np.float32)[[0, 2, 1, 2]])
    with tf.GradientTape() as tape:
        tape.watch(z)
        result = _call(fn, z, t, what="cross_entropy_loss")
    loss = _array(result, "the loss")
    expected = float(ll.cross_entropy_loss(z, t))
    per_example = tf.nn.softmax_cross_entropy_with_logits(labels=t, logits=z).numpy()
    if loss.shape == (4,) and _close(loss, per_example):
        raise Mistake(
            "the loss has one value per example",
            "average over the examples: tf.reduce_mean(...)",
        )
    if loss.size != 1:
        raise Mistake(f"the loss has shape {loss.shape}", "the loss is one number (a scalar)")
    sig = tf.nn.sigmoid_cross_entropy_with_logits(labels=t, logits=z).numpy()
    mixed = (
        "sigmoid/softmax mixed up: the variant's loss is the cross-entropy of a softmax, "
        "tf.nn.softmax_cross_entropy_with_logits(labels=t, logits=z)"
    )
    variants = {
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
    if not _close(loss.reshape(()), expected):
        raise _differs(
            loss.reshape(()),
            expected,
            variants,
            "the loss is {value:.5g}, expected {expected:.5g}",
            "mean over the examples of −Σ t log softmax(z), computed from the logits",
        )
    if not tf.is_tensor(result) or tape.gradient(result, z) is None:
        raise Mistake(
            "the loss cannot be differentiated by GradientTape",
            "use TensorFlow operations, not NumPy",
        )
    _stable_on_large_logits(fn)
    return "mean softmax cross-entropy of the logits, a differentiable scalar, stable"


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
    tf = _tf()
    _forbid_keras(fn)
    d, h, k = 40, 30, 10
    params = _call(fn, d, h, k, 0, what="init_params")
    if not isinstance(params, list | tuple) or len(params) != 4:
        raise Mistake(
            f"expected a list [W1, b1, W2, b2], got {type(params).__name__}",
            "return the four parameters in a list, in this order",
        )
    names = ("W1", "b1", "W2", "b2")
    shapes = {"W1": (d, h), "b1": (h,), "W2": (h, k), "b2": (k,)}
    for name, p in zip(names, params, strict=True):
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
        if tuple(p.shape) != shapes[name]:
            hint = "W1 is (n_inputs, n_hidden), so that x @ W1 works; W2 is (n_hidden, n_outputs)"
            if tuple(p.shape) == shapes[name][::-1]:
                hint = f"{name} is transposed: " + hint
            raise Mistake(f"{name} has shape {tuple(p.shape)}, expected {shapes[name]}", hint)
    W1, b1, W2, b2 = (p.numpy() for p in params)
    if np.any(b1) or np.any(b2):
        raise Mistake("the biases are not zero", "biases start at zero: tf.zeros([n])")
    for name, w, (fan_in, fan_out) in (("W1", W1, (d, h)), ("W2", W2, (h, k))):
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
    names = ("W1", "b1", "W2", "b2")
    for name, p in zip(names, mine, strict=True):
        if not isinstance(p, tf.Variable):
            raise Mistake(
                f"{name} in the list is no longer a tf.Variable (now a {type(p).__name__}): "
                "the Variable is lost",
                "`W = W - …` (or params[i] = …) makes a new tensor; update the Variable in "
                "place: W.assign_sub(learning_rate * grad)",
            )
    moved = [p.numpy() - b for p, b in zip(mine, before, strict=True)]
    wanted = [r.numpy() - b for r, b in zip(reference, before, strict=True)]
    if not any(np.any(m) for m in moved):
        raise Mistake(
            "the parameters did not change",
            "`W = W - learning_rate * g` only rebinds a local name and the Variable is lost; "
            "update it in place: W.assign_sub(learning_rate * g)",
        )
    if all(_close(m, -w) for m, w in zip(moved, wanted, strict=True)):
        raise Mistake(
            "the parameters moved up the gradient",
            "update sign flipped: gradient descent subtracts the scaled gradient with "
            "assign_sub (assign_add climbs the loss)",
        )
    if all(_close(m, w / lr) for m, w in zip(moved, wanted, strict=True)):
        raise Mistake("the step ignores the learning rate", "scale the gradient: learning_rate * g")
    if all(_close(m, w * lr) for m, w in zip(moved, wanted, strict=True)):
        raise Mistake("the learning rate is applied twice", "one factor: learning_rate * g")
    still = [n for n, m in zip(names, moved, strict=True) if not np.any(m)]
    if still:
        raise Mistake(
            f"{', '.join(still)} did not change",
            "update every parameter: loop over zip(params, grads)",
        )
    wrong = [n for n, m, w in zip(names, moved, wanted, strict=True) if not _close(m, w)]
    if wrong:
        raise Mistake(
            f"{', '.join(wrong)} moved differently from the reference",
            "one step is p ← p − learning_rate · ∂loss/∂p, with the gradients of "
            "model_loss(params, x, t, output) taken on the tape",
        )
    value = _array(loss, "the returned loss")
    if value.size != 1:
        raise Mistake(f"the returned loss has shape {value.shape}", "return the (scalar) loss")
    if not _close(value.reshape(()), expected_loss):
        after = float(ll.mse_loss(ll.forward(mine, x), t))
        hint = (
            "return the loss computed inside the tape, before the update"
            if _close(value.reshape(()), after)
            else "return the loss of the mini-batch"
        )
        raise Mistake(
            f"the returned loss is {float(value):.5g}, expected {expected_loss:.5g}", hint
        )
    return "GradientTape + assign_sub: every parameter updated in place like the reference"


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
    value = float(value.reshape(()))
    if _close(value, expected):
        return f"{expected:g} % of a fixed batch misclassified, like the reference"
    variants = {
        "it is a fraction, not a percentage": (expected / 100, "multiply by 100"),
        "it is the accuracy, not the error rate": (100 - expected, "count the wrong predictions"),
        "it is the accuracy as a fraction": (1 - expected / 100, "percent of wrong predictions"),
    }
    raise _differs(
        value,
        expected,
        variants,
        "the error rate is {value:g}, expected {expected:g}",
        "predicted class = argmax of the outputs over axis 1; compare with the integer labels",
    )


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
    row_of = {row.tobytes(): i for i, row in enumerate(x)}
    calls: list[tuple[list[int], float]] = []

    def step(params, xb, tb, rate, *args, **kwargs):
        rows = [row_of.get(r.tobytes(), -1) for r in np.asarray(xb, dtype=np.float32)]
        loss = ll.train_step(params, xb, tb, rate, *args, **kwargs)
        calls.append((rows, float(rate), float(loss)))
        return loss

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
            step=step,
            what="fit",
        )
    except Mistake as mistake:
        if "'losses'" in mistake.what or "History.add_epoch" in mistake.what:
            raise Mistake(mistake.what, LOSSES_HINT) from None
        raise
    per_epoch = math.ceil(len(x) / batch_size)
    if not calls:
        raise Mistake(
            "fit never called its `step` argument",
            "one step per mini-batch through the argument: "
            "loss = step(params, x_batch, t_batch, rate, output) — not train_step directly",
        )
    if len(calls) != epochs * per_epoch:
        raise Mistake(
            f"{len(calls)} steps for {epochs} epochs of {len(x)} examples in batches of "
            f"{batch_size}; expected {epochs * per_epoch}",
            "one step per mini-batch: for start in range(0, len(x), batch_size)",
        )
    sizes = [len(rows) for rows, _, _ in calls[:per_epoch]]
    if max(sizes) > batch_size:
        raise Mistake(f"mini-batches of up to {max(sizes)} examples", "slice batch_size examples")
    orders = []
    for epoch in range(epochs):
        batches = calls[epoch * per_epoch : (epoch + 1) * per_epoch]
        seen = [i for rows, _, _ in batches for i in rows]
        if sorted(seen) != list(range(len(x))):
            raise Mistake(
                f"epoch {epoch} does not visit every example exactly once",
                "take the mini-batches from this epoch's `order`: "
                "x[order[start:start + batch_size]]",
            )
        orders.append(seen)
    if orders[0] == list(range(len(x))) or orders[0] == orders[1]:
        raise Mistake(
            "the examples are visited in the same order every epoch",
            "use this epoch's shuffled `order` (tf.gather(x, order[start:start + batch_size]))",
        )
    rates = {rate for _, rate, _ in calls}
    if rates != {lr}:
        raise Mistake(
            f"the steps got learning rates {sorted(rates)}, expected {lr}", "pass `rate` to step"
        )
    _fit_history(history, [loss for _, _, loss in calls])
    after = float(ll.mse_loss(ll.forward(params, x), t))
    if not after < before:
        raise Mistake(
            f"the loss went from {before:.4g} to {after:.4g}", "update the parameters passed in"
        )
    return (
        f"{epochs} epochs × {per_epoch} shuffled mini-batches of ≤ {batch_size}, every example "
        f"once per epoch; loss {before:.3f} → {after:.3f}"
    )


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
