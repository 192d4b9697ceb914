"""What every child process of the service shares: priority and how it is stopped."""

from __future__ import annotations

import trio

#: Exit statuses of ``nice`` when it cannot run the program it was given.
NICE_CANNOT_RUN = {126: "it is not executable", 127: "it was not found"}


def niced(argv: list[str], nice: int) -> list[str]:
    """``argv`` run at niceness ``nice`` (unchanged for 0).

    ``nice`` execs the program in its own place, so the process that a cancel
    kills is the program itself.
    """
    return ["nice", "-n", str(nice), *argv] if nice else argv


def cannot_run(program: str, returncode: int, nice: int) -> str | None:
    """Why ``program`` did not run at all, judging by ``nice``'s exit status; else None."""
    if nice and returncode in NICE_CANNOT_RUN:
        return f"cannot run {program!r}: {NICE_CANNOT_RUN[returncode]}"
    return None


async def kill_at_once(process: trio.Process) -> None:
    """``deliver_cancel`` for children with nothing to flush: SIGKILL, no grace period.

    trio's default sends SIGTERM and waits five seconds before SIGKILL; a hung
    ffprobe or ffmpeg gains nothing from that wait and a cancelled job would sit in it.
    """
    process.kill()
    await trio.lowlevel.checkpoint()
