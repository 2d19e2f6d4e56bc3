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
  return {
    title: document.title,
    mathjax: mathjax ? mathjax.getAttribute('src') : null,
    typeset: typeset,
    images: images.map((img) => ({src: img.currentSrc || img.src, width: img.naturalWidth})),
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


def _check_page(browser, base: str, name: str, target: str | None, timeout_ms: int) -> PageReport:
    """Open one page in a fresh browser context (a first visit): nothing cached, nothing stored."""
    report = PageReport(name)
    context = browser.new_context(service_workers="block")
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
