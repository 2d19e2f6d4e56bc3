"""Student workbooks and the student edition of the site (Sphinx extension and its tools).

One source, two notebooks
-------------------------
A workbook is a MyST notebook, ``workbooks/<name>.md``, plain enough for jupytext alone: code
cells and Markdown, no roles or directives. Two exist: ``computational_graphs`` (Exercise 1)
and ``mlp``, the lab notebook of Exercises 3 and 4; its front matter lists the chapters it
serves (``workbook: {chapters: [lowlevel_mlp, keras_mlp]}``), by default the chapter of its
name. A code-cell line ``# workbook: include pw06.lowlevel_mlp.train_step`` is replaced by that
function's source, read from ``code/`` (the tested package, the same text the chapter shows).
The lines a student writes sit between nbgrader's markers ``### BEGIN SOLUTION`` / ``### END
SOLUTION``. From one source come:

* ``solutions/<name>.ipynb`` — the filled-in notebook, markers kept: nbgrader's *source*
  version, ready for ``nbgrader generate_assignment``;
* ``<name>.ipynb`` — the blank notebook: each region replaced by ``# YOUR CODE HERE`` and
  ``raise NotImplementedError()`` at the region's indentation, as nbgrader's ``ClearSolutions``
  does (:func:`clear_solutions` is its small equivalent: nbgrader itself brings about a
  hundred packages, a notebook server among them, for these thirty lines).

Both get nbgrader cell metadata (schema 3): an answer cell is ``solution``, a cell of
``check.…(…)`` calls is a locked, graded test cell, the set-up cell is locked. A set-up cell
is added on top: it installs ``pw06`` when missing (Colab) and imports :mod:`pw06.check`.

The extension writes both notebooks into ``<html>/workbooks/`` after a successful build, puts a
box naming the notebook, with the download and Colab links, under the title of every chapter
that has a workbook, and, with ``handbook_student_edition = True``, builds the site without
solutions: dropdowns titled "Solution…" or "Answer…" and folded (``hide-output``) outputs are
removed, solution regions of shown code are blanked, and no page source, notebook or solution
notebook is published. In the normal edition the marker lines are only hidden from shown code.
"""

from __future__ import annotations

import ast
import copy
import re
import sys
import textwrap
from pathlib import Path

import jupytext
import nbformat
from docutils import nodes
from sphinx.pycode import ModuleAnalyzer
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shared import (  # the sibling module
    colab_url,
    install_spec,
    keep_per_page,
    repository,
    setup_code,
    solution_marker,
    strip_solution_markers,
)

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
_INCLUDE = re.compile(r"^(?P<indent>[ \t]*)# workbook: include (?P<target>[\w.]+)[ \t]*$")
#: Titles of the dropdowns the student edition removes.
SOLUTION_TITLE = re.compile(r"^\s*(Solution|Answer)\b", re.IGNORECASE)
NBGRADER_SCHEMA = 3


class WorkbookError(ValueError):
    """A workbook source is malformed: an include that resolves to nothing, bad markers."""


# --- Solution regions ------------------------------------------------------------------------


def clear_solutions(source: str, stub: str = CODE_STUB, strict: bool = True) -> tuple[str, bool]:
    """``source`` with each solution region replaced by ``stub``; and whether there was one.

    As nbgrader's ``ClearSolutions``: a delimiter is a marker line (the one rule,
    :func:`shared.solution_marker`); the stub takes the indentation of the BEGIN line; a nested
    BEGIN or a missing END is an error. ``strict=False`` lets a region run to the end of
    ``source``: code shown with ``:pyobject:`` stops before a function's final END marker.
    """
    out, inside, found = [], False, False
    for number, line in enumerate(source.split("\n"), start=1):
        marker = solution_marker(line)
        if marker == "BEGIN":
            if inside:
                raise WorkbookError(f"line {number}: nested {BEGIN_SOLUTION}")
            inside = found = True
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + stub_line for stub_line in stub.split("\n"))
        elif marker == "END":
            if not inside:
                raise WorkbookError(f"line {number}: {END_SOLUTION} without {BEGIN_SOLUTION}")
            inside = False
        elif not inside:
            out.append(line)
    if inside and strict:
        raise WorkbookError(f"{BEGIN_SOLUTION} without {END_SOLUTION}")
    return "\n".join(out), found


