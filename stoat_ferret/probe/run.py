"""Run ``ffprobe`` on one file, through :func:`~stoat_ferret.children.run_tool`."""

from __future__ import annotations

import os

import trio

from ..children import ToolFailed, ToolMissing, ToolTimeout, niced, run_tool, summarize_stderr
from .errors import EmptyFile, ProbeFailed, ProberMissing, ProbeTimeout
from .parse import ProbeResult, parse_probe_output


def probe_arguments(ffprobe: str, path: str) -> list[str]:
    """The ffprobe argv for ``path``.

    The path goes last, behind the ``file:`` protocol and as an absolute path, so a
    name that starts with ``-`` is never read as an option and a name holding ``:``
    is never read as another protocol.
    """
    return [
        ffprobe,
        "-hide_banner",
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        "file:" + os.path.abspath(path),
    ]


def probe_command(ffprobe: str, path: str, *, nice: int = 0) -> list[str]:
    """The command line that runs ffprobe on ``path`` at ``nice`` priority (for benchmarks)."""
    return niced(probe_arguments(ffprobe, path), nice)


async def probe_file(
    path: str,
    *,
    file_size: int,
    ffprobe: str,
    # Handed to run_tool, which kills ffprobe on it; reported as ProbeTimeout.
    timeout: float | None = None,  # noqa: ASYNC109
    nice: int = 0,
) -> ProbeResult:
    """Probe ``path`` and return what it holds.

    ``file_size`` comes from the caller's ``stat`` so a probe does not touch the disk
    again for it. ``nice`` lowers ffprobe's CPU priority so that, with every core
    probing, the event loop still gets the CPU promptly. Raises a
    :class:`~stoat_ferret.probe.errors.ProbeError` subclass naming the file and the
    reason; :class:`ProbeTimeout` after ``timeout`` seconds. A timeout or a cancel
    kills ffprobe (and anything it started) and reaps it.
    """
    if file_size == 0:
        await trio.lowlevel.checkpoint()
        raise EmptyFile(path, "the file is empty (0 bytes)")
    try:
        output = await run_tool(
            probe_arguments(ffprobe, path), timeout=timeout, nice=nice, label="ffprobe"
        )
    except ToolMissing as exc:
        raise ProberMissing(path, exc.reason) from exc
    except ToolTimeout as exc:
        raise ProbeTimeout(path, exc.reason) from exc
    except ToolFailed as exc:
        raise ProbeFailed(
            path, _strip_path(summarize_stderr(exc.stderr), path) or exc.reason
        ) from exc
    return parse_probe_output(path, output, file_size=file_size)


def _strip_path(message: str, path: str) -> str:
    for prefix in ("file:" + os.path.abspath(path) + ": ", os.path.abspath(path) + ": "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message
