"""Reading the library: pages of videos (sorted, filtered, searched), folders, duplicates.

The SQL comes from :mod:`.queries`, which also explains the plans; this part runs it on the
reader connection, in a worker thread, and counts what a plan needs counting first.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, Generic, TypeVar

import attrs
import trio

from . import queries, ranking, rows
from .access import StoreAccess, is_deep
from .models import DuplicateGroup, Folder, LibraryCounts, Video
from .queries import Cursor, Ordering, Term, VideoFilters

#: What a page holds for each video: the model, or its wire form (:func:`.rows.video_wire`).
V = TypeVar("V")
T = TypeVar("T")
#: The wire form of a video, as the API sends it.
WireVideo = dict[str, Any]

#: The order of a list that names no sort.
NEWEST_FIRST = Ordering()
#: Filters that keep every video.
EVERY_VIDEO = VideoFilters()


@attrs.frozen(kw_only=True)
class VideoPage(Generic[V]):
    """A page of videos and how many match in all.

    ``total_exact`` is False when ``total`` is a lower bound (counting stopped at a budget).
    ``next`` continues after the last video of the page; None when no video follows it.
    """

    videos: list[V]
    total: int
    total_exact: bool = True
    next: Cursor | None = None

    def __iter__(self) -> Iterator[list[V] | int]:
        """A page unpacks as ``videos, total``, as the store's lists always have."""
        return iter((self.videos, self.total))


@attrs.frozen(kw_only=True)
class FolderListing:
    """A folder and the folders directly below it (each with videos below it)."""

    parent: Folder | None
    folders: list[Folder]


def _fetch(conn: sqlite3.Connection, query: queries.Query) -> list[sqlite3.Row]:
    return conn.execute(query.sql, query.params).fetchall()


def _one(conn: sqlite3.Connection, query: queries.Query) -> sqlite3.Row:
    row: sqlite3.Row = conn.execute(query.sql, query.params).fetchone()
    return row


def _total(
    conn: sqlite3.Connection,
    filters: VideoFilters,
    terms: Sequence[Term],
    counts: Sequence[int],
    driver: Term | None,
) -> tuple[int, bool]:
    """How many videos the filters keep, and whether that is exact (else a lower bound)."""
    if filters.only_folder_and_missing:
        videos, missing = _one(conn, queries.folder_count(filters))
        if filters.missing is None:
            return int(videos), True
        return int(missing if filters.missing else videos - missing), True
    if driver is not None:
        examined, matched = _one(
            conn, queries.match_count(terms, driver, budget=queries.COUNT_BUDGET)
        )
        return int(matched), examined < queries.COUNT_BUDGET
    fewest = min(range(len(terms)), key=lambda i: counts[i])
    if len(terms) == 1:
        return counts[0], counts[0] < queries.COUNT_BUDGET
    examined, matched = _one(
        conn, queries.match_count(terms, terms[fewest], budget=queries.EXAMINE_BUDGET)
    )
    return int(matched), examined < queries.EXAMINE_BUDGET


def read_page(
    conn: sqlite3.Connection,
    filters: VideoFilters,
    ordering: Ordering,
    *,
    limit: int,
    offset: int,
    after: Cursor | None,
    shape: Callable[[sqlite3.Row], V],
    technical: bool = False,
) -> VideoPage[V]:
    """One page of the videos the filters keep, in ``ordering`` (synchronous), each made
    by ``shape`` from its row (which has the ``technical`` column when asked for)."""
    terms = queries.filter_terms(filters)
    counts = [
        int(_one(conn, queries.term_count(term, budget=queries.COUNT_BUDGET))[0]) for term in terms
    ]
    driver = None
    if terms:
        (library_size, _) = _one(conn, queries.folder_count(VideoFilters()))
        wanted = limit if after is not None else offset + limit
        driver = queries.choose_driver(terms, counts, library_size=int(library_size), wanted=wanted)
    columns = f"{rows.VIDEO_COLUMNS_QUALIFIED}, videos.{ordering.key.column} AS sort_value"
    if technical:
        columns += ", videos.technical"
    found = _fetch(
        conn,
        queries.page(
            columns, terms, ordering, driver=driver, limit=limit + 1, offset=offset, after=after
        ),
    )
    # One row more than asked for says whether a page follows.
    more, found = len(found) > limit, found[:limit]
    total, exact = _total(conn, filters, terms, counts, driver)
    videos = [shape(r) for r in found]
    following = None
    if more:
        following = Cursor.after_row(ordering, found[-1]["sort_value"], found[-1]["path"])
    return VideoPage(videos=videos, total=total, total_exact=exact, next=following)


