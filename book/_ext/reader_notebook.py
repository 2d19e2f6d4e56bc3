"""Reader notebooks: a chapter as plain Jupyter, made from the executed notebook of the build.

A chapter is MyST Markdown, executed by myst-nb into ``_build/jupyter_execute/<page>.ipynb``.
That notebook still speaks MyST: glue roles, directives, ``from myst_nb import glue``. This
module turns it into the notebook a reader downloads or opens in Colab:

* glue roles become the values of this build, formatted as on the page; glued figures become
  images (data URIs: Colab does not show Markdown attachments);
* ``literalinclude`` blocks become the real source, as fenced code;
* dropdowns and tabs become ``<details>``, admonitions quoted blocks with a bold title,
  ``{doc}``/``{ref}``/``{numref}``/``{eq}`` links to the hosted page, math stays ``$…$``;
* ``glue(...)`` and ``publish(...)`` calls (``pw06.publish`` glues result objects), their
  imports and ``plt.ioff()`` are dropped; a removed cell
  keeps only the statements that later cells need (usually none, so it disappears);
* the executed outputs stay (stderr and glue records dropped), and a hidden first cell
  installs ``pw06`` when it is missing and loads TensorFlow quietly.

Markdown is read by a parser, not by regular expressions: each Markdown cell is tokenised by
myst-parser's own markdown-it set-up (``create_md_parser``, with the syntax extensions of
``_config.yml``), so a fence, a role or a target is exactly what the book's parser sees. Each
token type that MyST adds has one rule (:data:`BLOCK_RULES`: directive fences, targets,
comments, labelled equations; :data:`ROLES` for roles, :data:`DIRECTIVES` for directives); the
rule's CommonMark replaces the lines the token spans, and CommonMark tokens keep their source as
written (a renderer that rebuilt them would reflow the author's Markdown). Directive options
are read by myst-parser's YAML reader (``options_to_items``), as on the page.

Why not the resolved doctree, as QuantEcon's ``sphinx-tojupyter`` does: the doctree knows
references and numbers, but is one tree per page, not per cell (the cells would have to be
found again), and it needs a translator for every node type of docutils, Sphinx, myst-nb and
sphinx-design. The cells are already Markdown, and what the doctree resolves (titles, labels,
numbers, glue values) is read from Sphinx's environment into a :class:`Context`.

Pure functions only: the Sphinx extension (``handbook.py``) collects the build's data into a
:class:`Context` and writes the result. The tests call each rule directly.
"""

from __future__ import annotations

import ast
import base64
import copy
import posixpath
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from docutils.parsers.rst.directives.misc import TestDirective as AnyOptions
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from myst_nb.core.variables import format_plain_text  # {glue:text}'s own rule
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.directives import parse_directive_text
from myst_parser.parsers.mdit import create_md_parser

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shared import setup_code, strip_solution_markers  # the sibling module

#: Tag of the set-up cell that the extension injects at the top of each executable page.
SETUP_TAG = "handbook-setup"


# --------------------------------------------------------------------------------------------
# The build's data


@dataclass
class Context:
    """What the conversion of one page needs to know about the build."""

    page: str  #: docname of the page converted, e.g. ``"lowlevel_mlp"``
    glue: Mapping[str, Mapping[str, dict]]  #: docname -> key -> ``{"data": {mime: ...}}``
    base_url: str  #: the hosted site, e.g. ``https://o.github.io/r/``
    titles: Mapping[str, str] = field(default_factory=dict)  #: docname -> page title
    #: label -> (docname, anchor, title) of sections, figures, tables, code blocks
    labels: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)
    #: label -> (number, format) for numref, e.g. ("3", "Figure %s")
    numbers: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: equation label -> (docname, number)
    equations: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: ``read_include(path as written on the page, options) -> text`` for literalinclude
    read_include: Callable[[str, dict], str] | None = None
    #: ``read_file(path as written on the page) -> bytes`` for image and figure
    read_file: Callable[[str], bytes] | None = None
    warnings: list[str] = field(default_factory=list)

    def url(self, docname: str, anchor: str = "") -> str:
        """The hosted page of ``docname``, with ``#anchor`` if given."""
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        return f"{base}{docname}.html" + (f"#{anchor}" if anchor else "")

    def warn(self, message: str) -> None:
        self.warnings.append(f"{self.page}: {message}")


def site_url(repository_url: str) -> str:
    """The GitHub Pages address of a GitHub repository: ``https://<owner>.github.io/<repo>/``."""
    match = re.fullmatch(r"https?://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", repository_url)
    if match is None:
        raise ValueError(
            f"repository url {repository_url!r}: expected https://github.com/<owner>/<repo>"
        )
    owner, repo = match.groups()
    if repo.lower() == f"{owner.lower()}.github.io":
        return f"https://{owner.lower()}.github.io/"
    return f"https://{owner.lower()}.github.io/{repo}/"


