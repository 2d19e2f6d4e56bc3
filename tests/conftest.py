"""Shared fixtures: one full, strict build of the book per test session, and its glued values.

By default the build goes to a fresh temporary folder, so every chapter is executed from scratch
(no cache from an earlier build can hide a regression). ``$HANDBOOK_BUILD_DIR`` names another
folder (relative to the repository root): CI sets it to ``.``, so the suite's build lands in
``_build/`` with its execution cache and the site step after it executes nothing again. The
variable's name must not start with ``PW06_``: those settings are part of the cache key. Chapter
tests read the glued numbers through the ``glue`` fixture and check each against its band.
Plain helpers live in ``helpers.py``.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import (
    BUILD_ARGS,
    BUILD_DIR_VARIABLE,
    ROOT,
    jupyter_book,
    pinned_versions,
    read_glue,
)
from jupyter_client.kernelspec import KernelSpecManager

NO_NETWORK = "http://127.0.0.1:9"  # the discard port: nothing listens


def build_output_folder(tmp_path_factory, environ=os.environ) -> Path:
    """Where the session build goes: ``$HANDBOOK_BUILD_DIR`` (from the root), else a fresh one."""
    chosen = environ.get(BUILD_DIR_VARIABLE)
    return (ROOT / chosen).resolve() if chosen else tmp_path_factory.mktemp("book")


@pytest.fixture(scope="session")
def book_build(tmp_path_factory) -> Path:
    """Build the whole book strictly (see BUILD_DIR_VARIABLE for where); return ``_build``."""
    out = build_output_folder(tmp_path_factory)
    result = jupyter_book(*BUILD_ARGS, "--path-output", out)
    log = result.stdout + result.stderr
    (out / "_build").mkdir(parents=True, exist_ok=True)
    (out / "_build" / "build.log").write_text(log, encoding="utf-8")
    assert result.returncode == 0, f"strict book build failed:\n{log[-8000:]}"
    return out / "_build"


@pytest.fixture(scope="session")
def page_html(book_build):
    """``page_html(name)``: the built HTML of ``book/<name>.md``, read once per session."""

    @functools.cache
    def read(name: str) -> str:
        return (book_build / "html" / f"{name}.html").read_text(encoding="utf-8")

    return read


@pytest.fixture(scope="session")
def glue(book_build) -> dict[str, dict[str, object]]:
    """``glue[page][key]``: every value glued by the executed chapters of the session build."""
    return read_glue(book_build)


@pytest.fixture(scope="module")
def v(glue, request) -> dict[str, object]:
    """The values glued by the test module's page (the module's ``PAGE``)."""
    return glue[request.module.PAGE]


@pytest.fixture(scope="module")
def html(page_html, request) -> str:
    """The built HTML of the test module's page (the module's ``PAGE``)."""
    return page_html(request.module.PAGE)


@pytest.fixture(scope="session")
def reader_kernel(tmp_path_factory) -> tuple[KernelSpecManager, Path]:
    """A kernelspec for a fresh venv with only ``./code`` and ``ipykernel`` installed."""
    root = tmp_path_factory.mktemp("reader")
    venv = root / "venv"
    base = Path(getattr(sys, "_base_executable", sys.executable))
    subprocess.run([str(base), "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    constraints = root / "constraints.txt"
    pins = [f"{name}=={version}" for name, version in sorted(pinned_versions().items())]
    constraints.write_text("\n".join(pins) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    started = time.perf_counter()
    code = root / "code"  # a copy: building the package writes build/ next to its source
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", ".*cache")
    shutil.copytree(ROOT / "code", code, ignore=ignore)
    pip = [str(python), "-m", "pip", "install", "-q", "-c", str(constraints)]
    result = subprocess.run(
        [*pip, str(code), "ipykernel"],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    print(f"reader venv installed in {time.perf_counter() - started:.0f} s")
    kernels = root / "kernels"
    (kernels / "pw06-reader").mkdir(parents=True)
    kernel = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (reader)",
        "language": "python",
        "env": {
            "PIP_NO_INDEX": "1",
            "PYTHONPATH": "",
            **{name: NO_NETWORK for name in ("http_proxy", "https_proxy", "all_proxy")},
            **{name: NO_NETWORK for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")},
            "no_proxy": "",
            "NO_PROXY": "",
        },
    }
    (kernels / "pw06-reader" / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    return KernelSpecManager(kernel_dirs=[str(kernels)]), venv
