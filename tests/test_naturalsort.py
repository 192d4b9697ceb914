"""Natural ordering of file names: numbers by value, letters without regard to case."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stoat_ferret.naturalsort import natural_key


def test_numbers_sort_by_their_value() -> None:
    """clip_2 comes before clip_10, as a person counts (plain text order puts it after)."""
    names = ["city_street_1.mp4", "city_street_10.mp4", "city_street_2.mp4", "city_street_19.mp4"]
    assert sorted(names, key=natural_key) == [
        "city_street_1.mp4",
        "city_street_2.mp4",
        "city_street_10.mp4",
        "city_street_19.mp4",
    ]


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [
        ("A001_C002", "a001_c010"),
        ("take 9", "take 10"),
        ("0009", "10"),
        ("Beach", "beach 2"),
        ("x99999999999999999999999", "x100000000000000000000000"),
    ],
)
def test_pairs(smaller: str, larger: str) -> None:
    """Case is ignored, leading zeros do not count, and long numbers still order by value."""
    assert natural_key(smaller) < natural_key(larger)


def test_leading_zeros_tie() -> None:
    """clip_02 and clip_2 hold the same number, so their keys tie (the caller breaks it)."""
    assert natural_key("clip_02.mov") == natural_key("clip_2.mov")


@given(st.integers(min_value=0, max_value=10**40), st.integers(min_value=0, max_value=10**40))
def test_any_two_numbers_order_by_value(a: int, b: int) -> None:
    """For any two numbers in the same place, the keys order as the numbers do."""
    assert (natural_key(f"take_{a}.mp4") < natural_key(f"take_{b}.mp4")) == (a < b)
