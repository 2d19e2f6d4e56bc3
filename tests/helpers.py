"""Helpers shared by the repository-level tests: paths, the book's configuration, pinned
versions, the page text a reader sees, the code a page shows, the jupyter-book CLI, glued
values, throwaway books.

Plain functions and constants, imported as ``from helpers import ...``; the pytest fixtures
that use them live in ``conftest.py``.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BUILD_ARGS = ["build", "book/", "-W", "-n", "--keep-going"]
#: Names the folder the session build goes to (its ``_build/`` inside); unset: a fresh one.
BUILD_DIR_VARIABLE = "HANDBOOK_BUILD_DIR"


def config() -> dict:
    """The book's _config.yml, parsed."""
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def repository_url() -> str:
    """The one repository URL, from _config.yml."""
    return config()["repository"]["url"].rstrip("/")


def pinned_versions(path: Path | None = None, environment: dict | None = None) -> dict[str, str]:
    """``name -> version`` (name normalized, PEP 503) for every ``name==version`` of the lock
    (``requirements.txt`` unless ``path``) whose environment marker holds for this Python, or
    for ``environment`` (keys of PEP 508 markers, e.g. ``python_full_version``)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = {}
    text = (path or ROOT / "requirements.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            (spec,) = requirement.specifier
            assert spec.operator == "==", line
            pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def supported_pythons() -> list[str]:
    """The Pythons the handbook supports, oldest first: code/pyproject.toml's
    ``Programming Language :: Python :: 3.X`` classifiers (the one statement of the range)."""
    text = (ROOT / "code" / "pyproject.toml").read_text(encoding="utf-8")
    found = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', text)
    return sorted(found, key=lambda version: int(version.split(".")[1]))


def visible_text(html: str) -> str:
    """The page's text without tags: highlighted code is split into spans, so match on this."""
    return re.sub(r"<[^>]+>", "", html)


