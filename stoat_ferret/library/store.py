"""SQLite access, always from worker threads.

:class:`Library` is the one class callers see; its reads of videos, folders and
duplicates live in :mod:`.reads` (with their SQL in :mod:`.queries`), its job history in
:mod:`.jobstore`, and this module keeps the connections, health and the scan's writes.

Two connections: one writer and one reader, each used by one thread at a time
(a ``CapacityLimiter(1)`` apiece). WAL mode lets readers run while a scan writes.
A call that is under way when its caller is cancelled still finishes in its
thread, so a transaction is never left half-applied.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import attrs
import trio

from ..naturalsort import natural_key
from ..probe.parse import ProbeResult
from ..protocol import ErrorCode
from ..timestamps import format_timestamp, optional_timestamp, utc_now
from . import lock, rows, schema
from .errors import DataDirUnusable, NotALibrary
from .health import FileId, LibraryProblem, classify, file_id, identity_problem, storage_problem
from .jobstore import JobRecords
from .models import TECHNICAL_VERSION, KnownFile, Video
from .queries import fts_query
from .reads import VideoPage, VideoReads
from .schema import SchemaTooNew, migrate

T = TypeVar("T")

log = logging.getLogger(__name__)

__all__ = ["Library", "ProbedFile", "VideoPage", "fts_query", "open_library"]


@attrs.frozen
class ProbedFile:
    """A file that was probed during a scan, ready to be written to the library."""

    path: str
    mtime_ns: int
    probe: ProbeResult


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30.0)
    try:
        _configure(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _configure(conn: sqlite3.Connection) -> None:
    conn.row_factory = sqlite3.Row
    # The natural order of file names, for the migration that fills the column and queries.
    conn.create_function("natural_key", 1, natural_key, deterministic=True)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


def _probed_values(item: ProbedFile) -> dict[str, Any]:
    """The columns a probe fills, as named parameters."""
    p = item.probe
    video = p.video
    audio = p.audio_streams[0] if p.audio_streams else None
    return {
        "path": item.path,
        "directory": os.path.dirname(item.path),
        "filename": os.path.basename(item.path),
        "filename_key": natural_key(os.path.basename(item.path)),
        "duration_frames": p.duration_frames,
        "duration_seconds": p.duration_seconds,
        "num": p.frame_rate_numerator,
        "den": p.frame_rate_denominator,
        "frame_rate": float(p.frame_rate),
        "width": p.width,
        "height": p.height,
        "video_codec": p.video_codec,
        "audio_codec": p.audio_codec,
        "container": p.format_name,
        "file_size": p.file_size,
        "mtime": item.mtime_ns,
        "technical": p.to_json(),
        "technical_version": TECHNICAL_VERSION,
        "display_width": video.display_width if video else None,
        "display_height": video.display_height if video else None,
        "rotation": video.rotation if video else None,
        "pixel_format": video.pixel_format if video else None,
        "bit_depth": video.bit_depth if video else None,
        "field_order": video.field_order if video else None,
        "hdr_format": video.hdr_format if video else None,
        "vfr": None
        if video is None or video.variable_frame_rate is None
        else int(video.variable_frame_rate),
        "start_timecode": p.start_timecode,
        "end_timecode": p.end_timecode,
        "bit_rate": p.container.bit_rate,
        "audio_channels": audio.channels if audio else None,
        "audio_layout": audio.channel_layout if audio else None,
        "audio_sample_rate": audio.sample_rate if audio else None,
        "creation_time": optional_timestamp(p.container.creation_time),
    }


#: The columns a probe fills, and the parameter of :func:`_probed_values` for each.
_PROBED_COLUMNS = {
    "filename_key": "filename_key",
    "duration_frames": "duration_frames",
    "duration_seconds": "duration_seconds",
    "frame_rate_numerator": "num",
    "frame_rate_denominator": "den",
    "frame_rate": "frame_rate",
    "width": "width",
    "height": "height",
    "video_codec": "video_codec",
    "audio_codec": "audio_codec",
    "container": "container",
    "file_size": "file_size",
    "file_mtime_ns": "mtime",
    "technical": "technical",
    "technical_version": "technical_version",
    "display_width": "display_width",
    "display_height": "display_height",
    "rotation": "rotation",
    "pixel_format": "pixel_format",
    "bit_depth": "bit_depth",
    "field_order": "field_order",
    "hdr_format": "hdr_format",
    "variable_frame_rate": "vfr",
    "start_timecode": "start_timecode",
    "end_timecode": "end_timecode",
    "bit_rate": "bit_rate",
    "audio_channels": "audio_channels",
    "audio_layout": "audio_layout",
    "audio_sample_rate": "audio_sample_rate",
    "creation_time": "creation_time",
}
_PROBED_SET = ", ".join(f"{column} = :{param}" for column, param in _PROBED_COLUMNS.items())
_INSERT_PROBED = (
    "INSERT INTO videos (id, path, directory, filename, created_at, updated_at, probed_at, "
    f"{', '.join(_PROBED_COLUMNS)}) VALUES (:id, :path, :directory, :filename, :now, :now, "
    f":now, {', '.join(':' + param for param in _PROBED_COLUMNS.values())})"
)


def _under(directory: str, *, recursive: bool) -> tuple[str, tuple[str, ...]]:
    """A WHERE clause selecting videos in ``directory`` (and below, if recursive)."""
    if not recursive:
        return "directory = ?", (directory,)
    prefix = directory.rstrip("/") + "/"
    # Every path below `prefix` sorts between "prefix" and "prefix" with "/" bumped to "0".
    return "(path > ? AND path < ?)", (prefix, prefix[:-1] + "0")


class Library(VideoReads, JobRecords):
    """The library's database. Create with :func:`open_library`.

    Every write first checks that the database path still names the file the
    connections opened (a deleted or replaced database would swallow writes that a
    restart loses), and SQLite errors that say the database cannot be used (disk
    full, read-only, I/O error) come out as :class:`~.errors.StorageFull` or
    :class:`~.errors.LibraryUnavailable`, which the API answers with 503.
    """

    def __init__(
        self,
        writer: sqlite3.Connection,
        reader: sqlite3.Connection,
        *,
        path: Path,
        opened: FileId,
    ) -> None:
        self._writer = writer
        self._reader = reader
        self._path = path
        self._opened = opened
        self._write_limiter = trio.CapacityLimiter(1)
        self._read_limiter = trio.CapacityLimiter(1)
        #: Why the latest write failed, until one succeeds.
        self._write_problem: LibraryProblem | None = None

    @property
    def path(self) -> Path:
        return self._path

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await trio.to_thread.run_sync(self._checked_write, fn, limiter=self._write_limiter)

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await trio.to_thread.run_sync(self._checked_read, fn, limiter=self._read_limiter)

    def _checked_write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        problem = identity_problem(self._path, self._opened)
        if problem is not None:
            self._note_write(problem)
            raise problem.as_error()
        try:
            result = fn(self._writer)
        except sqlite3.Error as exc:
            problem = classify(exc, self._path)
            if problem is None:
                raise
            self._note_write(problem)
            raise problem.as_error() from exc
        self._note_write(None)
        return result

    def _checked_read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return fn(self._reader)
        except sqlite3.Error as exc:
            problem = classify(exc, self._path)
            if problem is None:
                raise
            raise problem.as_error() from exc

    def _note_write(self, problem: LibraryProblem | None) -> None:
        """Remember how the latest write went; log when that changes."""
        before, self._write_problem = self._write_problem, problem
        if problem is not None and problem != before:
            log.error("cannot write to the library: %s", problem.reason)
        elif problem is None and before is not None:
            log.warning("the library can be written again")

    # -- health ---------------------------------------------------------------------------

    async def check(self) -> LibraryProblem | None:
        """What is wrong with the database now, or ``None`` if it is fit for use.

        Wrong: the path no longer names the file the server opened (deleted or
        replaced), its file system is read-only or full, it cannot answer a query,
        or the latest write failed (until a write succeeds again).
        """

        def run() -> LibraryProblem | None:
            problem = identity_problem(self._path, self._opened) or storage_problem(
                self._path.parent
            )
            if problem is not None:
                return problem
            try:
                self._reader.execute("SELECT count(*) FROM videos").fetchone()
            except sqlite3.Error as exc:
                return classify(exc, self._path) or LibraryProblem(
                    ErrorCode.LIBRARY_UNAVAILABLE, f"the library cannot be read: {exc}"
                )
            return self._write_problem

        return await trio.to_thread.run_sync(run, limiter=self._read_limiter)

    # -- videos -----------------------------------------------------------------------------

    async def delete_video(self, video_id: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM videos WHERE id = ?", (video_id,)).rowcount > 0

        return await self._write(run)

    # -- scans ----------------------------------------------------------------------------

    async def known_files(self, directory: str, *, recursive: bool) -> dict[str, KnownFile]:
        """What the library holds in ``directory``: the baseline a rescan compares against."""
        where, args = _under(directory, recursive=recursive)

        def run(conn: sqlite3.Connection) -> dict[str, KnownFile]:
            rows = conn.execute(
                "SELECT path, file_size, file_mtime_ns, missing_since, technical_version "
                f"FROM videos WHERE {where}",
                args,
            ).fetchall()
            return {
                r["path"]: KnownFile(
                    r["path"],
                    r["file_size"],
                    r["file_mtime_ns"],
                    r["missing_since"] is not None,
                    stale=r["technical_version"] < TECHNICAL_VERSION,
                )
                for r in rows
            }

        return await self._read(run)

    async def save_probed(self, files: Sequence[ProbedFile]) -> tuple[int, int]:
        """Insert or update probed files in one transaction; return ``(new, updated)``."""

        def run(conn: sqlite3.Connection) -> tuple[int, int]:
            now = format_timestamp(utc_now())
            new = updated = 0
            with _transaction(conn):
                for item in files:
                    values = {**_probed_values(item), "now": now}
                    cur = conn.execute(
                        f"UPDATE videos SET {_PROBED_SET}, "
                        # The file changed, so its thumbnail shows something else: make anew.
                        "thumbnail_path = NULL, "
                        "missing_since = NULL, updated_at = :now, probed_at = :now "
                        "WHERE path = :path",
                        values,
                    )
                    if cur.rowcount:
                        updated += 1
                        continue
                    conn.execute(_INSERT_PROBED, {**values, "id": str(uuid.uuid4())})
                    new += 1
            return new, updated

        return await self._write(run)

    # -- thumbnails -----------------------------------------------------------------------

    async def videos_for_thumbnails(
        self, video_ids: Sequence[str] | None = None, *, force: bool = False
    ) -> list[Video]:
        """Videos to make thumbnails for: those named (or all present ones), by path.

        Without ``force``, only those that have no thumbnail yet.
        """
        where = ["missing_since IS NULL"]
        args: list[Any] = []
        if not force:
            where.append("thumbnail_path IS NULL")
        if video_ids is not None:
            where.append("id IN (SELECT value FROM json_each(?))")
            args.append(json.dumps(list(video_ids)))

        def run(conn: sqlite3.Connection) -> list[Video]:
            found = conn.execute(
                f"SELECT {rows.VIDEO_COLUMNS} FROM videos WHERE {' AND '.join(where)} "
                "ORDER BY path",
                args,
            ).fetchall()
            return [rows.video(r) for r in found]

        return await self._read(run)

    async def set_thumbnail(self, video_id: str, thumbnail_path: str) -> bool:
        """Record a video's thumbnail file; False if the video is gone."""

        def run(conn: sqlite3.Connection) -> bool:
            return (
                conn.execute(
                    "UPDATE videos SET thumbnail_path = ?, updated_at = ? WHERE id = ?",
                    (thumbnail_path, format_timestamp(utc_now()), video_id),
                ).rowcount
                > 0
            )

        return await self._write(run)

    async def set_missing(self, paths: Iterable[str], *, missing: bool) -> int:
        """Mark files as missing from disk (or found again); return how many changed."""
        batch = list(paths)
        if not batch:
            await trio.lowlevel.checkpoint()
            return 0

        def run(conn: sqlite3.Connection) -> int:
            now = format_timestamp(utc_now())
            changed = 0
            with _transaction(conn):
                for path in batch:
                    if missing:
                        sql = (
                            "UPDATE videos SET missing_since = ?, updated_at = ? "
                            "WHERE path = ? AND missing_since IS NULL"
                        )
                    else:
                        sql = (
                            "UPDATE videos SET missing_since = NULL, updated_at = ? "
                            "WHERE path = ? AND missing_since IS NOT NULL"
                        )
                    args = (now, now, path) if missing else (now, path)
                    changed += conn.execute(sql, args).rowcount
            return changed

        return await self._write(run)


