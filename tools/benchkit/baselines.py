"""The same work done the plain way: ``xargs -P <cpus>`` running one program per file."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import trio

from stoat_ferret.probe.run import probe_command
from stoat_ferret.thumbs.ffmpeg import frame_time, strip_command, thumbnail_command
from stoat_ferret.thumbs.strips import strip_times

from .measure import Stopwatch, Timed
from .workspace import CLIP_FRAMES, CLIP_RATE, CLIP_SECONDS, Workspace, expect

#: Frames in each scrub strip, as the service makes them by default.
STRIP_FRAMES = 16


def xargs(argv_per_file: Sequence[list[str]], cpus: int) -> tuple[list[str], bytes]:
    """``xargs`` argv running each file's argv, ``cpus`` at a time, and its NUL-separated input.

    The files' argvs must differ only in their last argument.
    """
    payload = b"\0".join(os.fsencode(argv[-1]) for argv in argv_per_file)
    return ["xargs", "-0", "-P", str(cpus), "-n", "1", *argv_per_file[0][:-1]], payload


def probe_argvs(ws: Workspace, files: Sequence[Path]) -> list[list[str]]:
    """The service's own ffprobe argv for each file (``file:`` + absolute path, last)."""
    return [probe_command(ws.ffprobe, str(path)) for path in files]


def picture_xargs(
    ws: Workspace, argv: list[str], files: Sequence[Path], out: Path, suffix: str
) -> tuple[list[str], bytes]:
    """xargs running ``argv`` (made for ``/SOURCE`` into ``/TARGET``) per file, ``cpus`` at once.

    Source and target both vary per file, so each run goes through ``sh -c`` (which
    ``exec``s ffmpeg): the picture of ``dir/name`` goes to ``out/name`` + ``suffix``.
    """
    words = {"file:/SOURCE": '"file:$1"', "file:/TARGET": f'"file:$0/$(basename "$1"){suffix}"'}
    script = "exec " + " ".join(words.get(arg, shlex.quote(arg)) for arg in argv)
    payload = b"\0".join(os.fsencode(path) for path in files)
    return ["xargs", "-0", "-P", str(ws.cpus), "-n", "1", "sh", "-c", script, str(out)], payload


def thumbnail_xargs(ws: Workspace, files: Sequence[Path], out: Path) -> tuple[list[str], bytes]:
    """xargs running the service's ffmpeg thumbnail argv per file."""
    argv = thumbnail_command(ws.ffmpeg, "/SOURCE", "/TARGET", at_seconds=frame_time(CLIP_SECONDS))
    return picture_xargs(ws, argv, files, out, ".jpg")


def strip_xargs(ws: Workspace, files: Sequence[Path], out: Path) -> tuple[list[str], bytes]:
    """xargs running the service's ffmpeg scrub-strip argv (one run per file) per file."""
    times = strip_times(
        STRIP_FRAMES,
        duration_seconds=CLIP_SECONDS,
        duration_frames=CLIP_FRAMES,
        frame_rate=Fraction(CLIP_RATE),
    )
    argv = strip_command(ws.ffmpeg, "/SOURCE", "/TARGET", times=times)
    return picture_xargs(ws, argv, files, out, ".strip.jpg")


def run_sync(command: list[str], payload: bytes) -> Timed:
    """Run an xargs baseline synchronously: only call it while no server runs."""
    watch = Stopwatch()
    done = subprocess.run(command, input=payload, capture_output=True, check=False)
    timed = watch.stop()
    expect(done.returncode == 0, f"xargs failed: {done.stderr.decode(errors='replace')[:500]}")
    return timed


async def run_async(command: list[str], payload: bytes) -> Timed:
    """The same run as a trio child process (for use while a server or pool runs)."""
    watch = Stopwatch()
    await trio.run_process(command, stdin=payload, capture_stdout=True, capture_stderr=True)
    return watch.stop()


def probe_baseline(ws: Workspace, files: Sequence[Path]) -> Timed:
    """``xargs -P <cpus> ffprobe`` over ``files``, synchronously."""
    return run_sync(*xargs(probe_argvs(ws, files), ws.cpus))


async def probe_baseline_async(ws: Workspace, files: Sequence[Path]) -> Timed:
    return await run_async(*xargs(probe_argvs(ws, files), ws.cpus))


def thumbnail_baseline(ws: Workspace, files: Sequence[Path], out: Path) -> Timed:
    """``xargs -P <cpus> ffmpeg`` making a thumbnail of each of ``files``, synchronously."""
    return run_sync(*thumbnail_xargs(ws, files, out))


def pictures_baseline(ws: Workspace, files: Sequence[Path], out: Path) -> Timed:
    """What a thumbnails job makes, the plain way: ``xargs -P <cpus> ffmpeg`` making each
    file's thumbnail, then again making each file's scrub strip; both runs together."""
    thumbs = run_sync(*thumbnail_xargs(ws, files, out))
    strips = run_sync(*strip_xargs(ws, files, out))
    return Timed(thumbs.seconds + strips.seconds, thumbs.cpu.plus(strips.cpu))