# --------------------------------------------------------------------------------------------
# Glue values


def _split_glue_key(text: str, ctx: Context, *, with_format: bool) -> tuple[str, str, str]:
    """``[page.md::]key[:fmt]`` -> (docname, key, fmt), parsed as myst-nb parses it."""
    fmt = "s" if with_format else ""
    if with_format:
        parts = text.rsplit(":", 1)
        if len(parts) == 2:
            text, fmt = parts
    docname = ctx.page
    if "::" in text:
        path, text = text.split("::", 1)
        docname = _resolve_docname(path, ctx.page)
    return docname, text.strip(), fmt


def _glue_output(docname: str, key: str, ctx: Context) -> dict | None:
    output = ctx.glue.get(docname, {}).get(key)
    if output is None:
        ctx.warn(f"glue key {key!r} not found in the glue data of {docname!r}")
    return output


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<|$])")


def escape_markdown(text: str) -> str:
    """Backslash-escape what Markdown (and Jupyter's math) would otherwise interpret."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _data_uri(mime: str, data: str | bytes) -> str:
    if isinstance(data, bytes):
        data = base64.b64encode(data).decode("ascii")
    return f"data:{mime};base64,{''.join(data.split())}"


def _image(uri: str, alt: str) -> str:
    alt = re.sub(r"[\[\]\n]", " ", alt).strip()
    return f"![{alt}]({uri})"


def render_mime(output: dict, *, inline: bool, alt: str = "") -> str:
    """Markdown for a glued output: its richest representation that Markdown can hold."""
    data = output.get("data", {})
    if "text/markdown" in data:
        return _text(data["text/markdown"]).strip()
    if "text/html" in data:
        html = _html(_text(data["text/html"]))
        return html if inline else f"\n{html}\n"
    for mime in ("image/png", "image/jpeg", "image/gif", "image/svg+xml"):
        if mime in data:
            return _image(_data_uri(mime, _text(data[mime])), alt or "figure")
    plain = _text(data.get("text/plain", ""))
    return f"`{plain}`" if inline else _fence(plain, "")


def _html(html: str) -> str:
    """HTML as one Markdown HTML block: no ``<style>`` (notebooks drop it), no blank lines
    (a blank line ends an HTML block, and the rest would show as code)."""
    html = re.sub(r"<style[^>]*>.*?</style>", "", html, flags=re.S)
    return "\n".join(line for line in html.strip().split("\n") if line.strip())


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


# --------------------------------------------------------------------------------------------
# Inline roles


_TITLE_TARGET = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$", re.S)


def _title_target(content: str) -> tuple[str | None, str]:
    match = _TITLE_TARGET.match(content.strip())
    if match and match["title"]:
        return " ".join(match["title"].split()), match["target"].strip()
    return None, content.strip()


def _resolve_docname(target: str, page: str) -> str:
    """A ``{doc}`` target (relative to the page) as a docname."""
    target = re.sub(r"\.(md|ipynb|rst)$", "", target.strip())
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), target))


def _link(text: str, url: str) -> str:
    return f"[{text}]({url})"


def _glue_text(content: str, ctx: Context) -> str:
    docname, key, fmt = _split_glue_key(content, ctx, with_format=True)
    output = _glue_output(docname, key, ctx)
    if output is None:
        return escape_markdown(content)
    plain = _text(output.get("data", {}).get("text/plain", ""))
    try:
        return escape_markdown(format_plain_text(plain, fmt))
    except (TypeError, ValueError) as error:
        ctx.warn(f"glue key {key!r}: cannot format {plain!r} with {fmt!r}: {error}")
        return escape_markdown(plain)


def _glue_role(name: str) -> Callable[[str, Context], str]:
    def rule(content: str, ctx: Context) -> str:
        docname, key, _ = _split_glue_key(content, ctx, with_format=name == "glue:md")
        output = _glue_output(docname, key, ctx)
        return "" if output is None else render_mime(output, inline=True, alt=key)

    return rule


def _doc(content: str, ctx: Context) -> str:
    title, target = _title_target(content)
    docname = _resolve_docname(target, ctx.page)
    if docname not in ctx.titles:
        ctx.warn(f"{{doc}} target {target!r} is not a page of the book")
    return _link(title or ctx.titles.get(docname, docname), ctx.url(docname))


def _reference(kind: str) -> Callable[[str, Context], str]:
    """``{ref}``, ``{numref}``, ``{eq}``: a link to the label's page, titled as Sphinx does."""

    def rule(content: str, ctx: Context) -> str:
        title, label = _title_target(content)
        known = {"ref": ctx.labels, "numref": ctx.numbers, "eq": ctx.equations}[kind]
        if label not in known or (kind == "numref" and label not in ctx.labels):
            ctx.warn(f"{{{kind}}} label {label!r} not found")
            return title or label
        if kind == "eq":
            docname, number = ctx.equations[label]
            return _link(title or f"({number})", ctx.url(docname, f"equation-{label}"))
        docname, anchor, label_title = ctx.labels[label]
        if kind == "ref":
            return _link(title or label_title or label, ctx.url(docname, anchor))
        number, fmt = ctx.numbers[label]
        text = (title or fmt).replace("%s", number).replace("{number}", number)
        return _link(text.replace("{name}", label_title), ctx.url(docname, anchor))

    return rule


