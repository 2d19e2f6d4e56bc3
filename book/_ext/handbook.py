"""Sphinx extension for the PW06 handbook: a never-stale, never-wasted execution cache, the
quiet set-up cell, reader notebooks and a working Colab link.

Why it exists
-------------
1. **Stale cache, per page.** jupyter-cache keys a notebook on its code-cell source only, and
   Sphinx does not even re-read a page whose file did not change. Edit ``code/`` and the book
   would keep showing results of the old code. So each page gets a *fingerprint*: a hash of
   the ``pw06`` modules it imports, directly or through other modules (found with ``ast`` in
   its code cells and ``literalinclude`` paths), of the files in ``handbook_fingerprint_paths``
   (``requirements.txt``: it changes everything) and of the ``PW06_*`` environment variables.

   * ``env-get-outdated``: Sphinx re-reads exactly the pages whose fingerprint changed;
   * the fingerprint is written into a set-up cell injected at the top of the page: the cell
     source changes, so jupyter-cache re-executes the page — and only that page.

   With nothing changed, nothing is re-read and the cached outputs are reused. A copy of a
   built checkout in another folder re-executes nothing either: the fingerprint names files
   relative to the source folder, and jupyter-cache finds a notebook by the hash of its code
   cells (the absolute path it stores with each record is not part of the key), so the copy
   only re-reads its pages (Sphinx's environment is tied to its folder).

2. **Quiet TensorFlow.** The set-up cell (hidden on the page) imports TensorFlow through
   ``pw06.tf_quiet`` when the page uses it, so visible code says ``import tensorflow as tf``.

3. **Reader notebooks.** After the build, each executed chapter is converted into plain
   Jupyter (``reader_notebook.py``) and written to ``_sources/<page>.ipynb``, the file of the
   page's download button; ``scripts/export_notebooks.py`` publishes the same files for
   Colab, whose button is pointed at the ``handbook_notebooks_branch`` of the repository.

4. **Solution markers.** ``literalinclude`` drops nbgrader's ``### BEGIN/END SOLUTION`` lines.

5. **Streams merged on a copy.** The pages set ``merge_streams`` (one output block per cell).
   myst-nb 1.4's ``coalesce_streams`` merges by appending the later stream outputs to the first
   one *in place*, and keeps the notebook's list: the executed notebook it then saves
   (``_build/jupyter_execute``, and from it the reader notebooks) holds the merged first output
   and the later ones again, so their lines show twice. ``setup`` makes it merge a copy.

6. **Outputs saved on a cache hit.** A page re-read with its code unchanged (its prose edited,
   or a copy of the checkout) takes its outputs from jupyter-cache. myst-nb 1.4 renders them
   from a merged copy of the notebook but saves the notebook it read, without outputs, to
   ``_build/jupyter_execute``: its reader notebook would have none. ``setup`` makes the merge
   update the notebook that is saved.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import importlib.util
import json
import os
import re
import sys
from pathlib import Path

from docutils import nodes
from sphinx.directives.code import LiteralInclude, LiteralIncludeReader
from sphinx.util import logging

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reader_notebook  # the sibling modules, found through the line above
import shared
from shared import colab_url, install_spec, repository, setup_code, strip_solution_markers

LOGGER = logging.getLogger(__name__)
FINGERPRINT_ENV_PREFIX = "PW06_"
TENSORFLOW_MODULES = {"tensorflow", "keras"}
_CROSS_GLUE = re.compile(r"\{glue(?::\w+)?\}`([^`:]+?\.(?:md|ipynb))::")


# --------------------------------------------------------------------------------------------
# Fingerprints: which modules does a page import?


def fingerprint(
    paths: list[Path], environ: dict[str, str] | None = None, root: Path | None = None
) -> str:
    """Hash the content of every file under ``paths`` and the ``PW06_*`` settings.

    A file is named relative to ``root`` (else to its entry of ``paths``), never by its
    absolute path: a copy of the checkout in another folder has the same fingerprints, so it
    re-executes nothing. Caches and bytecode are skipped: they change without the code changing.
    """
    environ = os.environ if environ is None else environ
    digest = hashlib.sha256()
    for entry in map(Path, paths):
        files = [entry] if entry.is_file() else sorted(entry.rglob("*"))
        for path in files:
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            base = root if root is not None else (entry.parent if entry.is_file() else entry)
            digest.update(Path(os.path.relpath(path, base)).as_posix().encode())
            digest.update(path.read_bytes())
    for key in sorted(k for k in environ if k.startswith(FINGERPRINT_ENV_PREFIX)):
        digest.update(f"{key}={environ[key]}".encode())
    return digest.hexdigest()[:16]


def imported_names(code: str, module: str = "", is_package: bool = False) -> set[str]:
    """Every module name imported anywhere in ``code`` (functions included), as written.

    ``from a import b`` gives ``a`` and ``a.b`` (``b`` may be a module); relative imports are
    resolved against ``module``. IPython magics are ignored; code that does not parse gives
    the names found by a regular expression, so a page is never silently left out.
    """
    masked = re.sub(r"(?m)^([ \t]*)[%!].*$", r"\1pass", code)
    try:
        tree = ast.parse(masked)
    except SyntaxError:
        found = re.findall(r"^\s*(?:from|import)\s+([\w.]+)", code, re.M)
        return set(found)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative to the package that holds ``module``
                package = module if is_package else module.rpartition(".")[0]
                base = importlib.util.resolve_name("." * node.level + base, package)
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names if alias.name != "*"}
    return {name for name in names if name}


def package_modules(package_dir: Path) -> dict[str, Path]:
    """``dotted name -> file`` for every module of the package in ``package_dir``."""
    package_dir = Path(package_dir)
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = [package_dir.name, *path.relative_to(package_dir).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _internal(names: set[str], modules: dict[str, Path]) -> set[str]:
    """The package's modules among imported names, with their parent packages."""
    found = set()
    for name in names:
        parts = name.split(".")
        found |= {".".join(parts[:n]) for n in range(1, len(parts) + 1)} & modules.keys()
    return found


