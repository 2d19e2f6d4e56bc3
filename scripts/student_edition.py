#!/usr/bin/env python3
"""Build the student edition of the site: the same book, strict, without any solution.

    .venv/bin/python scripts/student_edition.py [OUTPUT_DIR]    # default: _build/student

(``python3 tasks.py book --student`` runs it.) The book is built with
``handbook_student_edition: true`` (see ``book/_ext/workbooks.py``): dropdowns titled
"Solution…" or "Answer…" and folded outputs are removed from the pages, solution regions of
the code shown are replaced by ``# YOUR CODE HERE``, the workbooks are published blank only,
and no page source or chapter notebook is published. The HTML is written to
``OUTPUT_DIR/_build/html``.

The chapters are not executed again: the build reads the execution cache of the main build
(``_build/.jupyter_cache``, filled by ``python3 tasks.py book``), whose entries are the same
cells. Without that cache the chapters run once, and fill it.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MAIN_CACHE = ROOT / "_build" / ".jupyter_cache"
STRICT = ["-W", "-n", "--keep-going"]


def student_config(config: dict, cache: Path) -> dict:
    """The book's configuration with the student edition on, reading the execution ``cache``."""
    settings = copy.deepcopy(config)
    settings.setdefault("execute", {})["cache"] = str(Path(cache).resolve())
    sphinx = settings.setdefault("sphinx", {})
    sphinx.setdefault("config", {})["handbook_student_edition"] = True
    extensions = sphinx.get("local_extensions", {})
    sphinx["local_extensions"] = {name: str(ROOT / path) for name, path in extensions.items()}
    return settings


def build(out_dir: Path, *, cache: Path = MAIN_CACHE, args=STRICT) -> subprocess.CompletedProcess:
    """Build the student edition into ``out_dir`` (HTML in ``out_dir/_build/html``)."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    path = out_dir / "_config.yml"
    path.write_text(yaml.safe_dump(student_config(config, cache)), encoding="utf-8")
    command = [BIN / "jupyter-book", "build", ROOT / "book", "--config", path]
    command += ["--path-output", out_dir, *args]
    return subprocess.run(list(map(str, command)), cwd=ROOT, capture_output=True, text=True)


if __name__ == "__main__":
    if len(sys.argv) > 2:
        sys.exit(__doc__)
    target = Path(sys.argv[1] if len(sys.argv) == 2 else ROOT / "_build" / "student")
    result = build(target)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode == 0:
        print(f"\nStudent edition: open {target / '_build' / 'html' / 'index.html'}")
    sys.exit(result.returncode)
