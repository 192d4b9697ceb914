"""Running ffmpeg to grab one frame as a JPEG, through :func:`~stoat_ferret.children.run_tool`."""

from __future__ import annotations

import contextlib
import math
import os

import trio

from ..children import ToolError, ToolTimeout, run_tool

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
    partial = target + ".part"
    deadline = trio.current_time() + (math.inf if timeout is None else timeout)
    try:
        for at in dict.fromkeys((frame_time(duration_seconds), 0.0)):
            try:
                await run_tool(
                    thumbnail_command(ffmpeg, source, partial, at_seconds=at),
                    timeout=None if timeout is None else max(deadline - trio.current_time(), 0),
                    nice=nice,
                    label="ffmpeg",
                )
            except ToolTimeout as exc:
                raise ThumbnailTimeout(source, f"ffmpeg took longer than {timeout:g}s") from exc
            except ToolError as exc:
                raise ThumbnailFailed(source, exc.reason) from exc
            if await trio.to_thread.run_sync(_non_empty, partial):
                await trio.to_thread.run_sync(os.replace, partial, target)
                return
        raise ThumbnailFailed(source, "ffmpeg produced no picture")
    finally:
        with trio.CancelScope(shield=True), trio.move_on_after(5):
            await trio.to_thread.run_sync(_remove, partial)


def _non_empty(path: str) -> bool:
    try:
        return os.path.getsize(path) > 0
    except OSError:
        return False


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
