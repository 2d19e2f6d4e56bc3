"""Reference results recorded for the student package: the checks without the reference code.

The full package's checks (:mod:`pw06.check`) compare a student's function with the live
reference code of this package. The student package (``scripts/student_package.py``, built by
the student edition) has every solution region cut, so it cannot. Instead it ships
``pw06/_reference.json``: the results of every reference function that the checks call, on the
checks' fixed problems, recorded when the wheel was built by running the checks on the
reference answers and on the known mistakes, together with a hash of the source they came from.

- ``live``: the full package; the checks call the reference code (this module does nothing).
- ``record``: the build; each reference call runs live and its result is stored, keyed by a
  hash of its name and arguments (values of arrays, tensors, variables included).
- ``replay``: the student package; a reference call returns the stored result for the same
  arguments: the outputs, the new values of the variables it updated in place (``train_step``),
  and, for the network's functions, a gradient (from the recorded Jacobians), so that a
  student's ``train_step`` can still take its gradient through the reference ``model_loss``.
  For any other input it raises :class:`NoReference`, which the check prints plainly.

A student can read the recorded outputs of the fixed problems: outputs, not code.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import numpy as np

DATA_FILE = Path(__file__).with_name("_reference.json")
#: The reference functions whose result carries a gradient (they are called inside a tape).
DIFFERENTIABLE = (
    "logits",
    "forward",
    "forward_softmax",
    "mse_loss",
    "cross_entropy_loss",
    "model_loss",
)
#: Jacobians larger than this (output size × input size) are not recorded.
JACOBIAN_LIMIT = 200_000

MODE = "replay" if DATA_FILE.is_file() else "live"
_ENTRIES: dict[str, dict] = {}
_META: dict = {}


class NoReference(Exception):
    """The student package holds no reference result for these arguments."""


def _tf():
    from pw06.tf_quiet import load

    return load()


def _is_tensor_like(value) -> bool:
    return type(value).__module__.split(".")[0] in ("tensorflow", "keras") and hasattr(
        value, "numpy"
    )


def _canonical(value, out: list) -> None:
    """Append a canonical byte form of ``value`` to ``out`` (the key of a call)."""
    if _is_tensor_like(value):
        value = np.asarray(value.numpy())
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        out.append(f"a{array.dtype.str}{array.shape}".encode())
        out.append(array.tobytes(order="C"))
    elif isinstance(value, list | tuple):
        out.append(f"l{len(value)}(".encode())
        for item in value:
            _canonical(item, out)
        out.append(b")")
    elif isinstance(value, dict):
        out.append(f"d{len(value)}(".encode())
        for k in sorted(value):
            out.append(repr(k).encode())
            _canonical(value[k], out)
        out.append(b")")
    elif isinstance(value, bool | int | float | str) or value is None:
        out.append(f"{type(value).__name__}:{value!r}".encode())
    else:
        out.append(f"<{type(value).__name__}>".encode())


def key(name: str, args, kwargs) -> str:
    """The hash that names a reference call: its function's name and its arguments."""
    parts: list[bytes] = [name.encode()]
    _canonical(list(args), parts)
    _canonical(dict(kwargs), parts)
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


def _array_json(array: np.ndarray) -> dict:
    array = np.asarray(array)  # a 0-d array stays 0-d
    return {
        "dtype": array.dtype.str,
        "shape": list(array.shape),
        "data": base64.b64encode(array.tobytes(order="C")).decode("ascii"),
    }


def _array_of(entry: dict) -> np.ndarray:
    raw = base64.b64decode(entry["data"])
    return np.frombuffer(raw, dtype=np.dtype(entry["dtype"])).reshape(entry["shape"]).copy()


def encode(value):
    """``value`` (numbers, arrays, tensors, variables, lists of them) as JSON."""
    tf = _tf() if _is_tensor_like(value) else None
    if tf is not None and isinstance(value, tf.Variable):
        return {"variable": _array_json(value.numpy()), "name": value.name.split(":")[0]}
    if tf is not None:
        return {"tensor": _array_json(np.asarray(value.numpy()))}
    if isinstance(value, np.ndarray):
        return {"array": _array_json(value)}
    if isinstance(value, np.generic):
        return {"scalar": _array_json(np.asarray(value))}
    if isinstance(value, list | tuple):
        return {"list": [encode(v) for v in value], "tuple": isinstance(value, tuple)}
    if isinstance(value, bool | int | float | str) or value is None:
        return {"py": value}
    raise TypeError(f"cannot record a {type(value).__name__}")


def decode(entry):
    """The value that :func:`encode` stored (fresh objects: a check may change them)."""
    if "variable" in entry:
        tf = _tf()
        return tf.Variable(_array_of(entry["variable"]), name=entry["name"])
    if "tensor" in entry:
        return _tf().constant(_array_of(entry["tensor"]))
    if "array" in entry:
        return _array_of(entry["array"])
    if "scalar" in entry:
        return _array_of(entry["scalar"])[()]
    if "list" in entry:
        items = [decode(v) for v in entry["list"]]
        return tuple(items) if entry["tuple"] else items
    return entry["py"]


