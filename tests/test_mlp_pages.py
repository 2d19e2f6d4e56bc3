"""The MLP pages' sources: removed cells hold no logic, shown code fits the page.

Comparisons, statistics and verdict sentences live in tested functions of the package; a cell
hidden from the reader may only hand their results to the page (a set-up cell, then only
``publish(...)`` calls). The package code a page shows with ``literalinclude`` has lines of at
most 72 characters. Checked on the sources, so no build is needed.
"""

from __future__ import annotations

import ast
import re

import pytest
from helpers import ROOT

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
    text = (ROOT / "book" / f"{page}.md").read_text(encoding="utf-8")
    found = []
    for body in re.findall(r"```{code-cell} ipython3\n(.*?)```", text, re.S):
        removed = body.startswith(":tags: [remove-cell]")
        source = "\n".join(line for line in body.splitlines() if not line.startswith(":tags:"))
        found.append((removed, source))
    return found


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


def shown_lines(page: str):
    """(object, line) of every line of code the page shows with ``literalinclude :pyobject:``."""
    source = (ROOT / "book" / f"{page}.md").read_text(encoding="utf-8")
    pattern = r"```\{literalinclude\} \.\./code/(\S+)\n:pyobject: ([\w.]+)"
    for path, name in re.findall(pattern, source):
        module = (ROOT / "code" / path).read_text(encoding="utf-8")
        lines = module.splitlines()
        body, node = ast.parse(module).body, None
        for part in name.split("."):
            node = next(n for n in body if getattr(n, "name", None) == part)
            body = getattr(node, "body", [])
        first = min([d.lineno for d in node.decorator_list] + [node.lineno])
        for line in lines[first - 1 : node.end_lineno]:
            yield f"{path}:{name}", line


@pytest.mark.parametrize("page", PAGES)
def test_shown_code_fits_the_page(page):
    shown = list(shown_lines(page))
    assert len({name for name, _ in shown}) >= 5, shown
    long = [f"{name}: {line}" for name, line in shown if len(line) > 72]
    assert not long, long
