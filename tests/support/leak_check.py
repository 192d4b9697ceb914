"""Leak checks around every test: child processes, file descriptors, SQLite files.

After each test (and all its fixtures) has finished, the test fails if it left
behind a child process of the test run, more open file descriptors than it
started with, or an open SQLite database, journal or WAL file (each counted
against what was there when the test began, so one leak is reported once). Job-runner
tasks are checked where they live: the live-server and service fixtures assert
that the runner holds no job once the service has stopped.

Linux only (it reads /proc).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .prober import children_of

_SQLITE_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal", ".sqlite")


def open_fds() -> dict[int, str]:
    """This process's open file descriptors and what each refers to."""
    found = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            found[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue  # the descriptor listdir itself used, already closed
    return found


def living_children() -> list[str]:
    """Child processes of the test run that have not been reaped, with their commands."""
    described = []
    for pid in children_of(os.getpid()):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        described.append(f"{pid}: {command or '(zombie)'}")
    return described


class Leak(AssertionError):
    """A test left something behind."""


@pytest.fixture(autouse=True)
def no_leaks() -> Iterator[None]:
    """Fail the test (at teardown, after every other fixture) if it leaked anything."""
    children_before = set(living_children())
    before = open_fds()
    yield
    problems = []
    children = sorted(set(living_children()) - children_before)
    if children:
        problems.append(f"child processes still running: {children}")
    after = open_fds()
    sqlite_files = sorted(
        {t for fd, t in after.items() if t.endswith(_SQLITE_SUFFIXES) and before.get(fd) != t}
    )
    if sqlite_files:
        problems.append(f"SQLite files still open: {sqlite_files}")
    if len(after) > len(before):
        new = {fd: target for fd, target in after.items() if before.get(fd) != target}
        problems.append(f"{len(after) - len(before)} more open file descriptors: {new}")
    if problems:
        raise Leak("the test left behind:\n  " + "\n  ".join(problems))