#: One rule per role: ``(content, ctx) -> Markdown``.
ROLES: dict[str, Callable[[str, Context], str]] = {
    "glue:text": _glue_text,
    **{name: _glue_role(name) for name in ("glue", "glue:any", "glue:md")},
    "doc": _doc,
    **{kind: _reference(kind) for kind in ("ref", "numref", "eq")},
}


def convert_role(name: str, content: str, ctx: Context) -> str:
    """Markdown for one MyST role."""
    if name not in ROLES:
        ctx.warn(f"no reader-notebook rule for the role {{{name}}}; its text is kept")
        return content
    return ROLES[name](content, ctx)


# --------------------------------------------------------------------------------------------
# Blocks: MyST's own markdown-it parser, one rule per token type


def _parser() -> MarkdownIt:
    """myst-parser's markdown-it set-up, with the extensions of ``_config.yml`` that add syntax."""
    config = MdParserConfig(enable_extensions={"colon_fence", "dollarmath", "amsmath"})
    return create_md_parser(config, RendererHTML).disable("front_matter")


_MD = _parser()

ADMONITIONS = {
    **{name: name.title() for name in ("note", "tip", "hint", "important", "warning")},
    **{name: name.title() for name in ("caution", "attention", "danger", "error")},
    "seealso": "See also",
    "todo": "To do",
}


@dataclass
class Directive:
    """One MyST directive, read by myst-parser's rules: name, argument, options, content."""

    name: str
    arg: str
    options: dict[str, str]
    content: str
    ctx: Context

    @classmethod
    def read(cls, name: str, arg: str, body: str, ctx: Context) -> Directive:
        """Read as myst-parser reads a directive that takes any option: a ``---`` YAML block
        or ``:key: value`` lines (values are strings, as docutils gets them), then content."""
        if re.match(r"[ \t]*:::", body):  # a nested colon fence, not an option line
            body = "---\n---\n" + body  # (an empty option block)
        parsed = parse_directive_text(AnyOptions, arg.strip(), body)
        for warning in parsed.warnings:
            ctx.warn(f"{{{name}}}: {warning.msg}")
        arg = parsed.arguments[0] if parsed.arguments else ""
        return cls(name.strip(), arg, parsed.options, "\n".join(parsed.body), ctx)

    def markdown(self, text: str | None = None) -> str:
        return convert_markdown(self.content if text is None else text, self.ctx)

    def caption(self, text: str) -> str:
        return self.markdown(text).strip()

    def figure_prefix(self) -> str:
        label = self.options.get("name", "")
        if label in self.ctx.numbers:
            number, fmt = self.ctx.numbers[label]
            return f"**{fmt.replace('%s', number)}.** "
        return ""

    def glued(self) -> dict | None:
        docname, key, _ = _split_glue_key(self.arg, self.ctx, with_format=False)
        return _glue_output(docname, key, self.ctx)


def literalinclude_options(options: Mapping[str, str]) -> dict:
    """Directive options as Sphinx's ``LiteralIncludeReader`` expects them (numbers as int)."""
    typed = dict(options)
    for key in ("dedent", "lineno-start", "tab-width"):
        if typed.get(key):
            typed[key] = int(typed[key])
    return typed


