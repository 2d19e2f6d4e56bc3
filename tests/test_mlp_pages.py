"""The MLP pages' sources: removed cells hold no logic, shown code fits the page.

Comparisons, statistics and verdict sentences live in tested functions of the package; a cell
hidden from the reader may only hand their results to the page (a set-up cell, then only
``publish(...)`` calls). Checked on the sources, so no build is needed; the rules on the code a
page shows (72 columns, ...) are in test_shown_code.py.
"""

from __future__ import annotations

import ast
import re

import pytest
from helpers import ROOT, code_cells, shown_code

PAGES = ("lowlevel_mlp", "keras_mlp")
#: What the set-up cell (the first removed cell) may do: imports, the inline backend, no display.
SETUP = re.compile(r"(%matplotlib inline|import .*|from .* import .*|_ = plt\.ioff\(\)|#.*|)")
#: Nodes that would be logic: arithmetic, comparisons, branches, loops, comprehensions, f-strings.
LOGIC = (
    ast.BinOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.If,
    ast.For,
    ast.While,
    ast.ListComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.JoinedStr,
    ast.Lambda,
    ast.FunctionDef,
)


def cells(page: str) -> list[tuple[bool, str]]:
    """(removed?, source) of every code cell of ``book/<page>.md``."""
    return [
        ("remove-cell" in tags, body) for tags, body in code_cells(ROOT / "book" / f"{page}.md")
    ]


def logic_in(source: str) -> list[str]:
    """What in ``source`` is more than publishing calls."""
    problems = []
    for statement in ast.parse(source).body:
        call = getattr(statement, "value", None)
        if not (
            isinstance(statement, ast.Expr)
            and isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "publish"
        ):
            problems.append(ast.unparse(statement))
            continue
        problems += [ast.unparse(node) for node in ast.walk(call) if isinstance(node, LOGIC)]
    return problems


@pytest.mark.parametrize("page", PAGES)
def test_removed_cells_only_publish(page):
    removed = [source for is_removed, source in cells(page) if is_removed]
    setup, *rest = removed
    assert all(SETUP.fullmatch(line.strip()) for line in setup.splitlines()), setup
    assert rest, "the page publishes its results"
    for source in rest:
        assert not logic_in(source), source


def test_the_check_catches_logic():
    assert logic_in("publish(summary)") == []
    assert logic_in('publish(a, {"fig_x": fig})') == []
    assert logic_in("x = 1\npublish(a)") == ["x = 1"]
    assert logic_in('publish({"k": a / b})') == ["a / b"]
    assert logic_in('publish({"k": f"{a}"})') == ["f'{a}'"]
    assert logic_in("for k in d:\n    glue(k, d[k])") != []


@pytest.mark.parametrize("page", PAGES)
def test_removed_lines_are_a_small_part_of_the_page(page):
    lines = {True: 0, False: 0}
    for removed, source in cells(page):
        lines[removed] += len(source.splitlines())
    assert lines[True] * 4 < lines[False], lines


@pytest.mark.parametrize("page", PAGES)
def test_the_page_shows_its_sources(page):
    shown = [s.where for s in shown_code(ROOT / "book" / f"{page}.md") if " " in s.where]
    assert len(shown) >= 5, shown
