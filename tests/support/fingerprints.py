"""Writing fingerprints into a library file, as a scan that computes them would."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import trio


def _write(database: Path, fingerprints: dict[str, str]) -> None:
    with closing(sqlite3.connect(database, timeout=30)) as conn, conn:
        for path, fingerprint in fingerprints.items():
            conn.execute("UPDATE videos SET fingerprint = ? WHERE path = ?", (fingerprint, path))


async def set_fingerprints(database: Path, fingerprints: dict[str, str]) -> None:
    """Set each path's fingerprint (in a worker thread: SQLite blocks)."""
    await trio.to_thread.run_sync(_write, database, fingerprints)