def import_graph(package_dir: Path) -> dict[str, tuple[set[str], set[str]]]:
    """``module -> (package modules it imports, top-level names of other imports)``."""
    modules = package_modules(package_dir)
    graph = {}
    for name, path in modules.items():
        imported = imported_names(
            path.read_text(encoding="utf-8"), name, is_package=path.name == "__init__.py"
        )
        graph[name] = (_internal(imported, modules) - {name}, {n.split(".")[0] for n in imported})
    return graph


def closure(roots: set[str], graph: dict[str, tuple[set[str], set[str]]]) -> set[str]:
    """``roots`` and every package module they import, directly or through other modules."""
    seen: set[str] = set()
    todo = [root for root in roots if root in graph]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph[module][0] - seen)
    return seen


def page_imports(source: str, page_dir: Path, package_dir: Path) -> tuple[set[str], set[str]]:
    """(package modules, other top-level modules) a MyST page uses.

    Read from the imports of its code cells and from the ``literalinclude`` paths that
    point into the package.
    """
    modules = package_modules(package_dir)
    imported: set[str] = set()
    for _, cell in reader_notebook.fences(source, "code-cell"):
        imported |= imported_names(cell.content)
    for _, include in reader_notebook.fences(source, "literalinclude"):
        path = (Path(page_dir) / include.arg).resolve()
        for name, file in modules.items():
            if file.resolve() == path:
                imported.add(name)
    return _internal(imported, modules), {n.split(".")[0] for n in imported}


class PageFingerprints:
    """Fingerprint of each page: the modules it imports, the global files, the settings."""

    def __init__(self, package_dir: Path, global_paths: list[Path], environ=None, root=None):
        self.root = root  #: files are named relative to it in the hash (the source folder)
        self.package_dir = Path(package_dir)
        self.graph = import_graph(self.package_dir) if self.package_dir.is_dir() else {}
        self.modules = package_modules(self.package_dir) if self.graph else {}
        data_files = [
            p
            for p in sorted(self.package_dir.rglob("*"))
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
        ]
        self.global_paths = [Path(p) for p in global_paths] + data_files
        self.environ = os.environ if environ is None else environ

    def modules_of(self, source: str, page_dir: Path) -> set[str]:
        roots, _ = (
            page_imports(source, page_dir, self.package_dir) if self.graph else (set(), set())
        )
        return closure(roots, self.graph)

    def uses_tensorflow(self, source: str, page_dir: Path) -> bool:
        """Does the page import TensorFlow or Keras, itself or through the package?"""
        _, external = page_imports(source, page_dir, self.package_dir)
        external = set(external)
        for module in self.modules_of(source, page_dir):
            external |= self.graph[module][1]
        return bool(external & TENSORFLOW_MODULES)

    def of(self, source: str, page_dir: Path) -> str:
        files = [self.modules[m] for m in sorted(self.modules_of(source, page_dir))]
        return fingerprint(files + self.global_paths, self.environ, self.root)


# --------------------------------------------------------------------------------------------
# The injected set-up cell


def setup_cell(fingerprint_value: str, spec: str, uses_tensorflow: bool = False) -> str:
    """The MyST code cell injected at the top of each page (hidden on the HTML page)."""
    return (
        "```{code-cell} ipython3\n"
        f":tags: [remove-cell, {reader_notebook.SETUP_TAG}]\n"
        "# Set-up: install the handbook's package if missing; TensorFlow without its log lines.\n"
        f"# Fingerprint of the modules the page imports and of the settings: {fingerprint_value}\n"
        f"{setup_code(spec, uses_tensorflow)}\n"
        "```\n\n"
    )


