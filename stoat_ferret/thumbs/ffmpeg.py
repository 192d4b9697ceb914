"""Running ffmpeg for thumbnails and scrub strips, through :func:`~stoat_ferret.children.run_tool`.

Every picture is written whole or not at all: to a ``.part`` file first
(:func:`partial_file`), renamed over its target once it holds a picture
(:func:`publish`), and removed on any failure or cancel.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import AsyncIterator, Sequence

import trio

from ..children import ToolError, ToolTimeout, run_tool
from .strips import STRIP_WIDTH, tile_scale

#: Width of thumbnails in pixels; the height follows the video's aspect ratio.
THUMBNAIL_WIDTH = 320


class ThumbnailFailed(Exception):
    """ffmpeg could not make a thumbnail; ``reason`` says why."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class ThumbnailTimeout(ThumbnailFailed):
    """ffmpeg took longer than the time allowed for one thumbnail, and was killed."""


def thumbnail_command(ffmpeg: str, source: str, target: str, *, at_seconds: float) -> list[str]:
    """ffmpeg argv writing the frame at ``at_seconds`` of ``source`` to ``target``.

    Both paths are absolute and behind ``file:``, so no file name is read as an
    option or a protocol.
    """
    return [
        ffmpeg,
        "-nostdin",
        "-hide_banner",
        "-v",
        "error",
        "-ss",
        f"{at_seconds:.3f}",
        "-i",
        "file:" + os.path.abspath(source),
        "-frames:v",
        "1",
        "-vf",
        f"scale={THUMBNAIL_WIDTH}:-2",
        "-q:v",
        "5",
        "-f",
        "image2",
        "-y",
        "file:" + os.path.abspath(target),
    ]


def frame_time(duration_seconds: float) -> float:
    """Where to take the picture: a tenth of the way in, at most 5 s (skips fades from black)."""
    return max(0.0, min(duration_seconds * 0.1, 5.0))


@contextlib.asynccontextmanager
async def partial_file(target: str) -> AsyncIterator[str]:
    """The ``.part`` path to write ``target``'s new picture to; removed when the block ends.

    Removed however the block ends (a failure, a timeout, a cancel), so nothing half
    written is left behind; :func:`publish` has renamed it over ``target`` by then if
    the picture was made.
    """
    partial = target + ".part"
    await trio.lowlevel.checkpoint()
    try:
        yield partial
    finally:
        with trio.CancelScope(shield=True), trio.move_on_after(5):
            await trio.to_thread.run_sync(_remove, partial)


async def publish(partial: str, target: str) -> bool:
    """Rename ``partial`` over ``target`` if it holds anything; whether it did."""
    if not await trio.to_thread.run_sync(_non_empty, partial):
        return False
    await trio.to_thread.run_sync(os.replace, partial, target)
    return True


def _deadline(timeout: float | None) -> float:
    return trio.current_time() + (math.inf if timeout is None else timeout)


def _left(deadline: float) -> float | None:
    return None if deadline == math.inf else max(deadline - trio.current_time(), 0)


async def make_thumbnail(
    source: str,
    target: str,
    *,
    duration_seconds: float,
    ffmpeg: str,
    # One deadline for both ffmpeg runs a thumbnail may take; reported as ThumbnailTimeout.
    timeout: float | None = None,  # noqa: ASYNC109
    nice: int = 0,
) -> None:
    """Write a JPEG of one frame of ``source`` to ``target``, replacing it whole.

    The picture goes to a temporary file first and is renamed over ``target``, so a
    reader never sees half an image, and a cancelled run leaves nothing behind.
    ``timeout`` bounds the whole thumbnail (both tries, when the first frame chosen
    gives no picture); past it, or on a cancel, ffmpeg is killed and reaped at once.
    Raises :class:`ThumbnailFailed` (:class:`ThumbnailTimeout` for the time limit).
    """
    deadline = _deadline(timeout)
    async with partial_file(target) as partial:
        for at in dict.fromkeys((frame_time(duration_seconds), 0.0)):
            command = thumbnail_command(ffmpeg, source, partial, at_seconds=at)
            await _run_ffmpeg(command, source, deadline=deadline, limit=timeout, nice=nice)
            if await publish(partial, target):
                return
        raise ThumbnailFailed(source, "ffmpeg produced no picture")


