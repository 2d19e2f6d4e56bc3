"""Open a built site in headless Chromium with the network blocked, and report what each page shows.

Tooling for ``tests/test_site_offline.py``. The site is served on 127.0.0.1 by a throwaway HTTP
server; every request to another host is aborted and recorded. Each page is checked after
MathJax has finished typesetting.

The browser is the system's Chromium (Debian: ``apt-get install chromium``), driven through
Playwright's bundled driver; Playwright never downloads a browser here. ``$CHROMIUM`` names the
executable (a path or a command on ``PATH``); without it the first of ``chromium``,
``chromium-browser``, ``google-chrome`` and ``google-chrome-stable`` found is used.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

#: Commands tried, in order, when $CHROMIUM is not set.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

#: Flags for a quiet, self-contained headless browser (also as root, in a container).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Runs in the page: waits for MathJax (if the page loads it) and for every image, then
#: reports what a reader sees. Text inside code, scripts and typeset math is left out of the
#: raw-TeX search: code may show a dollar sign or a backslash on purpose.
PAGE_REPORT_JS = """
async () => {
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  const mathjax = document.querySelector('script[src*="mathjax"]');
  let typeset = false;
  if (mathjax) {
    for (let i = 0; i < 80 && !(window.MathJax && MathJax.startup && MathJax.startup.promise);
         i++) {
      await sleep(25);
    }
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      await MathJax.startup.promise;
      typeset = true;
    }
  }
  const images = Array.from(document.images);
  for (const img of images) img.loading = 'eager';
  await Promise.all(images.map((img) => img.complete ? null : new Promise((done) => {
    img.addEventListener('load', done);
    img.addEventListener('error', done);
  })));
  const skip = 'pre, code, kbd, samp, script, style, noscript, template, textarea, '
    + 'mjx-container, .highlight';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const text = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.closest(skip)) text.push(node.nodeValue);
  }
  const math = Array.from(document.querySelectorAll('.math'));
  await document.fonts.ready;  // MathJax's fonts are part of what the page loads
  const loaded = [...performance.getEntriesByType('navigation'),
                  ...performance.getEntriesByType('resource')];
  return {
    bytes: loaded.reduce((sum, entry) => sum + (entry.encodedBodySize || 0), 0),
    requests: loaded.length,
    title: document.title,
    mathjax: mathjax ? mathjax.getAttribute('src') : null,
    typeset: typeset,
    images: images.map((img) => {
      const link = img.closest('a[href]');
      return {
        src: img.currentSrc || img.src,
        width: img.naturalWidth,
        alt: img.getAttribute('alt'),
        in_figure: Boolean(img.closest('figure')),
        link: link ? link.href : null,
      };
    }),
    math: math.length,
    math_untypeset: math.filter((el) => !el.querySelector('mjx-container')).length,
    mjx: document.querySelectorAll('mjx-container').length,
    mjx_errors: Array.from(document.querySelectorAll('mjx-merror, [data-mjx-error]'))
      .map((el) => el.getAttribute('data-mjx-error') || el.textContent),
    prose: text.join(' '),
    all_text: document.body.innerText,
  };
}
"""


#: The reader's screens: a laptop, and a phone (390 CSS pixels: an iPhone 12 to 15).
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

#: Runs in the page at phone width: how wide the page is, and what sticks out (the deepest
#: elements past the right edge that no scrolling box of their own clips).
PHONE_REPORT_JS = """
async () => {
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const doc = document.documentElement;
  const width = window.innerWidth;
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') return true;
    }
    return false;
  };
  const culprits = [];
  if (doc.scrollWidth > width) {
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (box.right > width + 1 && !clipped(el) && !el.querySelector('*')) {
        const name = el.tagName.toLowerCase()
          + (typeof el.className === 'string' && el.className.trim()
            ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
        culprits.push(`${name} to ${Math.round(box.right)} px: `
          + (el.textContent || '').trim().slice(0, 60));
      }
    }
  }
  return {scroll_width: doc.scrollWidth, inner_width: width, culprits: culprits.slice(0, 5)};
}
"""

#: Runs in the page with print media emulated: which folded blocks would print closed.
PRINT_REPORT_JS = """
async () => {
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const details = Array.from(document.querySelectorAll('details'));
  const label = (el) => (el.querySelector('summary') || el).textContent.trim().replace(/\\s+/g, ' ')
    .slice(0, 60);
  return {
    details: details.length,
    closed: details.filter((el) => !el.open).map(label),
    hidden_toggles: Array.from(document.querySelectorAll('.toggle-hidden')).map(label),
  };
}
"""

#: axe-core's rules for WCAG 2.0/2.1 A and AA, and its best practices. Label-in-name
#: (WCAG 2.5.3) is switched on by name: axe ships it disabled, as experimental.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "rules": {"label-content-name-mismatch": {"enabled": True}},
    "resultTypes": ["violations"],
    # axe resolves a stylesheet's @import against the page, not the sheet (theme.css imports
    # "../basic.css"): its CSS preload would request a wrong URL and log a 404.
    "preload": False,
}


def run_axe(page) -> list[dict]:
    """axe-core's violations on ``page`` as it is now: id, impact, help, and node targets.

    axe-core is the copy bundled in the pinned ``axe-playwright-python`` package
    (``requirements-dev.txt``), injected into the page: nothing is downloaded.
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS).response
    return [
        {
            "id": rule["id"],
            "impact": rule["impact"],
            "help": rule["help"],
            "targets": [" ".join(map(str, node["target"])) for node in rule["nodes"]],
        }
        for rule in results["violations"]
    ]


