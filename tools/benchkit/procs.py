"""Processes: this process's children, whether a pid lives, killing what a run left behind."""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence
from contextlib import suppress


def child_pids(parent: int) -> list[int]:
    """Direct children of ``parent`` per /proc (Linux). Synchronous: call it in a thread."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat_file:
                fields = stat_file.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is still a process; an unreaped zombie counts as alive."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ignores_sigterm(pid: int) -> bool:
    """Whether ``pid`` has set SIGTERM to be ignored (a hanging prober or worker has begun)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("SigIgn:"):
                    return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    except OSError:
        return False
    return False


def reap_survivors(pids: Sequence[int]) -> None:
    """SIGKILL processes the service left behind, by pid (this run started them)."""
    for pid in pids:
        if alive(pid):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
