"""What the parts of the store need from it: reads and writes, each run in a worker thread."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class StoreAccess:
    """The base of :class:`~.store.Library`'s parts; ``Library`` supplies both methods."""

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError
