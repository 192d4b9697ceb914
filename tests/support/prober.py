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

    def pids(self) -> list[int]:
        """Process ids of every run so far (synchronous: read after the work is done)."""
        if not self.pid_log.exists():
            return []
        return [int(line) for line in self.pid_log.read_text().split()]

    def spawn_count(self) -> int:
        return len(self.pids())


def make_prober(directory: Path, mode: str) -> FakeProber:
    """Write a prober wrapper into ``directory`` running :mod:`fake_prober` in ``mode``."""
    directory.mkdir(parents=True, exist_ok=True)
    pid_log = directory / f"pids-{mode.replace('=', '-')}.log"
    script = directory / f"ffprobe-{mode.replace('=', '-')}"
    script.write_text(
        "#!/bin/sh\n"
        f"echo $$ >> {shlex.quote(str(pid_log))}\n"
        f"exec {shlex.quote(sys.executable)} {shlex.quote(str(FAKE_PROBER))} "
        f'{shlex.quote(mode)} "$@"\n'
    )
    script.chmod(0o755)
    return FakeProber(script, pid_log)


def process_exists(pid: int) -> bool:
    """Whether ``pid`` is still a process (a zombie that was never reaped counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
