"""Pure formatting for the command line: numbers, times and tables as people read them.

Timecodes, frame rates, sizes and time spans are written exactly as the web page
writes them (``web/assets/js/format.js``), so the two never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

_SIZE_UNITS = ("kB", "MB", "GB", "TB")


def _fixed(value: float, digits: int) -> str:
    """``value`` to ``digits`` decimals, a tie going up, as JavaScript's ``toFixed`` does."""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def format_duration(seconds: float) -> str:
    """``m:ss`` under an hour, ``h:mm:ss`` from an hour; for times left, never negative."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def format_size(size: int) -> str:
    """Bytes in decimal SI units with one decimal: ``512 B``, ``35.5 kB``, ``1.2 GB``."""
    if size < 0:
        return "?"
    if size < 1000:
        return f"{size} B"
    value = float(size)
    unit = -1
    # 999.95 and up would print as "1000.0": move to the next unit first.
    while value >= 999.95 and unit < len(_SIZE_UNITS) - 1:
        value /= 1000
        unit += 1
    return f"{_fixed(value, 1)} {_SIZE_UNITS[unit]}"


def nominal_rate(rate: Fraction) -> int | None:
    """The integer frame rate timecode counts at (30000/1001 -> 30), or None."""
    if rate <= 0:
        return None
    nominal = math.floor(rate + Fraction(1, 2))  # rounds half up, as the page's Math.round
    return nominal if nominal >= 1 else None


def format_timecode(frames: int, rate: Fraction) -> str:
    """Non-drop-frame timecode ``HH:MM:SS:FF`` for a frame count at the video's own rate.

    Hours grow past two digits when they must; frames take as many digits as the
    rate's highest frame number needs (at least two).
    """
    nominal = nominal_rate(rate)
    if nominal is None or frames < 0:
        return "--:--:--:--"
    seconds, ff = divmod(frames, nominal)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    frame_digits = max(2, len(str(nominal - 1)))
    return f"{hh:02}:{mm:02}:{ss:02}:{ff:0{frame_digits}}"


def format_frame_rate(rate: Fraction) -> str:
    """A frame rate for people, to at most three decimals: ``25``, ``29.97``, ``23.976``."""
    if rate <= 0:
        return "?"
    return _fixed(float(rate), 3).rstrip("0").rstrip(".")


def format_span(seconds: float) -> str:
    """A length of time: ``0.4 s``, ``12 s``, ``3 min 05 s``, ``1 h 02 min``."""
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    if seconds < 10:
        return f"{_fixed(seconds, 1)} s"
    whole = math.floor(seconds + 0.5)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02} s"
    return f"{whole // 3600} h {whole // 60 % 60:02} min"


def format_local_time(when: datetime) -> str:
    """A moment in this machine's time zone, to the second: ``2026-03-01 14:05:09``."""
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def format_percent(fraction: float | None) -> str:
    """Whole percent, rounded down so that 100% means done; ``-`` when unknown."""
    if fraction is None or not math.isfinite(fraction):
        return "-"
    return f"{min(100, max(0, math.floor(fraction * 100 + 1e-9)))}%"


def table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, right: Collection[int] = ()
) -> list[str]:
    """Lines of a table: columns two spaces apart, as wide as their widest cell.

    Columns whose index is in ``right`` are aligned right (numbers); the last column
    is not padded, so no line ends in spaces.
    """
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines
