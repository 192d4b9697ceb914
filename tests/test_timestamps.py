"""Timestamps: aware UTC datetimes inside, one ISO 8601 form with a Z at the edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from stoat_ferret.timestamps import format_timestamp, parse_timestamp, utc_now


def test_now_is_aware_utc_to_the_millisecond() -> None:
    """utc_now is in UTC and keeps whole milliseconds, so it survives its text form."""
    now = utc_now()
    assert now.tzinfo is UTC
    assert now.microsecond % 1000 == 0
    assert parse_timestamp(format_timestamp(now)) == now


def test_text_form_is_iso_with_milliseconds_and_a_z() -> None:
    """format_timestamp writes UTC with milliseconds and a Z, from any time zone."""
    moment = datetime(2026, 11, 21, 17, 33, 49, 66000, tzinfo=timezone(timedelta(hours=1)))
    assert format_timestamp(moment) == "2026-11-21T16:33:49.066Z"
    assert parse_timestamp("2026-11-21T16:33:49.066Z") == moment
    assert parse_timestamp("2026-11-21T16:33:49.066Z").tzinfo == UTC


def test_naive_times_are_refused() -> None:
    """A datetime or a text without a time zone is an error, never guessed at."""
    with pytest.raises(ValueError, match="naive"):
        format_timestamp(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="without a time zone"):
        parse_timestamp("2026-01-01T00:00:00")
