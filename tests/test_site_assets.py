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