def _fence(text: str, language: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{text.rstrip(chr(10))}\n{ticks}"


def _quote(markdown: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in markdown.split("\n"))


def _summary(title: str, ctx: Context) -> str:
    """A ``<summary>`` line: Markdown is not parsed in HTML, so code and bold become tags."""
    text = convert_inline(title, ctx)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return text.strip()


def _details(summary: str, content: str, *, open_: bool = False) -> str:
    opening = "<details open>" if open_ else "<details>"
    return f"{opening}\n<summary>{summary}</summary>\n\n{content.strip()}\n\n</details>"


def _math_block(latex: str, label: str, ctx: Context) -> str:
    latex = latex.strip("\n")
    if label:
        if label in ctx.equations:
            latex += f"\n\\tag{{{ctx.equations[label][1]}}}"
        else:
            ctx.warn(f"equation label {label!r} has no number")
    return f"$$\n{latex}\n$$"


def _dropdown(d: Directive) -> str:
    return _details(_summary(d.arg or "Details", d.ctx), d.markdown(), open_="open" in d.options)


def _tab_item(d: Directive) -> str:
    return _details(_summary(d.arg, d.ctx), d.markdown())


def _admonition(d: Directive) -> str:
    typed = d.name != "admonition"
    title = ADMONITIONS[d.name] if typed else convert_inline(d.arg, d.ctx)
    # the argument of a typed admonition is content
    inner = d.markdown(f"{d.arg}\n{d.content}" if typed and d.arg else d.content)
    return _quote(f"**{title.strip()}**\n\n{inner.strip()}")


def _literalinclude(d: Directive) -> str:
    source = strip_solution_markers(d.ctx.read_include(d.arg, dict(d.options)))
    language = d.options.get("language") or ("python" if d.arg.endswith(".py") else "")
    block = _fence(source, language)
    if "caption" not in d.options:
        return block
    return f"*{d.caption(d.options['caption'] or d.arg)}*\n\n{block}"


def _code_block(d: Directive) -> str:
    block = _fence(d.content, d.arg)
    caption = d.options.get("caption")
    return f"*{d.caption(caption)}*\n\n{block}" if caption else block


def _glue_figure(d: Directive) -> str:
    output, prefix = d.glued(), d.figure_prefix()
    alt = prefix.strip("* .") or d.arg
    image = "" if output is None else render_mime(output, inline=False, alt=alt)
    return f"{image.strip()}\n\n{(prefix + d.caption(d.content)).strip()}".strip()


def _glue_block(d: Directive) -> str:
    output = d.glued()
    return "" if output is None else render_mime(output, inline=False, alt=d.arg)


def _figure(d: Directive) -> str:
    uri = d.arg
    if not uri.startswith(("http:", "https:", "data:")) and d.ctx.read_file is not None:
        suffix = uri.rsplit(".", 1)[-1].lower()
        mime = {"svg": "image/svg+xml", "jpg": "image/jpeg"}.get(suffix, f"image/{suffix}")
        uri = _data_uri(mime, d.ctx.read_file(d.arg))
    image = _image(uri, d.options.get("alt", ""))
    caption = d.figure_prefix() + d.caption(d.content) if d.content.strip() else ""
    return f"{image}\n\n{caption}".strip()


def _list_table(d: Directive) -> str:
    """A list of rows, each a list of cells: read as the nested bullet list it is."""
    rows: list[list[str]] = []
    depth = 0
    for token in _MD.parse(d.content):
        depth += {"bullet_list_open": 1, "bullet_list_close": -1}.get(token.type, 0)
        if token.type == "list_item_open" and depth == 1:
            rows.append([])
        elif token.type == "list_item_open":
            rows[-1].append("")
        elif token.type == "inline" and depth >= 2:
            lines = [rows[-1][-1], *(line.strip() for line in token.content.split("\n"))]
            rows[-1][-1] = " ".join(filter(None, lines))
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    cells = [[re.sub(r"(?<!\\)\|", r"\\|", convert_inline(c, d.ctx)) for c in row] for row in rows]
    cells = [row + [""] * (width - len(row)) for row in cells]
    header = cells.pop(0) if int(d.options.get("header-rows") or 0) else [""] * width
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    caption = f"{d.figure_prefix()}{convert_inline(d.arg, d.ctx)}".strip()
    return (f"{caption}\n\n" if caption else "") + "\n".join(lines)


def _hosted_only(d: Directive) -> str:
    return f"*The table of execution times is on the [hosted page]({d.ctx.url(d.ctx.page)}).*"


def _unknown(d: Directive) -> str:
    d.ctx.warn(f"no reader-notebook rule for the directive {{{d.name}}}; its content is kept")
    return f"**{convert_inline(d.arg, d.ctx)}**\n\n{d.markdown()}" if d.arg else d.markdown()


#: One rule per directive: ``Directive -> Markdown``.
DIRECTIVES: dict[str, Callable[[Directive], str]] = {
    "dropdown": _dropdown,
    "tab-set": Directive.markdown,
    "tab-item": _tab_item,
    "admonition": _admonition,
    **dict.fromkeys(ADMONITIONS, _admonition),
    "literalinclude": _literalinclude,
    **dict.fromkeys(("code-block", "code", "sourcecode"), _code_block),
    "math": lambda d: _math_block(d.content, d.options.get("label", ""), d.ctx),
    "glue:figure": _glue_figure,
    **dict.fromkeys(("glue", "glue:any", "glue:md"), _glue_block),
    **dict.fromkeys(("figure", "image"), _figure),
    "list-table": _list_table,
    "nb-exec-table": _hosted_only,
}


def render_directive(name: str, arg: str, body: str, ctx: Context) -> str:
    """Markdown for one MyST directive (its fence removed)."""
    directive = Directive.read(name, arg, body, ctx)
    return DIRECTIVES.get(directive.name, _unknown)(directive)


def fences(source: str, name: str) -> list[tuple[int, Directive]]:
    """(first line, directive) of each ``{name}`` directive of a MyST text, nested ones too
    (those get the first line of the directive they are in)."""
    found = []
    for token in _MD.parse(source):
        head, _, arg = token.info.strip().partition(" ")
        if token.type not in ("fence", "colon_fence") or not head.startswith("{"):
            continue
        context = Context(page="", glue={}, base_url="")
        directive = Directive.read(head.strip("{}"), arg, token.content, context)
        if directive.name == name:
            found.append((token.map[0], directive))
        else:
            found += [(token.map[0], inner) for _, inner in fences(directive.content, name)]
    return found


def _fence_rule(token: Token, ctx: Context) -> str | None:
    """A directive (a fence whose info is ``{name} argument``); None for a code fence."""
    info = token.info.strip()
    if not (info.startswith("{") and "}" in info):
        return None
    name, _, arg = info[1:].partition("}")
    return render_directive(name, arg, token.content, ctx)


#: One rule per block token type: its Markdown, or None to keep its source as written.
BLOCK_RULES: dict[str, Callable[[Token, Context], str | None]] = {
    "fence": _fence_rule,
    "colon_fence": _fence_rule,
    "myst_target": lambda token, ctx: "",
    "myst_line_comment": lambda token, ctx: "",
    "math_block_label": lambda token, ctx: _math_block(token.content, token.info, ctx),
}


def _roles(token: Token, source: str, ctx: Context) -> str:
    """``source`` (the text of an inline token) with each role replaced; the rest as written."""
    out, position = [], 0
    for child in token.children or []:
        if child.type != "myst_role":
            continue
        name = child.meta["name"]
        words = r"\s+".join(map(re.escape, child.content.split()))  # lines may be indented
        raw = re.escape(f"{{{name}}}") + r"(`+)\s*" + words + r"\s*\1"
        match = re.compile(raw).search(source, position)
        if match is not None:
            out += [source[position : match.start()], convert_role(name, child.content, ctx)]
            position = match.end()
    return "".join(out) + source[position:]


def convert_inline(text: str, ctx: Context) -> str:
    """Replace every MyST role in ``text``; inline code spans are left alone."""
    return "".join(_roles(token, text, ctx) for token in _MD.parseInline(text))


def convert_markdown(text: str, ctx: Context) -> str:
    """Plain Markdown for a MyST Markdown text: directives rendered, roles replaced.

    The text is tokenised by myst-parser's own markdown-it set-up. A token of a type in
    :data:`BLOCK_RULES` (a directive, a target, a comment, a labelled equation) and an inline
    token holding roles replace the source lines they span; every other line stays as written.
    """
    lines = text.split("\n")
    edits: list[tuple[int, int, str]] = []
    for token in _MD.parse(text):
        if token.map is None:
            continue
        start, end = token.map
        if token.type in BLOCK_RULES:
            rendered = BLOCK_RULES[token.type](token, ctx)
            if rendered is not None:
                indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
                rendered = "\n".join(indent + x if x else x for x in rendered.split("\n"))
                edits.append((start, end, rendered))
        elif token.type == "inline" and any(c.type == "myst_role" for c in token.children or []):
            if edits and edits[-1][:2] == (start, end):  # the next cell of a table row
                edits[-1] = (start, end, _roles(token, edits[-1][2], ctx))
            else:
                edits.append((start, end, _roles(token, "\n".join(lines[start:end]), ctx)))
    out, position = [], 0
    for start, end, rendered in edits:
        out += lines[position:start]
        out += [rendered] if rendered else []
        position = end
    return _tidy("\n".join(out + lines[position:]))


def _tidy(text: str) -> str:
    """Collapse runs of blank lines; no blank lines at the ends."""
    return re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text).strip("\n")


