"""The Linux install commands of book/installation.md, run exactly as the page shows them.

The commands are not copied here: they are read from the page's source, from the block

    ```{code-block} bash
    :name: installation-linux-commands
    ...
    ```

and run with bash in a fresh temporary folder — new virtual environment, pip installs, the
verification, the Jupyter kernel registration. Edit a line on the page and this test runs the
edited line.

What the test adds around the commands, without changing them:

* ``python3`` on ``PATH`` is the interpreter the handbook is tested with (the base Python of the
  running virtual environment);
* ``PIP_CONSTRAINT`` holds the exact versions of ``requirements.txt``, so ``pip install
  tensorflow`` installs the tested TensorFlow rather than whatever is newest today;
* git's ``url.<base>.insteadOf`` points the page's ``git+https`` address of the repository (the
  one in ``_config.yml``) at a local Git repository holding this working tree's ``code/`` on a
  ``main`` branch, so the package under test is installed the way students install it, offline;
* ``JUPYTER_DATA_DIR`` keeps the kernel registration (``--user``) inside the temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ROOT, pinned_versions, repository_url

PAGE = ROOT / "book" / "installation.md"
LINUX_BLOCK = "installation-linux-commands"

_OPENING = re.compile(r"^(?P<fence>`{3,}|~{3,})\{code-block\}[ \t]*(?P<lang>\S*)[ \t]*$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")


def code_block(source: str, name: str) -> tuple[str, str]:
    """Language and body of the MyST ``{code-block}`` whose ``:name:`` option is ``name``."""
    lines = source.splitlines()
    for start, line in enumerate(lines):
        opening = _OPENING.match(line.strip())
        if not opening:
            continue
        fence = opening["fence"]
        options, i = {}, start + 1
        while i < len(lines) and (option := _OPTION.match(lines[i].strip())):
            options[option["key"]] = option["value"].strip()
            i += 1
        end = i
        while end < len(lines) and not (
            lines[end].strip().startswith(fence[0] * len(fence))
            and not lines[end].strip().strip(fence[0])
        ):
            end += 1
        if options.get("name") == name:
            body = "\n".join(lines[i:end]).strip("\n")
            return opening["lang"], body + "\n"
    raise LookupError(f"no {{code-block}} with :name: {name} in {PAGE}")


def page_block(name: str) -> tuple[str, str]:
    return code_block(PAGE.read_text(encoding="utf-8"), name)


# ---------------------------------------------------------------------------------------------
# Fast checks of the page's command blocks


def test_the_code_block_reader_handles_options_and_fences():
    source = (
        "text\n```{code-block} bash\n:caption: other\n\necho no\n```\n"
        "::::{tab-set}\n:::{tab-item} Linux\n````{code-block} bash\n:name: wanted\n"
        ":caption: A caption\n\nset -x\necho ```yes```\n````\n:::\n::::\n"
    )
    assert code_block(source, "wanted") == ("bash", "set -x\necho ```yes```\n")
    with pytest.raises(LookupError):
        code_block(source, "missing")


def test_the_linux_block_creates_a_venv_installs_and_verifies():
    lang, body = page_block(LINUX_BLOCK)
    assert lang == "bash"
    commands = [line for line in body.splitlines() if line.strip()]
    assert any("-m venv" in line for line in commands)
    assert any(line.startswith("source ") and "activate" in line for line in commands)
    assert any(re.search(r"pip install .*\btensorflow\b", line) for line in commands)
    assert any("pw06.installation" in line for line in commands)
    assert any("ipykernel install" in line for line in commands)


def test_every_install_or_clone_address_is_the_configured_repository():
    url = repository_url()
    text = PAGE.read_text(encoding="utf-8")
    addresses = re.findall(r"(?:git\+|git clone )(https://github\.com/[\w.\-]+/[\w.\-]+)", text)
    assert len(addresses) >= 5, "pip installs and clones of the repository, in every route"
    for address in addresses:
        assert address.removesuffix(".git") == url, address
    assert f"git+{url}.git@main#subdirectory=code" in page_block(LINUX_BLOCK)[1]


def test_the_macos_block_is_the_linux_block():
    assert page_block("installation-macos-commands") == page_block(LINUX_BLOCK)


def test_the_windows_block_installs_the_same_packages():
    _, linux = page_block(LINUX_BLOCK)
    lang, windows = page_block("installation-windows-commands")
    assert lang == "powershell"
    shared = [line for line in windows.splitlines() if line.startswith(("python -m", "python -c"))]
    assert len(shared) >= 6
    for line in shared:
        assert line in linux.splitlines(), line


# ---------------------------------------------------------------------------------------------
# The slow test: run the Linux block


def _constraints(path: Path) -> Path:
    pins = [f"{name}=={version}" for name, version in sorted(pinned_versions().items())]
    path.write_text("\n".join(pins) + "\n", encoding="utf-8")
    return path


def _local_repository(folder: Path) -> Path:
    """A Git repository with this working tree's ``code/`` on branch ``main``."""
    repo = folder / "pw06-handbook.git"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", ".*cache")
    shutil.copytree(ROOT / "code", repo / "code", ignore=ignore)
    git_env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
    }
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "commit.gpgsign=false", "commit", "-q", "-m", "code under test"],
    ):
        subprocess.run(["git", *args], cwd=repo, env=git_env, check=True, capture_output=True)
    (folder / "pw06-handbook").symlink_to(repo)  # the address without ".git" works too
    return folder / "pw06-handbook"


