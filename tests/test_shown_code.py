"""The rules on the code a page shows, checked on every page of the TOC from the MyST sources
(no build): its code cells (folded ones included, removed ones not), code blocks and the
functions it shows with ``literalinclude :pyobject:``.

- **At most 72 columns**, so that no line scrolls on the page or in a printed copy. Commands
  (shell blocks, and ``%``/``!`` lines of a cell) are exempt: a command is copied and run as one
  line (the installation tests run them as shown), and a line continuation differs between
  shells.
- **No glue bookkeeping**: ``glue`` is imported and called in removed cells only; the reader
  sees the instructive code.
"""

from __future__ import annotations

import ast
import re

import pytest
from helpers import ROOT, Shown, shown_code, toc_pages

WIDTH = 72
#: Languages of blocks that are commands, not code to read.
COMMANDS = {"bash", "sh", "shell", "console", "powershell", "ps1", "bat"}


def too_wide(shown: Shown) -> list[str]:
    """The lines of ``shown`` over ``WIDTH`` columns, commands excepted."""
    if shown.language in COMMANDS:
        return []
    return [line for line in shown.lines if len(line) > WIDTH and line[:1] not in "%!"]


def glue_bookkeeping(shown: Shown) -> list[str]:
    """The lines of ``shown`` that import or call myst-nb's ``glue``."""
    return [line for line in shown.lines if re.search(r"\bglue\b", line)]


RULES = {"at most 72 columns": too_wide, "no glue bookkeeping": glue_bookkeeping}
#: Pages whose only offender sits in a module another branch is rewriting: (page, rule) -> why.
KNOWN: dict[tuple[str, str], str] = {}


def cases():
    for page in toc_pages():
        for rule in RULES:
            reason = KNOWN.get((page, rule))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(page, rule, marks=marks, id=f"{page}-{rule.replace(' ', '-')}")


@pytest.mark.parametrize(("page", "rule"), list(cases()))
def test_shown_code_keeps_the_rule(page, rule):
    broken = [
        f"{shown.where}: {line}"
        for shown in shown_code(ROOT / "book" / f"{page}.md")
        for line in RULES[rule](shown)
    ]
    assert not broken, "\n".join(broken)


# --- the reading itself ------------------------------------------------------------------------
def test_every_part_of_the_toc_is_checked():
    pages = toc_pages()
    assert pages[0] == "intro" and "installation" in pages and "environment" in pages
    assert len(pages) == len(set(pages)) == len(list((ROOT / "book").glob("*.md")))


def test_installation_shows_verify_installation_whole():
    """The function the issue found over 72 columns is read, from its def to its last line."""
    module = ROOT / "code" / "pw06" / "installation.py"
    source = module.read_text(encoding="utf-8")
    node = next(
        n
        for n in ast.parse(source).body
        if isinstance(n, ast.FunctionDef) and n.name == "verify_installation"
    )
    shown = {s.where.split()[-1]: s for s in shown_code(ROOT / "book" / "installation.md")}
    whole = ast.get_source_segment(source, node).splitlines()
    assert list(shown["verify_installation"].lines) == whole


PAGE = """\
# T

```{code-cell} ipython3
:tags: [remove-cell]
from myst_nb import glue
```

```{code-cell} ipython3
:tags: [hide-input]
folded = 1
```

:::{dropdown} Nested
```{literalinclude} mod.py
:pyobject: Box.area
```
:::

```bash
echo a-command-line
```
"""

MODULE = """\
class Box:
    @property
    def area(self):
        return 1


def other():
    pass
"""


def test_shown_code_reads_cells_nested_includes_and_blocks(tmp_path):
    (tmp_path / "mod.py").write_text(MODULE, encoding="utf-8")
    (tmp_path / "page.md").write_text(PAGE, encoding="utf-8")
    shown = shown_code(tmp_path / "page.md")
    assert [(s.where, s.language) for s in shown] == [
        ("page.md:8", "python"),
        ("page.md:14 Box.area", "python"),
        ("page.md:19", "bash"),
    ]
    assert shown[0].lines == ("folded = 1",)  # removed cell skipped, options dropped
    assert shown[1].lines == ("    @property", "    def area(self):", "        return 1")


def test_the_rules_catch_what_they_name():
    wide = "x = " + "1" * 70
    assert too_wide(Shown("p", "python", ("ok", wide))) == [wide]
    assert too_wide(Shown("p", "bash", (wide,))) == []
    assert too_wide(Shown("p", "python", ("%pip install " + "a" * 80,))) == []
    assert glue_bookkeeping(Shown("p", "python", ("from myst_nb import glue", "gluey"))) == [
        "from myst_nb import glue"
    ]


def test_a_missing_object_is_reported(tmp_path):
    (tmp_path / "mod.py").write_text(MODULE, encoding="utf-8")
    (tmp_path / "page.md").write_text(
        "```{literalinclude} mod.py\n:pyobject: gone\n```\n", encoding="utf-8"
    )
    with pytest.raises(LookupError, match="gone"):
        shown_code(tmp_path / "page.md")