# --------------------------------------------------------------------------------------------
# Code cells


_MAGIC = re.compile(r"^[ \t]*[%!]")
#: Calls dropped from every cell: the page's bookkeeping.
_BOOKKEEPING_CALLS = {"glue", "myst_nb.glue", "publish", "plt.ioff", "matplotlib.pyplot.ioff"}
#: Calls whose only effect is on the page: dropped from removed cells.
_PAGE_ONLY_CALLS = _BOOKKEEPING_CALLS | {"plt.close", "print", "display"}
#: Modules imported only for the page's bookkeeping: their imports are dropped.
_BOOKKEEPING_MODULES = {"myst_nb", "pw06.publish"}


def _call_name(node: ast.AST) -> str:
    """The called name as written (``plt.ioff``); '' for anything but a call."""
    return ast.unparse(node.func) if isinstance(node, ast.Call) else ""


def _parse(code: str) -> tuple[ast.Module, set[int]] | None:
    """Parse a cell, with IPython magics (``%…``, ``!…``) masked; None if it cannot be parsed."""
    lines = code.split("\n")
    magics = {n + 1 for n, line in enumerate(lines) if _MAGIC.match(line)}
    masked = [
        re.sub(r"[%!].*$", "pass", line) if n + 1 in magics else line
        for n, line in enumerate(lines)
    ]
    try:
        return ast.parse("\n".join(masked)), magics
    except SyntaxError:
        return None


