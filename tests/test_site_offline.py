"""The site works with no network, on a phone, with a screen reader and on paper: every page of
the session build, opened in a real browser.

Headless Chromium (the system's, see ``tests/site_browser.py``) opens every page of the strict
session build served on 127.0.0.1; every request to another host is aborted and recorded. After
MathJax, served from the site (``_static/mathjax``), has typeset the page: no request left the
machine, every image loaded, every formula is typeset without a MathJax error, no raw TeX and no
traceback is visible, and the console has no error.

For every reader (issue 18, ``book/_ext/site_assets.py``): at 390 px the page is no wider than
the screen; every image has alt text that is not a file name, and a figure's image links to its
full-size file; axe-core finds no serious or critical violation (at 1366 and at 390 px) and no
empty table header; with print media every ``<details>`` is open; the site stays within
``SITE_BOUND`` bytes and ships no source map and no MathJax file that no page loads. The bytes
each page loads are printed with the per-page summary.

Without a browser the browser tests are skipped with the reason, except under CI (``$CI`` set,
as ``.ci/run`` and GitHub Actions do), where they fail: ``.ci/run`` installs Debian's
``chromium`` when missing, and the workflow names the runner's Chrome with ``$CHROMIUM``.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from site_browser import check_site, find_browser, pages_of

pytestmark = pytest.mark.slow

#: Chapters whose pages carry formulas (the check that math is typeset must find some).
CHAPTERS_WITH_MATH = ["computational_graphs", "lowlevel_mlp", "review_questions", "sigmoid_mse"]
#: The site folder's bound, figures and reader notebooks included (issue 18: 12 MB).
SITE_BOUND = 12 * 1024 * 1024
#: An alt text that is only a file name or an image path (Sphinx's default: the image's URI).
FILE_NAME_ALT = re.compile(r"(^|/)[\w.\-]+\.(png|jpe?g|gif|svg|webp)$|^_images/", re.I)
#: TeX that MathJax would have replaced: seen in the page's prose, a formula was not typeset.
RAW_TEX = re.compile(r"\$\$|\\frac|\\\(|\\\[|\\begin\{")
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|Math input error")


@pytest.fixture(scope="session")
def browser_executable() -> str:
    found = find_browser()
    if found is None:
        named = os.environ.get("CHROMIUM")
        message = (
            (f"CHROMIUM={named!r} is not an executable: " if named else "no Chromium found: ")
            + "the browser tests need one; install Debian's `chromium` (`.ci/run` does) "
            "or set CHROMIUM to a Chromium or Chrome executable"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def site_reports(book_build, browser_executable, request):
    """One report per page of the session build, opened offline in the browser."""
    reports = check_site(book_build / "html", browser_executable)
    lines = [f"browser: {browser_executable}; {len(reports)} pages opened offline"]
    lines += [
        f"  {r.page:24} images {len(r.data['images']):2}  math {r.data['math']:3}"
        f"  mjx-container {r.data['mjx']:3}  blocked {len(r.blocked)}"
        f"  console errors {len(r.console_errors)}"
        f"  width@390 {r.phone['scroll_width']:4}  axe {_impacts(r)}"
        f"  closed in print {len(r.printed['closed'])}/{r.printed['details']}"
        f"  loads {r.data['bytes'] / 1024:6.0f} KB in {r.data['requests']} files"
        for r in reports
    ]
    size, files = site_size(book_build / "html")
    bound = SITE_BOUND / 1024**2
    lines.append(f"  site: {size / 1024**2:.1f} MiB in {files} files (bound {bound:.0f} MiB)")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():  # the summary shows in every run's output
        print("\n" + "\n".join(lines))
    return reports


def _impacts(report) -> str:
    counts = report.axe_by_impact()
    return "/".join(str(counts.get(k, 0)) for k in ("critical", "serious", "moderate", "minor"))


def site_size(site: Path) -> tuple[int, int]:
    """Bytes and number of files of a built site."""
    files = [path for path in site.rglob("*") if path.is_file()]
    return sum(path.stat().st_size for path in files), len(files)


class _Assets(HTMLParser):
    """URLs of what a page loads (scripts, stylesheets, icons, images, frames, media)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") in ("stylesheet", "preload", "icon", "modulepreload"):
            self.urls.append(attrs.get("href") or "")
        elif tag in ("script", "img", "iframe", "source", "video", "audio", "embed"):
            self.urls.append(attrs.get("src") or "")


