"""The CLI's formatting: sizes, timecodes, frame rates, spans, local times and tables.

Timecodes, frame rates, spans and percentages must read exactly as the web page writes
them, so the last test runs the page's own ``format.js`` in Chromium on the same inputs.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

import stoat_ferret
from stoat_ferret.cli.format import (
    format_duration,
    format_frame_rate,
    format_local_time,
    format_percent,
    format_size,
    format_span,
    format_timecode,
    table,
)

FORMAT_JS = Path(stoat_ferret.__file__).parent / "web" / "assets" / "js" / "format.js"


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
    """Times left (the progress bar's ETA) are m:ss under an hour, h:mm:ss from an hour."""
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
        (3_000_000_000, "3.0 GB"),
        (1_250_000_000_000, "1.3 TB"),
        (5_000_000_000_000_000, "5000.0 TB"),
        (-1, "?"),
    ],
)
def test_format_size(size: int, text: str) -> None:
    """Sizes use decimal SI units (1000-based) with one decimal, bytes without, TB at most."""
    assert format_size(size) == text


@pytest.mark.parametrize(
    ("frames", "rate", "text"),
    [
        (30, Fraction(30000, 1001), "00:00:01:00"),
        (30, Fraction(60), "00:00:00:30"),
        (0, Fraction(25), "00:00:00:00"),
        (25 * 3600 + 25 * 61 + 3, Fraction(25), "01:01:01:03"),
        (25 * 3600 * 100, Fraction(25), "100:00:00:00"),
        (119, Fraction(120), "00:00:00:119"),
        (5, Fraction(5, 2), "00:00:01:02"),
        (10, Fraction(1, 3), "--:--:--:--"),
        (-1, Fraction(25), "--:--:--:--"),
        (10, Fraction(0), "--:--:--:--"),
    ],
)
def test_format_timecode(frames: int, rate: Fraction, text: str) -> None:
    """Timecode counts frames at the nominal integer rate, non-drop-frame, as the page does."""
    assert format_timecode(frames, rate) == text


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        (Fraction(30000, 1001), "29.97"),
        (Fraction(24000, 1001), "23.976"),
        (Fraction(25), "25"),
        (Fraction(25, 2), "12.5"),
        (Fraction(0), "?"),
    ],
)
def test_format_frame_rate(rate: Fraction, text: str) -> None:
    """Frame rates show at most three decimals, without trailing zeros."""
    assert format_frame_rate(rate) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.04, "0.0 s"),
        (0.25, "0.3 s"),
        (9.94, "9.9 s"),
        (12.4, "12 s"),
        (59.5, "1 min 00 s"),
        (185, "3 min 05 s"),
        (3725, "1 h 02 min"),
        (-1, "?"),
    ],
)
def test_format_span(seconds: float, text: str) -> None:
    """Spans are tenths of a second under 10 s, then seconds, minutes and hours."""
    assert format_span(seconds) == text


def test_format_local_time_uses_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A UTC moment is shown in this machine's zone (TZ), to the second."""
    monkeypatch.setenv("TZ", "XST-05:30")
    time.tzset()
    try:
        when = datetime(2026, 3, 1, 22, 45, 9, 500_000, tzinfo=UTC)
        assert format_local_time(when) == "2026-03-02 04:15:09"
        expected = when.astimezone(timezone(timedelta(hours=5, minutes=30)))
        assert format_local_time(when) == expected.strftime("%Y-%m-%d %H:%M:%S")
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    ("fraction", "text"),
    [(None, "-"), (0.0, "0%"), (0.5, "50%"), (0.999, "99%"), (0.29, "29%"), (1.0, "100%")],
)
def test_format_percent(fraction: float | None, text: str) -> None:
    """Percent is rounded down, so 100% means done; unknown is a dash."""
    assert format_percent(fraction) == text


def test_table_pads_columns_to_their_widest_cell() -> None:
    """Columns are two spaces apart, right-aligned where asked, and no line ends in spaces."""
    lines = table(["NAME", "N", "NOTE"], [["a", "10", "x"], ["bbbbb", "7", ""]], right={1})
    assert lines == ["NAME    N  NOTE", "a      10  x", "bbbbb   7"]


@pytest.fixture(scope="module")
def page_format() -> str:
    """The page's format.js as a script that defines its functions (no module syntax)."""
    return re.sub(r"^export ", "", FORMAT_JS.read_text(), flags=re.MULTILINE)


def test_timecodes_rates_spans_and_percents_match_the_page(page_format: str) -> None:
    """On the same inputs, the CLI writes exactly what the page's format.js writes."""
    rates = [(30000, 1001), (24000, 1001), (60000, 1001), (25, 1), (50, 1), (5, 2), (1, 3)]
    frames = [0, 1, 29, 30, 59, 1799, 1800, 107892, 9_000_000]
    spans = [0, 0.05, 0.25, 0.35, 9.95, 9.96, 10.5, 59.5, 60, 599.5, 3599.5, 3600, 86399]
    percents = [0, 0.005, 0.29, 0.57, 0.999, 1]
    script = (
        "(cases) => {"
        + page_format
        + "; return {"
        + "timecodes: cases.frames.flatMap((f) => cases.rates.map(([n, d]) => timecode(f, n, d))),"
        + "rates: cases.rates.map(([n, d]) => frameRate(n, d)),"
        + "spans: cases.spans.map(span),"
        + "percents: cases.percents.map(percent)};}"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_page()
            shown = page.evaluate(
                script, {"rates": rates, "frames": frames, "spans": spans, "percents": percents}
            )
        finally:
            browser.close()

    assert shown["timecodes"] == [
        format_timecode(f, Fraction(n, d)) for f in frames for n, d in rates
    ]
    assert shown["rates"] == [format_frame_rate(Fraction(n, d)) for n, d in rates]
    assert shown["spans"] == [format_span(s) for s in spans]
    assert shown["percents"] == [int(format_percent(p).rstrip("%")) for p in percents]
