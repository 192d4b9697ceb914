"""The service's JSON encoding (stoat_ferret/wirejson.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from stoat_ferret import wirejson

#: What JSON can hold, as the service's answers hold it: str keys, finite floats.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_it_reads_back_as_what_was_encoded(value: Any) -> None:
    """Any JSON value survives: lone surrogates and integers past 64 bits included, which
    orjson refuses and the standard library's encoder then writes."""
    assert json.loads(wirejson.dumps(value)) == value


def test_the_text_is_compact_sorted_and_utf8() -> None:
    assert wirejson.dumps({"b": 1, "a": [1.5, None, "é"]}) == '{"a":[1.5,null,"é"],"b":1}'.encode()
    assert wirejson.dumps_text({"z": True}) == '{"z":true}'


def test_what_orjson_refuses_falls_back_escaped() -> None:
    """A lone surrogate (a file name that is not UTF-8, read with surrogateescape) is
    escaped, not an error; so is an integer past 64 bits."""
    assert wirejson.dumps({"name": "clip\udcff.mp4"}) == b'{"name":"clip\\udcff.mp4"}'
    assert wirejson.dumps([2**70]) == f"[{2**70}]".encode()


def test_default_shapes_dates_as_the_caller_says() -> None:
    moment = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert wirejson.dumps({"at": moment}, default=lambda o: "then") == b'{"at":"then"}'
