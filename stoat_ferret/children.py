"""Running external programs (ffprobe, ffmpeg): the one way the service starts a child.

:func:`run_tool` runs a program, collects what it prints, and classifies how it ended:

ToolError                 program, reason (a sentence a person can act on)
 ├── ToolMissing          the program could not be started at all
 ├── ToolTimeout          it ran longer than allowed, and was killed
 └── ToolFailed           it exited with a non-zero status (returncode, stderr)

Each child runs in a session and process group of its own. On a timeout, a cancel
or a shutdown the whole group gets SIGKILL at once, so a wrapper script's own
children die with it, and then the child is reaped before :func:`run_tool` returns.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
from collections.abc import Sequence

import trio

#: Exit statuses of ``nice`` when it cannot run the program it was given.
NICE_CANNOT_RUN = {126: "it is not executable", 127: "it was not found"}


class ToolError(Exception):
    """An external program did not do its job; ``reason`` says why."""

    def __init__(self, program: str, reason: str) -> None:
        super().__init__(reason)
        self.program = program
        self.reason = reason


class ToolMissing(ToolError):
    """The program could not be started (not found, not executable)."""


class ToolTimeout(ToolError):
    """The program ran longer than ``seconds``; its process group was killed."""

    def __init__(self, program: str, reason: str, *, seconds: float) -> None:
        super().__init__(program, reason)
        self.seconds = seconds


class ToolFailed(ToolError):
    """The program exited with a non-zero ``returncode``; ``stderr`` is what it printed."""

    def __init__(self, program: str, reason: str, *, returncode: int, stderr: bytes) -> None:
        super().__init__(program, reason)
        self.returncode = returncode
        self.stderr = stderr


def niced(argv: Sequence[str], nice: int) -> list[str]:
    """``argv`` run at niceness ``nice`` (unchanged for 0).

    ``nice`` execs the program in its own place, so the process (and the process
    group) that a cancel kills is the program itself.
    """
    return ["nice", "-n", str(nice), *argv] if nice else list(argv)


def summarize_stderr(stderr: bytes, *, limit: int = 300) -> str:
    """The last meaningful line of a program's complaint, short enough for a job result."""
    text = stderr.decode("utf-8", "replace").strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    summary = lines[-1]
    return summary if len(summary) <= limit else summary[: limit - 1] + "…"


async def run_tool(
    argv: Sequence[str],
    *,
    # The time limit is part of the outcome run_tool classifies (ToolTimeout, worded by
    # `label`); every caller would otherwise repeat fail_after and its translation.
    timeout: float | None = None,  # noqa: ASYNC109
    nice: int = 0,
    label: str | None = None,
) -> bytes:
    """Run ``argv`` to the end and return what it printed on stdout.

    ``nice`` lowers the child's CPU priority (0 keeps the server's). ``label`` names
    the run in messages (default: the program), e.g. ``"ffprobe took longer than
    30s"``. Raises :class:`ToolMissing`, :class:`ToolTimeout` (after ``timeout``
    seconds) or :class:`ToolFailed`. Cancelling the caller kills the child's whole
    process group and reaps the child before the cancellation goes on.
    """
    program = argv[0]
    label = label or program
    try:
        process = await trio.lowlevel.open_process(
            niced(argv, nice),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise ToolMissing(program, f"cannot run {program!r}: {exc.strerror or exc}") from exc
    stdout = bytearray()
    stderr = bytearray()
    try:
        with trio.fail_after(math.inf if timeout is None else timeout):
            returncode = await _run_to_end(process, stdout, stderr)
    except trio.TooSlowError as exc:
        raise ToolTimeout(
            program, f"{label} took longer than {timeout:g}s", seconds=timeout or 0
        ) from exc
    if nice and returncode in NICE_CANNOT_RUN:
        raise ToolMissing(program, f"cannot run {program!r}: {NICE_CANNOT_RUN[returncode]}")
    if returncode != 0:
        reason = summarize_stderr(bytes(stderr)) or f"{label} exited with status {returncode}"
        raise ToolFailed(program, reason, returncode=returncode, stderr=bytes(stderr))
    return bytes(stdout)


async def _run_to_end(process: trio.Process, stdout: bytearray, stderr: bytearray) -> int:
    """Collect ``process``'s output until it closes both pipes, then reap it; its status.

    Both pipes are read to their end before the child is reaped: until it is reaped,
    its process group id cannot be anyone else's, so killing the group stays safe for
    as long as there may be something in it to kill. On any exception (a timeout, a
    cancel, the server's shutdown) the whole group is killed and the child reaped.
    """
    try:
        async with trio.open_nursery() as nursery:
            assert process.stdout is not None
            assert process.stderr is not None
            nursery.start_soon(_collect, process.stdout, stdout)
            nursery.start_soon(_collect, process.stderr, stderr)
        return await process.wait()
    except BaseException:
        kill_group(process)
        with trio.CancelScope(shield=True):
            await process.wait()
        raise


def kill_group(process: trio.Process) -> None:
    """SIGKILL ``process``'s whole process group at once, without a grace period.

    ``process`` must lead a group of its own (``start_new_session=True``) and must
    not have been reaped yet. trio's default on cancel is SIGTERM to the child
    alone and five seconds' wait; a hung ffprobe or ffmpeg gains nothing from the
    wait, and a wrapper's own children would be left running.
    """
    # ProcessLookupError: every member has exited already (the leader is a zombie
    # until it is reaped, so the group id cannot name anyone else's group).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


async def _collect(stream: trio.abc.ReceiveStream, into: bytearray) -> None:
    async with stream:
        async for chunk in stream:
            into.extend(chunk)