def test_no_page_names_an_asset_on_the_network(book_build):
    """Read in the HTML, without a browser: every asset URL is relative to the site."""
    html = book_build / "html"
    pages = pages_of(html)
    assert len(pages) >= 7, pages
    for name in pages:
        parser = _Assets()
        parser.feed((html / name).read_text(encoding="utf-8"))
        remote = [url for url in parser.urls if re.match(r"(https?:)?//", url)]
        assert not remote, f"{name} loads from the network: {remote}"
    mathjax = html / "_static" / "mathjax" / "tex-chtml.js"
    assert mathjax.is_file(), "MathJax is not copied into the site"
    page = (html / "computational_graphs.html").read_text(encoding="utf-8")
    assert re.search(r'src="_static/mathjax/tex-chtml\.js(\?[^"]*)?"', page), "MathJax not local"


def test_no_request_leaves_the_machine(site_reports):
    blocked = {r.page: r.blocked for r in site_reports if r.blocked}
    failed = {r.page: r.failed for r in site_reports if r.failed}
    assert not blocked, f"pages needed the network: {blocked}"
    assert not failed, f"local requests failed: {failed}"


def test_every_image_loads(site_reports):
    images = [(r.page, image) for r in site_reports for image in r.data["images"]]
    assert len(images) >= 5, "the chapters' figures are missing"
    broken = [(page, image["src"]) for page, image in images if image["width"] <= 0]
    assert not broken, broken


def test_every_formula_is_typeset_without_error(site_reports):
    by_page = {r.page.removesuffix(".html"): r.data for r in site_reports}
    for chapter in CHAPTERS_WITH_MATH:
        assert by_page[chapter]["math"] > 0, f"{chapter}: no formula found"
    for page, data in by_page.items():
        if data["math"]:
            assert data["typeset"], f"{page}: MathJax did not start"
            assert data["math_untypeset"] == 0, f"{page}: {data['math_untypeset']} not typeset"
            assert data["mjx"] >= data["math"], page
        assert not data["mjx_errors"], f"{page}: {data['mjx_errors']}"


def test_no_raw_tex_or_traceback_is_visible(site_reports):
    for r in site_reports:
        raw = RAW_TEX.search(r.data["prose"])
        assert raw is None, f"{r.page}: raw TeX {raw.group(0)!r} in the prose"
        shown = TRACEBACK.search(r.data["all_text"])
        assert shown is None, f"{r.page}: {shown.group(0)!r}"


def test_no_console_errors(site_reports):
    errors = {r.page: r.console_errors for r in site_reports if r.console_errors}
    assert not errors, errors


def test_no_page_is_wider_than_a_phone(site_reports):
    """At 390 px nothing sticks out: long code wraps, formulas and tables scroll in their box."""
    for r in site_reports:
        assert r.phone["inner_width"] == 390, r.phone
        assert r.phone["scroll_width"] <= r.phone["inner_width"], (
            f"{r.page} is {r.phone['scroll_width']} px wide at 390 px: {r.phone['culprits']}"
        )


def test_every_image_has_real_alt_text(site_reports):
    """A screen reader hears what a figure shows, never its file name or nothing."""
    images = [(r.page, image) for r in site_reports for image in r.data["images"]]
    assert len(images) >= 5, "the chapters' figures are missing"
    bad = [
        (page, image["src"].rsplit("/", 1)[-1], image["alt"])
        for page, image in images
        if not (image["alt"] or "").strip() or FILE_NAME_ALT.search(image["alt"].strip())
    ]
    assert not bad, f"images without a real alt text (page, file, alt): {bad}"


