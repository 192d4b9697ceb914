"""Exception groups with a single leaf, seen as that leaf. Pure: standard library only.

A nursery wraps whatever its tasks raise in an exception group (trio's
``strict_exception_groups``). Where a nursery is an implementation detail of a
function, its caller should see the one exception that happened, not a group it
never opened: :func:`unwrap_single` re-raises a lone leaf as itself and lets a
group of several through unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


def leaves(exc: BaseException) -> list[BaseException]:
    """Every exception inside ``exc``, depth first, groups flattened; ``[exc]`` for a plain one."""
    if not isinstance(exc, BaseExceptionGroup):
        return [exc]
    found: list[BaseException] = []
    for inner in exc.exceptions:
        found.extend(leaves(inner))
    return found


def first_leaf(exc: BaseException) -> BaseException:
    """The first exception inside ``exc`` that is not a group (``exc`` itself if it is not one)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def single_leaf(exc: BaseException) -> BaseException | None:
    """The only exception inside ``exc``, or ``None`` if it holds several (or none)."""
    found = leaves(exc)
    return found[0] if len(found) == 1 else None


@contextmanager
def unwrap_single() -> Iterator[None]:
    """Re-raise a group that holds exactly one exception as that exception.

    Groups of several are re-raised unchanged: both failures matter.
    """
    try:
        yield
    except BaseExceptionGroup as group:
        leaf = single_leaf(group)
        if leaf is None:
            raise
        raise leaf from leaf.__cause__