def _flat(value) -> list:
    """The tensors and variables in ``value`` (nested lists and tuples), in order."""
    if isinstance(value, list | tuple):
        return [item for v in value for item in _flat(v)]
    return [value] if _is_tensor_like(value) else []


def _float_inputs(args, kwargs) -> list:
    tf = _tf()
    return [
        v for v in _flat([list(args), list(kwargs.values())]) if v.dtype in (tf.float32, tf.float64)
    ]


def _variables(args) -> list:
    tf = _tf()
    return [v for v in _flat(list(args)) if isinstance(v, tf.Variable)]


def _jacobians(function, args, kwargs) -> list | None:
    """The Jacobian of ``function``'s output with respect to each float input (small only)."""
    tf = _tf()
    inputs = _float_inputs(args, kwargs)
    with tf.GradientTape(persistent=True) as tape:
        for value in inputs:
            if not isinstance(value, tf.Variable):
                tape.watch(value)
        out = function(*args, **kwargs)
    if not tf.is_tensor(out) or not inputs:
        return None
    if int(tf.size(out)) * sum(int(tf.size(v)) for v in inputs) > JACOBIAN_LIMIT:
        return None
    jacobians = tape.jacobian(out, inputs, experimental_use_pfor=False)
    return [None if j is None else _array_json(j.numpy()) for j in jacobians]


# --- Record (the build) and replay (the student package) --------------------------------------


def recorder(name: str, function):
    """``function`` run live, its result stored under the key of each call (``record`` mode)."""

    def recording(*args, **kwargs):
        call = key(name, args, kwargs)
        jacobians = _jacobians(function, args, kwargs) if name in DIFFERENTIABLE else None
        before = [v.numpy() for v in _variables(args)]
        result = function(*args, **kwargs)
        after = _variables(args)
        entry = {"name": name, "out": encode(result)}
        changed = [not np.array_equal(b, v.numpy()) for b, v in zip(before, after, strict=True)]
        if any(changed):
            entry["after"] = [_array_json(v.numpy()) for v in after]
        if jacobians is not None:
            entry["jacobians"] = jacobians
        _ENTRIES.setdefault(call, entry)
        return result

    recording.__name__ = recording.__qualname__ = name
    recording.__wrapped__ = function
    return recording


def _load() -> None:
    if not _ENTRIES and MODE == "replay":
        data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
        _META.update(data["meta"])
        _ENTRIES.update(data["entries"])


def replayer(name: str):
    """The reference ``name`` as recorded: a stored result, or :class:`NoReference`."""

    def replaying(*args, **kwargs):
        _load()
        entry = _ENTRIES.get(key(name, args, kwargs))
        if entry is None:
            raise NoReference(
                f"no reference result for {name} on these arguments: the student package "
                "holds the reference results of the checks' fixed problems only"
            )
        if "after" in entry:
            for variable, value in zip(_variables(args), entry["after"], strict=True):
                variable.assign(_array_of(value))
        out = decode(entry["out"])
        if entry.get("jacobians"):
            out = _with_gradient(out, _float_inputs(args, kwargs), entry["jacobians"])
        return out

    replaying.__name__ = replaying.__qualname__ = name
    replaying.recorded = True
    return replaying


def _with_gradient(out, inputs, jacobians):
    """``out`` as a tensor whose gradient with respect to ``inputs`` uses the recorded
    Jacobians (an upstream gradient dy gives Σ dy · J for each input)."""
    tf = _tf()
    tables = [None if j is None else tf.constant(_array_of(j)) for j in jacobians]

    @tf.custom_gradient
    def value(*xs):
        def gradient(dy):
            rank = len(out.shape)
            return [
                tf.zeros_like(x) if j is None else tf.tensordot(dy, j, axes=rank)
                for x, j in zip(xs, tables, strict=True)
            ]

        return tf.identity(out), gradient

    return value(*[tf.convert_to_tensor(v) for v in inputs])


def source_hash(code_dir: Path) -> str:
    """A hash of the package's source, its subpackages' included (the checks): the files the
    recorded results came from."""
    digest = hashlib.sha256()
    for path in sorted(Path(code_dir).rglob("*.py")):
        name = path.relative_to(code_dir).as_posix()
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def save(path: Path, meta: dict) -> int:
    """Write the recorded entries (and ``meta``: the source hash) to ``path``; their count."""
    payload = {"meta": meta, "entries": _ENTRIES}
    Path(path).write_text(json.dumps(payload, sort_keys=True), encoding="utf-8")
    return len(_ENTRIES)


def meta() -> dict:
    """What the student package's data says of itself (empty in the full package)."""
    _load()
    return dict(_META)
