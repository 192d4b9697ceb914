"""Scrub strips: which frames a strip holds, and how each is sized. Pure: no I/O here.

A strip is one JPEG of ``count`` frames side by side in one row, for scrubbing through
a video by pointing along it. Frame ``i`` is the one shown ``(i + 0.5) / count`` of
the way through the video; each is turned upright, then scaled to :data:`STRIP_WIDTH`
pixels wide with an even height that keeps the display aspect (non-square pixels
are made square), so the strip is ``count * STRIP_WIDTH`` wide and every frame
starts at ``i * STRIP_WIDTH``. Both ways of making one (ffmpeg, the media workers)
follow this module.
"""

from __future__ import annotations

import math
from fractions import Fraction

#: Width of each frame of a strip, in pixels.
STRIP_WIDTH = 160
#: A quarter of a frame: a time this far before a frame starts lands on that frame
#: whichever way it is rounded on its way through the tools.
_LEAD = Fraction(1, 4)


def tile_scale(width: int) -> str:
    """The ``scale`` filter's arguments sizing one frame: ``width`` wide, even height by
    the display aspect (``dar`` is the picture's width over height, pixels' shape
    included), rounded to the nearest even number as ``scale=W:-2`` rounds."""
    return f"w={width}:h=round({width}/dar/2)*2"


def strip_times(
    count: int,
    *,
    duration_seconds: float,
    duration_frames: int,
    frame_rate: Fraction,
) -> tuple[float, ...]:
    """When to take each of ``count`` frames, in seconds from the start of the video.

    The frame shown at ``(i + 0.5) / count`` of the way through is frame number
    ``floor((i + 0.5) * duration_frames / count)``; its time is given a quarter of a
    frame early, so that "the first frame at or after this time" is that very frame.
    Never past the last frame, so a short clip repeats frames rather than asking for
    one that is not there. Without a frame count or rate, the instants themselves.
    """
    if count < 1:
        raise ValueError("a strip needs at least one frame")
    if duration_frames < 1 or frame_rate <= 0:
        return tuple(duration_seconds * (i + 0.5) / count for i in range(count))
    times = []
    for i in range(count):
        frame = min(
            math.floor(Fraction(2 * i + 1, 2 * count) * duration_frames), duration_frames - 1
        )
        times.append(float(max(Fraction(0), (frame - _LEAD) / frame_rate)))
    return tuple(times)