def _is_bookkeeping(stmt: ast.stmt) -> bool:
    """A ``glue(...)`` or ``publish(...)`` call, their imports, or ``plt.ioff()``."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        imported = (
            [a.name for a in stmt.names] if isinstance(stmt, ast.Import) else [stmt.module or ""]
        )
        return all(m.split(".")[0] == "myst_nb" or m in _BOOKKEEPING_MODULES for m in imported)
    value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign)) else None
    return isinstance(value, ast.Call) and _call_name(value) in _BOOKKEEPING_CALLS


def _union(sets: Iterable[set[str]]) -> set[str]:
    return set().union(*sets)


def _target_names(node: ast.AST | None) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} if node else set()


def _loads(node: ast.AST) -> set[str]:
    """Names read by an expression or statement, minus comprehension and lambda variables."""
    loads, local = set(), set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            loads.add(n.id)
        elif isinstance(n, ast.comprehension):
            local |= _target_names(n.target)
        elif isinstance(n, ast.Lambda):
            local |= {a.arg for a in ast.walk(n.args) if isinstance(a, ast.arg)}
    return loads - local


def _bound(stmt: ast.stmt) -> set[str]:
    """Every name a statement may bind (assignment, import, def, loop variable …)."""
    names = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _certain_defs(stmt: ast.stmt) -> set[str]:
    """Names a statement always binds, so that later reads do not reach earlier definitions."""
    if isinstance(stmt, ast.Assign):
        plain = (t for t in stmt.targets if isinstance(t, (ast.Name, ast.Tuple, ast.List)))
        return _union(map(_target_names, plain))
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        return _target_names(stmt.target) if isinstance(stmt.target, ast.Name) else set()
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
        return _bound(stmt)
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        names = _union(_target_names(i.optional_vars) for i in stmt.items)
        return names | _union(map(_certain_defs, stmt.body))
    if isinstance(stmt, ast.If) and stmt.orelse:
        return _union(map(_certain_defs, stmt.body)) & _union(map(_certain_defs, stmt.orelse))
    return set()


def _exposed(stmts: list[ast.stmt]) -> set[str]:
    """Names a block reads before it binds them: what it needs from earlier code."""
    exposed: set[str] = set()
    defined: set[str] = set()
    for stmt in stmts:
        exposed |= _exposed_one(stmt) - defined
        defined |= _certain_defs(stmt)
    return exposed


def _exposed_one(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        body = _exposed(stmt.body) - _target_names(stmt.target)
        return _loads(stmt.iter) | body | _exposed(stmt.orelse)
    if isinstance(stmt, (ast.While, ast.If)):
        return _loads(stmt.test) | _exposed(stmt.body) | _exposed(stmt.orelse)
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        heads = _union(_loads(i.context_expr) for i in stmt.items)
        bound = _union(_target_names(i.optional_vars) for i in stmt.items)
        return heads | (_exposed(stmt.body) - bound)
    if isinstance(stmt, ast.Try):
        types = _union(_loads(h.type) for h in stmt.handlers if h.type)
        bodies = [stmt.body, stmt.orelse, stmt.finalbody, *(h.body for h in stmt.handlers)]
        return types | _union(map(_exposed, bodies))
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        args = {a.arg for a in ast.walk(stmt.args) if isinstance(a, ast.arg)}
        local = args | _union(map(_bound, stmt.body))
        outer = _union(map(_loads, [*stmt.decorator_list, *stmt.args.defaults]))
        return outer | (_union(map(_loads, stmt.body)) - local)
    return _loads(stmt)


def _base(target: ast.expr) -> ast.expr:
    """The object an assignment changes: ``x`` for ``x``, ``x.a``, ``x[i]`` or ``*x``."""
    while isinstance(target, (ast.Attribute, ast.Subscript, ast.Starred)):
        target = target.value
    return target


def _needed(stmt: ast.stmt, live: set[str], magic_lines: set[int]) -> bool:
    """In a removed cell: does a later cell need this statement?"""
    if stmt.lineno in magic_lines or _is_bookkeeping(stmt):
        return False
    if isinstance(stmt, ast.Expr):
        if not isinstance(stmt.value, ast.Call):
            return False  # a bare value: it was displayed in a removed cell
        return _call_name(stmt.value) not in _PAGE_ONLY_CALLS
    if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = getattr(stmt, "targets", None) or [stmt.target]
        return any(_target_names(_base(target)) & live for target in targets)
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
        return bool(_bound(stmt) & live)
    children = [child for body in _bodies(stmt) for child in body]
    if children:
        return any(_needed(child, live, magic_lines) for child in children)
    return True  # anything else (del, raise, global …): keep, to be safe


def _bodies(stmt: ast.stmt) -> list[list[ast.stmt]]:
    """The non-empty statement lists inside a compound statement (none inside a definition)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return []
    bodies = [getattr(stmt, f, None) for f in ("body", "orelse", "finalbody")]
    bodies += [h.body for h in getattr(stmt, "handlers", [])]
    return [body for body in bodies if isinstance(body, list) and body]