#: ``source`` without its marker lines: the whole solution, as the chapter shows it.
strip_markers = strip_solution_markers


# --- Includes ----------------------------------------------------------------------------------


def function_source(code_dir: Path, target: str) -> str:
    """The source of ``target`` (``package.module.function`` or ``…module.Class.method``),
    read from the file under ``code_dir``, decorators included, dedented.

    The lines are those of ``:pyobject:`` (Sphinx's ``ModuleAnalyzer``), which end at the last
    statement; the comment lines indented under it follow (a final ``### END SOLUTION``).
    """
    parts = target.split(".")
    for split in range(len(parts) - 1, 0, -1):
        path = Path(code_dir, *parts[:split]).with_suffix(".py")
        if path.is_file():
            break
    else:
        raise WorkbookError(f"include {target}: no module file for it under {code_dir}")
    text = path.read_text(encoding="utf-8")
    tags = ModuleAnalyzer(text, ".".join(parts[:split]), str(path)).find_tags()
    if ".".join(parts[split:]) not in tags:
        raise WorkbookError(f"include {target}: no function or class {parts[-1]!r} in {path}")
    _, start, end = tags[".".join(parts[split:])]
    lines = text.splitlines()
    indent = len(lines[start - 1]) - len(lines[start - 1].lstrip())
    while end < len(lines) and lines[end].lstrip().startswith("#"):
        if len(lines[end]) - len(lines[end].lstrip()) <= indent:
            break
        end += 1
    return textwrap.dedent("\n".join(lines[start - 1 : end]))


def expand_includes(source: str, code_dir: Path) -> tuple[str, list[str]]:
    """Replace each include line by the source it names; returns the text and the names."""
    out, names = [], []
    for line in source.split("\n"):
        match = _INCLUDE.match(line)
        if match is None:
            out.append(line)
            continue
        included = function_source(code_dir, match["target"])
        out.append(textwrap.indent(included, match["indent"]))
        names.append(match["target"].rsplit(".", 1)[-1])
    return "\n".join(out), names


# --- Cells -------------------------------------------------------------------------------------


def check_calls(source: str) -> list[str] | None:
    """The names of ``check.NAME(...)`` calls if the cell holds nothing else, else None."""
    try:
        statements = ast.parse(source).body
    except SyntaxError:
        return None
    names = []
    for statement in statements:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id == "check"
        ):
            return None
        names.append(call.func.attr)
    return names or None


def _answer_name(source: str, included: list[str]) -> str:
    """A name for an answer cell: its included functions, or what it defines first."""
    if included:
        return "-".join(included)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            return node.name
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            return node.targets[0].id
    return "answer"


def nbgrader_metadata(kind: str, grade_id: str, points: int = 1) -> dict:
    """nbgrader's cell metadata for an ``answer``, ``check``, ``text-answer`` or ``locked`` cell."""
    meta = {
        "grade": kind in ("check", "text-answer"),
        "grade_id": grade_id,
        "locked": kind in ("check", "locked"),
        "schema_version": NBGRADER_SCHEMA,
        "solution": kind in ("answer", "text-answer"),
        "task": False,
    }
    if meta["grade"]:
        meta["points"] = points
    return meta


def setup_cell_source(spec: str, tensorflow: bool) -> str:
    """The first code cell: install pw06 (``spec``: what pip installs) when missing, import the
    checks (and TensorFlow)."""
    return (
        "# Set-up: run this cell first. It installs the handbook's package pw06 when it is\n"
        "# missing (on Colab, for instance) and imports the checks.\n"
        + setup_code(spec, tensorflow, imports=["from pw06 import check"])
    )


