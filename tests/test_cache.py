"""The execution cache is never stale, and never wasted: only what changed is re-executed.

Each page of a throwaway book imports a module of a stand-in package (``pkg/demo``, standing
for ``code/pw06``) and appends its name to a counter file each time it is executed. With
nothing changed, a rebuild executes nothing; a change to one module re-executes the pages that
import it, directly or through another module, and no other; a change to ``requirements.txt``
or to a ``PW06_*`` setting re-executes every page. A copy of the built book in another folder
(the original removed) executes nothing. Without the handbook extension, the module change goes
unnoticed — the hole that the extension closes.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter

import pytest
from helpers import jupyter_book, make_minibook

pytestmark = pytest.mark.slow

#: Modules of the stand-in package: ``lesson`` imports ``engine``; ``other`` stands alone.
MODULES = {
    "engine.py": "VALUE = 1\n",
    "lesson.py": "from demo import engine\n\nSTEP = engine.VALUE + 1\n",
    "other.py": "NAME = 'other'\n",
}


def cell(page: str, module: str | None) -> str:
    """A page's code: import ``demo.<module>``, then count one execution of ``page``."""
    imports = f"import demo.{module}\n" if module else ""
    return (
        f"import os\n{imports}"
        "with open(os.environ['HANDBOOK_TEST_COUNTER'], 'a') as fh:\n"
        f"    fh.write('{page}\\n')\n"
        f"print('executed', '{page}')"
    )


def _builder(book, counter):
    env = {
        **os.environ,
        "HANDBOOK_TEST_COUNTER": str(counter),
        "PYTHONPATH": str(book / "pkg"),  # the kernels import the stand-in package
    }
    env.pop("PW06_DATASET", None)
    seen = Counter()

    def build(**extra_env) -> set[str]:
        """Build; return the pages executed by this build."""
        result = jupyter_book("build", "book/", "-W", cwd=book, env={**env, **extra_env})
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        total = Counter(counter.read_text().split()) if counter.exists() else Counter()
        executed = {page for page in total if total[page] > seen[page]}
        seen.update(total - seen)
        return executed

    return build


def test_only_the_pages_that_import_a_changed_module_are_re_executed(tmp_path):
    pages = {
        "index": cell("index", "engine"),  # imports engine directly
        "lesson": cell("lesson", "lesson"),  # imports engine through lesson
        "other": cell("other", "other"),
        "plain": cell("plain", None),  # imports nothing of the package
    }
    book = make_minibook(tmp_path / "book", pages)
    for name, text in MODULES.items():
        (book / "pkg" / "demo" / name).write_text(text)
    build = _builder(book, tmp_path / "counter")
    everything = set(pages)

    assert build() == everything, "the first build executes every page"
    assert build() == set(), "a rebuild with nothing changed executes nothing"

    (book / "pkg" / "demo" / "engine.py").write_text("VALUE = 2\n")
    assert build() == {"index", "lesson"}, "engine's importers, directly or not, and only them"
    (book / "pkg" / "demo" / "other.py").write_text("NAME = 'changed'\n")
    assert build() == {"other"}
    (book / "pkg" / "demo" / "lesson.py").write_text(MODULES["lesson.py"] + "# edited\n")
    assert build() == {"lesson"}, "a module's importers, not the modules it imports"
    assert build() == set()

    (book / "requirements.txt").write_text("numpy==2.1\n")
    assert build() == everything, "new pinned versions re-execute every page"
    assert build(PW06_DATASET="mnist") == everything, "so does a PW06_* setting"

    page = book / "book" / "plain.md"
    page.write_text(page.read_text().replace("fh.write", "fh.write  # edited\n    fh.write", 1))
    assert build(PW06_DATASET="mnist") == {"plain"}, "a change in a chapter re-executes it"


def test_a_copy_in_another_folder_re_executes_nothing(tmp_path):
    """The cache key names files relative to the book: a moved checkout keeps its cache."""
    pages = {"index": cell("index", "engine"), "plain": cell("plain", None)}
    book = make_minibook(tmp_path / "book", pages)
    for name, text in MODULES.items():
        (book / "pkg" / "demo" / name).write_text(text)
    assert _builder(book, tmp_path / "counter")() == set(pages)

    moved = tmp_path / "elsewhere" / "copy"
    shutil.copytree(book, moved, symlinks=True)  # as `cp -a`
    shutil.rmtree(book)  # nothing may be read from the old folder
    shutil.rmtree(moved / "_build" / "jupyter_execute")  # written again by the moved build
    build = _builder(moved, tmp_path / "counter-moved")
    assert build() == set(), "the moved copy reuses every cached result"
    assert "executed plain" in (moved / "_build" / "html" / "plain.html").read_text()
    saved = json.loads((moved / "_build" / "jupyter_execute" / "plain.ipynb").read_text())
    printed = ["".join(out["text"]) for c in saved["cells"] for out in c.get("outputs", [])]
    assert printed == ["executed plain\n"], "the saved notebook (reader notebooks') keeps it"
    (moved / "pkg" / "demo" / "engine.py").write_text("VALUE = 2\n")
    assert build() == {"index"}, "and still sees a change to a module in its new folder"


def test_without_the_extension_a_code_change_is_missed(tmp_path):
    """Documents the hole: plain jupyter-cache keys on cell source only."""
    import yaml

    book = make_minibook(tmp_path / "book", {"index": cell("index", "engine")})
    config = yaml.safe_load((book / "_config.yml").read_text())
    del config["sphinx"]["local_extensions"]
    for key in ("handbook_package", "handbook_fingerprint_paths", "handbook_notebooks_branch"):
        del config["sphinx"]["config"][key]
    (book / "_config.yml").write_text(yaml.safe_dump(config))
    (book / "pkg" / "demo" / "engine.py").write_text("VALUE = 1\n")
    build = _builder(book, tmp_path / "counter")

    assert build() == {"index"}
    (book / "pkg" / "demo" / "engine.py").write_text("VALUE = 2\n")
    assert build() == set(), "without the fingerprint the stale result is reused"
