"""Making a real library full or read-only, deterministically and without root.

SQLite's own limits stand in for the disk: ``PRAGMA max_page_count`` set to the
database's current size makes any write that needs a new page fail with
``SQLITE_FULL`` ("database or disk is full"), exactly the error a full disk gives;
``PRAGMA query_only`` makes every write fail with ``SQLITE_READONLY`` ("attempt to write
a readonly database"), the error of a read-only file. Both are set on the library's
own writer connection (hence the private access), so what the server sees is what a
full or read-only disk would show it, and both can be lifted again.
"""

from __future__ import annotations

import uuid

from stoat_ferret.jobs.models import JobSnapshot
from stoat_ferret.library.errors import StorageFull
from stoat_ferret.library.store import Library
from stoat_ferret.protocol import JobKind, JobStatus
from stoat_ferret.timestamps import utc_now


async def _pragma(library: Library, statement: str) -> None:
    await library._write(lambda conn: conn.execute(statement).fetchall())


async def fill(library: Library) -> int:
    """Stop the database growing, then add rows until one does not fit; how many did."""
    await _pragma(library, "PRAGMA max_page_count = 1")
    for added in range(100_000):
        try:
            await library.save_job(filler_job())
        except StorageFull:
            return added
    raise AssertionError("the database never filled up")


async def make_room(library: Library) -> None:
    await _pragma(library, "PRAGMA max_page_count = 1073741823")


async def make_read_only(library: Library, *, read_only: bool = True) -> None:
    await _pragma(library, f"PRAGMA query_only = {int(read_only)}")


def filler_job() -> JobSnapshot:
    """A job row the size of the one ``POST /api/v1/videos/thumbnails`` stores."""
    return JobSnapshot(
        job_id=uuid.uuid4().hex,
        kind=JobKind.THUMBNAILS,
        status=JobStatus.COMPLETE,
        params={"video_ids": None, "force": False},
        created_at=utc_now(),
    )
