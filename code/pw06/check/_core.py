"""What every check shares: its one line (✓/✗), the call of a student's function, and the
comparison with the reference — equal, or the known mistake it shows, or the largest
difference (:func:`_compare`)."""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pw06 import recorded
from pw06.check._references import _USES, _reference, _student_versions, references

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


#: Every check, by the name of the workbook function it grades (filled by :func:`_check`).
_CHECKS: dict[str, Callable] = {}


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
        _CHECKS[name] = run
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


def _blame_unswapped(fn, names) -> None:
    """Raise NotChecked if ``fn`` calls its own version of one of ``names`` (no swap possible)
    and that version fails its own check."""
    try:
        students = _student_versions(fn, names)
    except Exception:  # never let the search crash a check
        return
    for name, student in students.items():
        verify = _CHECKS.get(name)
        if student is _reference(name) or verify is None:
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


# --- Comparing with the reference ---------------------------------------------------------------


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


#: Known mistakes: {what the line says: (the mistake's result on the same problem, its hint)}.
Variants = dict[str, tuple[object, str]]


def _compare(value, expected, known: Callable[[], Variants], differs: str, hint: str) -> None:
    """Nothing if ``value`` equals ``expected`` (the reference's result); else raise the
    Mistake it shows: the first known mistake whose result it equals (``known()``: variants
    of the reference on the same problem, computed only now), or else ``differs`` (formatted
    with ``value``, ``expected`` and ``diff``, the largest difference) and ``hint``."""
    if _close(value, expected):
        return
    for what, (result, its_hint) in known().items():
        if _close(value, result):
            raise Mistake(what, its_hint)
    value, expected = np.asarray(value, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    diff = float(np.abs(value - expected).max()) if value.shape == expected.shape else math.nan
    if value.size == 1 and expected.size == 1:
        value, expected = float(value.reshape(-1)[0]), float(expected.reshape(-1)[0])
    raise Mistake(differs.format(value=value, expected=expected, diff=diff), hint)


def _same_shape(value: np.ndarray, expected: np.ndarray, hint: str) -> None:
    """Raise the Mistake "the result has shape …, expected …" unless the shapes agree."""
    if value.shape != expected.shape:
        raise Mistake(f"the result has shape {value.shape}, expected {expected.shape}", hint)


def _is_number(value) -> bool:
    return isinstance(value, int | float | np.floating | np.integer) and not isinstance(value, bool)