def _grade_ids():
    """``grade_id(base)``: ``base``, or ``base-2``, ``base-3`` … when it is taken."""
    seen = set()

    def grade_id(base: str) -> str:
        gid, n = base, 1
        while gid in seen:
            n += 1
            gid = f"{base}-{n}"
        seen.add(gid)
        return gid

    return grade_id


def _locked(cell, kind: str, grade_id: str):
    cell.metadata.update(
        editable=False, deletable=False, nbgrader=nbgrader_metadata(kind, grade_id)
    )
    return cell


def _markdown_cell(cell, name: str, grade_id):
    """A Markdown cell; a written answer (``workbook: answer``) is a graded solution cell."""
    new = nbformat.v4.new_markdown_cell(cell.source)
    if cell.metadata.get("workbook") == "answer":
        gid, points = grade_id(f"{name}-comment"), cell.metadata.get("points", 1)
        new.metadata["nbgrader"] = nbgrader_metadata("text-answer", gid, points)
    return new


def _code_cell(cell, code_dir: Path, grade_id):
    """A code cell, includes expanded: an answer cell, a locked check cell, or plain code."""
    code, included = expand_includes(cell.source, code_dir)
    new = nbformat.v4.new_code_cell(code)
    checks = check_calls(code)
    if clear_solutions(code)[1]:
        gid = grade_id(f"answer-{_answer_name(strip_markers(code), included)}")
        new.metadata["nbgrader"] = nbgrader_metadata("answer", gid)
    elif checks:
        _locked(new, "check", grade_id("check-" + "-".join(checks)))
    return new


def _blank(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The solution notebook with every solution region (or written answer) cleared."""
    blank = copy.deepcopy(solution)
    for cell in blank.cells:
        if cell.cell_type == "code":
            cell.source = clear_solutions(cell.source)[0]
        elif cell.metadata.get("nbgrader", {}).get("solution"):  # its region, or the whole cell
            cleared, found = clear_solutions(cell.source, stub=TEXT_STUB)
            cell.source = cleared if found else TEXT_STUB
    return blank


def build_workbook(
    text: str, *, name: str, code_dir: Path, install_spec: str
) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """The blank and the solution notebook of the workbook source ``text`` (MyST)."""
    source = jupytext.reads(text, fmt="md:myst")
    options = source.metadata.get("workbook") or {}  # the front matter's ``workbook:``
    setup = nbformat.v4.new_code_cell(
        setup_cell_source(install_spec, bool(options.get("tensorflow")))
    )
    grade_id, cells = _grade_ids(), []
    for cell in source.cells:
        if cell.cell_type == "markdown":
            cells.append(_markdown_cell(cell, name, grade_id))
        elif cell.cell_type == "code":
            if not any(c.cell_type == "code" for c in cells):  # set-up before the first code
                cells.append(_locked(setup, "locked", "setup"))
            cells.append(_code_cell(cell, code_dir, grade_id))
    for i, cell in enumerate(cells):
        cell.id = f"{name}-{i:02d}"  # stable ids: the same source gives the same notebook
    solution = nbformat.v4.new_notebook(cells=cells)
    solution.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    blank = _blank(solution)
    nbformat.validate(solution)
    nbformat.validate(blank)
    return blank, solution


def write_workbooks(
    workbook_dir: Path, out_dir: Path, *, code_dir: Path, install_spec: str, solutions=True
) -> list[Path]:
    """Write ``out_dir/<name>.ipynb`` (blank) and, if asked, ``out_dir/solutions/<name>.ipynb``
    for every ``workbook_dir/<name>.md``; returns the paths written."""
    written = []
    for path in sorted(Path(workbook_dir).glob("*.md")):
        blank, solution = build_workbook(
            path.read_text(encoding="utf-8"),
            name=path.stem,
            code_dir=code_dir,
            install_spec=install_spec,
        )
        targets = [(out_dir / f"{path.stem}.ipynb", blank)]
        if solutions:
            targets.append((out_dir / "solutions" / f"{path.stem}.ipynb", solution))
        for target, notebook in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target)
            written.append(target)
    return written


def workbook_chapters(workbook_dir: Path) -> dict[str, tuple[str, str]]:
    """Chapter → (workbook name, workbook title) for every chapter that has a workbook.

    A workbook belongs to the chapters its front matter lists (``workbook: {chapters: [...]}``,
    the lab notebook of Exercises 3 and 4 serves two chapters), else to the chapter of its name.
    """
    chapters = {}
    for path in sorted(Path(workbook_dir).glob("*.md")):
        text = path.read_text(encoding="utf-8")
        options = jupytext.reads(text, fmt="md:myst").metadata.get("workbook") or {}
        title = re.search(r"^# (.+)$", text, re.M)
        for chapter in options.get("chapters", [path.stem]):
            if chapter in chapters:
                raise WorkbookError(f"chapter {chapter!r} has two workbooks")
            chapters[chapter] = (path.stem, title[1].strip() if title else path.stem)
    return chapters


# --- The link box on each chapter --------------------------------------------------------------


def workbook_box(notebook: str, colab: str, solutions: bool, title: str = "") -> str:
    """The MyST admonition put under a chapter's title: it names the notebook ``notebook``
    (``<notebook>.ipynb``) that the chapter's exercise is done in (links in HTML: the files are
    written after the build, so Sphinx cannot check them; a test does)."""
    solution = (
        f' The filled-in version: <a href="workbooks/solutions/{notebook}.ipynb" download>'
        f"solution notebook</a>."
        if solutions
        else ""
    )
    named = f" ({title})" if title else ""
    return (
        f":::{{admonition}} Workbook: {notebook}.ipynb\n"
        ":class: tip\n"
        f"You do this exercise in the notebook `{notebook}.ipynb`{named}, with blanks to fill "
        "in and a check under each one that says what is right or which mistake it sees: "
        f'<a href="workbooks/{notebook}.ipynb" download>download the workbook</a> or '
        f'<a href="{colab}">open it in Colab</a>.{solution}\n'
        ":::\n\n"
    )


def inject_after_title(source: str, box: str) -> str:
    """Insert ``box`` after the page's first level-1 heading (unchanged if it has none)."""
    match = re.search(r"^# .*\n", source, re.M)
    if match is None:
        return source
    return source[: match.end()] + "\n" + box + source[match.end() :]


