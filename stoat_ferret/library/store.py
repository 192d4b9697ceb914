"""SQLite access, always from worker threads.

Two connections: one writer and one reader, each used by one thread at a time
(a ``CapacityLimiter(1)`` apiece). WAL mode lets readers run while a scan writes.
A call that is under way when its caller is cancelled still finishes in its
thread, so a transaction is never left half-applied.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import attrs
import trio

from ..jobs.models import JobSnapshot
from ..jobs.results import load_result
from ..naturalsort import natural_key
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
from .models import (
    TECHNICAL_VERSION,
    KnownFile,
    LibraryCounts,
    SavedFiles,
    Technical,
    Video,
    VideoMove,
    WatchRecord,
)
from .schema import SchemaTooNew, migrate

T = TypeVar("T")

log = logging.getLogger(__name__)

_VIDEO_COLUMNS = (
    "id, path, directory, filename, duration_frames, duration_seconds, frame_rate_numerator, "
    "frame_rate_denominator, width, height, video_codec, audio_codec, container, file_size, "
    "file_mtime_ns, thumbnail_path, missing_since, created_at, updated_at, probed_at, "
    "fingerprint, display_width, display_height, rotation, pixel_format, bit_depth, "
    "field_order, hdr_format, variable_frame_rate, start_timecode, end_timecode, bit_rate, "
    "audio_channels, audio_layout, audio_sample_rate, creation_time"
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
    #: The file's content fingerprint (``<size>:<hex>``); None if it was not read.
    fingerprint: str | None = None


@attrs.frozen
class FingerprintedFile:
    """The fingerprint of a file the library holds, read when the file was as recorded."""

    path: str
    size: int
    mtime_ns: int
    fingerprint: str


def fts_query(text: str) -> str | None:
    """Turn free text into an FTS5 query that cannot be a syntax error.

    Every word becomes a quoted prefix term and all must match, so ``beach 20``
    finds ``/media/Beach_2019.mp4``. ``None`` when the text holds no word at all.
    """
    words = _WORD.findall(text)
    if not words:
        return None
    return " ".join(f'"{word}"*' for word in words)


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


def _video(row: sqlite3.Row, *, technical: Technical | None = None) -> Video:
    vfr = row["variable_frame_rate"]
    return Video(
        id=row["id"],
        path=row["path"],
        directory=row["directory"],
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
        modified_at=datetime.fromtimestamp(row["file_mtime_ns"] / 1e9, UTC),
        thumbnail_path=row["thumbnail_path"],
        missing=row["missing_since"] is not None,
        missing_since=parse_optional_timestamp(row["missing_since"]),
        created_at=parse_timestamp(row["created_at"]),
        updated_at=parse_timestamp(row["updated_at"]),
        probed_at=parse_timestamp(row["probed_at"]),
        fingerprint=row["fingerprint"],
        display_width=row["display_width"],
        display_height=row["display_height"],
        rotation=row["rotation"],
        pixel_format=row["pixel_format"],
        bit_depth=row["bit_depth"],
        field_order=row["field_order"],
        hdr_format=row["hdr_format"],
        variable_frame_rate=None if vfr is None else bool(vfr),
        start_timecode=row["start_timecode"],
        end_timecode=row["end_timecode"],
        bit_rate=row["bit_rate"],
        audio_channels=row["audio_channels"],
        audio_layout=row["audio_layout"],
        audio_sample_rate=row["audio_sample_rate"],
        creation_time=parse_optional_timestamp(row["creation_time"]),
        technical=technical,
    )


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


def _technical(text: str | None) -> Technical | None:
    """The stored probe result's container and streams; None if absent or unreadable."""
    if text is None:
        return None
    try:
        result = ProbeResult.from_json(text)
    except ValueError:
        # Written by a version whose form this one cannot read: probed again at the
        # next scan of its folder (its technical_version says so), and shown without.
        return None
    return Technical(container=result.container, streams=result.streams)


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
# The thumbnail shows the content: kept when the content is the same (the same fingerprint;
# for a video stored before fingerprints were kept, the same size and mtime, the evidence a
# scan skips unchanged files on), made anew otherwise. SQLite evaluates every expression of
# an UPDATE against the row as it was, so ``fingerprint`` here is the stored one.
_KEEP_THUMBNAIL = (
    "thumbnail_path = CASE WHEN fingerprint = :fingerprint OR (fingerprint IS NULL "
    "AND file_size = :file_size AND file_mtime_ns = :mtime) THEN thumbnail_path END"
)
_UPDATE_PROBED = (
    f"UPDATE videos SET {_PROBED_SET}, {_KEEP_THUMBNAIL}, missing_since = NULL, "
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
    f"{_PROBED_SET}, {_KEEP_THUMBNAIL}, missing_since = NULL, updated_at = :now, "
    "probed_at = :now WHERE id = :id"
)
_INSERT_PROBED = (
    "INSERT INTO videos (id, path, directory, filename, created_at, updated_at, probed_at, "
    f"{', '.join(_PROBED_COLUMNS)}) VALUES (:id, :path, :directory, :filename, :now, :now, "
    f":now, {', '.join(':' + param for param in _PROBED_COLUMNS.values())})"
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

    # -- videos ---------------------------------------------------------------------------

    async def get_video(self, video_id: str) -> Video | None:
        """One video, with its whole technical metadata."""

        def run(conn: sqlite3.Connection) -> Video | None:
            row = conn.execute(
                f"SELECT {_VIDEO_COLUMNS}, technical FROM videos WHERE id = ?", (video_id,)
            ).fetchone()
            return _video(row, technical=_technical(row["technical"])) if row else None

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
                f"SELECT {_KNOWN_COLUMNS} FROM videos WHERE {where}", args
            ).fetchall()
            return {r["path"]: _known(r) for r in rows}

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
            rows = conn.execute(
                f"SELECT {_KNOWN_COLUMNS} FROM videos "
                "WHERE path IN (SELECT value FROM json_each(?))",
                (exact,),
            ).fetchall()
            for low, high in ranges:
                rows += conn.execute(
                    f"SELECT {_KNOWN_COLUMNS} FROM videos WHERE path > ? AND path < ?",
                    (low, high),
                ).fetchall()
            return {r["path"]: _known(r) for r in rows}

        return await self._read(run)

    async def save_probed(self, files: Sequence[ProbedFile]) -> SavedFiles:
        """Write probed files in one transaction; the ids of what each became.

        A file at a path the library holds updates that video (and clears ``missing``).
        A file at a new path whose fingerprint matches a video marked missing is that
        video, moved: it keeps its id, thumbnail and ``created_at`` and takes the new
        path (see ``_MOVE_CANDIDATE`` for which of several). Any other file is added.
        Either way the thumbnail is kept only if the content is the same
        (``_KEEP_THUMBNAIL``).
        """

        def run(conn: sqlite3.Connection) -> SavedFiles:
            now = format_timestamp(utc_now())
            added: list[str] = []
            updated: list[str] = []
            moved: list[VideoMove] = []
            with _transaction(conn):
                for item in files:
                    values = {**_probed_values(item), "now": now}
                    # fetchall: a RETURNING statement is finished only once read to the end.
                    rows = conn.execute(_UPDATE_PROBED, values).fetchall()
                    if rows:
                        updated.append(rows[0]["id"])
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
            with _transaction(conn):
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
            with _transaction(conn):
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

    async def set_missing(self, paths: Iterable[str], *, missing: bool) -> list[str]:
        """Mark files as missing from disk (or found again); the ids of those that changed."""
        batch = list(paths)
        if not batch:
            await trio.lowlevel.checkpoint()
            return []

        def run(conn: sqlite3.Connection) -> list[str]:
            now = format_timestamp(utc_now())
            changed: list[str] = []
            with _transaction(conn):
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

    async def take_interrupted(self, kinds: Iterable[str]) -> list[JobSnapshot]:
        """Interrupted jobs of ``kinds`` that no start-up has looked at yet, oldest first.

        Every interrupted job not looked at yet (of any kind) is marked as looked at in the
        same transaction, so each is returned at one start-up only.
        """
        wanted = json.dumps(sorted(set(kinds)))

        def run(conn: sqlite3.Connection) -> list[JobSnapshot]:
            with _transaction(conn):
                rows = conn.execute(
                    f"SELECT {_JOB_COLUMNS} FROM jobs "
                    "WHERE status = ? AND resume_checked = 0 "
                    "AND kind IN (SELECT value FROM json_each(?)) ORDER BY seq",
                    (str(JobStatus.INTERRUPTED), wanted),
                ).fetchall()
                conn.execute(
                    "UPDATE jobs SET resume_checked = 1 WHERE status = ? AND resume_checked = 0",
                    (str(JobStatus.INTERRUPTED),),
                )
            return [_job(r) for r in rows]

        return await self._write(run)

    # -- watched folders ------------------------------------------------------------------

    async def list_watches(self) -> list[WatchRecord]:
        """Every watched folder, oldest first."""

        def run(conn: sqlite3.Connection) -> list[WatchRecord]:
            rows = conn.execute(
                "SELECT id, path, poll, created_at, last_change_at, job_id FROM watches "
                "ORDER BY seq"
            ).fetchall()
            return [_watch(r) for r in rows]

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


def _watch(row: sqlite3.Row) -> WatchRecord:
    return WatchRecord(
        id=row["id"],
        path=row["path"],
        poll=bool(row["poll"]),
        created_at=parse_timestamp(row["created_at"]),
        last_change_at=parse_optional_timestamp(row["last_change_at"]),
        job_id=row["job_id"],
    )


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