def _environment(tmp_path: Path) -> dict[str, str]:
    shims = tmp_path / "bin"
    shims.mkdir()
    base_python = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
    (shims / "python3").symlink_to(base_python)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CONDA_PREFIX")
        and not key.startswith("GIT_CONFIG")
    }
    venv_bin = str(Path(sys.executable).parent)
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin]
    base = _local_repository(tmp_path / "git")
    env.update(
        PATH=os.pathsep.join([str(shims), *path]),
        PIP_CONSTRAINT=str(_constraints(tmp_path / "constraints.txt")),
        PIP_NO_INPUT="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter"),
        GIT_TERMINAL_PROMPT="0",
        GIT_CONFIG_COUNT="1",
        GIT_CONFIG_KEY_0=f"url.{base}.insteadOf",
        GIT_CONFIG_VALUE_0=repository_url(),
    )
    return env


@pytest.mark.slow
def test_the_linux_commands_of_the_page_install_and_verify(tmp_path):
    _, commands = page_block(LINUX_BLOCK)
    work = tmp_path / "work"
    work.mkdir()
    script = tmp_path / "commands.sh"
    script.write_text(commands, encoding="utf-8")
    log = tmp_path / "commands.log"

    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        result = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-x", str(script)],
            cwd=work,
            env=_environment(tmp_path),
            stdout=subprocess.PIPE,
            stderr=out,
            text=True,
            timeout=600,
        )
    seconds = time.perf_counter() - started
    stdout = result.stdout
    print(f"the page's Linux commands ran in {seconds:.0f} s")
    assert result.returncode == 0, (
        f"exit status {result.returncode}\n--- stdout\n{stdout[-3000:]}\n"
        f"--- stderr (bash -x trace)\n{log.read_text(encoding='utf-8')[-6000:]}"
    )

    # TensorFlow's own check, then the handbook's: the pinned versions, on this machine.
    pins = pinned_versions()
    assert "tf.Tensor(" in stdout
    assert "PW06 installation check: OK" in stdout, stdout
    assert re.search(rf"TensorFlow +{re.escape(pins['tensorflow'])}\b", stdout), stdout
    assert re.search(rf"Keras +{re.escape(pins['keras'])}\b", stdout), stdout

    # The check ran in the new environment, and Jupyter knows that environment as a kernel.
    kernel = json.loads(
        (tmp_path / "jupyter" / "kernels" / "pw06" / "kernel.json").read_text(encoding="utf-8")
    )
    assert kernel["display_name"] == "Python (pw06)"
    kernel_python = Path(kernel["argv"][0])
    assert kernel_python.is_relative_to(work), kernel_python
    assert f"({kernel_python})" in stdout or f"({kernel_python.parent}/python3)" in stdout
