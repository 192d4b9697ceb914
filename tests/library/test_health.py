"""The library tells the truth about its database, and one process holds it at a time."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
import trio

from stoat_ferret.library.errors import LibraryInUse, LibraryUnavailable, StorageFull
from stoat_ferret.library.lock import lock_path
from stoat_ferret.library.store import open_library
from stoat_ferret.protocol import ErrorCode

from ..support.library_faults import fill, filler_job, make_read_only, make_room


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def test_a_fresh_library_is_fit(tmp_path: Path) -> None:
    """check() finds nothing wrong with a library just opened."""
    async with open_library(tmp_path / "library.db") as library:
        assert await library.check() is None


async def test_a_deleted_database_is_noticed_and_refuses_writes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """After rm library.db*, check() says so and writes raise LibraryUnavailable, logged once."""
    path = tmp_path / "library.db"
    async with open_library(path) as library:
        await library.save_job(filler_job())
        await trio.to_thread.run_sync(_remove_database, path)
        problem = await library.check()
        assert problem is not None
        assert problem.code is ErrorCode.LIBRARY_UNAVAILABLE
        assert problem.reason.startswith(f"the database file {path} was deleted")
        for _ in range(2):
            with pytest.raises(LibraryUnavailable, match="was deleted"):
                await library.save_job(filler_job())
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [f"cannot write to the library: {problem.reason}"]


async def test_a_replaced_database_is_noticed(tmp_path: Path) -> None:
    """A database file replaced by another under the server is reported and not written to."""
    path = tmp_path / "library.db"
    async with open_library(path) as library:
        other = tmp_path / "other.db"
        await trio.to_thread.run_sync(other.write_bytes, b"")
        await trio.to_thread.run_sync(os.replace, other, path)
        problem = await library.check()
        assert problem is not None
        assert problem.reason.startswith(f"the database file {path} was replaced")
        with pytest.raises(LibraryUnavailable, match="was replaced"):
            await library.delete_video("any")
    assert await trio.to_thread.run_sync(path.read_bytes) == b""


async def test_a_full_database_says_so_keeps_what_it_had_and_recovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """When a write finds no room: StorageFull, check() says full, data stays; room heals it."""
    path = tmp_path / "library.db"
    async with open_library(path) as library:
        stored = await fill(library)
        assert stored > 0
        problem = await library.check()
        assert problem is not None
        assert problem.code is ErrorCode.STORAGE_FULL
        assert "database or disk is full" in problem.reason
        with pytest.raises(StorageFull):
            await library.save_job(filler_job())
        _, total = await library.list_jobs(limit=1, offset=0)
        assert total == stored
        await make_room(library)
        await library.save_job(filler_job())
        assert await library.check() is None
    messages = [r.getMessage() for r in caplog.records if r.name == "stoat_ferret.library.store"]
    assert messages == [
        f"cannot write to the library: {problem.reason}",
        "the library can be written again",
    ]
    async with open_library(path) as library:
        _, total = await library.list_jobs(limit=1, offset=0)
        assert total == stored + 1


async def test_a_read_only_database_says_so(tmp_path: Path) -> None:
    """Writes to a read-only database raise LibraryUnavailable; check() then says read-only."""
    async with open_library(tmp_path / "library.db") as library:
        await make_read_only(library)
        with pytest.raises(LibraryUnavailable, match="is read-only: attempt to write a readonly"):
            await library.save_job(filler_job())
        problem = await library.check()
        assert problem is not None
        assert problem.code is ErrorCode.LIBRARY_UNAVAILABLE
        assert "is read-only" in problem.reason
        await make_read_only(library, read_only=False)


async def test_one_process_at_a_time(tmp_path: Path) -> None:
    """A library open here cannot be opened again until it is closed; the lock names us."""
    path = tmp_path / "library.db"
    async with open_library(path):
        with pytest.raises(LibraryInUse) as refused:
            async with open_library(path):
                pytest.fail("a library in use must not open twice")
        assert str(refused.value) == f"the library at {path} is in use by process {os.getpid()}"
        assert await trio.to_thread.run_sync(lock_path(path).read_text) == f"{os.getpid()}\n"
    async with open_library(path) as library:
        assert await library.check() is None


async def test_the_lock_comes_before_any_change(tmp_path: Path) -> None:
    """A second opener fails before creating or migrating anything: the file stays as it was."""
    path = tmp_path / "library.db"
    async with open_library(path) as library:
        await library.save_job(filler_job())
        before = await trio.to_thread.run_sync(path.stat)
        with pytest.raises(LibraryInUse):
            async with open_library(path):
                pass
        after = await trio.to_thread.run_sync(path.stat)
        assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)
