"""The service's clock and the one text form of its timestamps. Pure: no I/O here.

Inside the service every timestamp is an aware :class:`~datetime.datetime` in UTC,
to the millisecond (the precision the text form keeps, so a value survives a trip
through SQLite or JSON unchanged). Only the edges (JSON, SQL) see the text form,
ISO 8601 with milliseconds and a ``Z``: ``2026-11-21T16:33:49.066Z``.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time in UTC, to the millisecond."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def format_timestamp(moment: datetime) -> str:
    """``moment`` as ISO 8601 UTC with milliseconds and a ``Z``."""
    if moment.tzinfo is not UTC:
        if moment.tzinfo is None:
            raise ValueError(f"a naive datetime has no place in the service: {moment!r}")
        moment = moment.astimezone(UTC)
    # "…T16:33:49.066+00:00": the offset's six characters become the Z.
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"


def parse_timestamp(text: str) -> datetime:
    """The aware UTC datetime that :func:`format_timestamp` wrote as ``text``."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"a timestamp without a time zone: {text!r}")
    return moment.astimezone(UTC)


def optional_timestamp(moment: datetime | None) -> str | None:
    """:func:`format_timestamp`, passing ``None`` through."""
    return None if moment is None else format_timestamp(moment)


def parse_optional_timestamp(text: str | None) -> datetime | None:
    """:func:`parse_timestamp`, passing ``None`` through."""
    return None if text is None else parse_timestamp(text)
