#!/usr/bin/env python3
"""Compile the locks requirements.txt and requirements-dev.txt from their ``.in`` files.

    .venv/bin/python scripts/lock.py                          # after editing an .in file
    .venv/bin/python scripts/lock.py --upgrade-package numpy  # move one package (uv's options)

One lock serves every supported Python (code/pyproject.toml's classifiers, 3.10 to 3.13): uv's
universal resolution writes one pin per package, or several with environment markers where a
Python needs another version (``numpy==2.2.6 ; python_full_version < '3.11'``). uv keeps the
versions already in the lock when they still fit, so the main Python's pins move only when
asked. requirements-dev.txt holds everything requirements.txt holds, at the same versions (it
is compiled with requirements.txt as constraints), plus the test tools. uv is one of those
tools; ``python3 -m pip install uv`` works too. tests/test_lock.py checks that every pin has a
release for every supported Python.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lowest_python() -> str:
    """The oldest supported Python, from code/pyproject.toml's ``requires-python``."""
    text = (ROOT / "code" / "pyproject.toml").read_text(encoding="utf-8")
    return re.search(r'^requires-python\s*=\s*">=(3\.\d+)"', text, re.M)[1]


def uv() -> str:
    """The uv of this venv, else the first on PATH."""
    local = Path(sys.executable).parent / "uv"
    return str(local) if local.exists() else (shutil.which("uv") or sys.exit("install uv"))


def compile_lock(source: str, output: str, *extra: str) -> None:
    command = [uv(), "pip", "compile", "--quiet", "--universal"]
    command += ["--python-version", lowest_python(), source, "-o", output, *extra]
    print("+", " ".join(command), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)


def main(extra: list[str]) -> None:
    compile_lock("requirements.in", "requirements.txt", *extra)
    with tempfile.TemporaryDirectory() as tmp:
        # uv takes no editable install as a constraint: the pins only.
        pins = [
            line
            for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
            if not line.startswith("-e ")
        ]
        constraints = Path(tmp) / "constraints.txt"
        constraints.write_text("\n".join(pins) + "\n", encoding="utf-8")
        compile_lock("requirements-dev.in", "requirements-dev.txt", "-c", str(constraints), *extra)
    # The header names the command; the constraints file's temporary path would change it on
    # every run.
    dev = ROOT / "requirements-dev.txt"
    text = re.sub(r" -c \S+constraints\.txt", " -c requirements.txt", dev.read_text("utf-8"))
    text = re.sub(r"#   -c \S+constraints\.txt", "#   -c requirements.txt", text)
    dev.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
