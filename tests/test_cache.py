"""The execution cache is never stale, and never wasted.

A page's cell appends a line to a counter file each time it is executed. With nothing changed, a
rebuild executes nothing; a change in the package (``pkg/``, standing for ``code/``), in the
``PW06_*`` settings or in the page re-executes it. Without the handbook extension, the package
change goes unnoticed — the hole that the extension closes.
"""

from __future__ import annotations

import os

import pytest
from helpers import jupyter_book, make_minibook

pytestmark = pytest.mark.slow

CELL = "import os\nwith open(os.environ['HANDBOOK_TEST_COUNTER'], 'a') as fh:\n    fh.write('x\\n')"


def _builder(book, counter):
    env = {**os.environ, "HANDBOOK_TEST_COUNTER": str(counter)}
    env.pop("PW06_DATASET", None)

    def build(**extra_env):
        result = jupyter_book("build", "book/", "-W", cwd=book, env={**env, **extra_env})
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return len(counter.read_text().splitlines()) if counter.exists() else 0

    return build


def test_rebuild_reuses_the_cache_and_code_changes_invalidate_it(tmp_path):
    book = make_minibook(tmp_path / "book", {"index": CELL})
    (book / "pkg" / "module.py").write_text("VALUE = 1\n")
    build = _builder(book, tmp_path / "counter")

    assert build() == 1, "first build executes the page"
    assert build() == 1, "a rebuild with nothing changed must not execute again"

    (book / "pkg" / "module.py").write_text("VALUE = 2\n")
    assert build() == 2, "a change under the package must re-execute the page"
    assert build() == 2

    assert build(PW06_DATASET="mnist") == 3, "a PW06_* setting is part of the key"

    page = book / "book" / "index.md"
    page.write_text(page.read_text().replace("fh.write", "fh.write  # edited\n    fh.write", 1))
    count = build()
    assert count >= 4, "a change in the chapter must re-execute it"


def test_without_the_extension_a_code_change_is_missed(tmp_path):
    """Documents the hole: plain jupyter-cache keys on cell source only."""
    import yaml

    book = make_minibook(tmp_path / "book", {"index": CELL})
    config = yaml.safe_load((book / "_config.yml").read_text())
    del config["sphinx"]["local_extensions"]
    del config["sphinx"]["config"]["handbook_fingerprint_paths"]
    del config["sphinx"]["config"]["handbook_notebooks_branch"]
    (book / "_config.yml").write_text(yaml.safe_dump(config))
    (book / "pkg" / "module.py").write_text("VALUE = 1\n")
    build = _builder(book, tmp_path / "counter")

    assert build() == 1
    (book / "pkg" / "module.py").write_text("VALUE = 2\n")
    assert build() == 1, "without the fingerprint the stale result is reused"
