"""Unit tests of book/_ext/site_assets.py: each script once per page, in order."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sphinx.builders.html._assets import _JavaScript

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location(
    "site_assets", ROOT / "book" / "_ext" / "site_assets.py"
)
site_assets = importlib.util.module_from_spec(spec)
spec.loader.exec_module(site_assets)


def test_an_inline_script_listed_twice_is_kept_once():
    """Sphinx 7.4 lists an inline script once with no file name, once with '' (the bug)."""
    body = 'const THEBE_JS_URL = "x"'
    scripts = [
        _JavaScript("_static/doctools.js", priority=200),
        _JavaScript(None, body=body),
        _JavaScript("_static/sphinx-thebe.js", **{"async": "async"}),
        _JavaScript("", body=body),
        _JavaScript("_static/doctools.js", priority=200),
    ]
    kept = site_assets.unique_scripts(scripts)
    assert kept == [scripts[0], scripts[1], scripts[2]]


def test_different_scripts_are_all_kept():
    scripts = [
        _JavaScript(None, body="let a = 1"),
        _JavaScript(None, body="let b = 2"),
        _JavaScript("_static/a.js", priority=200),
        _JavaScript("_static/a.js", priority=500),
    ]
    assert site_assets.unique_scripts(scripts) == scripts


# --------------------------------------------------------------------------------------------
# Pandas tables: one header row, no empty header cell (issue 18).

NAMED_INDEX = """<table border="1" class="dataframe">
  <thead>
    <tr style="text-align: right;">
      <th></th>
      <th>eager_ms</th>
      <th>graph_ms</th>
    </tr>
    <tr>
      <th>size</th>
      <th></th>
      <th></th>
    </tr>
  </thead>
  <tbody><tr><th>10</th><td>1.0</td><td>0.5</td></tr></tbody>
</table>"""


def _header_cells(markup: str) -> list[tuple[str, str]]:
    import re

    thead = re.search(r"<thead>(.*?)</thead>", markup, re.S).group(1)
    return re.findall(r"<(th|td)\b[^>]*>(.*?)</\1>", thead, re.S)


def test_a_named_index_moves_into_the_column_row():
    fixed = site_assets.table_headers(NAMED_INDEX)
    assert fixed.count("<tr") == 2  # one header row, one body row
    assert _header_cells(fixed) == [("th", "size"), ("th", "eager_ms"), ("th", "graph_ms")]
    assert "<tbody><tr><th>10</th><td>1.0</td><td>0.5</td></tr></tbody>" in fixed


def test_a_two_level_index_keeps_both_names():
    table = (
        '<table border="1" class="dataframe"><thead>'
        '<tr style="text-align: right;"><th></th><th></th><th>upstream</th></tr>'
        "<tr><th>node</th><th>input</th><th></th></tr>"
        "</thead><tbody></tbody></table>"
    )
    cells = _header_cells(site_assets.table_headers(table))
    assert cells == [("th", "node"), ("th", "input"), ("th", "upstream")]


def test_an_unnamed_index_leaves_an_empty_data_cell_not_an_empty_header():
    table = (
        '<table border="1" class="dataframe"><thead><tr style="text-align: right;">'
        "<th></th><th>operations</th></tr></thead><tbody><tr><th>Placeholder</th>"
        "<td>5</td></tr></tbody></table>"
    )
    assert _header_cells(site_assets.table_headers(table)) == [("td", ""), ("th", "operations")]


def test_a_styler_table_is_fixed_and_other_tables_are_left_alone():
    styler = (
        '<table id="T_8e1f"><thead><tr><th class="blank level0" >&nbsp;</th>'
        '<th id="T_8e1f_level0_col0" class="col_heading level0 col0" >tape</th></tr>'
        '<tr><th class="index_name level0" >node</th><th class="blank col0" >&nbsp;</th></tr>'
        "</thead></table>"
    )
    cells = _header_cells(site_assets.table_headers(styler))
    assert cells == [("th", "node"), ("th", "tape")]
    plain = '<table class="table"><thead><tr><th class="head"></th><th>a</th></tr></thead></table>'
    assert site_assets.table_headers(plain) == plain


# --------------------------------------------------------------------------------------------
# Weight: only the MathJax files the pages load, no source maps.


def test_prune_keeps_the_component_and_its_fonts_and_drops_source_maps(tmp_path):
    static = tmp_path / "_static"
    files = {
        "mathjax/tex-chtml.js": "MathJax",
        "mathjax/tex-svg-full.js": "unused bundle",
        "mathjax/sre/speech.js": "unused",
        "mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff": "font",
        "mathjax/output/chtml/fonts/tex.js": "not loaded",
        "scripts/theme.js": "code();\n//# sourceMappingURL=theme.js.map\n",
        "scripts/theme.js.map": "{}",
        "styles/theme.css": "a{}\n/*# sourceMappingURL=theme.css.map */\n",
        "styles/theme.css.map": "{}",
    }
    for name, text in files.items():
        (static / name).parent.mkdir(parents=True, exist_ok=True)
        (static / name).write_text(text, encoding="utf-8")
    removed = site_assets.prune_site(static)
    left = sorted(p.relative_to(static).as_posix() for p in static.rglob("*") if p.is_file())
    assert left == [
        "mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
        "mathjax/tex-chtml.js",
        "scripts/theme.js",
        "styles/theme.css",
    ]
    assert len(removed) == 5
    assert not (static / "mathjax" / "sre").exists()  # emptied folders go too
    assert (static / "scripts/theme.js").read_text(encoding="utf-8") == "code();\n"
    assert (static / "styles/theme.css").read_text(encoding="utf-8") == "a{}\n"
