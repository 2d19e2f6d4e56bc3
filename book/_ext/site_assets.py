"""Sphinx extension: every page works offline, on a phone, with a screen reader and on paper,
and the site stays light.

Checked in a real browser by ``tests/test_site_offline.py`` (offline, width at 390 px, axe-core,
print media, size), the pure functions by ``tests/test_site_assets.py``.

Scripts without an error:

1. **A script declared twice.** Sphinx 7.4 lists an inline script that an extension adds once
   the builder exists (sphinx-thebe and sphinx-togglebutton do) twice on every page: once as
   added, once more when the builder re-reads its registry before writing. sphinx-thebe's
   ``const THEBE_JS_URL`` then fails with "Identifier 'THEBE_JS_URL' has already been
   declared". Each page keeps the first copy of every script.
2. **The colour mode.** The theme's default mode is empty, so a reader's first page logs "Got
   invalid theme mode" before falling back to ``auto``; ``_config.yml`` sets ``default_mode``.

MathJax itself is served from the site by the ``sphinx-mathjax-offline`` package
(``_static/mathjax``), named under ``sphinx.extra_extensions`` in ``_config.yml``.

Readers (issue 18); the styles and the print script are ``book/_static/handbook-site.*``,
which Jupyter Book adds to every page:

3. **Screen readers: names that say what is seen (WCAG 2.5.3, axe-core's
   ``label-content-name-mismatch``).** The theme's search field reads "Search Ctrl+K" but is
   named "Search", and its colour-mode switch, named "Color mode", holds icons titled
   "Light", "Dark", "System Settings" (pydata-sphinx-theme 0.17, the titles come from its
   pull request #1924; the field's shortcut from #1499). The templates in ``book/_templates``
   replace the two components: the field is named by its visible text, the icons are
   decorative. myst-nb's folded cells (``hide-input``/``hide-output``) render
   ``<summary aria-label="Toggle hidden content">`` around the visible "Show code cell
   output" (executablebooks/MyST-NB#446, still in 1.4): ``_visit_hidden_cell`` writes the
   same ``<details>`` without the label, so the summary is named by what it shows.
4. **Pandas tables have no empty header cell.** A DataFrame with a named index prints its
   column names in one header row and the index name in a second one, with empty cells
   around both; an unnamed index leaves the top-left cell empty. ``table_headers`` rewrites
   the HTML that the executed cells produced (a post-transform, so the page's table itself
   changes): one header row with the index name over the index column; a cell that stays
   empty becomes a ``<td>``, not a header.
5. **Figures open at full size.** On a phone a figure is squeezed to the column's width;
   each image of a figure is wrapped in a link to its file (like Sphinx's
   ``html_scaled_image_link``), so a tap opens it at full size.
6. **Weight.** ``sphinx-mathjax-offline`` copies MathJax's whole ``es5`` folder (24 MB, 20
   bundles); the pages load ``tex-chtml.js`` and its fonts. After the copy, ``prune_site``
   keeps ``MATHJAX_KEEP`` and deletes every source map (``*.map``) and the comment that
   names it. A formula that needs a TeX extension MathJax loads on demand
   (``input/tex/extensions/…``) then fails the browser test with a 404: add its file to
   ``MATHJAX_KEEP``.
"""

from __future__ import annotations

import html
import os
import posixpath
import re
from pathlib import Path

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.osutil import relative_uri

HERE = Path(__file__).resolve().parent
#: Template overrides of theme components (see 3. above).
TEMPLATES = HERE.parent / "_templates"
#: MathJax files the pages load, relative to ``_static/mathjax``: a file, or a folder ending in /.
MATHJAX_KEEP = ("tex-chtml.js", "output/chtml/fonts/woff-v2/")
_SOURCE_MAP_COMMENT = re.compile(
    r"\n?(?://# sourceMappingURL=\S+|/\*# sourceMappingURL=\S+ \*/)\s*$"
)


def _script_key(script) -> tuple:
    filename = os.fspath(script.filename or "")
    return filename, script.priority, tuple(sorted(script.attributes.items()))


def unique_scripts(scripts: list) -> list:
    """``scripts`` without repeats, in order; an inline script's missing file name is ``''``."""
    seen: set[tuple] = set()
    kept = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    return kept


