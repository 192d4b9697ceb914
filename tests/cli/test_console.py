"""The CLI's output helpers: the progress line, durations and sizes, and where Console writes."""

from __future__ import annotations

import io

import pytest

from stoat_ferret.cli.console import Console, format_duration, format_size, render_progress

CLEAR = "\r\x1b[K"


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


# -- render_progress ------------------------------------------------------------------------


def test_progress_shows_bar_percent_counts_rate_eta_and_file() -> None:
    """A known total gives bar, percent, done/total, rate, ETA and the current file's name."""
    line = render_progress(
        processed=3, total=12, rate=1.5, current_file="/media/trips/holiday.mp4", width=80
    )
    assert line == "[#####---------------]  25%  3/12  1.5 files/s  ETA 0:06  holiday.mp4"


def test_progress_without_a_rate_has_no_rate_or_eta() -> None:
    """Before a rate is known the line has the bar and counts only."""
    line = render_progress(processed=0, total=4, rate=None, current_file=None, width=80)
    assert line == "[--------------------]   0%  0/4"


def test_progress_with_an_unknown_total_counts_without_percent_or_eta() -> None:
    """With no total yet, the line says it is counting and shows no percent and no ETA."""
    line = render_progress(processed=7, total=None, rate=2.0, current_file="/m/a.mkv", width=80)
    assert line == "[ counting files ]  7  2.0 files/s  a.mkv"


def test_progress_bar_width_follows_the_terminal_within_limits() -> None:
    """The bar is a quarter of the width, at least 10 and at most 30 cells."""
    narrow = render_progress(processed=1, total=2, rate=None, current_file=None, width=20)
    wide = render_progress(processed=1, total=2, rate=None, current_file=None, width=400)
    assert narrow == "[#####-----]  50%  1"
    assert wide == "[" + "#" * 15 + "-" * 15 + "]  50%  1/2"


def test_progress_cuts_a_long_file_name_from_the_left_to_fit() -> None:
    """A file name too long for the line keeps its end, after an ellipsis, to fill the width."""
    name = "a_very_long_name_for_a_video_file_from_the_holiday_2024.mp4"
    line = render_progress(processed=1, total=2, rate=None, current_file=f"/m/{name}", width=50)
    start = "[######------]  50%  1/2  "
    assert line == start + "…" + name[-(50 - len(start) - 1) :]
    assert len(line) == 50


def test_progress_drops_the_file_name_when_there_is_no_room() -> None:
    """With 8 columns or fewer left, the name is left out and the line is cut to the width."""
    line = render_progress(processed=5, total=10, rate=1.0, current_file="/m/x.mp4", width=40)
    assert line == "[#####-----]  50%  5/10  1.0 files/s  ET"
    assert len(line) == 40


def test_progress_past_the_total_is_capped_at_full() -> None:
    """More processed than the total shows a full bar, 100% and no negative ETA."""
    line = render_progress(processed=12, total=10, rate=3.0, current_file=None, width=80)
    assert line == "[####################] 100%  12/10  3.0 files/s  ETA 0:00"


def test_progress_shows_a_file_name_with_a_newline_on_one_line() -> None:
    """A newline in the file name is shown as a space, so the bar stays on one line."""
    line = render_progress(
        processed=0, total=None, rate=None, current_file="/m/new\nline.mp4", width=80
    )
    assert line == "[ counting files ]  0  new line.mp4"


# -- format_duration, format_size -----------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0:00"),
        (0.4, "0:00"),
        (9, "0:09"),
        (59.4, "0:59"),
        (61, "1:01"),
        (3599, "59:59"),
        (3600, "1:00:00"),
        (3725, "1:02:05"),
        (90000, "25:00:00"),
        (-3, "0:00"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    """Durations are m:ss under an hour and h:mm:ss from an hour, never negative."""
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1.0 kB"),
        (35_500, "35.5 kB"),
        (999_949, "999.9 kB"),
        (999_950, "1.0 MB"),
        (10_500_000, "10.5 MB"),
        (3 * 1000**3, "3.0 GB"),
        (5000 * 1000**4, "5000.0 TB"),
    ],
)
def test_format_size(size: int, text: str) -> None:
    """Sizes use decimal SI units up to TB, bytes without decimals, the rest with one."""
    assert format_size(size) == text


# -- Console --------------------------------------------------------------------------------


async def test_console_draws_progress_on_a_terminal_and_clears_it_before_a_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a terminal the bar is redrawn in place on stderr and cleared before stdout output."""
    monkeypatch.setenv("COLUMNS", "81")
    out, err = io.StringIO(), FakeTerminal()
    console = Console(json_mode=False, stdout=out, stderr=err)
    assert console.show_progress

    await console.progress(processed=1, total=4, rate=None, current_file=None)
    await console.progress(processed=2, total=4, rate=None, current_file=None)
    await console.line("done")
    await console.line("again")

    assert err.getvalue() == "".join(
        [
            CLEAR + "[#####---------------]  25%  1/4",
            CLEAR + "[##########----------]  50%  2/4",
            CLEAR,
        ]
    )
    assert out.getvalue() == "done\nagain\n"


async def test_console_draws_no_progress_in_json_mode_or_on_a_pipe() -> None:
    """In JSON mode, or with stderr not a terminal, progress writes nothing at all."""
    for json_mode, err in ((True, FakeTerminal()), (False, io.StringIO())):
        out = io.StringIO()
        console = Console(json_mode=json_mode, stdout=out, stderr=err)
        assert not console.show_progress
        await console.progress(processed=1, total=2, rate=1.0, current_file="/m/a.mp4")
        await console.line("x")
        assert (out.getvalue(), err.getvalue()) == ("x\n", "")


async def test_console_data_and_error() -> None:
    """data() prints indented, key-sorted JSON on stdout; error() one prefixed line on stderr."""
    out, err = io.StringIO(), io.StringIO()
    console = Console(json_mode=True, stdout=out, stderr=err)

    await console.data({"b": 1, "a": [True, None]})
    await console.error("it broke")

    assert out.getvalue() == '{\n  "a": [\n    true,\n    null\n  ],\n  "b": 1\n}\n'
    assert err.getvalue() == "stoat-ferret: it broke\n"