def _bookkeeping_edits(stmt: ast.stmt) -> list[tuple[ast.stmt, str]]:
    """(statement, replacement) pairs that remove the bookkeeping from ``stmt``; a compound
    statement whose every branch empties goes, a branch that empties alone becomes ``pass``."""
    if _is_bookkeeping(stmt):
        return [(stmt, "")]
    bodies = _bodies(stmt)
    found = [[e for child in body for e in _bookkeeping_edits(child)] for body in bodies]
    emptied = [all((c, "") in f for c in body) for body, f in zip(bodies, found, strict=True)]
    if bodies and all(emptied):
        return [(stmt, "")]
    edits = []
    for body, body_edits, empty in zip(bodies, found, emptied, strict=True):
        edits += [(body[0], "pass")] + [(s, "") for s in body[1:]] if empty else body_edits
    return edits


def _apply_edits(
    code: str, edits: Iterable[tuple[ast.stmt, str]], magics: set[int] = frozenset()
) -> str:
    """Replace statements (and the comment lines right above a removed one) in ``code``.

    A statement on a line of ``magics`` (an IPython magic, parsed as ``pass``) is the line.
    """
    lines = code.split("\n")
    order = sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True)
    for stmt, replacement in order:
        decorators = getattr(stmt, "decorator_list", [])
        first = min([stmt.lineno] + [d.lineno for d in decorators])
        start = stmt.col_offset if first == stmt.lineno else 0
        last, end = stmt.end_lineno, stmt.end_col_offset
        if first in magics:
            start, end = 0, len(lines[first - 1])
        tail = lines[last - 1][end:]
        if not replacement:
            tail = re.sub(r"^[ \t]*#.*$", "", tail)  # the removed statement's own comment
        head = lines[first - 1][:start]
        new = head + replacement + tail
        lines[first - 1 : last] = [new] if new.strip() else []
        if not replacement and not new.strip():
            indent = re.match(r"[ \t]*", head)[0]
            above = first - 1
            while above >= 1 and re.match(rf"^{indent}#", lines[above - 1]):
                del lines[above - 1]
                above -= 1
    return _tidy("\n".join(line.rstrip() for line in lines))


def strip_glue(code: str) -> str:
    """A visible cell without the page's bookkeeping: ``glue(...)``, the myst_nb import, ioff."""
    parsed = _parse(code)
    if parsed is None:
        return code
    edits = [e for stmt in parsed[0].body for e in _bookkeeping_edits(stmt)]
    return _apply_edits(code, edits, parsed[1]) if edits else code


def prune_removed_cell(code: str, live: set[str]) -> str:
    """What later cells need from a removed cell (they read the names in ``live``).

    Usually nothing: a removed cell should only publish results. A statement stays if it
    binds or changes a name read later, or calls something other than the page's own
    bookkeeping (``glue``, ``plt.close``, ``print`` …).
    """
    parsed = _parse(code)
    if parsed is None:
        return code
    tree, magics = parsed
    live = set(live)
    edits: list[tuple[ast.stmt, str]] = []
    for stmt in reversed(tree.body):
        if not _needed(stmt, live, magics):
            edits.append((stmt, ""))
            continue
        edits += _bookkeeping_edits(stmt)
        live = _exposed_one(stmt) | (live - _certain_defs(stmt))
    kept = _apply_edits(code, edits, magics) if edits else code
    return kept if _has_code(kept) else ""


def _has_code(code: str) -> bool:
    return any(line.strip() and not line.lstrip().startswith("#") for line in code.split("\n"))


def _update_live(code: str, live: set[str]) -> set[str]:
    """Liveness through a kept cell, read backwards: its definitions end, its reads begin."""
    parsed = _parse(code)
    if parsed is None:
        return live | set(re.findall(r"[A-Za-z_]\w*", code))
    for stmt in reversed(parsed[0].body):
        live = _exposed_one(stmt) | (live - _certain_defs(stmt))
    return live


