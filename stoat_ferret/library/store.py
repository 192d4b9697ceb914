"""SQLite access, always from worker threads.

:class:`Library` is the one class callers see; its reads of videos, folders and
duplicates live in :mod:`.reads` (with their SQL in :mod:`.queries`), its job history in
:mod:`.jobstore`, and this module keeps the connections, health and the scan's writes.

One writer connection, used by one thread at a time (a ``CapacityLimiter(1)``); a
pool of reader connections, each used by one thread at a time, so reads run side by
side and a slow query never queues a fast one behind it (deep pages by offset, whose time
grows with the offset, run on at most one thread fewer than the CPUs, so however many are
asked for at once the event loop keeps a CPU); and one connection of its own for the
readiness check, so it never waits behind either. WAL mode lets readers
run while a scan writes. A call that is under way when its caller is cancelled still
finishes in its thread, so a transaction is never left half-applied.
"""

from __future__ import annotations

import json
import logging
import os
import queue
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
from .access import transaction
from .errors import DataDirUnusable, NotALibrary
from .health import FileId, LibraryProblem, classify, file_id, identity_problem, storage_problem
from .jobstore import JobRecords
from .models import TECHNICAL_VERSION, KnownFile, SavedFiles, Video, VideoMove, WatchRecord
from .queries import fts_query
from .ranking import PhraseCounts
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
    #: The file's content fingerprint (``<size>:<hex>``); None if it was not read.
    fingerprint: str | None = None


@attrs.frozen
class FingerprintedFile:
    """The fingerprint of a file the library holds, read when the file was as recorded."""

    path: str
    size: int
    mtime_ns: int
    fingerprint: str


#: Seconds a connection waits for a lock before SQLite says the database is busy.
BUSY_TIMEOUT = 30.0
#: The same for the readiness check's connection, which must answer within seconds.
CHECK_BUSY_TIMEOUT = 1.0
#: Each reader connection's page cache, in KiB (SQLite's own default is 2 MiB). A sorted
#: page with a filter walks the sort's index and reads every row it passes, hundreds of
#: rows on as many pages (a row holds its technical metadata, some 1.5 kB): at a million
#: videos they did not fit in 2 MiB, so each such page read them from the OS again (2.4 ms
#: a page instead of 1.5). A larger cache costs a long scan (a deep page by offset) time
#: in the CPU's caches: 8 MiB holds a few such walks for a tenth more on a deep page.
#: Filled only as pages are read; at most readers x this much.
READER_CACHE_KIB = 8 * 1024


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
    # The natural order of file names, for the migration that fills the column and queries.
    conn.create_function("natural_key", 1, natural_key, deterministic=True)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


#: What a rescan compares against: see :func:`_known`.
_KNOWN_COLUMNS = "path, file_size, file_mtime_ns, missing_since, technical_version, fingerprint"


