"""Fake prober executables and process-liveness checks."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import attrs

FAKE_PROBER = Path(__file__).with_name("fake_prober.py")


@attrs.frozen
class FakeProber:
    """An executable to set as ``ffprobe_path``, and where it logs the pids it ran as."""

    path: Path
    pid_log: Path
    #: Where a forking wrapper logs the pid of the child it leaves running in the background.
    child_log: Path | None = None

    def pids(self) -> list[int]:
        """Process ids of every run so far (synchronous: read after the work is done)."""
        return _read_pids(self.pid_log)

    def spawn_count(self) -> int:
        return len(self.pids())

    def child_pids(self) -> list[int]:
        """Process ids of the background children the wrapper forked (forking wrappers only)."""
        assert self.child_log is not None, "this wrapper forks no child"
        return _read_pids(self.child_log)


def _read_pids(log: Path) -> list[int]:
    if not log.exists():
        return []
    return [int(line) for line in log.read_text().split()]


def make_prober(directory: Path, mode: str, *, fork_child: bool = False) -> FakeProber:
    """Write a prober wrapper into ``directory`` running :mod:`fake_prober` in ``mode``.

    With ``fork_child``, the wrapper first starts a long-lived child of its own in the
    background (``sleep``, holding the wrapper's stdout and stderr), as a wrapper script
    around a real tool might, and logs that child's pid too.
    """
    directory.mkdir(parents=True, exist_ok=True)
    name = mode.replace("=", "-") + ("-forking" if fork_child else "")
    pid_log = directory / f"pids-{name}.log"
    child_log = directory / f"children-{name}.log" if fork_child else None
    lines = ["#!/bin/sh", f"echo $$ >> {shlex.quote(str(pid_log))}"]
    if child_log is not None:
        lines += ["sleep 3600 &", f"echo $! >> {shlex.quote(str(child_log))}"]
    lines.append(
        f"exec {shlex.quote(sys.executable)} {shlex.quote(str(FAKE_PROBER))} "
        f'{shlex.quote(mode)} "$@"'
    )
    script = directory / f"ffprobe-{name}"
    script.write_text("\n".join(lines) + "\n")
    script.chmod(0o755)
    return FakeProber(script, pid_log, child_log)


def process_exists(pid: int) -> bool:
    """Whether ``pid`` is still a process (a zombie that was never reaped counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not exited.

    A zombie (exited, waiting for its parent to collect its status) is not running:
    an orphan's zombie waits for init, which this test run does not control.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in (b"Z", b"X")


def children_of(pid: int) -> list[int]:
    """Direct child processes of ``pid``, from /proc (Linux)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found