# --- Sphinx ------------------------------------------------------------------------------------


def _paths(app) -> tuple[Path, Path]:
    src = Path(app.srcdir)
    return src / app.config.handbook_workbooks_path, src / app.config.handbook_code_path


def _on_config_inited(app, config):
    if not config.handbook_student_edition:
        return
    # Nothing with solutions is published: no page sources, no chapter notebooks.
    config.html_copy_source = False
    options = dict(config.html_theme_options or {})
    options.update(use_download_button=False, use_edit_page_button=False, launch_buttons={})
    config.html_theme_options = options


def _on_source_read(app, docname, source):
    workbook_dir, _ = _paths(app)
    chapters = workbook_chapters(workbook_dir)
    if docname not in chapters:
        return
    notebook, title = chapters[docname]
    url, _, book_path = repository(app.config)
    branch = getattr(app.config, "handbook_notebooks_branch", "notebooks")  # handbook.py's
    if app.config.handbook_student_edition:
        branch = app.config.handbook_student_notebooks_branch  # blanks installing the wheel
    colab = colab_url(url, branch, book_path, f"workbooks/{notebook}.ipynb")
    solutions = not app.config.handbook_student_edition
    box = workbook_box(notebook, colab, solutions=solutions, title=title)
    wheel = app.config.handbook_student_wheel
    if app.config.handbook_student_edition and wheel:
        link = (
            f'Its set-up cell installs the <a href="{wheel.rsplit("/", 1)[-1]}" download>'
            "student package</a> (pw06 without the solutions)."
        )
        box = box.replace("\n:::\n\n", f" {link}\n:::\n\n", 1)
    source[0] = inject_after_title(source[0], box)


