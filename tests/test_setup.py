"""The set-up commands: what tools/bootstrap.sh installs, and that README, CI and .ci/run agree.

The bootstrap runs for real, with apt-get, the tools it looks for and the virtualenv's
Python replaced by stubs that log how they were called.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import stoat_ferret

REPO = Path(stoat_ferret.__file__).resolve().parent.parent
RUN_COMMAND = "bash tools/bootstrap.sh && .venv/bin/stoat-ferret serve"
TEST_COMMAND = "bash tools/bootstrap.sh --test && bash tools/test.sh"


def stub(path: Path, body: str) -> None:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def bootstrap(tmp_path: Path, *args: str, have_ffmpeg: bool) -> tuple[int, list[str]]:
    """Run a copy of tools/bootstrap.sh among stubs; its exit status and the stubs' calls."""
    repo, bin_dir, log = tmp_path / "repo", tmp_path / "bin", tmp_path / "calls.log"
    (repo / "tools").mkdir(parents=True)
    shutil.copy(REPO / "tools" / "bootstrap.sh", repo / "tools" / "bootstrap.sh")
    (repo / ".venv" / "bin").mkdir(parents=True)
    stub(repo / ".venv" / "bin" / "python", f'echo "python $*" >> {log}')
    bin_dir.mkdir()
    # Only these programs are on PATH: the real ffprobe and chromium must not be found.
    for tool in ("dirname", "id", "env", "sed"):
        found = shutil.which(tool)
        assert found is not None, tool
        (bin_dir / tool).symlink_to(found)
    stub(bin_dir / "apt-get", f'echo "apt-get $*" >> {log}')
    stub(bin_dir / "sudo", 'exec "$@"')
    if have_ffmpeg:
        stub(bin_dir / "ffprobe", "exit 0")
        stub(bin_dir / "ffmpeg", "exit 0")
    done = subprocess.run(
        ["/bin/bash", str(repo / "tools" / "bootstrap.sh"), *args],
        env={"PATH": str(bin_dir), "CHROMIUM": str(tmp_path / "no-chromium")},
        capture_output=True,
        text=True,
        check=False,
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return done.returncode, calls


PIP_UPGRADE = "python -m pip install --quiet --disable-pip-version-check --upgrade pip"


def test_the_run_set_up_installs_only_what_running_needs(tmp_path: Path) -> None:
    """Without --test: ffmpeg and the package with its libav extra; no browser, no test tools."""
    status, calls = bootstrap(tmp_path, have_ffmpeg=False)

    assert status == 0
    assert calls == [
        "apt-get update -qq",
        "apt-get install -y -qq ffmpeg",
        PIP_UPGRADE,
        "python -m pip install --quiet --disable-pip-version-check -e .[libav]",
    ]


def test_the_test_set_up_adds_chromium_and_the_test_tools(tmp_path: Path) -> None:
    """With --test: chromium too, and the package with its test and libav extras."""
    status, calls = bootstrap(tmp_path, "--test", have_ffmpeg=True)

    assert status == 0
    assert calls == [
        "apt-get update -qq",
        "apt-get install -y -qq chromium",
        PIP_UPGRADE,
        "python -m pip install --quiet --disable-pip-version-check -e .[test,libav]",
    ]


def test_an_unknown_argument_is_refused(tmp_path: Path) -> None:
    """A misspelt option exits 2 and installs nothing."""
    assert bootstrap(tmp_path, "--tests", have_ffmpeg=False) == (2, [])


def readme_commands() -> list[str]:
    """The commands of the README's first code block."""
    block = re.search(r"```sh\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    assert block is not None
    return [line for line in block[1].splitlines() if line and not line.startswith("#")]


def test_readme_ci_and_ci_run_name_the_same_commands() -> None:
    """The README's two set-up commands are these; .ci/run runs the test one; CI runs .ci/run."""
    assert readme_commands() == [RUN_COMMAND, TEST_COMMAND]
    ci_run = (REPO / ".ci" / "run").read_text().splitlines()
    assert ci_run[-1] == TEST_COMMAND
    workflow = (REPO / ".github" / "workflows" / "ci.yml").read_text()
    assert "image: python:3.11-bookworm" in workflow
    assert re.findall(r"run: (.*)", workflow) == ["bash .ci/run"]


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="only where CI runs the workflow")
def test_ci_runs_on_debian_bookworm_with_python_3_11() -> None:
    """In CI, the job runs where the README promises: Debian 12 and Python 3.11."""
    release = Path("/etc/os-release").read_text()
    assert "VERSION_CODENAME=bookworm" in release
    assert sys.version_info[:2] == (3, 11)
