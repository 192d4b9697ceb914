"""Natural ("human") ordering of names: ``clip_2`` before ``clip_10``. Pure.

:func:`natural_key` maps a name to text whose plain (binary) order is the natural
order, so the library can keep it in an indexed column and let SQLite sort by it.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"[0-9]+")


def natural_key(name: str) -> str:
    """Text that sorts as ``name`` does naturally: case-blind, numbers by their value.

    Each run of digits becomes its length (three digits) followed by the digits
    without leading zeros, so ``9`` (``0019``) sorts before ``10`` (``00210``).
    Numbers of up to 999 digits order correctly; ``clip_02`` and ``clip_2`` get the
    same key (the caller breaks such ties, e.g. by path).
    """

    def number(match: re.Match[str]) -> str:
        digits = match.group().lstrip("0") or "0"
        return f"{len(digits):03d}{digits}"

    return _DIGITS.sub(number, name.casefold())
