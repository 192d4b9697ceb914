"""SMPTE timecodes: parsing, printing, and exact frame arithmetic."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stoat_ferret.timecode import (
    Timecode,
    TimecodeError,
    end_timecode,
    frames_per_day,
    nominal_rate,
)

NTSC = Fraction(30000, 1001)
NTSC_60 = Fraction(60000, 1001)
DROP_RATES = [NTSC, NTSC_60]
#: Rates a camera or an editor meets, with their nominal (timecode) rates.
RATES = [
    Fraction(24000, 1001),
    Fraction(24),
    Fraction(25),
    NTSC,
    Fraction(30),
    Fraction(48),
    Fraction(50),
    NTSC_60,
    Fraction(60),
    Fraction(120000, 1001),
]


def tc(text: str) -> Timecode:
    return Timecode.parse(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01:02:03:04", Timecode(1, 2, 3, 4)),
        ("01:02:03;04", Timecode(1, 2, 3, 4, drop_frame=True)),
        ("01:02:03.04", Timecode(1, 2, 3, 4, drop_frame=True)),
        ("01:02:03,04", Timecode(1, 2, 3, 4, drop_frame=True)),
        ("01;02;03;04", Timecode(1, 2, 3, 4, drop_frame=True)),
        (" 23:59:59:24\n", Timecode(23, 59, 59, 24)),
        ("1:00:00:00", Timecode(1, 0, 0, 0)),
        ("00:00:00:119", Timecode(0, 0, 0, 119)),
    ],
)
def test_parse(text: str, expected: Timecode) -> None:
    """Labels with ':' are non-drop; ';', '.' or ',' before the frames mark drop-frame."""
    assert tc(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "01:02:03",
        "01:02:03:4",
        "24:00:00:00",
        "00:60:00:00",
        "00:00:60:00",
        "01;02:03:04",
        "01:02:03:04:05",
        "aa:bb:cc:dd",
        "-1:00:00:00",
        "01:02:03:0004",
        "\uff101:02:03:04",  # a full-width digit is not a digit here
    ],
)
def test_parse_refuses_what_is_not_a_timecode(text: str) -> None:
    """Malformed or out-of-range labels raise TimecodeError naming the text."""
    with pytest.raises(TimecodeError, match="not a timecode"):
        tc(text)


def test_printing() -> None:
    """Labels print with two-digit fields and ';' before the frames when drop-frame."""
    assert str(Timecode(1, 2, 3, 4)) == "01:02:03:04"
    assert str(Timecode(0, 0, 59, 29, drop_frame=True)) == "00:00:59;29"
    assert str(tc("10:00:00.00")) == "10:00:00;00"


def test_fields_are_checked() -> None:
    """A Timecode built by hand with impossible fields is refused."""
    with pytest.raises(TimecodeError):
        Timecode(0, 0, 0, -1)
    with pytest.raises(TimecodeError):
        Timecode(24, 0, 0, 0)


@pytest.mark.parametrize(
    ("rate", "nominal"),
    [(Fraction(24000, 1001), 24), (NTSC, 30), (NTSC_60, 60), (Fraction(25), 25), (12.5, 13)],
)
def test_nominal_rate(rate: Fraction, nominal: int) -> None:
    """A timecode second counts the rate rounded up to whole frames."""
    assert nominal_rate(Fraction(rate)) == nominal


def test_nominal_rate_must_be_positive() -> None:
    """A zero or negative rate has no timecode."""
    with pytest.raises(TimecodeError, match="must be positive"):
        nominal_rate(Fraction(0))


@pytest.mark.parametrize(
    ("label", "rate", "frames"),
    [
        ("00:00:00:00", Fraction(25), 0),
        ("00:00:01:00", Fraction(25), 25),
        ("10:00:00:00", Fraction(25), 900_000),
        ("01:00:00:00", Fraction(24000, 1001), 86_400),
        ("00:01:00:00", NTSC, 1800),
        ("00:10:00;00", NTSC, 17_982),
        ("00:01:00;02", NTSC, 1800),
        ("00:00:59;29", NTSC, 1799),
        ("01:00:00;00", NTSC, 107_892),
        ("23:59:59;29", NTSC, 2_589_407),
        ("00:01:00;04", NTSC_60, 3600),
        ("00:10:00;00", NTSC_60, 35_964),
        ("01:00:00;00", NTSC_60, 215_784),
    ],
)
def test_known_frame_counts(label: str, rate: Fraction, frames: int) -> None:
    """Known labels convert to their published frame numbers, and back."""
    timecode = tc(label)
    assert timecode.to_frames(rate) == frames
    assert Timecode.from_frames(frames, rate, drop_frame=timecode.drop_frame) == timecode


def test_one_frame_after_the_end_of_a_drop_minute() -> None:
    """At 29.97 DF, 00:00:59;29 plus one frame is 00:01:00;02 (;00 and ;01 are skipped)."""
    assert tc("00:00:59;29").add(1, NTSC) == tc("00:01:00;02")
    assert tc("00:01:00;02").add(-1, NTSC) == tc("00:00:59;29")


def test_tenth_minutes_keep_every_label() -> None:
    """At 29.97 DF, minute 10 keeps ;00 and ;01: 00:09:59;29 + 1 is 00:10:00;00."""
    assert tc("00:09:59;29").add(1, NTSC) == tc("00:10:00;00")


def test_59_94_drops_four_labels() -> None:
    """At 59.94 DF, 00:00:59;59 plus one frame is 00:01:00;04."""
    assert tc("00:00:59;59").add(1, NTSC_60) == tc("00:01:00;04")


@pytest.mark.parametrize("label", ["00:01:00;00", "00:01:00;01", "10:59:00;01"])
def test_skipped_labels_do_not_exist(label: str) -> None:
    """A label drop-frame skips cannot be converted to a frame count."""
    with pytest.raises(TimecodeError, match="skipped by drop-frame"):
        tc(label).to_frames(NTSC)


def test_59_94_skips_four() -> None:
    """At 59.94 DF, frames ;02 and ;03 of a dropping minute are skipped too; ;04 exists."""
    with pytest.raises(TimecodeError, match="skipped by drop-frame"):
        tc("00:01:00;03").to_frames(NTSC_60)
    assert tc("00:01:00;04").to_frames(NTSC_60) == 3600


def test_frame_number_past_the_rate() -> None:
    """Frame 25 does not exist at 25 fps."""
    with pytest.raises(TimecodeError, match="frame 25 does not exist at 25 fps"):
        tc("00:00:00:25").to_frames(25)


@pytest.mark.parametrize("rate", [Fraction(25), Fraction(30), Fraction(24000, 1001)])
def test_drop_frame_only_at_29_97_and_59_94(rate: Fraction) -> None:
    """Drop-frame at any other rate is refused, both ways."""
    with pytest.raises(TimecodeError, match=r"exists at 29\.97 and 59\.94 fps only"):
        tc("01:00:00;00").to_frames(rate)
    with pytest.raises(TimecodeError, match=r"exists at 29\.97 and 59\.94 fps only"):
        Timecode.from_frames(0, rate, drop_frame=True)


def test_non_drop_at_29_97_counts_30_per_second() -> None:
    """Non-drop-frame timecode may be used at 29.97: every label exists, 30 to a second."""
    assert tc("00:01:00:00").to_frames(NTSC) == 1800
    assert Timecode.from_frames(1800, NTSC) == tc("00:01:00:00")


def test_labels_wrap_at_24_hours() -> None:
    """One frame after 23:59:59:24 at 25 fps is 00:00:00:00; one before midnight wraps back."""
    assert tc("23:59:59:24").add(1, 25) == tc("00:00:00:00")
    assert tc("00:00:00:00").add(-1, 25) == tc("23:59:59:24")
    assert tc("23:59:59;29").add(1, NTSC) == tc("00:00:00;00")


def test_frames_per_day() -> None:
    """24 hours hold 2,160,000 labels at 25 fps and 2,589,408 at 29.97 drop-frame."""
    assert frames_per_day(25) == 2_160_000
    assert frames_per_day(NTSC, drop_frame=True) == 2_589_408
    assert frames_per_day(NTSC_60, drop_frame=True) == 5_178_816


def test_end_timecode_is_exclusive() -> None:
    """A 50-frame clip at 25 fps starting at 10:00:00:00 ends at 10:00:02:00."""
    assert end_timecode(tc("10:00:00:00"), 50, 25) == tc("10:00:02:00")
    assert end_timecode(tc("00:59:59;28"), 4, NTSC) == tc("01:00:00;02")


@st.composite
def frame_counts(draw: st.DrawFn) -> tuple[int, Fraction, bool]:
    rate = draw(st.sampled_from(RATES))
    drop = rate in DROP_RATES and draw(st.booleans())
    count = draw(st.integers(0, frames_per_day(rate, drop_frame=drop) - 1))
    return count, rate, drop


@given(frame_counts())
def test_frames_to_label_and_back(case: tuple[int, Fraction, bool]) -> None:
    """Every frame of a day turns into a label that turns back into the same frame."""
    count, rate, drop = case
    timecode = Timecode.from_frames(count, rate, drop_frame=drop)
    assert timecode.drop_frame is drop
    assert timecode.to_frames(rate) == count
    assert Timecode.parse(str(timecode)) == timecode


@given(frame_counts(), st.integers(-10_000_000, 10_000_000))
def test_adding_frames_matches_counting(case: tuple[int, Fraction, bool], step: int) -> None:
    """Adding n frames to a label lands on the label of (its frame + n), modulo a day."""
    count, rate, drop = case
    start = Timecode.from_frames(count, rate, drop_frame=drop)
    day = frames_per_day(rate, drop_frame=drop)
    assert start.add(step, rate).to_frames(rate) == (count + step) % day


@given(frame_counts())
def test_consecutive_frames_have_increasing_labels(case: tuple[int, Fraction, bool]) -> None:
    """Labels of consecutive frames are strictly in order, except across midnight."""
    count, rate, drop = case
    day = frames_per_day(rate, drop_frame=drop)
    first = Timecode.from_frames(count, rate, drop_frame=drop)
    second = Timecode.from_frames(count + 1, rate, drop_frame=drop)
    as_tuple = lambda t: (t.hours, t.minutes, t.seconds, t.frames)  # noqa: E731
    if count + 1 < day:
        assert as_tuple(first) < as_tuple(second)
    else:
        assert as_tuple(second) == (0, 0, 0, 0)


@given(
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
    st.integers(0, 29),
)
def test_every_drop_frame_label_that_exists_round_trips(h: int, m: int, s: int, f: int) -> None:
    """A 29.97 DF label either is skipped or converts to a frame that gives it back."""
    label = Timecode(h, m, s, f, drop_frame=True)
    skipped = s == 0 and f < 2 and m % 10 != 0
    if skipped:
        with pytest.raises(TimecodeError):
            label.to_frames(NTSC)
    else:
        assert Timecode.from_frames(label.to_frames(NTSC), NTSC, drop_frame=True) == label