def strip_command(
    ffmpeg: str, source: str, target: str, *, times: Sequence[float], width: int = STRIP_WIDTH
) -> list[str]:
    """ffmpeg argv writing a scrub strip of ``source``'s frames at ``times`` to ``target``.

    One input per frame, each opened with its own ``-ss``: ffmpeg seeks to the
    keyframe before each time and decodes from there, so a strip of a long file
    costs ``len(times)`` short decodes, not a decode of the whole file. Each input
    keeps its first frame (at or after its time), turned upright (ffmpeg's
    autorotate), scaled by :func:`~stoat_ferret.thumbs.strips.tile_scale`, and
    ``hstack`` sets the frames side by side.
    """
    url = "file:" + os.path.abspath(source)
    inputs: list[str] = []
    chains: list[str] = []
    for index, at in enumerate(times):
        inputs += ["-ss", f"{at:.6f}", "-i", url]
        chains.append(f"[{index}:v:0]scale={tile_scale(width)},setsar=1,trim=end_frame=1[f{index}]")
    if len(times) > 1:
        labels = "".join(f"[f{index}]" for index in range(len(times)))
        chains.append(f"{labels}hstack=inputs={len(times)}[strip]")
        out = "[strip]"
    else:
        out = "[f0]"
    return [
        *(ffmpeg, "-nostdin", "-hide_banner", "-v", "error"),
        *inputs,
        *("-filter_complex", ";".join(chains), "-map", out),
        *("-frames:v", "1", "-q:v", "5", "-f", "image2", "-y"),
        "file:" + os.path.abspath(target),
    ]


def whole_file_strip_command(
    ffmpeg: str,
    source: str,
    target: str,
    *,
    count: int,
    duration_seconds: float,
    width: int = STRIP_WIDTH,
) -> list[str]:
    """ffmpeg argv for a strip decoded from the whole file, for when seeking found no frame.

    ``fps`` keeps ``count`` frames spread over ``duration_seconds``; ``tile`` sets them
    in one row, and fills with black what a file shorter than it claims cannot give.
    """
    rate = f"{count}/{max(duration_seconds, 0.001):.6f}"
    return [
        *(ffmpeg, "-nostdin", "-hide_banner", "-v", "error"),
        *("-i", "file:" + os.path.abspath(source)),
        "-vf",
        f"fps={rate},scale={tile_scale(width)},setsar=1,tile={count}x1",
        *("-frames:v", "1", "-q:v", "5", "-f", "image2", "-y"),
        "file:" + os.path.abspath(target),
    ]


async def make_strip(
    source: str,
    target: str,
    *,
    times: Sequence[float],
    duration_seconds: float,
    ffmpeg: str,
    # One deadline for the strip (both runs, if the first finds no frame); ThumbnailTimeout.
    timeout: float | None = None,  # noqa: ASYNC109
    nice: int = 0,
) -> None:
    """Write a scrub strip of ``source``'s frames at ``times`` to ``target``, replacing it whole.

    One ffmpeg run (:func:`strip_command`). Only when it gives no picture (a file whose
    stated length is longer than its frames) does a second run decode the whole file
    (:func:`whole_file_strip_command`), within the same ``timeout``. On the limit or a
    cancel ffmpeg is killed and reaped at once, and no ``.part`` file is left. Raises
    :class:`ThumbnailFailed` (:class:`ThumbnailTimeout` for the time limit).
    """
    deadline = _deadline(timeout)
    async with partial_file(target) as partial:
        commands = (
            strip_command(ffmpeg, source, partial, times=times),
            whole_file_strip_command(
                ffmpeg, source, partial, count=len(times), duration_seconds=duration_seconds
            ),
        )
        first_failure: ThumbnailFailed | None = None
        for command in commands:
            try:
                await _run_ffmpeg(command, source, deadline=deadline, limit=timeout, nice=nice)
            except ThumbnailTimeout:
                raise
            except ThumbnailFailed as exc:
                first_failure = first_failure or exc
                continue
            if await publish(partial, target):
                return
        if first_failure is not None:
            raise first_failure
        raise ThumbnailFailed(source, "ffmpeg produced no picture")


async def _run_ffmpeg(
    command: list[str], source: str, *, deadline: float, limit: float | None, nice: int
) -> None:
    """Run ffmpeg until ``deadline``; ``limit`` is the whole time allowed, for the message."""
    try:
        await run_tool(command, timeout=_left(deadline), nice=nice, label="ffmpeg")
    except ToolTimeout as exc:
        raise ThumbnailTimeout(source, f"ffmpeg took longer than {limit:g}s") from exc
    except ToolError as exc:
        raise ThumbnailFailed(source, exc.reason) from exc


def _non_empty(path: str) -> bool:
    try:
        return os.path.getsize(path) > 0
    except OSError:
        return False


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
