"""The JSON the service sends: HTTP answers and ``/ws`` events. Pure: no I/O here.

Encoding is most of what a page of the library costs the event loop (50 videos are some
56 kB of JSON), so it goes through orjson, which writes UTF-8 bytes directly and is an
order of magnitude faster than the standard library. The text is the same JSON either
way: keys sorted, no spaces, non-ASCII characters as themselves. A value orjson refuses
(a string holding a lone surrogate, an integer past 64 bits, a key that is not a string)
falls back to the standard library's encoder, which escapes what it must, so an answer
never fails for its encoding.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: Any, *, default: Callable[[Any], Any] | None = None) -> bytes:
    """``value`` as compact JSON in UTF-8, keys sorted.

    ``default`` turns what JSON has no form for into something it has (as for
    :func:`json.dumps`); dates and dataclasses go to it too, so its choice holds.
    """
    try:
        return orjson.dumps(value, default=default, option=_OPTIONS)
    except TypeError:
        text = json.dumps(
            value, default=default, sort_keys=True, separators=(",", ":"), ensure_ascii=True
        )
        return text.encode("ascii")


def dumps_text(value: Any, *, default: Callable[[Any], Any] | None = None) -> str:
    """:func:`dumps` as a string."""
    return dumps(value, default=default).decode("utf-8")