class SolutionRegions(SphinxTransform):
    """The student edition: shown code with its solution regions blanked, the "Solution…"
    dropdowns and folded outputs removed (in the normal edition, ``handbook.py``'s
    ``literalinclude`` only hides the marker lines).

    Runs before Sphinx registers labels (priority 850), so that the labels of removed
    figures are never registered; references to them become plain text
    (:func:`_on_missing_reference`).
    """

    default_priority = 400

    def apply(self, **kwargs):
        if not self.config.handbook_student_edition:
            return
        for block in list(self.document.findall(nodes.literal_block)):
            text = block.astext()
            blanked = clear_solutions(text, strict=False)[0]
            if blanked != text:
                new = nodes.literal_block(blanked, blanked)
                new.attributes.update(copy.deepcopy(block.attributes))
                block.replace_self(new)
        store = self.env.__dict__.setdefault("handbook_hidden_targets", {})
        store[self.env.docname] = self._remove_solutions()

    def _remove_solutions(self) -> set[str]:
        """Drop the "Solution…" dropdowns and folded outputs; returns their target names."""
        hidden = set()
        for node in list(self.document.findall(nodes.container)):
            if node.get("design_component") == "dropdown":
                title = node[0].astext() if node.children else ""
                if SOLUTION_TITLE.match(title):
                    hidden |= self._forget_targets(node)
                    note = f"{title}: not in the student edition."
                    node.replace_self(nodes.paragraph("", "", nodes.emphasis("", note)))
            elif node.get("nb_element") == "cell_code" and "tag_hide-output" in node["classes"]:
                for child in list(node.children):
                    if child.get("nb_element") == "cell_code_output":
                        hidden |= self._forget_targets(child)
                        node.remove(child)
        return hidden

    def _forget_targets(self, subtree) -> set[str]:
        """Unregister the ids and names inside ``subtree``; returns the names."""
        names = set()
        for element in subtree.findall(nodes.Element):
            for node_id in element.get("ids", []):
                self.document.ids.pop(node_id, None)
            for name in element.get("names", []):
                self.document.nameids.pop(name, None)
                self.document.nametypes.pop(name, None)
                names.add(name)
        return names


def _on_missing_reference(app, env, node, contnode):
    """A reference to a figure removed from the student edition reads as plain text."""
    hidden = set().union(*getattr(env, "handbook_hidden_targets", {}).values())
    if node.get("reftarget", "").lower() not in hidden:
        return None
    if node.get("reftype") == "numref":
        return nodes.inline("", "a figure of the solution")
    return nodes.inline("", contnode.astext())


def _on_build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    workbook_dir, code_dir = _paths(app)
    url, branch, _ = repository(app.config)
    written = write_workbooks(
        workbook_dir,
        Path(app.outdir) / "workbooks",
        code_dir=code_dir,
        install_spec=(
            app.config.handbook_student_wheel
            if app.config.handbook_student_edition and app.config.handbook_student_wheel
            else install_spec(url, branch)
        ),
        solutions=not app.config.handbook_student_edition,
    )
    logging.getLogger(__name__).info(f"workbooks: {len(written)} notebooks written")


def setup(app):
    app.add_config_value("handbook_workbooks_path", "../workbooks", "env")
    app.add_config_value("handbook_code_path", "../code", "env")
    app.add_config_value("handbook_student_edition", False, "env")
    # The student edition: the student wheel's address (the set-up cells install it) and the
    # branch that holds its blank workbooks (the Colab buttons' target).
    app.add_config_value("handbook_student_wheel", "", "env")
    app.add_config_value("handbook_student_notebooks_branch", "student-notebooks", "env")
    app.connect("config-inited", _on_config_inited)
    app.connect("source-read", _on_source_read)
    app.add_transform(SolutionRegions)
    app.connect("missing-reference", _on_missing_reference)
    keep_per_page(app, "handbook_hidden_targets")
    app.connect("build-finished", _on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