def _on_page_context(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if isinstance(scripts, list):
        scripts[:] = unique_scripts(scripts)


# --------------------------------------------------------------------------------------------
# Screen readers: a folded cell's summary is named by its visible text.


def _visit_hidden_cell(self, node):
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n<summary>\n')
    for state, prompt in (("collapsed", node["prompt_show"]), ("expanded", node["prompt_hide"])):
        self.body.append(f'<p class="{state} admonition-title">{html.escape(prompt)}</p>\n')
    self.body.append("</summary>\n")


def _depart_hidden_cell(self, node):
    self.body.append("</details>\n")


def _override_hidden_cell(app):
    from myst_nb.sphinx_ import HideCodeCellNode

    app.add_node(HideCodeCellNode, override=True, html=(_visit_hidden_cell, _depart_hidden_cell))


def _add_templates(app, config):
    config.templates_path.insert(0, str(TEMPLATES))


# --------------------------------------------------------------------------------------------
# Pandas tables: one header row, no empty header cell.

_THEAD = re.compile(r"<thead>(.*?)</thead>", re.S)
_ROW = re.compile(r"(<tr\b[^>]*>)(.*?)</tr>", re.S)
_HEADER_CELL = re.compile(r"<th\b[^>]*>.*?</th>", re.S)
_EMPTY_HEADER_CELL = re.compile(r"<th\b([^>]*)>((?:\s|&nbsp;|&#160;)*)</th>", re.S)
_PANDAS_TABLE = re.compile(r'<table\b[^>]*(class="dataframe"|id="T_)')


def _cell_text(cell: str) -> str:
    text = re.sub(r"<[^>]+>", "", cell)
    return html.unescape(text).replace("\xa0", " ").strip()


def _rewrite_thead(inner: str) -> str:
    rows = _ROW.findall(inner)
    if len(rows) == 2:
        (open_top, top), (_, names) = rows
        top_cells, name_cells = _HEADER_CELL.findall(top), _HEADER_CELL.findall(names)
        levels = len(name_cells) - sum(1 for c in name_cells if not _cell_text(c))
        if (
            len(top_cells) == len(name_cells)
            and levels > 0
            and all(_cell_text(c) for c in name_cells[:levels])
            and not any(_cell_text(c) for c in name_cells[levels:])
            and not any(_cell_text(c) for c in top_cells[:levels])
        ):
            merged = "".join(name_cells[:levels] + top_cells[levels:])
            inner = f"\n    {open_top}{merged}</tr>\n  "
    return _EMPTY_HEADER_CELL.sub(r"<td\1>\2</td>", inner)


def table_headers(markup: str) -> str:
    """``markup`` with each pandas table's header made usable by a screen reader.

    A named index: its name moves into the column-name row, over the index column, and the
    row of index names goes. Any header cell still empty (an unnamed index) becomes ``<td>``.
    Tables that are not pandas' (``class="dataframe"``, or a Styler's ``id="T_…"``) are left
    alone.
    """
    if not _PANDAS_TABLE.search(markup):
        return markup
    return _THEAD.sub(lambda m: f"<thead>{_rewrite_thead(m.group(1))}</thead>", markup)


class PandasTableHeaders(SphinxPostTransform):
    """Rewrite the header of every pandas table an executed cell (or a glue) put in the page."""

    default_priority = 400
    formats = ("html",)

    def run(self, **kwargs):
        for node in list(self.document.findall(nodes.raw)):
            if "html" in node.get("format", "").split():
                text = node.astext()
                fixed = table_headers(text)
                if fixed != text:
                    node.replace_self(nodes.raw(fixed, fixed, **node.attributes))


# --------------------------------------------------------------------------------------------
# Figures: a tap opens the image at full size.


def _in_figure(node) -> bool:
    while node is not None and not isinstance(node, nodes.figure):
        node = node.parent
    return node is not None


class LinkFigureImages(SphinxPostTransform):
    """Wrap each image of a figure in a link to its own file in ``_images``."""

    default_priority = 450
    formats = ("html",)

    def run(self, **kwargs):
        builder = self.app.builder
        images = self.env.images
        imagedir = getattr(builder, "imagedir", "_images")
        base = relative_uri(builder.get_target_uri(self.env.docname), imagedir)
        for image in list(self.document.findall(nodes.image)):
            if isinstance(image.parent, nodes.reference) or not _in_figure(image):
                continue
            uri = image["uri"]
            if uri not in images:
                continue
            link = nodes.reference("", "", internal=True, classes=["figure-full-size"])
            link["refuri"] = posixpath.join(base, images[uri][1])
            image.replace_self(link)
            link.append(image)


# --------------------------------------------------------------------------------------------
# Weight: only the MathJax files the pages load, no source maps.


def _kept(relative: str) -> bool:
    return any(
        relative.startswith(keep) if keep.endswith("/") else relative == keep
        for keep in MATHJAX_KEEP
    )


def prune_site(static: Path) -> list[Path]:
    """Delete from ``static`` (a site's ``_static``) the MathJax files not in ``MATHJAX_KEEP``
    and every source map, with the comment naming it; return the deleted files."""
    removed = []
    mathjax = static / "mathjax"
    if mathjax.is_dir():
        for path in sorted(mathjax.rglob("*")):
            if path.is_file() and not _kept(path.relative_to(mathjax).as_posix()):
                path.unlink()
                removed.append(path)
        for folder in sorted(mathjax.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
    for source_map in sorted(static.rglob("*.map")):
        source_map.unlink()
        removed.append(source_map)
        mapped = source_map.with_suffix("")  # theme.css.map → theme.css
        if mapped.is_file():
            text = mapped.read_text(encoding="utf-8")
            stripped = _SOURCE_MAP_COMMENT.sub("", text)
            if stripped != text:
                mapped.write_text(stripped + "\n", encoding="utf-8")
    return removed


def _on_build_finished(app, exc):
    if exc is None and app.builder.format == "html":
        prune_site(Path(app.outdir) / "_static")


def setup(app):
    app.connect("html-page-context", _on_page_context)
    app.connect("config-inited", _add_templates)
    app.connect("builder-inited", _override_hidden_cell)
    app.add_post_transform(PandasTableHeaders)
    app.add_post_transform(LinkFigureImages)
    # After sphinx-mathjax-offline's own build-finished handler (priority 500) copies MathJax.
    app.connect("build-finished", _on_build_finished, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