class _transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")


@asynccontextmanager
async def open_library(path: Path) -> AsyncIterator[Library]:
    """Open (creating and migrating if needed) the library at ``path``.

    First takes the library's lock (:mod:`.lock`), so nothing is migrated or marked
    while another process has the library; holds it until the block ends. Raises a
    :class:`~.errors.LibraryOpenError` with a one-line reason when the data directory
    cannot be used, the library is in use, or the file is not a stoat-ferret library.
    """

    def open_all() -> tuple[int, sqlite3.Connection, sqlite3.Connection, FileId]:
        lock.make_data_dir(path.parent)
        lock_fd = lock.acquire(path)
        writer: sqlite3.Connection | None = None
        try:
            writer = _open_writer(path)
            reader = _connect(path)
            return lock_fd, writer, reader, file_id(path)
        except BaseException:
            if writer is not None:
                writer.close()
            lock.release(lock_fd)
            raise

    lock_fd, writer, reader, opened = await trio.to_thread.run_sync(open_all)
    try:
        yield Library(writer, reader, path=path, opened=opened)
    finally:
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(_close_all, writer, reader, lock_fd)


def _open_writer(path: Path) -> sqlite3.Connection:
    """Connect, check that the file is ours (or new) before changing it at all, and migrate."""
    writer = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30.0)
    try:
        try:
            (version,) = writer.execute("PRAGMA user_version").fetchone()
            (tables,) = writer.execute(
                "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'"
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise _open_error(exc, path) from exc
        if version == 0 and tables:
            raise NotALibrary(
                f"{path} is a database of another program, not a stoat-ferret library"
            )
        if version > schema.SCHEMA_VERSION:
            raise SchemaTooNew(
                f"database schema version {version} is newer than this program's "
                f"{schema.SCHEMA_VERSION}; upgrade stoat-ferret to open it"
            )
        try:
            _configure(writer)
        except sqlite3.DatabaseError as exc:
            raise _open_error(exc, path) from exc
        migrate(writer)
    except BaseException:
        writer.close()
        raise
    return writer


def _open_error(exc: sqlite3.DatabaseError, path: Path) -> Exception:
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_NOTADB"):
        return NotALibrary(f"{path} is not a stoat-ferret library (not an SQLite database)")
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_IOERR")):
        return DataDirUnusable(f"the library at {path} cannot be opened for writing: {exc}")
    return exc


def _close_all(writer: sqlite3.Connection, reader: sqlite3.Connection, lock_fd: int) -> None:
    try:
        reader.close()
        writer.close()
    finally:
        lock.release(lock_fd)