def inject_setup_cell(source: str, cell: str) -> str:
    """Insert ``cell`` before the first code cell of a MyST notebook; other pages are unchanged."""
    cells = reader_notebook.fences(source, "code-cell")
    if not cells:
        return source
    start = sum(len(line) + 1 for line in source.split("\n")[: cells[0][0]])
    return source[:start] + cell + source[start:]


def _fingerprints(app) -> PageFingerprints:
    """One analysis of the package per build (and per reading process)."""
    cached = getattr(app, "_handbook_fingerprints", None)
    if cached is None:
        srcdir = Path(app.srcdir)
        cached = PageFingerprints(
            srcdir / app.config.handbook_package,
            [srcdir / p for p in app.config.handbook_fingerprint_paths],
            root=srcdir,
        )
        app._handbook_fingerprints = cached
    return cached


def _page_source(env, docname: str) -> str | None:
    path = Path(env.doc2path(docname))
    if path.suffix != ".md" or not path.is_file():
        return None
    return path.read_text(encoding="utf-8")


def _on_builder_inited(app):
    app._handbook_fingerprints = None  # the package may have changed since the last build


def _on_env_get_outdated(app, env, added, changed, removed):
    """The pages whose fingerprint changed: re-read (and so re-executed) — and only those."""
    stored = getattr(env, "handbook_fingerprints", {})
    outdated = []
    for docname in sorted(env.found_docs - added - changed):
        source = _page_source(env, docname)
        if source is None or not reader_notebook.fences(source, "code-cell"):
            continue
        page_dir = Path(env.doc2path(docname)).parent
        if stored.get(docname) != _fingerprints(app).of(source, page_dir):
            outdated.append(docname)
    if outdated:
        LOGGER.info(f"[handbook] code or settings changed for: {', '.join(outdated)}")
    return outdated


def _on_env_before_read_docs(app, env, docnames):
    env.__dict__.setdefault("handbook_fingerprints", {})
    env.handbook_reread = set(docnames)


def _on_source_read(app, docname, source):
    if not reader_notebook.fences(source[0], "code-cell"):
        return
    url, branch, _ = repository(app.config)
    page_dir = Path(app.env.doc2path(docname)).parent
    prints = _fingerprints(app)
    value = prints.of(source[0], page_dir)
    app.env.__dict__.setdefault("handbook_fingerprints", {})[docname] = value
    cell = setup_cell(value, install_spec(url, branch), prints.uses_tensorflow(source[0], page_dir))
    source[0] = inject_setup_cell(source[0], cell)


def _on_env_updated(app, env):
    """Rewrite the pages that paste glue values of a page re-read in this build."""
    reread = getattr(env, "handbook_reread", set())
    if not reread:
        return []
    rewrite = []
    for docname in sorted(env.found_docs - reread):
        source = _page_source(env, docname) or ""
        for path in _CROSS_GLUE.findall(source):
            if reader_notebook._resolve_docname(path, docname) in reread:
                rewrite.append(docname)
                break
    return rewrite


# --------------------------------------------------------------------------------------------
# Reader notebooks


def reader_context(app, docname: str, glue: dict) -> reader_notebook.Context:
    """What ``reader_notebook`` needs to know about the build, read from Sphinx's env."""
    env = app.env
    std = env.get_domain("std")
    labels = {
        label: (doc, anchor, title or "")
        for label, (doc, anchor, title) in std.labels.items()
        if doc in env.found_docs
    }
    for label, (doc, anchor) in std.anonlabels.items():
        if doc in env.found_docs:
            labels.setdefault(label, (doc, anchor, ""))
    numbers = {}
    formats = app.config.numfig_format or {}
    for label, (doc, anchor, _) in labels.items():
        for kind, ids in getattr(env, "toc_fignumbers", {}).get(doc, {}).items():
            if anchor in ids:
                number = ".".join(map(str, ids[anchor]))
                numbers[label] = (number, formats.get(kind, "%s"))
    equations = {
        label: (doc, str(number))
        for label, (doc, number) in env.get_domain("math").equations.items()
    }
    url = app.config.handbook_site_url or reader_notebook.site_url(repository(app.config)[0])

    def read_include(path: str, options: dict) -> str:
        _, filename = env.relfn2path(path, docname)
        reader = LiteralIncludeReader(
            filename, reader_notebook.literalinclude_options(options), app.config
        )
        return reader.read()[0]

    def read_file(path: str) -> bytes:
        return Path(env.relfn2path(path, docname)[1]).read_bytes()

    return reader_notebook.Context(
        page=docname,
        glue=glue,
        base_url=url,
        titles={doc: title.astext() for doc, title in env.titles.items()},
        labels=labels,
        numbers=numbers,
        equations=equations,
        read_include=read_include,
        read_file=read_file,
    )


