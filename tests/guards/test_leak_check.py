"""The leak checks catch a leftover child process, file descriptor and SQLite connection."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_each_kind_of_leak_fails_its_test(tmp_path: Path) -> None:
    """Run by pytest with the leak check, each leaking test errors and the clean one passes."""
    (tmp_path / "test_planted.py").write_text(
        textwrap.dedent(
            """
            import sqlite3
            import subprocess

            kept = []

            def test_leaves_a_child():
                kept.append(subprocess.Popen(["sleep", "30"]))

            def test_leaves_a_file_open(tmp_path):
                kept.append(open(tmp_path / "notes.txt", "w"))

            def test_leaves_a_database_open(tmp_path):
                kept.append(sqlite3.connect(tmp_path / "library.db"))
                kept[-1].execute("CREATE TABLE t (x)")

            def test_clean(tmp_path):
                with open(tmp_path / "notes.txt", "w") as f:
                    f.write("closed again")
            """
        )
    )
    (tmp_path / "conftest.py").write_text(
        "import pytest\n\n"
        "def pytest_sessionfinish(session):\n"
        "    from test_planted import kept\n"
        "    for thing in kept:\n"
        "        getattr(thing, 'kill', lambda: None)()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.support.leak_check", "-q", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "4 passed, 3 errors" in out, out
    assert "ERROR test_planted.py::test_leaves_a_child - " in out
    assert "child processes still running" in out
    assert "ERROR test_planted.py::test_leaves_a_file_open - " in out
    assert "more open file descriptors" in out
    assert "ERROR test_planted.py::test_leaves_a_database_open - " in out
    assert "SQLite files still open" in out
