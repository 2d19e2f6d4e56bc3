#!/usr/bin/env python3
"""Run the workbook checks on answers given as source: the reference's, and each known mistake.

    python scripts/check_answers.py cases OUT.json     # the answers (needs the full package)
    python scripts/check_answers.py run CASES.json OUT.json [--record DATA.json]

``cases`` writes the answers: the reference notebook's functions (their source, as a filled
workbook holds them) and, for each known mistake of ``code/tests/test_check.py``, the same
notebook with that mistake injected. ``run`` executes each case in a fresh namespace like a
notebook's, runs its checks, and writes ``{case: {check: the line printed}}``: with whichever
``pw06`` the Python running it has installed. So the full package (live reference code) and
the student package (recorded results) run the same answers, and their lines can be compared.
``--record`` runs the checks with :mod:`pw06.recorded` in record mode and writes the reference
results they used: the student package's data (``scripts/student_package.py``).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cases() -> list[dict]:
    """The answers: the reference notebook, then one case per known mistake."""
    import inspect
    import textwrap

    sys.path.insert(0, str(ROOT / "code" / "tests"))
    import test_check as tc

    def source(func) -> str:
        return textwrap.dedent(inspect.getsource(func))

    functions = {f.__name__: source(f) for f in tc.NOTEBOOK_FUNCTIONS}
    reference = {"imports": tc.NOTEBOOK_IMPORTS, **functions}  # the cells, imports first
    from pw06.check import LAB_CHECKS, SOFTMAX_CHECKS

    every = [[name, name, {}] for name in LAB_CHECKS]
    every += [[name, name, {"output": "softmax"}] for name in SOFTMAX_CHECKS]
    found = [{"label": "reference", "sources": reference, "runs": every, "keras_fit": True}]
    for label, (a_check, func, old, new, hint) in tc.MISTAKES.items():
        if func.__name__ not in reference or source(func).count(old) != 1:
            continue
        sources = dict(reference)
        sources[func.__name__] = source(func).replace(old, new)
        runs = [[a_check.__name__, func.__name__, {}]]
        found.append({"label": label, "sources": sources, "runs": runs, "hint": hint})
    for label, ((name, old, new), _failing, hint) in tc.NOTEBOOK_MISTAKES.items():
        if reference[name].count(old) != 1:
            continue
        sources = dict(reference)
        sources[name] = reference[name].replace(old, new)
        found.append(
            {"label": f"notebook: {label}", "sources": sources, "runs": every, "hint": hint}
        )
    return found


def namespace() -> dict:
    """A notebook's globals before its cells run (the first cell, ``imports``, imports the rest:
    ``code/tests/test_check.py``'s ``NOTEBOOK_IMPORTS``), TensorFlow loaded quietly."""
    from pw06.tf_quiet import load

    load()
    return {"__name__": "__main__"}


def _line(a_check, *args, **kwargs) -> str:
    with contextlib.redirect_stdout(io.StringIO()):
        return a_check(*args, **kwargs).line


def run(all_cases: list[dict]) -> dict[str, dict[str, str]]:
    """``{case label: {check: its line}}`` with the installed pw06."""
    import numpy as np
    from pw06 import check

    lines = {}
    for case in all_cases:
        ns = namespace()
        for name, text in case["sources"].items():
            exec(compile(text, f"<cell {name}>", "exec"), ns)
        got = {}
        for check_name, function, kwargs in case["runs"]:
            label = check_name + (f" ({kwargs['output']})" if kwargs else "")
            got[label] = _line(getattr(check, check_name), ns[function], **kwargs)
        if case.get("keras_fit"):
            keras = ns["keras"]
            keras.utils.set_random_seed(0)  # Keras's shuffling: the same run on both paths
            rng = np.random.default_rng(0)
            x = rng.uniform(0, 1, (96, 6)).astype(np.float32)
            t = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 96)]
            model = ns["compile_model"](ns["build_sequential"](6, 5, 3, seed=0), 0.5)
            history = model.fit(x, t, epochs=2, verbose=0)
            got["keras_fit"] = _line(check.keras_fit, history, x)
        lines[case["label"]] = got
    return lines


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "cases":
        Path(argv[1]).write_text(json.dumps(cases(), indent=1), encoding="utf-8")
        return 0
    if len(argv) in (3, 5) and argv[0] == "run":
        record = argv[4] if len(argv) == 5 and argv[3] == "--record" else None
        if record:
            from pw06 import recorded

            recorded.MODE = "record"
        all_cases = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
        lines = run(all_cases)
        Path(argv[2]).write_text(json.dumps(lines, indent=1, ensure_ascii=False), "utf-8")
        if record:
            meta = {"source_sha256": recorded.source_hash(ROOT / "code" / "pw06")}
            count = recorded.save(Path(record), meta)
            print(f"recorded {count} reference results")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