def write_reader_notebooks(app) -> list[Path]:
    """Write the reader notebook of every executed page to ``_sources/<page>.ipynb``."""
    executed_dir = Path(app.outdir).parent / "jupyter_execute"
    glue = {
        path.relative_to(executed_dir).as_posix().removesuffix(".glue.json"): json.loads(
            path.read_text(encoding="utf-8")
        )
        for path in executed_dir.rglob("*.glue.json")
    }
    url, branch, _ = repository(app.config)
    spec = install_spec(url, branch)
    written = []
    for docname in sorted(app.env.found_docs):
        executed_path = executed_dir / f"{docname}.ipynb"
        source = _page_source(app.env, docname)
        if source is None or not executed_path.is_file():
            continue
        if not reader_notebook.fences(source, "code-cell"):
            continue
        executed = json.loads(executed_path.read_text(encoding="utf-8"))
        ctx = reader_context(app, docname, glue)
        page_dir = Path(app.env.doc2path(docname)).parent
        notebook = reader_notebook.reader_notebook(
            executed,
            ctx,
            install_spec=spec,
            uses_tensorflow=_fingerprints(app).uses_tensorflow(source, page_dir),
        )
        for message in ctx.warnings:
            LOGGER.warning(f"reader notebook: {message}", type="handbook", subtype="reader")
        target = Path(app.outdir) / "_sources" / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", "utf-8")
        written.append(target)
    return written


def _on_build_finished(app, exception):
    if getattr(app.config, "handbook_student_edition", False):
        return  # the student edition (book/_ext/workbooks.py) publishes no solution notebook
    if exception is None and app.builder is not None and app.builder.format == "html":
        write_reader_notebooks(app)


class HandbookLiteralInclude(LiteralInclude):
    """``literalinclude`` without nbgrader's solution-marker lines."""

    def run(self):
        result = super().run()
        if getattr(self.config, "handbook_student_edition", False):
            return result  # workbooks.SolutionRegions blanks the solution regions instead
        for node in result:
            for block in node.findall(nodes.literal_block):
                text = strip_solution_markers(block.astext())
                if text != block.astext():
                    block.children[:] = [nodes.Text(text)]
                    block.rawsource = text
        return result


def _on_page_context(app, pagename, templatename, context, doctree):
    """Point the theme's Colab button at the published .ipynb (Colab cannot open .md)."""
    url, _, book_path = repository(app.config)
    branch = app.config.handbook_notebooks_branch
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []) if isinstance(group, dict) else []:
            if button.get("text") == "Colab":
                button["url"] = colab_url(url, branch, book_path, f"{pagename}.ipynb")


def merge_streams_on_a_copy() -> None:
    """Make myst-nb's ``merge_streams`` leave the executed notebook's outputs as they were
    (see 5. above): the page shows the merged copy, the saved notebook the original streams."""
    from myst_nb.core import render

    merge = render.coalesce_streams
    if getattr(merge, "on_a_copy", False):
        return

    def coalesce_streams(outputs):
        return merge(copy.deepcopy(outputs))

    coalesce_streams.on_a_copy = True
    render.coalesce_streams = coalesce_streams


def outputs_saved_on_cache_hits() -> None:
    """Make myst-nb's cache client put the cached outputs into the notebook it was given,
    the one myst-nb saves (see 6. above), rather than into a copy only."""
    from myst_nb.core.execute.cache import NotebookClientCache

    start = NotebookClientCache.start_client
    if getattr(start, "in_place", False):
        return

    def start_client(self):
        given = self._notebook
        start(self)
        if self._notebook is not given:  # a cache hit: the outputs are on a merged copy
            given.update(self._notebook)
            self._notebook = given

    start_client.in_place = True
    NotebookClientCache.start_client = start_client


def setup(app):
    merge_streams_on_a_copy()
    outputs_saved_on_cache_hits()
    app.add_config_value("handbook_package", "../code/pw06", "env")
    app.add_config_value("handbook_fingerprint_paths", ["../requirements.txt"], "env")
    app.add_config_value("handbook_notebooks_branch", "notebooks", "html")
    app.add_config_value("handbook_site_url", "", "html")
    app.add_directive("literalinclude", HandbookLiteralInclude, override=True)
    app.connect("builder-inited", _on_builder_inited)
    app.connect("env-get-outdated", _on_env_get_outdated)
    app.connect("env-before-read-docs", _on_env_before_read_docs)
    shared.keep_per_page(app, "handbook_fingerprints")
    app.connect("source-read", _on_source_read)
    app.connect("env-updated", _on_env_updated)
    app.connect("build-finished", _on_build_finished)
    app.connect("html-page-context", _on_page_context, priority=900)
    return {"version": "2.0", "parallel_read_safe": True, "parallel_write_safe": True}
