"""The handbook's versions of the workbook functions, and their swap into a student's notebook.

While a check runs a student's function, the other workbook functions it calls are the
handbook's reference versions (:func:`references`), so that one mistake fails one check.
The reference is the live code of this package, or, in the student package, the results
recorded on the checks' fixed problems (:mod:`pw06.recorded`).
"""

from __future__ import annotations

import contextlib
import functools
import types

from pw06 import recorded

#: The workbook functions that the checks call as the handbook's version, by module of pw06.
#: ``recorded.DIFFERENTIABLE``: the network and its losses (``logits`` … ``model_loss``).
_REFERENCE_BY_MODULE = {
    "data": ("preprocess", "one_hot"),
    "lowlevel_mlp": (
        "init_params",
        *recorded.DIFFERENTIABLE,
        "train_step",
        "predict",
        "error_rate",
        "piecewise_constant",
    ),
    "keras_mlp": ("_output_activation", "initial_weights"),
}
#: What each Ex. 3 and Ex. 4 function may call (the workbooks' given code included): a step
#: or a fit calls the network and its losses.
_USES = {
    "forward": ("logits",),
    "forward_softmax": ("logits",),
    "train_step": recorded.DIFFERENTIABLE,
    "error_rate": ("logits", "forward", "forward_softmax", "predict"),
    "fit": ("train_step", *recorded.DIFFERENTIABLE, "piecewise_constant"),
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
    (module,) = [m for m, names in _REFERENCE_BY_MODULE.items() if name in names]
    live = getattr(importlib.import_module(f"pw06.{module}"), name)
    return recorded.recorder(name, live) if recorded.MODE == "record" else live


class _References:
    """A module of pw06 whose workbook functions are :func:`_reference`'s versions."""

    def __init__(self, module: str):
        import importlib

        self._module = importlib.import_module(f"pw06.{module}")
        self._names = set(_REFERENCE_BY_MODULE[module])

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


def _tf():
    from pw06.tf_quiet import load

    return load()


def _ll():
    """pw06.lowlevel_mlp, its workbook functions the reference (live or recorded)."""
    if recorded.MODE == "live":
        from pw06 import lowlevel_mlp

        return lowlevel_mlp
    return _References("lowlevel_mlp")