def _in_snapshot(run: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection) -> T:
    """``run(conn)`` in one read transaction: its statements all see the same library."""
    conn.execute("BEGIN")
    try:
        return run(conn)
    finally:
        conn.execute("ROLLBACK")


def _ranked_page(
    conn: sqlite3.Connection,
    match: str,
    words: Sequence[str],
    terms: Sequence[Term],
    counts: ranking.PhraseCounts,
    *,
    limit: int,
    offset: int,
) -> list[sqlite3.Row]:
    """Rows ``offset`` to ``offset + limit`` of the ranked candidates of a search: ranked by
    :mod:`.ranking` when it can, else by FTS5's own ``rank`` (the same order)."""
    columns = rows.VIDEO_COLUMNS_QUALIFIED
    order = ranking.ranked_seqs(conn, match, words, terms, counts)
    if order is None:
        return _fetch(
            conn, queries.search_ranked(columns, match, terms, limit=limit, offset=offset)
        )
    page = order[offset : offset + limit]
    if not page:
        return []
    by_seq = {row["seq"]: row for row in _fetch(conn, queries.videos_by_seq(columns, page))}
    return [by_seq[seq] for seq in page]


#: Ids looked up in one statement (well below SQLite's limit on bound parameters).
_IDS_AT_ONCE = 500


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class VideoReads(StoreAccess):
    """The store's reads of videos (part of :class:`~.store.Library`)."""

    async def get_video(self, video_id: str) -> Video | None:
        """One video, with its whole technical metadata."""

        def run(conn: sqlite3.Connection) -> Video | None:
            row = conn.execute(
                f"SELECT {rows.VIDEO_COLUMNS}, technical FROM videos WHERE id = ?", (video_id,)
            ).fetchone()
            return rows.video(row, technical=rows.technical_of(row["technical"])) if row else None

        return await self._read(run)

    async def ids_in_path_order(self, video_ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """``video_ids`` split into those in the library, in path order, and those not.

        The unknown ones keep the order they were given in.
        """

        def run(conn: sqlite3.Connection) -> tuple[list[str], list[str]]:
            found: list[tuple[str, str]] = []
            for chunk in _chunks(video_ids, _IDS_AT_ONCE):
                marks = ", ".join("?" * len(chunk))
                found += [
                    (row["path"], row["id"])
                    for row in conn.execute(
                        f"SELECT path, id FROM videos WHERE id IN ({marks})", chunk
                    )
                ]
            found.sort()
            known = {video_id for _, video_id in found}
            return [video_id for _, video_id in found], [i for i in video_ids if i not in known]

        return await self._read(run)

    async def videos_by_id(
        self, video_ids: Sequence[str], *, technical: bool = False
    ) -> list[Video]:
        """The videos among ``video_ids`` (at most 500) that are in the library, in path order."""

        def run(conn: sqlite3.Connection) -> list[Video]:
            marks = ", ".join("?" * len(video_ids))
            columns = rows.VIDEO_COLUMNS + (", technical" if technical else "")
            found = conn.execute(
                f"SELECT {columns} FROM videos WHERE id IN ({marks}) ORDER BY path", video_ids
            ).fetchall()
            return [
                rows.video(r, technical=rows.technical_of(r["technical"]) if technical else None)
                for r in found
            ]

        if not video_ids:
            await trio.lowlevel.checkpoint()
            return []
        return await self._read(run)

    async def list_videos(
        self,
        *,
        limit: int,
        offset: int = 0,
        after: Cursor | None = None,
        ordering: Ordering = NEWEST_FIRST,
        filters: VideoFilters = EVERY_VIDEO,
        technical: bool = False,
    ) -> VideoPage[Video]:
        """A page of the videos ``filters`` keep, in ``ordering`` (default: newest first).

        ``after`` (a cursor from an earlier page's ``next``) continues after that page;
        otherwise ``offset`` rows are skipped. ``technical`` loads each video's whole
        technical metadata too. Raises :class:`~.queries.CursorError` for a cursor made
        for another sort or direction.
        """

        def shape(row: sqlite3.Row) -> Video:
            return rows.video(
                row, technical=rows.technical_of(row["technical"]) if technical else None
            )

        return await self._list(
            shape,
            limit=limit,
            offset=offset,
            after=after,
            ordering=ordering,
            filters=filters,
            technical=technical,
        )

    async def list_wire(
        self,
        *,
        limit: int,
        offset: int = 0,
        after: Cursor | None = None,
        ordering: Ordering = NEWEST_FIRST,
        filters: VideoFilters = EVERY_VIDEO,
    ) -> VideoPage[WireVideo]:
        """:meth:`list_videos`, each video already in the API's wire form (cheaper)."""
        return await self._list(
            rows.video_wire,
            limit=limit,
            offset=offset,
            after=after,
            ordering=ordering,
            filters=filters,
        )

    async def _list(
        self,
        shape: Callable[[sqlite3.Row], V],
        *,
        limit: int,
        offset: int,
        after: Cursor | None,
        ordering: Ordering,
        filters: VideoFilters,
        technical: bool = False,
    ) -> VideoPage[V]:
        if after is not None:
            after.check(ordering)

        def run(conn: sqlite3.Connection) -> VideoPage[V]:
            return read_page(
                conn,
                filters,
                ordering,
                limit=limit,
                offset=offset,
                after=after,
                shape=shape,
                technical=technical,
            )

        return await self._read(run, deep=is_deep(offset))

    async def search_videos(
        self,
        text: str,
        *,
        limit: int,
        offset: int = 0,
        filters: VideoFilters = EVERY_VIDEO,
    ) -> VideoPage[Video]:
        """Full-text search over file name and path; the filters apply too.

        The :data:`~.queries.SEARCH_CANDIDATES` newest matches come first, best match
        first (then by path); the matches past them follow, newest first. A search with
        a word of one or two letters is not ranked: all its matches come newest first.
        """
        return await self._search(rows.video, text, limit=limit, offset=offset, filters=filters)

    async def search_wire(
        self,
        text: str,
        *,
        limit: int,
        offset: int = 0,
        filters: VideoFilters = EVERY_VIDEO,
    ) -> VideoPage[WireVideo]:
        """:meth:`search_videos`, each video already in the API's wire form (cheaper)."""
        return await self._search(
            rows.video_wire, text, limit=limit, offset=offset, filters=filters
        )

    async def _search(
        self,
        shape: Callable[[sqlite3.Row], V],
        text: str,
        *,
        limit: int,
        offset: int,
        filters: VideoFilters,
    ) -> VideoPage[V]:
        match = queries.fts_query(text)
        if match is None:
            await trio.lowlevel.checkpoint()
            return VideoPage(videos=[], total=0)
        terms = queries.filter_terms(filters)
        ranked = queries.SEARCH_CANDIDATES if queries.worth_ranking(text) else 0

        words = queries.search_words(text)

        def run(conn: sqlite3.Connection) -> VideoPage[V]:
            found: list[sqlite3.Row] = []
            columns = rows.VIDEO_COLUMNS_QUALIFIED
            if offset < ranked:
                found += _ranked_page(
                    conn,
                    match,
                    words,
                    terms,
                    self._phrase_counts,
                    limit=min(limit, ranked - offset),
                    offset=offset,
                )
            if offset + limit > ranked:
                start = max(offset, ranked)
                found += _fetch(
                    conn,
                    queries.search_newest(
                        columns, match, terms, limit=offset + limit - start, offset=start
                    ),
                )
            (total,) = _one(
                conn, queries.search_count(match, terms, budget=queries.SEARCH_COUNT_BUDGET)
            )
            return VideoPage(
                videos=[shape(r) for r in found],
                total=int(total),
                total_exact=total < queries.SEARCH_COUNT_BUDGET,
            )

        return await self._read(partial(_in_snapshot, run), deep=is_deep(offset))

    async def count_videos(self) -> int:
        def run(conn: sqlite3.Connection) -> int:
            return int(_one(conn, queries.folder_count(VideoFilters()))[0])

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

    async def folders(self, parent: str | None = None) -> FolderListing:
        """The folders directly below ``parent`` that hold videos, with their counts.

        Without ``parent``: the library's top folder, the deepest one every video is in.
        """

        def run(conn: sqlite3.Connection) -> FolderListing:
            if parent is not None:
                children = [_folder(r) for r in _fetch(conn, queries.folder_children(parent))]
                found = _fetch(conn, queries.folder(parent))
                own = _folder(found[0]) if found else _empty(parent)
                return FolderListing(parent=own, folders=children)
            top = _fetch(conn, queries.folder("/"))
            if not top:
                return FolderListing(parent=None, folders=[])
            node = _folder(top[0])
            # Down from the root while a folder holds nothing but one folder.
            while node.folders == 1 and node.direct_videos == 0:
                (only,) = _fetch(conn, queries.folder_children(node.path))
                node = _folder(only)
            return FolderListing(parent=None, folders=[node])

        return await self._read(run)

    async def duplicates(self, *, limit: int, offset: int) -> tuple[list[DuplicateGroup], int]:
        """Groups of present videos with the same fingerprint, largest files first."""

        def run(conn: sqlite3.Connection) -> tuple[list[DuplicateGroup], int]:
            groups = _fetch(conn, queries.duplicate_groups(limit=limit, offset=offset))
            (total,) = _one(conn, queries.duplicate_count())
            members: dict[str, list[Video]] = {g["fingerprint"]: [] for g in groups}
            if members:
                for r in _fetch(conn, queries.duplicate_members(rows.VIDEO_COLUMNS, list(members))):
                    members[r["fingerprint"]].append(rows.video(r))
            found = [
                DuplicateGroup(
                    fingerprint=g["fingerprint"],
                    file_size=g["file_size"],
                    videos=tuple(members[g["fingerprint"]]),
                )
                for g in groups
            ]
            return found, int(total)

        return await self._read(run, deep=is_deep(offset))

    async def copies_of(self, video_id: str, *, limit: int) -> list[Video] | None:
        """The other present videos with ``video_id``'s fingerprint, by path (at most
        ``limit``); None if there is no such video."""

        def run(conn: sqlite3.Connection) -> list[Video] | None:
            row = conn.execute(
                "SELECT fingerprint FROM videos WHERE id = ?", (video_id,)
            ).fetchone()
            if row is None:
                return None
            if row["fingerprint"] is None:
                return []
            found = conn.execute(
                f"SELECT {rows.VIDEO_COLUMNS} FROM videos WHERE fingerprint = ? AND id != ? "
                "AND missing_since IS NULL ORDER BY path LIMIT ?",
                (row["fingerprint"], video_id, limit),
            ).fetchall()
            return [rows.video(r) for r in found]

        return await self._read(run)


def _folder(row: sqlite3.Row) -> Folder:
    return Folder(
        path=row["path"],
        videos=row["videos"],
        missing=row["missing"],
        direct_videos=row["direct_videos"],
        direct_missing=row["direct_missing"],
        folders=row["folders"],
    )


def _empty(path: str) -> Folder:
    """A folder that holds no videos."""
    return Folder(
        path=queries.normal_folder(path),
        videos=0,
        missing=0,
        direct_videos=0,
        direct_missing=0,
        folders=0,
    )