def _known(row: sqlite3.Row) -> KnownFile:
    return KnownFile(
        row["path"],
        row["file_size"],
        row["file_mtime_ns"],
        row["missing_since"] is not None,
        stale=row["technical_version"] < TECHNICAL_VERSION,
        fingerprint=row["fingerprint"],
    )


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
        "fingerprint": item.fingerprint,
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
    "fingerprint": "fingerprint",
}
_PROBED_SET = ", ".join(f"{column} = :{param}" for column, param in _PROBED_COLUMNS.items())
# The thumbnail and the scrub strip show the content: kept when the content is the same
# (the same fingerprint; for a video stored before fingerprints were kept, the same size
# and mtime, the evidence a scan skips unchanged files on), made anew otherwise. SQLite
# evaluates every expression of an UPDATE against the row as it was, so ``fingerprint``
# here is the stored one.
_SAME_CONTENT = (
    "fingerprint = :fingerprint OR (fingerprint IS NULL "
    "AND file_size = :file_size AND file_mtime_ns = :mtime)"
)
_KEEP_PICTURES = (
    f"thumbnail_path = CASE WHEN {_SAME_CONTENT} THEN thumbnail_path END, "
    f"strip_frames = CASE WHEN {_SAME_CONTENT} THEN strip_frames END"
)
_UPDATE_PROBED = (
    f"UPDATE videos SET {_PROBED_SET}, {_KEEP_PICTURES}, missing_since = NULL, "
    "updated_at = :now, probed_at = :now WHERE path = :path RETURNING id"
)
# A video moved: a missing video's fingerprint at a path the library does not hold. Of
# several, the one with the same file name first, then the one missing most recently
# (``missing_since`` sorts as time does), then by path, so the choice never depends on
# the order rows happen to be read in.
_MOVE_CANDIDATE = (
    "SELECT id, path FROM videos WHERE fingerprint = :fingerprint "
    "AND missing_since IS NOT NULL "
    "ORDER BY filename = :filename DESC, missing_since DESC, path LIMIT 1"
)
_MOVE = (
    "UPDATE videos SET path = :path, directory = :directory, filename = :filename, "
    f"{_PROBED_SET}, {_KEEP_PICTURES}, missing_since = NULL, updated_at = :now, "
    "probed_at = :now WHERE id = :id"
)
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
        readers: Sequence[sqlite3.Connection],
        checker: sqlite3.Connection,
        *,
        path: Path,
        opened: FileId,
        deep_readers: int | None = None,
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
        #: How many deep reads (:data:`~.access.DEEP_OFFSET`) run at once.
        self._deep_limiter = trio.CapacityLimiter(
            deep_readers if deep_readers is not None else default_deep_readers()
        )
        self._check_limiter = trio.CapacityLimiter(1)
        self._phrase_counts = PhraseCounts()
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

    async def _read(self, fn: Callable[[sqlite3.Connection], T], *, deep: bool = False) -> T:
        if deep:
            async with self._deep_limiter:
                return await self._read(fn)
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
            records = conn.execute(
                f"SELECT {_KNOWN_COLUMNS} FROM videos WHERE {where}", args
            ).fetchall()
            return {r["path"]: _known(r) for r in records}

        return await self._read(run)

    async def known_files_at(
        self, paths: Iterable[str], *, under: Iterable[str] = ()
    ) -> dict[str, KnownFile]:
        """What the library holds at exactly ``paths``, and anywhere below the folders ``under``.

        The baseline of a scan limited to given paths (a watched folder's changes).
        """
        exact = json.dumps(sorted(set(paths)))
        ranges = [_under(folder, recursive=True)[1] for folder in sorted(set(under))]

        def run(conn: sqlite3.Connection) -> dict[str, KnownFile]:
            records = conn.execute(
                f"SELECT {_KNOWN_COLUMNS} FROM videos "
                "WHERE path IN (SELECT value FROM json_each(?))",
                (exact,),
            ).fetchall()
            for low, high in ranges:
                records += conn.execute(
                    f"SELECT {_KNOWN_COLUMNS} FROM videos WHERE path > ? AND path < ?",
                    (low, high),
                ).fetchall()
            return {r["path"]: _known(r) for r in records}

        return await self._read(run)

    async def save_probed(self, files: Sequence[ProbedFile]) -> SavedFiles:
        """Write probed files in one transaction; the ids of what each became.

        A file at a path the library holds updates that video (and clears ``missing``).
        A file at a new path whose fingerprint matches a video marked missing is that
        video, moved: it keeps its id, thumbnail and ``created_at`` and takes the new
        path (see ``_MOVE_CANDIDATE`` for which of several). Any other file is added.
        Either way the thumbnail and strip are kept only if the content is the same
        (``_KEEP_PICTURES``).
        """

        def run(conn: sqlite3.Connection) -> SavedFiles:
            now = format_timestamp(utc_now())
            added: list[str] = []
            updated: list[str] = []
            moved: list[VideoMove] = []
            with transaction(conn):
                for item in files:
                    values = {**_probed_values(item), "now": now}
                    # fetchall: a RETURNING statement is finished only once read to the end.
                    records = conn.execute(_UPDATE_PROBED, values).fetchall()
                    if records:
                        updated.append(records[0]["id"])
                        continue
                    if item.fingerprint is not None:
                        found = conn.execute(_MOVE_CANDIDATE, values).fetchone()
                        if found is not None:
                            conn.execute(_MOVE, {**values, "id": found["id"]})
                            moved.append(VideoMove(found["id"], found["path"], item.path))
                            continue
                    video_id = str(uuid.uuid4())
                    conn.execute(_INSERT_PROBED, {**values, "id": video_id})
                    added.append(video_id)
            return SavedFiles(added=tuple(added), updated=tuple(updated), moved=tuple(moved))

        return await self._write(run)

    async def set_fingerprints(self, files: Sequence[FingerprintedFile]) -> int:
        """Record fingerprints of unchanged files stored without one; return how many.

        A file whose recorded size or mtime no longer matches the one it was read at
        is left alone: the fingerprint may not be of the content the library describes.
        """
        if not files:
            await trio.lowlevel.checkpoint()
            return 0

        def run(conn: sqlite3.Connection) -> int:
            changed = 0
            with transaction(conn):
                for item in files:
                    changed += conn.execute(
                        "UPDATE videos SET fingerprint = ? "
                        "WHERE path = ? AND file_size = ? AND file_mtime_ns = ?",
                        (item.fingerprint, item.path, item.size, item.mtime_ns),
                    ).rowcount
            return changed

        return await self._write(run)

    async def purge_missing(self, folder: str | None = None) -> list[str]:
        """Remove every video marked missing (in or below ``folder``); their ids, by path."""
        where, args = ("1", ()) if folder is None else _under(folder, recursive=True)

        def run(conn: sqlite3.Connection) -> list[str]:
            condition = f"missing_since IS NOT NULL AND {where}"
            with transaction(conn):
                ids = [
                    row["id"]
                    for row in conn.execute(
                        f"SELECT id FROM videos WHERE {condition} ORDER BY path", args
                    )
                ]
                conn.execute(f"DELETE FROM videos WHERE {condition}", args)
            return ids

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

    async def set_missing(self, paths: Iterable[str], *, missing: bool) -> list[str]:
        """Mark files as missing from disk (or found again); the ids of those that changed."""
        batch = list(paths)
        if not batch:
            await trio.lowlevel.checkpoint()
            return []

        def run(conn: sqlite3.Connection) -> list[str]:
            now = format_timestamp(utc_now())
            changed: list[str] = []
            with transaction(conn):
                for path in batch:
                    if missing:
                        sql = (
                            "UPDATE videos SET missing_since = ?, updated_at = ? "
                            "WHERE path = ? AND missing_since IS NULL RETURNING id"
                        )
                    else:
                        sql = (
                            "UPDATE videos SET missing_since = NULL, updated_at = ? "
                            "WHERE path = ? AND missing_since IS NOT NULL RETURNING id"
                        )
                    args = (now, now, path) if missing else (now, path)
                    changed.extend(row["id"] for row in conn.execute(sql, args).fetchall())
            return changed

        return await self._write(run)

    # -- watched folders ------------------------------------------------------------------

    async def list_watches(self) -> list[WatchRecord]:
        """Every watched folder, oldest first."""

        def run(conn: sqlite3.Connection) -> list[WatchRecord]:
            records = conn.execute(
                "SELECT id, path, poll, created_at, last_change_at, job_id FROM watches "
                "ORDER BY seq"
            ).fetchall()
            return [rows.watch(r) for r in records]

        return await self._read(run)

    async def add_watch(self, watch: WatchRecord) -> None:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO watches (id, path, poll, created_at, last_change_at, job_id) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    watch.id,
                    watch.path,
                    int(watch.poll),
                    format_timestamp(watch.created_at),
                    optional_timestamp(watch.last_change_at),
                    watch.job_id,
                ),
            )

        await self._write(run)

    async def update_watch(self, watch: WatchRecord) -> None:
        """Store a watch's latest change and latest job."""

        def run(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE watches SET last_change_at = ?, job_id = ? WHERE id = ?",
                (optional_timestamp(watch.last_change_at), watch.job_id, watch.id),
            )

        await self._write(run)

    async def remove_watch(self, watch_id: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM watches WHERE id = ?", (watch_id,)).rowcount > 0

        return await self._write(run)


def default_deep_readers() -> int:
    """One fewer than the machine's CPUs, and at least one."""
    return max(1, (os.cpu_count() or 1) - 1)


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
async def open_library(
    path: Path, *, readers: int = 4, deep_readers: int | None = None
) -> AsyncIterator[Library]:
    """Open (creating and migrating if needed) the library at ``path``.

    ``readers`` is the number of reader connections, hence of reads at once (the
    service passes ``STOAT_DATABASE_READERS``); ``deep_readers`` how many of those may be
    deep reads (:data:`~.access.DEEP_OFFSET`; by default :func:`default_deep_readers`).
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
                reader = _connect(path)
                opened.append(reader)
                reader.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")
            opened.append(_connect(path, timeout=CHECK_BUSY_TIMEOUT))
            return _Connections(lock_fd, opened[0], tuple(opened[1:-1]), opened[-1], file_id(path))
        except BaseException:
            for conn in opened:
                conn.close()
            lock.release(lock_fd)
            raise

    conns = await trio.to_thread.run_sync(open_all)
    library = Library(
        conns.writer,
        conns.readers,
        conns.checker,
        path=path,
        opened=conns.opened,
        deep_readers=deep_readers,
    )
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
