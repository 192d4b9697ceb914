"""Schema migrations keyed by PRAGMA user_version, on real SQLite files."""

from __future__ import annotations

import sqlite3
from fractions import Fraction
from pathlib import Path

import pytest
import trio

from stoat_ferret.library import schema
from stoat_ferret.library.schema import SCHEMA_VERSION, SchemaTooNew, migrate
from stoat_ferret.library.store import ProbedFile, open_library
from stoat_ferret.probe.parse import ProbeResult

from ..support.results import counts

TABLES = {"videos", "videos_fts", "jobs"}


def pragma(path: Path, name: str) -> object:
    """Read one PRAGMA through a connection of its own (synchronous: run in a thread)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    return {name for (name,) in rows}


def set_user_version(path: Path, version: int) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"PRAGMA user_version = {version}")
    finally:
        conn.close()


def a_probed_file() -> ProbedFile:
    return ProbedFile(
        "/media/a.mp4",
        1,
        ProbeResult(
            duration_seconds=1.0,
            frame_rate=Fraction(25),
            duration_frames=25,
            width=64,
            height=48,
            video_codec="h264",
            audio_codec=None,
            file_size=10,
            format_name="mov,mp4,m4a,3gp,3g2,mj2",
        ),
    )


def test_migrate_from_empty_sets_user_version(tmp_path: Path) -> None:
    """Migrating an empty database creates the tables and sets user_version to the latest."""
    path = tmp_path / "library.db"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert migrate(conn) == 0
        assert migrate(conn) == SCHEMA_VERSION
    finally:
        conn.close()
    assert pragma(path, "user_version") == SCHEMA_VERSION
    assert tables(path) >= TABLES


async def test_open_library_creates_and_migrates(tmp_path: Path) -> None:
    """open_library makes the parent directory and a database at the latest version."""
    path = tmp_path / "new" / "dir" / "library.db"
    async with open_library(path) as library:
        assert await library.count_videos() == 0
    assert await trio.to_thread.run_sync(pragma, path, "user_version") == SCHEMA_VERSION
    assert await trio.to_thread.run_sync(tables, path) >= TABLES


async def test_reopening_is_idempotent(tmp_path: Path) -> None:
    """Opening an up-to-date database again keeps its version and its data."""
    path = tmp_path / "library.db"
    async with open_library(path) as library:
        assert counts(await library.save_probed([a_probed_file()])) == (1, 0)
    async with open_library(path) as library:
        assert await library.count_videos() == 1
        [video], _ = await library.search_videos("a", limit=5)
        assert video.path == "/media/a.mp4"
    assert await trio.to_thread.run_sync(pragma, path, "user_version") == SCHEMA_VERSION


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    """A database from a newer program raises SchemaTooNew and is left untouched."""
    path = tmp_path / "library.db"
    await trio.to_thread.run_sync(set_user_version, path, SCHEMA_VERSION + 1)
    with pytest.raises(SchemaTooNew, match=f"version {SCHEMA_VERSION + 1} is newer"):
        async with open_library(path):
            pytest.fail("open_library must not yield a library for a newer schema")
    assert await trio.to_thread.run_sync(pragma, path, "user_version") == SCHEMA_VERSION + 1
    assert await trio.to_thread.run_sync(tables, path) == set()


async def test_wal_mode_is_on(tmp_path: Path) -> None:
    """The database is in WAL journal mode, as seen by an unrelated connection."""
    path = tmp_path / "library.db"
    async with open_library(path):
        assert await trio.to_thread.run_sync(pragma, path, "journal_mode") == "wal"
    assert await trio.to_thread.run_sync(pragma, path, "journal_mode") == "wal"


async def test_failed_migration_step_is_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration step that fails halfway leaves the database at the previous version."""
    path = tmp_path / "library.db"
    async with open_library(path):
        pass
    broken_step = "CREATE TABLE extra (x INTEGER);\nCREATE TABLE broken (;"
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, broken_step))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(sqlite3.OperationalError, match="syntax error"):
        async with open_library(path):
            pytest.fail("open_library must not yield a library after a failed migration")
    assert await trio.to_thread.run_sync(pragma, path, "user_version") == SCHEMA_VERSION
    assert "extra" not in await trio.to_thread.run_sync(tables, path)
