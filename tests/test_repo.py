"""Repository-level guarantees: one config, one TOC, pinned requirements, checked CI files."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import BUILD_ARGS, BUILD_DIR_VARIABLE, ROOT, config, repository_url, toc_part

BIN = Path(sys.executable).parent
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def _check(tool: str, *args) -> str:
    """Run a checker of this environment; it must exit 0. Returns what it printed."""
    path = BIN / tool
    exe = str(path) if path.exists() else (shutil.which(tool) or pytest.fail(f"{tool} missing"))
    result = subprocess.run([exe, *map(str, args)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_book_toc_is_a_link_to_the_top_level_toc():
    link = ROOT / "book" / "_toc.yml"
    assert link.is_symlink(), "book/_toc.yml must be a link, not a second copy"
    assert link.resolve() == (ROOT / "_toc.yml").resolve()
    assert not (ROOT / "book" / "_config.yml").exists(), "the top-level _config.yml is the only one"


def test_every_toc_entry_is_a_myst_page_and_has_its_module():
    from sphinx_external_toc.parsing import parse_toc_yaml

    site_map = parse_toc_yaml(ROOT / "_toc.yml")
    pages = list(site_map)
    assert pages[0] == "intro"
    further = set(toc_part("Going further"))  # deep dives: they use the lab pages' modules
    for page in pages:
        assert (ROOT / "book" / f"{page}.md").is_file(), page
        if page in further:
            source = (ROOT / "book" / f"{page}.md").read_text(encoding="utf-8")
            assert re.search(r"^from pw06 import \w", source, re.M), page
        elif page != "intro":  # chapter <-> module, one to one, same name
            assert (ROOT / "code" / "pw06" / f"{page}.py").is_file(), page


def test_config_is_valid_and_has_no_misspelt_execute_keys():
    import jupyter_book

    schema = Path(jupyter_book.__file__).parent / "config_schema.json"
    _check("check-jsonschema", "--schemafile", schema, ROOT / "_config.yml")
    settings = config()
    # Jupyter Book silently ignores unknown keys; a typo would switch a protection off.
    source = (Path(jupyter_book.__file__).parent / "config.py").read_text(encoding="utf-8")
    for key in settings["execute"]:
        assert f'"{key}"' in source, f"execute.{key} is not a key Jupyter Book maps"
    assert settings["execute"]["raise_on_error"] is True
    assert settings["execute"]["allow_errors"] is False
    assert settings["execute"]["stderr_output"] == "error"
    assert settings["repository"]["branch"] == "main"


def test_requirements_pin_exact_versions_and_install_the_package():
    lines = [
        line.split(" #")[0].strip()
        for name in ("requirements.txt", "requirements-dev.txt")
        for line in (ROOT / name).read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    marker = r"(?: ; [a-z_]+ (?:[<>=!]=?) '[^']+'(?: (?:and|or) .*)?)?"
    for line in lines:
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[^=\s;]+" + marker, line) or line in (
            "-e ./code",
        ), line
    assert "-e ./code" in lines
    jb = next(line for line in lines if line.lower().startswith("jupyter-book=="))
    assert jb.split("==")[1].startswith("1."), "the book is built with Jupyter Book 1.x"


def test_no_notebook_or_path_hack_is_committed():
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [f for f in files if f.endswith(".ipynb")], "MyST .md only"
    for page in (ROOT / "book").glob("*.md"):
        assert "sys.path" not in page.read_text(encoding="utf-8"), page.name


def test_ci_runs_the_readme_test_command():
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 tasks.py test" in run
    assert "python3 tasks.py test" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python3 tasks.py book" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_workflow_matches_the_github_actions_schema():
    _check("check-jsonschema", "--builtin-schema", "vendor.github-workflows", WORKFLOW)


def test_workflow_passes_the_offline_security_audit():
    assert "No findings" in _check("zizmor", "--offline", "--no-progress", WORKFLOW)


def test_workflow_pins_actions_and_limits_permissions():
    text = WORKFLOW.read_text(encoding="utf-8")
    uses = re.findall(r"uses:\s*(\S+)", text)
    assert uses, "no actions found"
    for ref in uses:
        assert re.fullmatch(r"[\w\-]+/[\w\-]+@[0-9a-f]{40}", ref), f"not pinned to a SHA: {ref}"
    workflow = yaml.safe_load(text)
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["deploy"]["environment"]["name"] == "github-pages"
    assert "concurrency" in jobs["deploy"]
    steps = " ".join(step.get("run", "") for step in jobs["build"]["steps"])
    assert "tasks.py test" in steps and "tasks.py book" in steps
    assert any(s.get("with", {}).get("cache") == "pip" for s in jobs["build"]["steps"])


def test_every_install_address_uses_the_one_repository_url():
    """The repository URL is set once, in _config.yml; prose that repeats it must agree."""
    url = repository_url()
    files = [*(ROOT / "book").glob("*.md"), ROOT / "README.md", ROOT / "code" / "README.md"]
    for path in files:
        for found in re.findall(
            r"git\+(https://github\.com/[\w.\-]+/[\w.\-]+?)(?:\.git)?@",
            path.read_text(encoding="utf-8"),
        ):
            assert found == url, f"{path.name}: {found} differs from {url}"


def test_tests_import_helpers_not_conftest():
    """Fixtures come from conftest.py by injection; plain helpers are imported from helpers.py."""
    pattern = re.compile(r"^\s*(from conftest import|import conftest)", re.M)
    for folder in (ROOT / "tests", ROOT / "code" / "tests"):
        for path in sorted(folder.glob("*.py")):
            assert not pattern.search(path.read_text(encoding="utf-8")), path.name


def test_code_and_text_licences_are_named_everywhere():
    code = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert code.startswith("MIT License") and "Permission is hereby granted" in code
    text = (ROOT / "LICENSE-text.md").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in text and "https://creativecommons.org/licenses/by-sa/4.0/" in text
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(LICENSE)" in readme and "(LICENSE-text.md)" in readme
    pyproject = (ROOT / "code" / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^license = "MIT"', pyproject, re.M), "the package declares its licence"
    footer = config()["html"]["extra_footer"]
    assert "creativecommons.org/licenses/by-sa/4.0" in footer and "MIT" in footer


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ci_builds_the_book_once():
    """The suite's strict build lands in the checkout's _build/; the site step reuses its cache.

    So the README's build command after the tests executes no cell again, and stays strict.
    """
    steps = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["build"]["steps"]
    runs = [step.get("run", "") for step in steps]
    test = next(i for i, run in enumerate(runs) if "tasks.py test" in run)
    book = next(i for i, run in enumerate(runs) if "tasks.py book" in run)
    assert test < book, "the site is built after the suite, from its cache"
    env = steps[test].get("env", {})
    assert (ROOT / env[BUILD_DIR_VARIABLE]).resolve() == ROOT, "the suite builds into _build/"
    assert env.get("CHROMIUM"), "the browser test needs the runner's browser named"
    upload = next(s for s in steps if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "_build/html"
    # Same strict command in both steps, and a cache to reuse.
    assert _module(ROOT / "tasks.py").BUILD_ARGS == BUILD_ARGS
    assert {"-W", "-n", "--keep-going"} <= set(BUILD_ARGS)
    assert config()["execute"]["execute_notebooks"] == "cache"
    # The variable is not a setting of the book: it must not change the cache key.
    handbook = _module(ROOT / "book" / "_ext" / "handbook.py")
    assert handbook.fingerprint([], environ={BUILD_DIR_VARIABLE: "."}) == handbook.fingerprint(
        [], environ={}
    )


def test_ci_installs_a_browser_for_the_browser_test():
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "command -v chromium" in run and "apt-get install" in run
    assert run.index("apt-get install") < run.index("python3 tasks.py test")
