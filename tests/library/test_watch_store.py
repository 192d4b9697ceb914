"""The store's watched folders, its baseline for scans of given paths, and resumable jobs."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import attrs
import pytest
import trio

from stoat_ferret.library import schema
from stoat_ferret.library.models import WatchRecord
from stoat_ferret.library.store import Library, open_library
from stoat_ferret.protocol import JobKind, JobStatus
from stoat_ferret.timestamps import parse_timestamp

from .test_store import BOUNDARY_PATHS, job, probed

CREATED = parse_timestamp("2024-05-01T10:00:00.000Z")


@pytest.fixture
async def library(tmp_path: Path) -> AsyncIterator[Library]:
    async with open_library(tmp_path / "data" / "library.db") as lib:
        yield lib


def a_watch(watch_id: str, path: str, **changes: object) -> WatchRecord:
    return attrs.evolve(
        WatchRecord(id=watch_id, path=path, poll=False, created_at=CREATED), **changes
    )


async def test_watches_are_stored_listed_updated_and_removed(library: Library) -> None:
    """A watch reads back as stored, oldest first; its latest change and job update in place."""
    first = a_watch("w1", "/m/a", poll=True)
    second = a_watch("w2", "/m/b")
    await library.add_watch(first)
    await library.add_watch(second)
    assert await library.list_watches() == [first, second]

    changed = attrs.evolve(
        second, last_change_at=parse_timestamp("2024-05-02T08:00:00.000Z"), job_id="j9"
    )
    await library.update_watch(changed)
    assert await library.list_watches() == [first, changed]

    assert await library.remove_watch("w1") is True
    assert await library.remove_watch("w1") is False
    assert await library.list_watches() == [changed]


async def test_a_folder_is_stored_as_watched_once(library: Library) -> None:
    """Two watches of the same path cannot both be stored."""
    await library.add_watch(a_watch("w1", "/m/a"))
    with pytest.raises(sqlite3.IntegrityError):
        await library.add_watch(a_watch("w2", "/m/a"))


async def test_known_files_at_given_paths_and_below_given_folders(library: Library) -> None:
    """Exactly the paths named, and everything below the folders named, nothing beside them."""
    await library.save_probed([probed(p) for p in BOUNDARY_PATHS])
    await library.set_missing(["/m/a.mp4"], missing=True)

    known = await library.known_files_at(["/m/a.mp4", "/m/nowhere.mp4", "/m/a/x.mp4"])
    assert sorted(known) == ["/m/a.mp4", "/m/a/x.mp4"]
    assert known["/m/a.mp4"].missing is True

    below = await library.known_files_at([], under=["/m/a"])
    assert sorted(below) == ["/m/a/sub/deeper/z.mp4", "/m/a/sub/y.mp4", "/m/a/x.mp4"]
    both = await library.known_files_at(["/m/a.mp4"], under=["/m/a/sub", "/m/none"])
    assert sorted(both) == ["/m/a.mp4", "/m/a/sub/deeper/z.mp4", "/m/a/sub/y.mp4"]
    assert await library.known_files_at([]) == {}


async def test_interrupted_jobs_are_taken_once_each(library: Library) -> None:
    """take_interrupted returns interrupted jobs of the kinds asked, oldest first, at most once."""
    await library.save_job(job("scan-1", JobStatus.INTERRUPTED))
    await library.save_job(job("thumbs", JobStatus.INTERRUPTED, kind=JobKind.THUMBNAILS))
    await library.save_job(job("done", JobStatus.COMPLETE))
    await library.save_job(job("watch-1", JobStatus.INTERRUPTED, kind=JobKind.WATCH))
    await library.save_job(job("running", JobStatus.RUNNING))

    taken = await library.take_interrupted([JobKind.SCAN, JobKind.WATCH])
    assert [j.job_id for j in taken] == ["scan-1", "watch-1"]
    assert await library.take_interrupted([JobKind.SCAN, JobKind.WATCH, JobKind.THUMBNAILS]) == []

    # A job a later stop interrupts is new to the next start.
    assert await library.interrupt_unfinished() == 1
    again = await library.take_interrupted([JobKind.SCAN])
    assert [j.job_id for j in again] == ["running"]


def v1_library_with_an_interrupted_job(path: Path) -> None:
    """A library as the first schema left it, holding one interrupted scan."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.executescript(f"BEGIN;\n{schema.MIGRATIONS[0]}\nPRAGMA user_version = 1;\nCOMMIT;")
        conn.execute(
            "INSERT INTO jobs (id, kind, status, params, created_at) "
            "VALUES ('old', 'scan', 'interrupted', '{\"path\": \"/m\"}', "
            "'2024-05-01T10:00:00.000Z')"
        )
    finally:
        conn.close()


async def test_jobs_interrupted_before_the_upgrade_are_not_resumed(tmp_path: Path) -> None:
    """Migrating a library from before watches: its old interrupted jobs count as looked at."""
    path = tmp_path / "library.db"
    await trio.to_thread.run_sync(v1_library_with_an_interrupted_job, path)
    async with open_library(path) as library:
        assert await library.list_watches() == []
        stored = await library.get_job("old")
        assert stored is not None
        assert stored.status == JobStatus.INTERRUPTED
        assert await library.take_interrupted([JobKind.SCAN]) == []