def jupyter_book(*args, cwd=ROOT, env=None, timeout=1800):
    """Run the jupyter-book CLI of this environment; return the completed process."""
    return subprocess.run(
        [str(BIN / "jupyter-book"), *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def read_glue(build_dir: Path) -> dict[str, dict[str, object]]:
    """Glued values per page, parsed back into Python objects.

    myst-nb stores every glued value of page P in ``jupyter_execute/P.glue.json`` next to the
    executed notebook ``P.ipynb``; the ``text/plain`` entry is the value's ``repr``.
    """
    values: dict[str, dict[str, object]] = {}
    for path in sorted((build_dir / "jupyter_execute").glob("*.glue.json")):
        page = path.name.removesuffix(".glue.json")
        data = json.loads(path.read_text(encoding="utf-8"))
        values[page] = {}
        for key, output in data.items():
            text = output["data"].get("text/plain")
            try:
                values[page][key] = ast.literal_eval(text)
            except (ValueError, SyntaxError, TypeError):
                values[page][key] = text  # a figure or another rich object
    return values


def make_minibook(root: Path, pages: dict[str, str], **execute_overrides) -> Path:
    """A throwaway book with this repository's real _config.yml and extension.

    ``pages`` maps page names to code-cell sources (one cell each); ``execute_overrides``
    replaces keys of the ``execute`` section, to show what each protection guards. The
    extension's fingerprints cover the package ``root/pkg/demo`` (a stand-in for
    ``code/pw06``; importable with ``PYTHONPATH=root/pkg``) and ``root/requirements.txt``.
    Returns ``root``.
    """
    settings = config()
    settings["execute"].update(execute_overrides)
    settings["sphinx"]["local_extensions"] = {"handbook": str(ROOT / "book" / "_ext")}
    settings["sphinx"]["config"]["handbook_package"] = "../pkg/demo"
    settings["sphinx"]["config"]["handbook_fingerprint_paths"] = ["../requirements.txt"]
    (root / "book").mkdir(parents=True, exist_ok=True)
    (root / "pkg" / "demo").mkdir(parents=True, exist_ok=True)
    (root / "pkg" / "demo" / "__init__.py").touch()
    (root / "requirements.txt").write_text("numpy==2.0\n", encoding="utf-8")
    (root / "_config.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    names = list(pages)
    toc = {"format": "jb-book", "root": names[0]}
    if names[1:]:
        toc["chapters"] = [{"file": name} for name in names[1:]]
    (root / "book" / "_toc.yml").write_text(yaml.safe_dump(toc), encoding="utf-8")
    for name, code in pages.items():
        (root / "book" / f"{name}.md").write_text(
            "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
            "kernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n"
            f"# {name}\n\n```{{code-cell}} ipython3\n{code}\n```\n",
            encoding="utf-8",
        )
    return root


#: Directives whose body is not prose: code, math, tables, figures of glued objects, the TOC.
NON_PROSE_DIRECTIVES = {
    "",
    "code-cell",
    "code",
    "code-block",
    "literalinclude",
    "math",
    "glue",
    "glue:figure",
    "glue:math",
    "glue:md",
    "nb-exec-table",
    "toctree",
    "list-table",
    "csv-table",
    "table",
}


def prose_words(text: str) -> int:
    """Words of prose in a MyST page: outside code, math, tables and directive options.

    Dropped: front matter, HTML comments, code fences and code cells, ``literalinclude``, math
    blocks (``$$…$$`` and ``{math}``), tables (pipe tables, ``list-table``), directive option
    lines (``:name: …``) and labels (``(label)=``). The title of a directive that holds prose
    (an admonition, a dropdown) counts. Inline math and inline code count as one word each; a
    role counts as its visible text (a ``{glue:text}`` role as one word: its value).
    """
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    kept: list[str] = []
    stack: list[tuple[str, bool]] = []  # open fences: (closing fence, body is dropped)
    for line in text.splitlines():
        dropped = any(drop for _, drop in stack)
        if stack and line.strip() == stack[-1][0]:
            stack.pop()
            continue
        opening = re.match(r"^\s*(`{3,}|~{3,}|:{3,})\s*(?:\{([\w:-]+)\})?(.*)$", line)
        if opening and not (dropped and opening[1][0] == ":"):
            name = (opening[2] or "").lower()
            code_fence = opening[1][0] in "`~" and not opening[2]
            drop = dropped or code_fence or name in NON_PROSE_DIRECTIVES
            if not drop and opening[3].strip():
                kept.append(opening[3])  # the directive's title
            stack.append((opening[1], drop))
            continue
        if dropped:
            continue
        if re.match(r"^\s*:[\w-]+:", line) and stack:  # a directive's option line
            continue
        if re.match(r"^\s*\|", line) or re.match(r"^\(.+\)=\s*$", line):
            continue
        kept.append(line)
    body = "\n".join(kept)
    body = re.sub(r"\$\$.*?\$\$", " ", body, flags=re.S)
    body = re.sub(r"\$[^$\n]+\$", " x ", body)
    body = re.sub(r"\{glue(?::text|:md)?\}`[^`]*`", " x ", body)
    body = re.sub(r"\{[\w:-]+\}`([^`<]*?)\s*(?:<[^>]*>)?`", r" \1 ", body)
    body = re.sub(r"`[^`]*`", " x ", body)
    body = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", body)
    body = re.sub(r"^\s*#+\s*", "", body, flags=re.M)
    return len(re.findall(r"[A-Za-zÀ-ÿ0-9][\w'’.,%-]*", body))


def toc_part(caption: str) -> list[str]:
    """The pages (file names without ``.md``) of the TOC part with this caption."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    for part in toc.get("parts", []):
        if part.get("caption") == caption:
            return [chapter["file"] for chapter in part["chapters"]]
    return []


def toc_pages() -> list[str]:
    """Every page of the TOC, in its order: the root, then each part's chapters."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    parts = toc.get("parts", [])
    return [toc["root"], *(chapter["file"] for part in parts for chapter in part["chapters"])]


# --- the code a page shows, read from its MyST source (no build) ------------------------------
#: Directives whose body is code, not Markdown.
CODE_DIRECTIVES = {"code-cell", "code-block", "code", "sourcecode", "literalinclude"}
#: Code-cell tags that keep a cell's source from the reader (``hide-input`` only folds it).
HIDING_TAGS = {"remove-cell", "remove-input"}


@dataclass(frozen=True)
class Block:
    """A fenced block of a MyST page: a directive (``name`` without braces) or a plain code
    fence (``name`` is its language, maybe empty)."""

    name: str
    argument: str
    options: dict = field(hash=False)
    body: str
    line: int  # of the opening fence, 1-based
    directive: bool = True


def _split_options(content: str) -> tuple[dict, str, int]:
    """A directive's options, its body, and how many lines the options took. The options are
    a ``---`` YAML block or ``:key: value`` lines (values as strings, but ``:tags:`` a list)."""
    lines = content.splitlines(keepends=True)
    if lines and lines[0].strip() == "---":
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
        return yaml.safe_load("".join(lines[1:end])) or {}, "".join(lines[end + 1 :]), end + 1
    options = {}
    for line in lines:
        option = re.match(r"\s*:([\w-]+):(.*)", line)
        if not option:
            break
        key, value = option[1], option[2].strip()
        options[key] = yaml.safe_load(value) if key == "tags" else value
    return options, "".join(lines[len(options) :]), len(options)


def blocks(text: str, first_line: int = 1) -> list[Block]:
    """The fenced blocks of MyST ``text``, in order, those nested in directives that hold
    Markdown (dropdowns, admonitions, tabs) included; parsed with markdown-it-py, as MyST is."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.colon_fence import colon_fence_plugin

    found = []
    for token in MarkdownIt("commonmark").use(colon_fence_plugin).parse(text):
        if token.type not in ("fence", "colon_fence"):
            continue
        line = first_line + token.map[0]
        directive = re.fullmatch(r"\{([\w:-]+)\}\s*(.*)", token.info.strip())
        if not directive:
            found.append(Block(token.info.strip(), "", {}, token.content, line, False))
            continue
        name, argument = directive.groups()
        options, body, skipped = _split_options(token.content)
        found.append(Block(name, argument, options, body, line))
        if name not in CODE_DIRECTIVES:
            found += blocks(body, line + 1 + skipped)
    return found


@dataclass(frozen=True)
class Shown:
    """Code a reader sees on a page: ``where`` names it (page line, and the object for an
    included one), ``language`` is its highlighting language, ``lines`` its lines as shown."""

    where: str
    language: str
    lines: tuple[str, ...]


def pyobject_lines(module: Path, name: str) -> list[str]:
    """The lines ``literalinclude``'s ``:pyobject: name`` shows of ``module``: the span that
    ``sphinx.pycode.ModuleAnalyzer`` tags, as Sphinx itself selects it."""
    from sphinx.pycode import ModuleAnalyzer

    tags = ModuleAnalyzer.for_file(str(module), module.stem).find_tags()
    if name not in tags:
        raise LookupError(f"{module.name} has no object {name!r} to show")
    _, start, end = tags[name]
    return module.read_text(encoding="utf-8").splitlines()[start - 1 : end]


def shown_code(page: Path) -> list[Shown]:
    """Every piece of code ``page`` (a MyST file) shows its reader: code cells not removed
    (folded ones included), code blocks and fences, and ``literalinclude``'d objects."""
    shown = []
    for block in blocks(page.read_text(encoding="utf-8")):
        where = f"{page.name}:{block.line}"
        if block.name == "literalinclude":
            if set(block.options) != {"pyobject"}:
                raise ValueError(f"{where}: only :pyobject: is read, not {sorted(block.options)}")
            name = block.options["pyobject"]
            lines = pyobject_lines(page.parent / block.argument, name)
            shown.append(Shown(f"{where} {name}", "python", tuple(lines)))
            continue
        if block.name == "code-cell" and HIDING_TAGS & set(block.options.get("tags", [])):
            continue
        if block.name in CODE_DIRECTIVES or not block.directive:
            if block.name == "code-cell":
                language = "python"
            else:
                language = (block.argument if block.directive else block.name) or "text"
            shown.append(Shown(where, language, tuple(block.body.splitlines())))
    return shown


def code_cells(page: Path) -> list[tuple[list[str], str]]:
    """(tags, source) of every code cell of ``page`` (a MyST file), in order."""
    return [
        (block.options.get("tags", []), block.body)
        for block in blocks(page.read_text(encoding="utf-8"))
        if block.name == "code-cell"
    ]