# --------------------------------------------------------------------------------------------
# Outputs and cells


def clean_outputs(outputs: list[dict]) -> list[dict]:
    """The outputs a reader sees: no stderr, no glue records."""
    kept = []
    for output in outputs:
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            continue
        if "scrapbook" in output.get("metadata", {}):
            continue
        if any(m.startswith("application/papermill.record") for m in output.get("data", {})):
            continue
        kept.append(copy.deepcopy(output))
    return kept


def _tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _source(cell: dict) -> str:
    return _text(cell.get("source", ""))


def _reader_metadata(tags: list[str]) -> dict:
    """The page's folding tags as Jupyter's own metadata; the other tags stay."""
    jupyter = {"source_hidden": True} if {"hide-input", "remove-input"} & set(tags) else {}
    if "hide-output" in tags:
        jupyter["outputs_hidden"] = True
    kept_tags = [t for t in tags if t not in ("remove-cell", SETUP_TAG)]
    return {key: value for key, value in (("jupyter", jupyter), ("tags", kept_tags)) if value}


def setup_cell(install_spec: str, uses_tensorflow: bool) -> dict:
    """The reader notebook's first cell, folded away in Jupyter and shown as a form in Colab."""
    title = "#@title Set-up: install `pw06` if missing"
    if uses_tensorflow:
        title += ", load TensorFlow quietly"
    return {
        "cell_type": "code",
        "id": "reader-setup",
        "metadata": {"cellView": "form", "jupyter": {"source_hidden": True}},
        "execution_count": None,
        "outputs": [],
        "source": title + "\n" + setup_code(install_spec, uses_tensorflow),
    }


def _code_sources(cells: list[dict]) -> dict[int, str]:
    """Each code cell's reader source, read backwards: which removed statements do later
    cells need?"""
    live: set[str] = set()
    code: dict[int, str] = {}
    for index in reversed(range(len(cells))):
        cell = cells[index]
        if cell.get("cell_type") != "code":
            continue
        source = _source(cell)
        removed = "remove-cell" in _tags(cell)
        code[index] = prune_removed_cell(source, live) if removed else strip_glue(source)
        live = _update_live(code[index], live)
    return code


def _code_cell(cell: dict, source: str) -> dict:
    tags = _tags(cell)
    removed = "remove-cell" in tags
    outputs = [] if removed or "remove-output" in tags else cell.get("outputs", [])
    return {
        "cell_type": "code",
        "metadata": _reader_metadata(tags),
        "execution_count": None if removed else cell.get("execution_count"),
        "outputs": clean_outputs(outputs),
        "source": source,
    }


def reader_notebook(
    executed: dict, ctx: Context, *, install_spec: str, uses_tensorflow: bool
) -> dict:
    """The reader notebook of one page, from the executed notebook of the build."""
    cells = [c for c in executed.get("cells", []) if SETUP_TAG not in _tags(c)]
    code = _code_sources(cells)
    out: list[dict] = [setup_cell(install_spec, uses_tensorflow)]
    for index, cell in enumerate(cells):
        kind = cell.get("cell_type")
        if kind == "markdown":
            text = convert_markdown(_source(cell), ctx)
            if not text.strip():
                continue
            if out[-1]["cell_type"] == "markdown":
                out[-1]["source"] += "\n\n" + text
                continue
            new = {"cell_type": "markdown", "metadata": {}, "source": text}
        elif kind == "code":
            if not code[index].strip():
                continue
            new = _code_cell(cell, code[index])
        else:
            new = {"cell_type": "raw", "metadata": {}, "source": _source(cell)}
        new["id"] = cell.get("id") or f"cell-{index}"
        out.append(new)
    metadata = {
        key: copy.deepcopy(value)
        for key, value in executed.get("metadata", {}).items()
        if key in ("kernelspec", "language_info")
    }
    metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3"})
    metadata["kernelspec"].setdefault("language", "python")
    return {
        "cells": out,
        "metadata": metadata,
        "nbformat": 4,
        "nbformat_minor": max(5, executed.get("nbformat_minor", 5)),
    }


#: What a reader notebook's Markdown must never contain: MyST that plain Jupyter shows raw.
MYST_LEFTOVERS = ("{glue", "```{", ":::{", "{doc}", "{numref}", "{eq}", "{ref}")


def myst_leftovers(notebook: dict) -> list[tuple[int, str]]:
    """(cell index, leftover) for every MyST role or directive left in a Markdown cell."""
    found = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "markdown":
            continue
        text = _text(cell.get("source", ""))
        found += [(index, mark) for mark in MYST_LEFTOVERS if mark in text]
    return found
