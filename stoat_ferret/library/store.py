"""SQLite access, always from worker threads.

One writer connection, used by one thread at a time (a ``CapacityLimiter(1)``); a
pool of reader connections, each used by one thread at a time, so reads run side by
side and a slow query never queues a fast one behind it; and one connection of its
own for the readiness check, so it never waits behind either. WAL mode lets readers
run while a scan writes. A call that is under way when its caller is cancelled still
finishes in its thread, so a transaction is never left half-applied.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import attrs
import trio

from ..jobs.models import JobSnapshot
from ..jobs.results import load_result
from ..probe.parse import ProbeResult
from ..protocol import ErrorCode, JobStatus
from ..timestamps import (
    format_timestamp,
    optional_timestamp,
    parse_optional_timestamp,
    parse_timestamp,
    utc_now,
)
from . import lock, schema
from .errors import DataDirUnusable, NotALibrary
from .health import FileId, LibraryProblem, classify, file_id, identity_problem, storage_problem
from .models import KnownFile, LibraryCounts, Video
from .schema import SchemaTooNew, migrate

T = TypeVar("T")

log = logging.getLogger(__name__)

_VIDEO_COLUMNS = (
    "id, path, filename, duration_frames, duration_seconds, frame_rate_numerator, "
    "frame_rate_denominator, width, height, video_codec, audio_codec, container, file_size, "
    "thumbnail_path, strip_frames, missing_since, created_at, updated_at, probed_at"
)
_JOB_COLUMNS = (
    "id, kind, status, params, progress, processed, total, current_file, result, error, "
    "created_at, started_at, finished_at"
)
_WORD = re.compile(r"\w+", re.UNICODE)


@attrs.frozen
class ProbedFile:
    """A file that was probed during a scan, ready to be written to the library."""

    path: str
    mtime_ns: int
    probe: ProbeResult


def fts_query(text: str) -> str | None:
    """Turn free text into an FTS5 query that cannot be a syntax error.

    Every word becomes a quoted prefix term and all must match, so ``beach 20``
    finds ``/media/Beach_2019.mp4``. ``None`` when the text holds no word at all.
    """
    words = _WORD.findall(text)
    if not words:
        return None
    return " ".join(f'"{word}"*' for word in words)


#: Seconds a connection waits for a lock before SQLite says the database is busy.
BUSY_TIMEOUT = 30.0
#: The same for the readiness check's connection, which must answer within seconds.
CHECK_BUSY_TIMEOUT = 1.0


def _connect(path: Path, *, timeout: float = BUSY_TIMEOUT) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=timeout)
    try:
        _configure(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _configure(conn: sqlite3.Connection) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


def _video(row: sqlite3.Row) -> Video:
    return Video(
        id=row["id"],
        path=row["path"],
        filename=row["filename"],
        duration_frames=row["duration_frames"],
        duration_seconds=row["duration_seconds"],
        frame_rate_numerator=row["frame_rate_numerator"],
        frame_rate_denominator=row["frame_rate_denominator"],
        width=row["width"],
        height=row["height"],
        video_codec=row["video_codec"],
        audio_codec=row["audio_codec"],
        container=row["container"],
        file_size=row["file_size"],
        thumbnail_path=row["thumbnail_path"],
        strip_frames=row["strip_frames"],
        missing=row["missing_since"] is not None,
        missing_since=parse_optional_timestamp(row["missing_since"]),
        created_at=parse_timestamp(row["created_at"]),
        updated_at=parse_timestamp(row["updated_at"]),
        probed_at=parse_timestamp(row["probed_at"]),
    )


def _job(row: sqlite3.Row) -> JobSnapshot:
    kind = row["kind"]
    return JobSnapshot(
        job_id=row["id"],
        kind=kind,
        status=JobStatus(row["status"]),
        params=json.loads(row["params"]),
        progress=row["progress"],
        processed=row["processed"],
        total=row["total"],
        current_file=row["current_file"],
        result=load_result(kind, json.loads(row["result"])) if row["result"] is not None else None,
        error=row["error"],
        created_at=parse_timestamp(row["created_at"]),
        started_at=parse_optional_timestamp(row["started_at"]),
        finished_at=parse_optional_timestamp(row["finished_at"]),
    )


def _under(directory: str, *, recursive: bool) -> tuple[str, tuple[str, ...]]:
    """A WHERE clause selecting videos in ``directory`` (and below, if recursive)."""
    if not recursive:
        return "directory = ?", (directory,)
    prefix = directory.rstrip("/") + "/"
    # Every path below `prefix` sorts between "prefix" and "prefix" with "/" bumped to "0".
    return "(path > ? AND path < ?)", (prefix, prefix[:-1] + "0")


class Library:
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
        readers: Sequence[sqlite3.Connection],
        checker: sqlite3.Connection,
        *,
        path: Path,
        opened: FileId,
    ) -> None:
        if not readers:
            raise ValueError("a library needs at least one reader connection")
        self._writer = writer
        #: Reader connections not in use. A read takes one inside its thread; the
        #: limiter lets no more threads in than there are connections, so one is there.
        self._idle_readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        for reader in readers:
            self._idle_readers.put(reader)
        self._checker = checker
        self._path = path
        self._opened = opened
        self._write_limiter = trio.CapacityLimiter(1)
        self._read_limiter = trio.CapacityLimiter(len(readers))
        self._check_limiter = trio.CapacityLimiter(1)
        #: Why the latest write failed, until one succeeds.
        self._write_problem: LibraryProblem | None = None

    @property
    def path(self) -> Path:
        return self._path

    @property
    def readers(self) -> int:
        """Reader connections: how many reads can run at once."""
        return int(self._read_limiter.total_tokens)

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
        reader = self._idle_readers.get_nowait()
        try:
            return fn(reader)
        except sqlite3.Error as exc:
            problem = classify(exc, self._path)
            if problem is None:
                raise
            raise problem.as_error() from exc
        finally:
            self._idle_readers.put(reader)

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

        It costs the same for a million videos as for none (the query reads the
        database's header, not its tables), and it runs on a connection of its own,
        so it never waits behind other reads or the writer. A caller that gives up
        waiting (a timeout) leaves the check to end in its thread: it changes nothing.
        """

        def run() -> LibraryProblem | None:
            problem = identity_problem(self._path, self._opened) or storage_problem(
                self._path.parent
            )
            if problem is not None:
                return problem
            try:
                self._checker.execute("PRAGMA user_version").fetchone()
            except sqlite3.Error as exc:
                return classify(exc, self._path) or LibraryProblem(
                    ErrorCode.LIBRARY_UNAVAILABLE, f"the library cannot be read: {exc}"
                )
            return self._write_problem

        return await trio.to_thread.run_sync(
            run, limiter=self._check_limiter, abandon_on_cancel=True
        )

    # -- videos ---------------------------------------------------------------------------

    async def get_video(self, video_id: str) -> Video | None:
        def run(conn: sqlite3.Connection) -> Video | None:
            row = conn.execute(
                f"SELECT {_VIDEO_COLUMNS} FROM videos WHERE id = ?", (video_id,)
            ).fetchone()
            return _video(row) if row else None

        return await self._read(run)

    async def list_videos(self, *, limit: int, offset: int) -> tuple[list[Video], int]:
        """A page of the library, newest first (by ``created_at``, then path)."""

        def run(conn: sqlite3.Connection) -> tuple[list[Video], int]:
            rows = conn.execute(
                f"SELECT {_VIDEO_COLUMNS} FROM videos ORDER BY created_at DESC, path "
                "LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
            (total,) = conn.execute("SELECT count(*) FROM videos").fetchone()
            return [_video(r) for r in rows], int(total)

        return await self._read(run)

    async def search_videos(
        self, text: str, *, limit: int, offset: int = 0
    ) -> tuple[list[Video], int]:
        """Full-text search over file name and path, best match first."""
        query = fts_query(text)
        if query is None:
            await trio.lowlevel.checkpoint()
            return [], 0

        def run(conn: sqlite3.Connection) -> tuple[list[Video], int]:
            rows = conn.execute(
                f"SELECT {', '.join('v.' + c.strip() for c in _VIDEO_COLUMNS.split(','))} "
                "FROM videos_fts JOIN videos v ON v.seq = videos_fts.rowid "
                "WHERE videos_fts MATCH ? ORDER BY rank, v.path LIMIT ? OFFSET ?",
                (query, limit, offset),
            ).fetchall()
            (total,) = conn.execute(
                "SELECT count(*) FROM videos_fts WHERE videos_fts MATCH ?", (query,)
            ).fetchone()
            return [_video(r) for r in rows], int(total)

        return await self._read(run)

    async def delete_video(self, video_id: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM videos WHERE id = ?", (video_id,)).rowcount > 0

        return await self._write(run)

    async def count_videos(self) -> int:
        def run(conn: sqlite3.Connection) -> int:
            return int(conn.execute("SELECT count(*) FROM videos").fetchone()[0])

        return await self._read(run)

    async def summary(self) -> LibraryCounts:
        """Counts of videos, of missing ones, and of present ones without a thumbnail."""

        def run(conn: sqlite3.Connection) -> LibraryCounts:
            row = conn.execute(
                "SELECT count(*), count(missing_since), "
                "count(*) FILTER (WHERE missing_since IS NULL AND thumbnail_path IS NULL) "
                "FROM videos"
            ).fetchone()
            return LibraryCounts(videos=row[0], missing=row[1], without_thumbnail=row[2])

        return await self._read(run)

    # -- scans ----------------------------------------------------------------------------

    async def known_files(self, directory: str, *, recursive: bool) -> dict[str, KnownFile]:
        """What the library holds in ``directory``: the baseline a rescan compares against."""
        where, args = _under(directory, recursive=recursive)

        def run(conn: sqlite3.Connection) -> dict[str, KnownFile]:
            rows = conn.execute(
                f"SELECT path, file_size, file_mtime_ns, missing_since FROM videos WHERE {where}",
                args,
            ).fetchall()
            return {
                r["path"]: KnownFile(
                    r["path"], r["file_size"], r["file_mtime_ns"], r["missing_since"] is not None
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
                    p = item.probe
                    values = {
                        "path": item.path,
                        "directory": os.path.dirname(item.path),
                        "filename": os.path.basename(item.path),
                        "duration_frames": p.duration_frames,
                        "duration_seconds": p.duration_seconds,
                        "num": p.frame_rate_numerator,
                        "den": p.frame_rate_denominator,
                        "width": p.width,
                        "height": p.height,
                        "video_codec": p.video_codec,
                        "audio_codec": p.audio_codec,
                        "container": p.format_name,
                        "file_size": p.file_size,
                        "mtime": item.mtime_ns,
                        "now": now,
                    }
                    cur = conn.execute(
                        "UPDATE videos SET duration_frames = :duration_frames, "
                        "duration_seconds = :duration_seconds, frame_rate_numerator = :num, "
                        "frame_rate_denominator = :den, width = :width, height = :height, "
                        "video_codec = :video_codec, audio_codec = :audio_codec, "
                        "container = :container, file_size = :file_size, file_mtime_ns = :mtime, "
                        # The file changed, so its pictures show something else: make anew.
                        "thumbnail_path = NULL, strip_frames = NULL, "
                        "missing_since = NULL, updated_at = :now, probed_at = :now "
                        "WHERE path = :path",
                        values,
                    )
                    if cur.rowcount:
                        updated += 1
                        continue
                    conn.execute(
                        "INSERT INTO videos (id, path, directory, filename, duration_frames, "
                        "duration_seconds, frame_rate_numerator, frame_rate_denominator, width, "
                        "height, video_codec, audio_codec, container, file_size, file_mtime_ns, "
                        "created_at, updated_at, probed_at) VALUES (:id, :path, :directory, "
                        ":filename, :duration_frames, :duration_seconds, :num, :den, :width, "
                        ":height, :video_codec, :audio_codec, :container, :file_size, :mtime, "
                        ":now, :now, :now)",
                        {**values, "id": str(uuid.uuid4())},
                    )
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
            rows = conn.execute(
                f"SELECT {_VIDEO_COLUMNS} FROM videos WHERE {' AND '.join(where)} ORDER BY path",
                args,
            ).fetchall()
            return [_video(r) for r in rows]

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

    async def set_strip(self, video_id: str, frames: int) -> bool:
        """Record that a video has a scrub strip of ``frames`` frames; False if it is gone."""

        def run(conn: sqlite3.Connection) -> bool:
            return (
                conn.execute(
                    "UPDATE videos SET strip_frames = ?, updated_at = ? WHERE id = ?",
                    (frames, format_timestamp(utc_now()), video_id),
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

    # -- jobs -----------------------------------------------------------------------------

    async def save_job(self, job: JobSnapshot) -> None:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"INSERT INTO jobs ({_JOB_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET status = excluded.status, "
                "progress = excluded.progress, processed = excluded.processed, "
                "total = excluded.total, current_file = excluded.current_file, "
                "result = excluded.result, error = excluded.error, "
                "started_at = excluded.started_at, finished_at = excluded.finished_at "
                # A job's final state is written once and never overwritten.
                "WHERE jobs.status IN ('pending', 'running')",
                (
                    job.job_id,
                    job.kind,
                    str(job.status),
                    json.dumps(job.params),
                    job.progress,
                    job.processed,
                    job.total,
                    job.current_file,
                    json.dumps(job.result.to_wire()) if job.result is not None else None,
                    job.error,
                    format_timestamp(job.created_at),
                    optional_timestamp(job.started_at),
                    optional_timestamp(job.finished_at),
                ),
            )

        await self._write(run)

    async def get_job(self, job_id: str) -> JobSnapshot | None:
        def run(conn: sqlite3.Connection) -> JobSnapshot | None:
            row = conn.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
            return _job(row) if row else None

        return await self._read(run)

    async def list_jobs(
        self,
        *,
        limit: int,
        offset: int,
        status: str | None = None,
        kind: str | None = None,
        id_prefix: str | None = None,
    ) -> tuple[list[JobSnapshot], int]:
        """Job history, newest first; ``id_prefix`` keeps the jobs whose id starts with it."""
        clauses, args = [], []
        if status is not None:
            clauses.append("status = ?")
            args.append(status)
        if kind is not None:
            clauses.append("kind = ?")
            args.append(kind)
        if id_prefix is not None:
            # substr, not LIKE: a prefix holding % or _ means itself.
            clauses.append("substr(id, 1, length(?)) = ?")
            args.extend([id_prefix, id_prefix])
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""

        def run(conn: sqlite3.Connection) -> tuple[list[JobSnapshot], int]:
            rows = conn.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs {where} ORDER BY seq DESC LIMIT ? OFFSET ?",
                (*args, limit, offset),
            ).fetchall()
            (total,) = conn.execute(f"SELECT count(*) FROM jobs {where}", args).fetchone()
            return [_job(r) for r in rows], int(total)

        return await self._read(run)

    async def interrupt_unfinished(self) -> int:
        """Mark jobs left pending or running by a process that died as ``interrupted``."""

        def run(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "UPDATE jobs SET status = ?, finished_at = ?, "
                "error = coalesce(error, 'the server stopped before the job finished') "
                "WHERE status IN (?, ?)",
                (
                    str(JobStatus.INTERRUPTED),
                    format_timestamp(utc_now()),
                    str(JobStatus.PENDING),
                    str(JobStatus.RUNNING),
                ),
            ).rowcount

        return await self._write(run)


class _transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")


@attrs.frozen
class _Connections:
    lock_fd: int
    writer: sqlite3.Connection
    readers: tuple[sqlite3.Connection, ...]
    checker: sqlite3.Connection
    opened: FileId

    def close(self) -> None:
        try:
            for conn in (self.checker, *self.readers, self.writer):
                conn.close()
        finally:
            lock.release(self.lock_fd)


#: Seconds closing the library waits for a readiness check still in its thread.
CLOSE_WAIT = 5.0


@asynccontextmanager
async def open_library(path: Path, *, readers: int = 4) -> AsyncIterator[Library]:
    """Open (creating and migrating if needed) the library at ``path``.

    ``readers`` is the number of reader connections, hence of reads at once (the
    service passes ``STOAT_DATABASE_READERS``).
    First takes the library's lock (:mod:`.lock`), so nothing is migrated or marked
    while another process has the library; holds it until the block ends. Raises a
    :class:`~.errors.LibraryOpenError` with a one-line reason when the data directory
    cannot be used, the library is in use, or the file is not a stoat-ferret library.
    """
    if readers < 1:
        raise ValueError("readers must be at least 1")

    def open_all() -> _Connections:
        lock.make_data_dir(path.parent)
        lock_fd = lock.acquire(path)
        opened: list[sqlite3.Connection] = []
        try:
            opened.append(_open_writer(path))
            for _ in range(readers):
                opened.append(_connect(path))
            opened.append(_connect(path, timeout=CHECK_BUSY_TIMEOUT))
            return _Connections(lock_fd, opened[0], tuple(opened[1:-1]), opened[-1], file_id(path))
        except BaseException:
            for conn in opened:
                conn.close()
            lock.release(lock_fd)
            raise

    conns = await trio.to_thread.run_sync(open_all)
    library = Library(conns.writer, conns.readers, conns.checker, path=path, opened=conns.opened)
    try:
        yield library
    finally:
        with trio.CancelScope(shield=True):
            # Every read and write has ended in its thread by now; a readiness check a
            # caller stopped waiting for may still be in its own.
            with trio.move_on_after(CLOSE_WAIT):
                await library._check_limiter.acquire()
            await trio.to_thread.run_sync(conns.close)


def _open_writer(path: Path) -> sqlite3.Connection:
    """Connect, check that the file is ours (or new) before changing it at all, and migrate."""
    writer = sqlite3.connect(
        path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT
    )
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
