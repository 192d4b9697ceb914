"""What the parts of the store need from it: reads and writes, each run in a worker thread."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

from .ranking import PhraseCounts

T = TypeVar("T")

#: A read that skips this many rows or more (a page by ``offset``) is a deep read: its time
#: grows with the offset (30 ms in the middle of a million videos), so deep reads are let
#: run on fewer threads than there are CPUs, and the event loop keeps a CPU of its own.
DEEP_OFFSET = 10_000


def is_deep(offset: int) -> bool:
    """Whether a page that skips ``offset`` rows is a deep read."""
    return offset >= DEEP_OFFSET


class StoreAccess:
    """The base of :class:`~.store.Library`'s parts; ``Library`` supplies both methods,
    and the counts its searches keep (:class:`~.ranking.PhraseCounts`)."""

    _phrase_counts: PhraseCounts

    async def _read(self, fn: Callable[[sqlite3.Connection], T], *, deep: bool = False) -> T:
        """Run ``fn`` on a reader connection; ``deep`` for a read that skips
        :data:`DEEP_OFFSET` rows or more (it waits for a place among the deep reads first)."""
        raise NotImplementedError

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError


class transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")