def test_a_tap_on_a_figure_opens_it_at_full_size(site_reports):
    figures = [(r.page, image) for r in site_reports for image in r.data["images"]]
    figures = [(page, image) for page, image in figures if image["in_figure"]]
    assert len(figures) >= 5, "the chapters' figures are missing"
    unlinked = [(page, image["src"]) for page, image in figures if image["link"] != image["src"]]
    assert not unlinked, f"figures not linked to their own image file: {unlinked}"


def test_axe_finds_no_serious_or_critical_violation(site_reports):
    """axe-core (WCAG 2.0/2.1 A and AA, best practices), at 1366 and 390 px: none serious or
    critical, the theme's included; and no empty table header (pandas tables)."""
    found = {
        r.page: [
            f"{rule['impact']} {rule['id']}: {rule['help']} {rule['targets'][:3]}"
            for rule in r.axe
            if rule["impact"] in ("serious", "critical") or rule["id"] == "empty-table-header"
        ]
        for r in site_reports
    }
    assert not any(found.values()), {page: rules for page, rules in found.items() if rules}


def test_printing_opens_every_folded_block(site_reports):
    """With print media, every <details> (solutions, folded cells) is open, nothing toggled off."""
    folded = [r for r in site_reports if r.printed["details"]]
    assert folded, "no page has a folded block: the check would check nothing"
    for r in site_reports:
        assert not r.printed["closed"], f"{r.page} prints closed: {r.printed['closed']}"
        assert not r.printed["hidden_toggles"], f"{r.page}: {r.printed['hidden_toggles']}"


def test_the_site_is_light(book_build):
    """The site stays within its bound, ships no source map, and of MathJax only what pages
    load (``site_assets.MATHJAX_KEEP``: the tex-chtml component and its fonts)."""
    html = book_build / "html"
    size, files = site_size(html)
    assert size <= SITE_BOUND, f"the site is {size / 1024**2:.1f} MiB in {files} files"
    maps = sorted(p.relative_to(html).as_posix() for p in html.rglob("*.map"))
    assert not maps, maps
    mathjax = html / "_static" / "mathjax"
    shipped = {p.relative_to(mathjax).as_posix() for p in mathjax.rglob("*") if p.is_file()}
    assert "tex-chtml.js" in shipped
    others = {p for p in shipped if p != "tex-chtml.js"}
    assert others and all(p.startswith("output/chtml/fonts/woff-v2/") for p in others), others


def test_the_check_catches_a_page_that_needs_the_network(tmp_path: Path, browser_executable):
    """The same check on a hand-made broken page: each defect is reported."""
    (tmp_path / "index.html").write_text(
        "<!DOCTYPE html><html><head><title>broken</title>"
        '<script src="https://cdn.invalid/mathjax/tex-chtml.js"></script></head><body>'
        '<p>Display: $$\\frac{a}{b}$$</p><img src="missing.png" alt="missing">'
        "<pre>Traceback (most recent call last):</pre>"
        '<figure><img src="plot.png" alt="_images/plot.png"></figure>'
        '<p><code style="white-space: nowrap">' + "x" * 120 + "</code></p>"
        '<button aria-label="Search">Search Ctrl+K</button>'
        "<details><summary>Solution</summary><p>42</p></details>"
        "<script>undefinedFunction();</script></body></html>",
        encoding="utf-8",
    )
    (report,) = check_site(tmp_path, browser_executable)
    assert report.blocked == ["https://cdn.invalid/mathjax/tex-chtml.js"]
    assert any("missing.png" in failure for failure in report.failed)
    assert [image["width"] for image in report.data["images"]] == [0, 0]  # both files missing
    assert RAW_TEX.search(report.data["prose"])
    assert TRACEBACK.search(report.data["all_text"])
    assert any("undefinedFunction" in error for error in report.console_errors)
    assert report.phone["scroll_width"] > report.phone["inner_width"] == 390
    assert FILE_NAME_ALT.search(report.data["images"][1]["alt"])
    assert report.data["images"][1]["in_figure"] and report.data["images"][1]["link"] is None
    assert {"label-content-name-mismatch", "html-has-lang"} <= {rule["id"] for rule in report.axe}
    assert report.axe_by_impact().get("serious", 0) >= 2
    assert report.printed["closed"] == ["Solution"]
    assert report.data["bytes"] > 0
