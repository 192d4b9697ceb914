"""Running ffmpeg to grab one frame as a JPEG, through ``trio.run_process``."""

from __future__ import annotations

import contextlib
import os
import subprocess

import trio

from ..children import cannot_run, kill_at_once, niced
from ..probe.parse import summarize_stderr

#: Width of thumbnails in pixels; the height follows the video's aspect ratio.
THUMBNAIL_WIDTH = 320


class ThumbnailFailed(Exception):
    """ffmpeg could not make a thumbnail; ``reason`` says why."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def thumbnail_command(
    ffmpeg: str, source: str, target: str, *, at_seconds: float, nice: int = 0
) -> list[str]:
    """ffmpeg argv writing the frame at ``at_seconds`` of ``source`` to ``target``.

    Both paths are absolute and behind ``file:``, so no file name is read as an
    option or a protocol.
    """
    return niced(
        [
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
        ],
        nice,
    )


def frame_time(duration_seconds: float) -> float:
    """Where to take the picture: a tenth of the way in, at most 5 s (skips fades from black)."""
    return max(0.0, min(duration_seconds * 0.1, 5.0))


async def make_thumbnail(
    source: str,
    target: str,
    *,
    duration_seconds: float,
    ffmpeg: str,
    nice: int = 0,
) -> None:
    """Write a JPEG of one frame of ``source`` to ``target``, replacing it whole.

    The picture goes to a temporary file first and is renamed over ``target``, so a
    reader never sees half an image, and a cancelled run leaves nothing behind.
    Cancelling kills and reaps ffmpeg at once.
    """
    partial = target + ".part"
    try:
        for at in dict.fromkeys((frame_time(duration_seconds), 0.0)):
            try:
                done = await trio.run_process(
                    thumbnail_command(ffmpeg, source, partial, at_seconds=at, nice=nice),
                    capture_stdout=True,
                    capture_stderr=True,
                    check=False,
                    stdin=subprocess.DEVNULL,
                    deliver_cancel=kill_at_once,
                )
            except OSError as exc:
                raise ThumbnailFailed(
                    source, f"cannot run {ffmpeg!r}: {exc.strerror or exc}"
                ) from exc
            missing = cannot_run(ffmpeg, done.returncode, nice)
            if missing is not None:
                raise ThumbnailFailed(source, missing)
            if done.returncode != 0:
                reason = summarize_stderr(done.stderr) or f"ffmpeg exited with {done.returncode}"
                raise ThumbnailFailed(source, reason)
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
