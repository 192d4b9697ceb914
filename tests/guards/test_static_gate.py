"""The static gate (ruff's ASYNC and banned-API rules, flake8-async's trio rules) fires."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SNIPPET = Path(__file__).with_name("snippet_blocking.txt")
EXPECT = re.compile(r"#\s*expect:\s*(.+)$")


def expected_codes(text: str) -> dict[int, set[str]]:
    found = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            found[number] = set(match.group(1).split())
    return found


def tool(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    return str(path) if path.exists() else shutil.which(name) or pytest.fail(f"{name} missing")


def gate(source: Path) -> dict[int, set[str]]:
    """Run both linters of the gate over ``source`` with the project's configuration."""
    ruff = subprocess.run(
        [
            tool("ruff"),
            "check",
            "--config",
            str(REPO / "pyproject.toml"),
            "--output-format",
            "json",
            "--no-cache",
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ruff.returncode in (0, 1), ruff.stderr
    reported: dict[int, set[str]] = {}
    for item in json.loads(ruff.stdout):
        reported.setdefault(item["location"]["row"], set()).add(item["code"])
    flake8 = subprocess.run(
        [tool("flake8"), "--config", str(REPO / ".flake8"), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert flake8.returncode in (0, 1), flake8.stderr
    for line in flake8.stdout.splitlines():
        _path, row, _col, rest = line.split(":", 3)
        reported.setdefault(int(row), set()).add(rest.split()[0])
    return reported


def test_every_blocking_call_and_trio_mistake_is_flagged(tmp_path: Path) -> None:
    """Each marked line of the snippet gets every code its marker names."""
    source = tmp_path / "snippet.py"
    source.write_text(SNIPPET.read_text())
    expected = expected_codes(source.read_text())
    assert len(expected) == 9

    reported = gate(source)

    missing = {
        line: sorted(codes - reported.get(line, set()))
        for line, codes in expected.items()
        if not codes <= reported.get(line, set())
    }
    assert missing == {}, f"unflagged (line: codes): {missing}; reported: {reported}"


def test_the_package_passes_the_gate() -> None:
    """The package itself is clean under the same gate."""
    problems = gate(REPO / "stoat_ferret")
    assert problems == {}
