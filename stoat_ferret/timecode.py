"""SMPTE timecodes: parsing, printing, and exact conversion to and from frame counts.

Pure integer arithmetic, no floats. A timecode label (``01:00:00:00``) means nothing
without a frame rate, so a :class:`Timecode` holds only the label and whether it is
drop-frame; every conversion takes the rate.

Counting rules:

- A timecode counts whole frames at the *nominal* rate, the rate rounded up to a
  whole number (29.97 counts as 30, 23.976 as 24, 25 as 25).
- Drop-frame timecode exists for 29.97 (``30000/1001``) and 59.94 (``60000/1001``)
  only. It skips the first 2 (at 29.97) or 4 (at 59.94) frame numbers of every minute
  except each tenth minute, so the label stays within a few frames of the clock.
  Labels are written with ``;`` (``00:59:59;29``); ``.`` and ``,`` are read as ``;``.
- Non-drop-frame timecode (``:``) is used for every other rate, and may also be
  used at 29.97 and 59.94.
- Labels wrap at 24 hours.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import attrs

#: The rates at which drop-frame timecode is defined, and the frame numbers dropped each minute.
_DROPPED_PER_MINUTE = {Fraction(30000, 1001): 2, Fraction(60000, 1001): 4}

_LABEL = re.compile(r"(\d{1,2})([:;.,])(\d{2})([:;.,])(\d{2})([:;.,])(\d{2,3})", re.ASCII)
_DROP_SEPARATORS = frozenset(";.,")


class TimecodeError(ValueError):
    """A timecode that cannot be read, or that does not exist at the given rate."""


def nominal_rate(rate: Fraction | int) -> int:
    """The whole number of frames a timecode second counts at ``rate`` (29.97 → 30)."""
    rate = Fraction(rate)
    if rate <= 0:
        raise TimecodeError(f"a frame rate must be positive, got {rate}")
    return math.ceil(rate)


def _dropped_per_minute(rate: Fraction, drop_frame: bool) -> int:
    if not drop_frame:
        return 0
    try:
        return _DROPPED_PER_MINUTE[rate]
    except KeyError:
        raise TimecodeError(
            f"drop-frame timecode exists at 29.97 and 59.94 fps only, not at {float(rate):g}"
        ) from None


@attrs.frozen
class Timecode:
    """One timecode label: hours, minutes, seconds, frames, and whether it is drop-frame."""

    hours: int
    minutes: int
    seconds: int
    frames: int
    drop_frame: bool = False

    def __attrs_post_init__(self) -> None:
        if not (0 <= self.hours < 24 and 0 <= self.minutes < 60 and 0 <= self.seconds < 60):
            raise TimecodeError(f"not a timecode: {self}")
        if self.frames < 0:
            raise TimecodeError(f"not a timecode: {self}")

    @classmethod
    def parse(cls, text: str) -> Timecode:
        """Read ``HH:MM:SS:FF``, or drop-frame ``HH:MM:SS;FF`` (also ``.`` or ``,``).

        Raises :class:`TimecodeError` for anything else. Whether the frame number
        exists depends on the rate, so it is checked by :meth:`to_frames`.
        """
        match = _LABEL.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise TimecodeError(f"not a timecode: {text!r}")
        hours, sep1, minutes, sep2, seconds, sep3, frames = match.groups()
        # The last separator says drop-frame or not; the others are ":" or the same as it
        # ("01;00;00;00" is drop-frame too).
        if {sep1, sep2} - {":", sep3}:
            raise TimecodeError(f"not a timecode: {text!r}")
        drop = sep3 in _DROP_SEPARATORS
        return cls(int(hours), int(minutes), int(seconds), int(frames), drop)

    def __str__(self) -> str:
        separator = ";" if self.drop_frame else ":"
        return f"{self.hours:02d}:{self.minutes:02d}:{self.seconds:02d}{separator}{self.frames:02d}"

    def to_frames(self, rate: Fraction | int) -> int:
        """Frames since ``00:00:00:00`` at ``rate``.

        Raises :class:`TimecodeError` if the frame number is too high for the rate,
        if drop-frame is asked of a rate that has none, or if the label is one that
        drop-frame skips (``00:01:00;00`` at 29.97).
        """
        rate = Fraction(rate)
        base = nominal_rate(rate)
        dropped = _dropped_per_minute(rate, self.drop_frame)
        if self.frames >= base:
            raise TimecodeError(f"{self}: frame {self.frames} does not exist at {base} fps")
        total_minutes = 60 * self.hours + self.minutes
        if dropped and self.seconds == 0 and self.frames < dropped and total_minutes % 10:
            raise TimecodeError(f"{self} is skipped by drop-frame timecode")
        count = (60 * total_minutes + self.seconds) * base + self.frames
        return count - dropped * (total_minutes - total_minutes // 10)

    @classmethod
    def from_frames(cls, count: int, rate: Fraction | int, *, drop_frame: bool = False) -> Timecode:
        """The label of frame ``count`` (counted from ``00:00:00:00``) at ``rate``.

        Counts past 24 hours wrap around, as timecode does; negative counts wrap
        backwards from midnight.
        """
        rate = Fraction(rate)
        base = nominal_rate(rate)
        dropped = _dropped_per_minute(rate, drop_frame)
        count %= frames_per_day(rate, drop_frame=drop_frame)
        if dropped:
            per_ten_minutes = base * 600 - dropped * 9
            per_minute = base * 60 - dropped
            tens, rest = divmod(count, per_ten_minutes)
            # The first minute of each ten keeps all its labels; each later one drops some.
            skipped = dropped * 9 * tens
            if rest >= dropped:
                skipped += dropped * ((rest - dropped) // per_minute)
            count += skipped
        total_seconds, frames = divmod(count, base)
        total_minutes, seconds = divmod(total_seconds, 60)
        hours, minutes = divmod(total_minutes, 60)
        return cls(hours, minutes, seconds, frames, drop_frame)

    def add(self, frames: int, rate: Fraction | int) -> Timecode:
        """The label ``frames`` frames later (or earlier, if negative) at ``rate``."""
        return Timecode.from_frames(self.to_frames(rate) + frames, rate, drop_frame=self.drop_frame)


def frames_per_day(rate: Fraction | int, *, drop_frame: bool = False) -> int:
    """How many labels 24 hours of timecode holds at ``rate``."""
    rate = Fraction(rate)
    base = nominal_rate(rate)
    dropped = _dropped_per_minute(rate, drop_frame)
    return base * 86400 - dropped * (24 * 60 - 24 * 6)


def end_timecode(start: Timecode, duration_frames: int, rate: Fraction | int) -> Timecode:
    """The label just after the last frame of a clip: ``start`` plus its length in frames.

    Like an edit decision list's out point, it is exclusive: a 50-frame clip at 25 fps
    starting at ``10:00:00:00`` ends at ``10:00:02:00``.
    """
    return start.add(duration_frames, rate)