def find_browser(environ=os.environ) -> str | None:
    """The Chromium executable to use: ``$CHROMIUM``, else the first of ``BROWSERS`` found."""
    names = [environ["CHROMIUM"]] if environ.get("CHROMIUM") else BROWSERS
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass  # the test reports failures itself


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) for the duration; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class PageReport:
    """What one page showed in the browser."""

    page: str
    blocked: list[str] = field(default_factory=list)  # requests that tried to leave the machine
    failed: list[str] = field(default_factory=list)  # local requests that failed or gave >= 400
    console_errors: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)  # PAGE_REPORT_JS's result
    phone: dict = field(default_factory=dict)  # PHONE_REPORT_JS's result, at 390 px
    printed: dict = field(default_factory=dict)  # PRINT_REPORT_JS's result, print media
    axe: list[dict] = field(default_factory=list)  # violations, at both widths (deduplicated)

    def axe_by_impact(self) -> dict[str, int]:
        """Violated rules' node counts by impact (critical, serious, moderate, minor)."""
        counts: dict[str, int] = {}
        for rule in self.axe:
            counts[rule["impact"]] = counts.get(rule["impact"], 0) + len(rule["targets"])
        return counts


def pages_of(site: Path) -> list[str]:
    """Every HTML page of a built site, relative to it (theme and source folders excluded)."""
    return sorted(
        path.relative_to(site).as_posix()
        for path in site.rglob("*.html")
        if not any(part.startswith("_") for part in path.relative_to(site).parts[:-1])
    )


def is_local(url: str) -> bool:
    """True for URLs that stay on this machine (the test server, data: and blob: URLs)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in ("127.0.0.1", "localhost", "::1")


def redirect_target(html: str) -> str | None:
    """Where a ``<meta http-equiv="refresh">`` page sends the reader, or None."""
    match = re.search(r'http-equiv="refresh"\s+content="\d+;\s*url=([^"]+)"', html, re.I)
    return match[1] if match else None


def _merge_violations(*runs: list[dict]) -> list[dict]:
    merged: dict[str, dict] = {}
    for run in runs:
        for rule in run:
            kept = merged.setdefault(rule["id"], {**rule, "targets": []})
            kept["targets"] += [t for t in rule["targets"] if t not in kept["targets"]]
    return list(merged.values())


def _check_page(browser, base: str, name: str, target: str | None, timeout_ms: int) -> PageReport:
    """Open one page in a fresh browser context (a first visit): nothing cached, nothing stored.

    On a laptop's screen: what the reader sees (``PAGE_REPORT_JS``) and axe-core; then at a
    phone's width: the page's width and axe-core again; then with print media emulated.
    """
    report = PageReport(name)
    context = browser.new_context(service_workers="block", viewport=DESKTOP)
    context.set_default_timeout(timeout_ms)

    def route(route):
        if is_local(route.request.url):
            route.continue_()
        else:
            report.blocked.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and report.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: report.console_errors.append(str(exc)))
    page.on(
        "requestfailed",
        lambda req: is_local(req.url) and report.failed.append(f"{req.url} ({req.failure})"),
    )
    page.on(
        "response",
        lambda res: res.status >= 400 and report.failed.append(f"{res.url} (HTTP {res.status})"),
    )
    try:
        page.goto(base + name, wait_until="load")
        if target:  # a redirect (index.html): check the page it leads to
            page.wait_for_url(base + target, wait_until="load")
        report.data = page.evaluate(PAGE_REPORT_JS)
        report.data["url"] = page.url
        wide = run_axe(page)
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(400)  # the theme re-marks scrolling boxes 300 ms after a resize
        report.phone = page.evaluate(PHONE_REPORT_JS)
        report.axe = _merge_violations(wide, run_axe(page))
        page.emulate_media(media="print")
        report.printed = page.evaluate(PRINT_REPORT_JS)
    finally:
        context.close()
    return report


def check_site(site: Path, executable: str, timeout_ms: int = 60_000) -> list[PageReport]:
    """Open every page of ``site`` with the network blocked; return one report per page."""
    from playwright.sync_api import sync_playwright

    reports = []
    with serve(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=FLAGS)
        try:
            for name in pages_of(site):
                target = redirect_target((site / name).read_text(encoding="utf-8"))
                reports.append(_check_page(browser, base, name, target, timeout_ms))
        finally:
            browser.close()
    return reports
