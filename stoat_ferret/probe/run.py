"""Run ``ffprobe`` on one file, through ``trio.run_process``."""

from __future__ import annotations

import os
import subprocess

import trio

from ..children import cannot_run, kill_at_once, niced
from .errors import EmptyFile, ProbeFailed, ProberMissing, ProbeTimeout
from .parse import ProbeResult, parse_probe_output, summarize_stderr


def probe_command(ffprobe: str, path: str, *, nice: int = 0) -> list[str]:
    """The ffprobe argv for ``path``, run at ``nice`` priority when that is not 0.

    The path goes last, behind the ``file:`` protocol and as an absolute path, so a
    name that starts with ``-`` is never read as an option and a name holding ``:``
    is never read as another protocol.
    """
    return niced(
        [
            ffprobe,
            "-hide_banner",
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            "file:" + os.path.abspath(path),
        ],
        nice,
    )


async def probe_file(path: str, *, file_size: int, ffprobe: str, nice: int = 0) -> ProbeResult:
    """Probe ``path`` and return what it holds.

    ``file_size`` comes from the caller's ``stat`` so a probe does not touch the disk
    again for it. ``nice`` lowers ffprobe's CPU priority so that, with every core
    probing, the event loop still gets the CPU promptly. Raises a
    :class:`~stoat_ferret.probe.ProbeError` subclass naming the file and the reason.
    Cancelling the caller kills and reaps the child; bound it with
    :func:`probe_with_timeout` (or ``trio.fail_after``) at the call site.
    """
    if file_size == 0:
        await trio.lowlevel.checkpoint()
        raise EmptyFile(path, "the file is empty (0 bytes)")
    try:
        completed = await trio.run_process(
            probe_command(ffprobe, path, nice=nice),
            capture_stdout=True,
            capture_stderr=True,
            check=False,
            stdin=subprocess.DEVNULL,
            deliver_cancel=kill_at_once,
        )
    except OSError as exc:
        raise ProberMissing(path, f"cannot run {ffprobe!r}: {exc.strerror or exc}") from exc
    missing = cannot_run(ffprobe, completed.returncode, nice)
    if missing is not None:
        raise ProberMissing(path, missing)
    if completed.returncode != 0:
        message = _strip_path(summarize_stderr(completed.stderr), path)
        raise ProbeFailed(
            path,
            message or f"ffprobe exited with status {completed.returncode}",
        )
    return parse_probe_output(path, completed.stdout, file_size=file_size)


def _strip_path(message: str, path: str) -> str:
    for prefix in ("file:" + os.path.abspath(path) + ": ", os.path.abspath(path) + ": "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


async def probe_with_timeout(
    path: str, *, file_size: int, ffprobe: str, seconds: float, nice: int = 0
) -> ProbeResult:
    """:func:`probe_file`, killing ffprobe and raising :class:`ProbeTimeout` after ``seconds``."""
    try:
        with trio.fail_after(seconds):
            return await probe_file(path, file_size=file_size, ffprobe=ffprobe, nice=nice)
    except trio.TooSlowError as exc:
        raise ProbeTimeout(path, f"ffprobe took longer than {seconds:g}s") from exc
