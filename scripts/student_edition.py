#!/usr/bin/env python3
"""Build the student edition of the site: the same book, strict, without any solution.

    .venv/bin/python scripts/student_edition.py [OUTPUT_DIR] [--site-url URL]
                                                    # default: _build/student

(``python3 tasks.py book --student`` runs it.) The book is built with
``handbook_student_edition: true`` (see ``book/_ext/workbooks.py``): dropdowns titled
"Solution…" or "Answer…" and folded outputs are removed from the pages, solution regions of
the code shown are replaced by ``# YOUR CODE HERE``, the workbooks are published blank only,
and no page source or chapter notebook is published. The HTML is written to
``OUTPUT_DIR/_build/html``.

The student package is built first (``scripts/student_package.py``): a ``pw06`` wheel with
every solution region cut, whose checks compare with recorded reference results. The site
publishes it next to its pages (``pw06-<version>+student-py3-none-any.whl``); the workbooks'
set-up cells install it from ``URL/<wheel>``, where ``URL`` is the address the student site is
published at (``--site-url``; default: the repository's GitHub Pages address), and their Colab
buttons open the blank workbooks of the branch ``student-notebooks`` (push the site's
``workbooks/*.ipynb`` there).

The chapters are not executed again: the build reads the execution cache of the main build
(``_build/.jupyter_cache``, filled by ``python3 tasks.py book``), whose entries are the same
cells. Without that cache the chapters run once, and fill it.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MAIN_CACHE = ROOT / "_build" / ".jupyter_cache"
STRICT = ["-W", "-n", "--keep-going"]


def pages_url(config: dict) -> str:
    """The GitHub Pages address of the book's repository (where the site is published)."""
    url = config.get("repository", {}).get("url", "").rstrip("/")
    owner, name = url.split("github.com/")[-1].split("/")[:2]
    return f"https://{owner}.github.io/{name}"


def wheel_name() -> str:
    """The student wheel's file name (its version: the package's, marked ``+student``)."""
    text = (ROOT / "code" / "pyproject.toml").read_text(encoding="utf-8")
    version = re.search(r'(?m)^version = "([^"]+)"$', text)[1]
    return f"pw06-{version}+student-py3-none-any.whl"


def student_config(config: dict, cache: Path, wheel_url: str = "") -> dict:
    """The book's configuration with the student edition on, reading the execution ``cache``;
    ``wheel_url``: what the workbooks' set-up cells install."""
    settings = copy.deepcopy(config)
    settings.setdefault("execute", {})["cache"] = str(Path(cache).resolve())
    sphinx = settings.setdefault("sphinx", {})
    sphinx.setdefault("config", {})["handbook_student_edition"] = True
    if wheel_url:
        sphinx["config"]["handbook_student_wheel"] = wheel_url
    extensions = sphinx.get("local_extensions", {})
    sphinx["local_extensions"] = {name: str(ROOT / path) for name, path in extensions.items()}
    return settings


def build(
    out_dir: Path,
    *,
    cache: Path = MAIN_CACHE,
    args=STRICT,
    site_url: str | None = None,
    wheel: bool = True,
) -> subprocess.CompletedProcess:
    """Build the student edition into ``out_dir`` (HTML in ``out_dir/_build/html``), with the
    student wheel (``wheel=False``: without it, the set-up cells install from the repository)."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    built, wheel_url = None, ""
    if wheel:
        sys.path.insert(0, str(ROOT / "scripts"))
        import student_package

        built = student_package.build(out_dir / "package")
        assert built.name == wheel_name(), built
        wheel_url = f"{(site_url or pages_url(config)).rstrip('/')}/{built.name}"
    path = out_dir / "_config.yml"
    path.write_text(yaml.safe_dump(student_config(config, cache, wheel_url)), encoding="utf-8")
    command = [BIN / "jupyter-book", "build", ROOT / "book", "--config", path]
    command += ["--path-output", out_dir, *args]
    result = subprocess.run(list(map(str, command)), cwd=ROOT, capture_output=True, text=True)
    if built is not None and result.returncode == 0:
        shutil.copy(built, out_dir / "_build" / "html" / built.name)
    return result


if __name__ == "__main__":
    argv = sys.argv[1:]
    site = None
    if "--site-url" in argv:
        at = argv.index("--site-url")
        site = argv[at + 1] if at + 1 < len(argv) else sys.exit(__doc__)
        del argv[at : at + 2]
    if len(argv) > 1:
        sys.exit(__doc__)
    target = Path(argv[0] if argv else ROOT / "_build" / "student")
    result = build(target, site_url=site)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode == 0:
        print(f"\nStudent edition: open {target / '_build' / 'html' / 'index.html'}")
    sys.exit(result.returncode)
