"""The SQL of the library's reads: filters, sorts, pages, cursors and counts. Pure.

Everything here turns values into ``(sql, parameters)`` pairs (:class:`Query`); the store
runs them. The plans are chosen here, not left to SQLite's guesses, so a page costs the
same on a library of a hundred videos and of a million (``docs/performance.md``):

- Each sort has an index holding its column in the sort's default direction and then the
  path (schema migration 3), so a sorted page is one walk of one index, ties are broken by
  path, and the other direction is the same walk backwards (the exact reverse order).
- A page is found by its row ids first and its columns read after (``seq IN (...)``), so
  skipping ``offset`` rows reads index entries only, never the rows.
- A keyset cursor (:class:`Cursor`) continues after the last row of a page: the ties of its
  value after its path, then the values past it. Each is an index seek, so the ten-
  thousandth page costs what the first does, and rows added meanwhile move nothing.
- A filtered page is *driven* either by the sort's index (walk in order, keep the rows that
  match: cheap when many match) or by the index of its most selective filter (read every
  match, sort them: cheap when few do). The store counts each filter's matches, up to a
  budget, reading only that filter's index, and :func:`choose_driver` picks.
  ``INDEXED BY`` holds SQLite to the pick.
- Counts are exact where they are cheap (no filter, a folder, missing: one row of the
  ``folders`` table, which triggers keep for every folder above a video; one filter with
  fewer than :data:`COUNT_BUDGET` matches; several filters whose most selective drives
  the page) and a lower bound otherwise, which the answer says.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import attrs

from ..protocol import HdrFilter, SortOrder, VideoSort

#: The index SQLite makes for ``path``'s UNIQUE constraint (the second such column).
PATH_INDEX = "sqlite_autoindex_videos_2"
#: Counting one filter stops after this many matches: past it a total is a lower bound.
COUNT_BUDGET = 10_000
#: Counting several filters together reads at most this many rows of the most selective.
EXAMINE_BUDGET = 2_000
#: Search ranks this many of the newest matches by relevance.
SEARCH_CANDIDATES = 200
#: A search with a word shorter than this is not ranked: its matches come newest first.
#: One or two letters begin the words of much of a library, so they say little about
#: relevance, and ranking reads every match (a third of a million videos for ``b`` at 1M).
RANKED_WORD_LENGTH = 3
#: Counting a search's matches stops here: past it the total is a lower bound.
SEARCH_COUNT_BUDGET = 1_000


@attrs.frozen
class Query:
    sql: str
    params: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class SortKey:
    """A sort's column and the index that holds it (then the path) in its default order."""

    column: str
    index: str
    default: SortOrder


SORT_KEYS: dict[VideoSort, SortKey] = {
    VideoSort.PATH: SortKey("path", PATH_INDEX, SortOrder.ASC),
    VideoSort.FILENAME: SortKey("filename_key", "videos_by_filename", SortOrder.ASC),
    VideoSort.DURATION: SortKey("duration_seconds", "videos_by_duration", SortOrder.DESC),
    VideoSort.SIZE: SortKey("file_size", "videos_by_size", SortOrder.DESC),
    VideoSort.WIDTH: SortKey("width", "videos_by_width", SortOrder.DESC),
    VideoSort.FRAME_RATE: SortKey("frame_rate", "videos_by_frame_rate", SortOrder.DESC),
    VideoSort.CREATED: SortKey("created_at", "videos_by_created", SortOrder.DESC),
    VideoSort.MODIFIED: SortKey("file_mtime_ns", "videos_by_modified", SortOrder.DESC),
}


@attrs.frozen
class Ordering:
    """A sort and its direction; without a sort, newest first (``created``, descending)."""

    sort: VideoSort = VideoSort.CREATED
    order: SortOrder | None = None

    @property
    def direction(self) -> SortOrder:
        return self.order or self.sort.default_order

    @property
    def key(self) -> SortKey:
        return SORT_KEYS[self.sort]

    @property
    def reversed(self) -> bool:
        return self.direction != self.key.default

    def _column_desc(self) -> bool:
        return (self.key.default == SortOrder.DESC) != self.reversed

    def order_by(self, table: str = "videos") -> str:
        """``ORDER BY`` terms: the column, then the path (A to Z in the default direction)."""
        path_dir = "DESC" if self.reversed else "ASC"
        if self.sort == VideoSort.PATH:
            return f"{table}.path {path_dir}"
        col_dir = "DESC" if self._column_desc() else "ASC"
        return f"{table}.{self.key.column} {col_dir}, {table}.path {path_dir}"

    def after(self, cursor: Cursor) -> list[tuple[str, str]]:
        """The rows after ``cursor``, as (condition, order) pairs, each one index seek.

        The ties of the cursor's value after its path, then the values past it.
        """
        path_cmp = "<" if self.reversed else ">"
        if self.sort == VideoSort.PATH:
            return [(f"videos.path {path_cmp} :after_path", self.order_by())]
        col = f"videos.{self.key.column}"
        col_cmp = "<" if self._column_desc() else ">"
        path_dir = "DESC" if self.reversed else "ASC"
        return [
            (
                f"{col} = :after_value AND videos.path {path_cmp} :after_path",
                f"videos.path {path_dir}",
            ),
            (f"{col} {col_cmp} :after_value", self.order_by()),
        ]


class CursorError(ValueError):
    """An ``after`` cursor that this server did not make, or made for another sort."""


@attrs.frozen
class Cursor:
    """Where a page ended: its sort and direction, and its last row's sort value and path.

    Sent as opaque text (:meth:`encode`); the client only hands it back.
    """

    sort: VideoSort
    order: SortOrder
    value: int | float | str | None
    path: str

    def encode(self) -> str:
        data = json.dumps([1, str(self.sort), str(self.order), self.value, self.path])
        return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            version, sort, order, value, path = json.loads(raw)
            cursor = cls(VideoSort(sort), SortOrder(order), value, path)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise CursorError("not a cursor this server gave") from exc
        expected = str if cursor.sort in (VideoSort.FILENAME, VideoSort.CREATED) else (int, float)
        if (
            version != 1
            or not isinstance(path, str)
            or isinstance(value, bool)
            or (cursor.sort != VideoSort.PATH and not isinstance(value, expected))
        ):
            raise CursorError("not a cursor this server gave")
        return cursor

    @classmethod
    def after_row(cls, ordering: Ordering, value: Any, path: str) -> Cursor:
        return cls(ordering.sort, ordering.direction, value, path)

    def check(self, ordering: Ordering) -> None:
        """Raise :class:`CursorError` unless the cursor was made for this sort and direction."""
        if (self.sort, self.order) != (ordering.sort, ordering.direction):
            raise CursorError(
                f"the cursor continues sort={self.sort}&order={self.order}, not "
                f"sort={ordering.sort}&order={ordering.direction}"
            )


@attrs.frozen(kw_only=True)
class VideoFilters:
    """What a list, search or export keeps. ``None`` everywhere keeps every video."""

    #: An absolute folder: videos in it, and with ``recursive`` in every folder below it.
    folder: str | None = None
    recursive: bool = True
    video_codec: str | None = None
    audio_codec: str | None = None
    min_width: int | None = None
    max_width: int | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    #: Exactly this frame rate (``Fraction(30000, 1001)``).
    frame_rate: Fraction | None = None
    missing: bool | None = None
    hdr: HdrFilter | None = None
    vfr: bool | None = None
    interlaced: bool | None = None

    @property
    def only_folder_and_missing(self) -> bool:
        """Whether the ``folders`` table alone can count the matches exactly."""
        return attrs.evolve(self, folder=None, recursive=True, missing=None) == VideoFilters()


@attrs.frozen
class Term:
    """One filter as SQL over ``videos``: its condition, and the index that finds its rows.

    ``probe`` is the part of ``sql`` the index answers by itself, so counting it reads
    the index only.
    """

    sql: str
    params: dict[str, Any]
    index: str
    probe: str


def folder_bounds(folder: str) -> tuple[str, str]:
    """Paths below ``folder`` sort between these two (``/`` bumped to the next character)."""
    prefix = folder.rstrip("/") + "/"
    return prefix, prefix[:-1] + "0"


def filter_terms(filters: VideoFilters) -> list[Term]:
    """The filters as terms, each with the index that serves it."""
    terms: list[Term] = []

    def add(sql: str, index: str, probe: str | None = None, **params: Any) -> None:
        terms.append(Term(sql, params, index, probe or sql))

    f = filters
    if f.folder is not None:
        if not f.recursive:
            add("videos.directory = :folder", "videos_directory", folder=f.folder)
        elif f.folder.rstrip("/"):
            lo, hi = folder_bounds(f.folder)
            add(
                "videos.path > :folder_lo AND videos.path < :folder_hi",
                PATH_INDEX,
                folder_lo=lo,
                folder_hi=hi,
            )
    if f.video_codec is not None:
        add("videos.video_codec = :video_codec", "videos_video_codec", video_codec=f.video_codec)
    if f.audio_codec is not None:
        add("videos.audio_codec = :audio_codec", "videos_audio_codec", audio_codec=f.audio_codec)
    _range(add, "width", "videos_by_width", f.min_width, f.max_width)
    _range(add, "duration_seconds", "videos_by_duration", f.min_duration, f.max_duration)
    if f.frame_rate is not None:
        # The column holds float(numerator / denominator) of the exact rate, so equal
        # fractions give equal floats.
        add(
            "videos.frame_rate = :frame_rate",
            "videos_by_frame_rate",
            frame_rate=float(f.frame_rate),
        )
    if f.missing is not None:
        null = "IS NOT NULL" if f.missing else "IS NULL"
        add(f"videos.missing_since {null}", "videos_missing")
    if f.hdr is not None:
        if f.hdr in (HdrFilter.TRUE, HdrFilter.FALSE):
            null = "IS NOT NULL" if f.hdr == HdrFilter.TRUE else "IS NULL"
            add(f"videos.hdr_format {null}", "videos_hdr")
        else:
            add("videos.hdr_format = :hdr", "videos_hdr", hdr=str(f.hdr))
    if f.vfr is not None:
        add("videos.variable_frame_rate = :vfr", "videos_vfr", vfr=int(f.vfr))
    if f.interlaced is not None:
        if f.interlaced:
            add("videos.field_order IN ('tff', 'bff')", "videos_field_order")
        else:
            add("videos.field_order = 'progressive'", "videos_field_order")
    return terms


def _range(add: Any, column: str, index: str, low: float | None, high: float | None) -> None:
    parts, params = [], {}
    if low is not None:
        parts.append(f"videos.{column} >= :min_{column}")
        params[f"min_{column}"] = low
    if high is not None:
        parts.append(f"videos.{column} <= :max_{column}")
        params[f"max_{column}"] = high
    if parts:
        add(" AND ".join(parts), index, **params)


def _where(terms: Sequence[Term], *extra: str) -> tuple[str, dict[str, Any]]:
    conditions = [t.sql for t in terms] + list(extra)
    params: dict[str, Any] = {}
    for term in terms:
        params.update(term.params)
    return (" AND ".join(conditions) if conditions else "TRUE"), params


def term_count(term: Term, *, budget: int) -> Query:
    """How many videos one filter keeps, up to ``budget``, reading its index only."""
    return Query(
        f"SELECT count(*) FROM (SELECT 1 FROM videos INDEXED BY {term.index} "
        f"WHERE {term.probe} LIMIT :budget)",
        {**term.params, "budget": budget},
    )


def choose_driver(
    terms: Sequence[Term], counts: Sequence[int], *, library_size: int, wanted: int
) -> Term | None:
    """The filter whose index should drive a page, or None to walk the sort's index.

    ``counts`` are each term's matches (up to a budget); ``wanted`` is how far into the
    order the page reaches (offset + limit). Driven by a filter, a page reads that
    filter's ``m`` matches and sorts them; driven by the sort, it walks about
    ``wanted * library_size / m`` rows of the sort's index to find ``wanted`` matches.
    The fewer wins.
    """
    if not terms:
        return None
    fewest = min(range(len(terms)), key=lambda i: counts[i])
    m = counts[fewest]
    return terms[fewest] if m * m <= wanted * library_size else None


def match_count(terms: Sequence[Term], driver: Term, *, budget: int) -> Query:
    """``(examined, matched)``: the driver's first ``budget`` rows, and how many match all.

    Fewer examined than ``budget`` means the count is exact. One term is counted from
    its index alone.
    """
    if len(terms) == 1:
        return Query(
            "SELECT count(*), count(*) FROM (SELECT 1 FROM videos "
            f"INDEXED BY {driver.index} WHERE {driver.probe} LIMIT :budget)",
            {**driver.params, "budget": budget},
        )
    where, params = _where(terms)
    return Query(
        f"SELECT count(*), count(*) FILTER (WHERE {where}) FROM videos WHERE seq IN "
        f"(SELECT seq FROM videos INDEXED BY {driver.index} WHERE {driver.probe} "
        "LIMIT :budget)",
        {**params, **driver.params, "budget": budget},
    )


def folder_count(filters: VideoFilters) -> Query:
    """``(videos, missing)`` in the folder filtered by (or the whole library), from ``folders``.

    Only for filters that :attr:`VideoFilters.only_folder_and_missing`. One row's read.
    """
    folder = normal_folder(filters.folder or "/")
    columns = "videos, missing" if filters.recursive else "direct_videos, direct_missing"
    first, second = columns.split(", ")
    return Query(
        f"SELECT coalesce(max({first}), 0), coalesce(max({second}), 0) FROM folders "
        "WHERE path = :folder",
        {"folder": folder},
    )


def page(
    columns: str,
    terms: Sequence[Term],
    ordering: Ordering,
    *,
    driver: Term | None,
    limit: int,
    offset: int = 0,
    after: Cursor | None = None,
) -> Query:
    """One page of videos: ``columns`` of the rows the terms keep, in ``ordering``.

    Driven by ``driver``'s index, or by the sort's when it is None; after ``after``, or
    past ``offset`` rows.
    """
    index = driver.index if driver is not None else ordering.key.index
    order_by = ordering.order_by()
    params: dict[str, Any] = {"limit": limit}
    if after is None:
        where, term_params = _where(terms)
        inner = (
            f"SELECT seq FROM videos INDEXED BY {index} WHERE {where} "
            f"ORDER BY {order_by} LIMIT :limit OFFSET :offset"
        )
        params.update(term_params, offset=offset)
    else:
        branches = []
        for condition, branch_order in ordering.after(after):
            where, term_params = _where(terms, condition)
            params.update(term_params)
            branches.append(
                f"SELECT seq FROM (SELECT seq FROM videos INDEXED BY {index} WHERE {where} "
                f"ORDER BY {branch_order} LIMIT :limit)"
            )
        inner = " UNION ALL ".join(branches)
        params.update(after_value=after.value, after_path=after.path)
    return Query(
        f"SELECT {columns} FROM videos WHERE seq IN ({inner}) ORDER BY {order_by} LIMIT :limit",
        params,
    )


def search_candidates(
    match: str, terms: Sequence[Term], *, limit: int, offset: int = 0, ranked: bool = True
) -> Query:
    """``seq`` (and ``rank`` when ``ranked``) of the matches the terms keep, newest first
    (by row id). A rank costs a read of every match of each word: ask only when needed."""
    params: dict[str, Any] = {"match": match, "limit": limit, "offset": offset}
    if not terms:
        rank = ", rank" if ranked else ""
        return Query(
            f"SELECT rowid AS seq{rank} FROM videos_fts WHERE videos_fts MATCH :match "
            "ORDER BY rowid DESC LIMIT :limit OFFSET :offset",
            params,
        )
    where, term_params = _where(terms)
    rank = ", videos_fts.rank AS rank" if ranked else ""
    return Query(
        f"SELECT videos_fts.rowid AS seq{rank} FROM videos_fts "
        "JOIN videos ON videos.seq = videos_fts.rowid "
        f"WHERE videos_fts MATCH :match AND {where} "
        "ORDER BY videos_fts.rowid DESC LIMIT :limit OFFSET :offset",
        {**params, **term_params},
    )


#: What ``highlight()`` puts around each match in :func:`search_marked`'s text.
MATCH_OPEN, MATCH_CLOSE = "\x01", "\x02"
#: Rows of FTS5's ``videos_fts_data``: the averages record (rows, and the words in each
#: column) and the structure record (rewritten at every change of the index).
FTS_AVERAGES_ID, FTS_STRUCTURE_ID = 1, 10


def search_marked(match: str, terms: Sequence[Term], *, limit: int) -> Query:
    """The ``limit`` newest matches the terms keep: ``seq``, the path with its matches
    marked (:data:`MATCH_OPEN` … :data:`MATCH_CLOSE`), the path as it is, and the row's
    FTS5 size record (its words in each column).

    The file name is the path's last part (``/`` is no part of a word), so its matches are
    the marks after the path's last ``/``: one ``highlight()`` serves both columns."""
    marked = (
        "videos_fts.rowid AS seq, "
        "highlight(videos_fts, 1, char(1), char(2)) AS marked_path, "
        "videos_fts.path AS path"
    )
    params: dict[str, Any] = {"match": match, "limit": limit}
    if terms:
        where, term_params = _where(terms)
        params.update(term_params)
        source = (
            "FROM videos_fts JOIN videos ON videos.seq = videos_fts.rowid "
            f"WHERE videos_fts MATCH :match AND {where}"
        )
    else:
        source = "FROM videos_fts WHERE videos_fts MATCH :match"
    return Query(
        "SELECT c.seq, c.marked_path, c.path, d.sz "
        f"FROM (SELECT {marked} {source} ORDER BY videos_fts.rowid DESC LIMIT :limit) AS c "
        "JOIN videos_fts_docsize AS d ON d.id = c.seq",
        params,
    )


def phrase_count(phrase: str) -> Query:
    """How many videos match one phrase of a search (all of them: BM25 needs the number)."""
    return Query(
        "SELECT count(*) FROM videos_fts WHERE videos_fts MATCH :phrase", {"phrase": phrase}
    )


def fts_state() -> Query:
    """FTS5's averages and structure records, as ``(id, block)`` rows."""
    return Query(
        "SELECT id, block FROM videos_fts_data WHERE id IN (:averages, :structure)",
        {"averages": FTS_AVERAGES_ID, "structure": FTS_STRUCTURE_ID},
    )


def videos_by_seq(columns: str, seqs: Sequence[int]) -> Query:
    """The videos with these ``seq`` (in no order)."""
    marks = ", ".join(f":s{i}" for i in range(len(seqs)))
    return Query(
        f"SELECT {columns}, videos.seq AS seq FROM videos WHERE seq IN ({marks})",
        {f"s{i}": seq for i, seq in enumerate(seqs)},
    )


def search_ranked(
    columns: str, match: str, terms: Sequence[Term], *, limit: int, offset: int
) -> Query:
    """A page of the :data:`SEARCH_CANDIDATES` newest matches, best first (then by path)."""
    candidates = search_candidates(match, terms, limit=SEARCH_CANDIDATES)
    return Query(
        f"SELECT {columns} FROM ({candidates.sql}) AS c JOIN videos ON videos.seq = c.seq "
        "ORDER BY c.rank, videos.path LIMIT :page_limit OFFSET :page_offset",
        {**candidates.params, "page_limit": limit, "page_offset": offset},
    )


def search_newest(
    columns: str, match: str, terms: Sequence[Term], *, limit: int, offset: int
) -> Query:
    """A page of the matches past the ranked ones: newest first."""
    candidates = search_candidates(match, terms, limit=limit, offset=offset, ranked=False)
    return Query(
        f"SELECT {columns} FROM videos WHERE seq IN (SELECT seq FROM ({candidates.sql})) "
        "ORDER BY seq DESC",
        candidates.params,
    )


def search_count(match: str, terms: Sequence[Term], *, budget: int) -> Query:
    """How many videos match, up to ``budget``."""
    if not terms:
        return Query(
            "SELECT count(*) FROM (SELECT 1 FROM videos_fts WHERE videos_fts MATCH :match "
            "LIMIT :budget)",
            {"match": match, "budget": budget},
        )
    where, params = _where(terms)
    return Query(
        "SELECT count(*) FROM (SELECT 1 FROM videos_fts JOIN videos ON videos.seq = "
        f"videos_fts.rowid WHERE videos_fts MATCH :match AND {where} LIMIT :budget)",
        {**params, "match": match, "budget": budget},
    )


_WORD = re.compile(r"\w+", re.UNICODE)


def worth_ranking(text: str) -> bool:
    """Whether a search for ``text`` ranks its newest matches (every word is long enough)."""
    return all(len(word) >= RANKED_WORD_LENGTH for word in _WORD.findall(text))


def fts_query(text: str) -> str | None:
    """Turn free text into an FTS5 query that cannot be a syntax error.

    Every word becomes a quoted prefix term and all must match, so ``beach 20``
    finds ``/media/Beach_2019.mp4``. ``None`` when the text holds no word at all.
    """
    words = search_words(text)
    if not words:
        return None
    return " ".join(f'"{word}"*' for word in words)


def search_words(text: str) -> list[str]:
    """The words of a search, each of which becomes a phrase of its FTS5 query."""
    return _WORD.findall(text)


# -- folders and duplicates ------------------------------------------------------------------


def normal_folder(path: str) -> str:
    """``path`` without a trailing ``/`` (the root stays ``/``)."""
    return path.rstrip("/") or "/"


_FOLDER_COLUMNS = (
    "path, videos, missing, direct_videos, direct_missing, "
    "(SELECT count(*) FROM folders AS below WHERE below.parent = folders.path) AS folders"
)


def folder(path: str) -> Query:
    """One folder's counts (no row: it holds no videos)."""
    return Query(
        f"SELECT {_FOLDER_COLUMNS} FROM folders WHERE path = :path", {"path": normal_folder(path)}
    )


def folder_children(parent: str) -> Query:
    """The counts of each folder directly below ``parent`` that has videos below it."""
    return Query(
        f"SELECT {_FOLDER_COLUMNS} FROM folders WHERE parent = :parent ORDER BY path",
        {"parent": normal_folder(parent)},
    )


def duplicate_groups(*, limit: int, offset: int) -> Query:
    """``(fingerprint, file_size)`` of each duplicated fingerprint, largest files first."""
    return Query(
        "SELECT fingerprint, file_size FROM fingerprints WHERE copies > 1 "
        "ORDER BY file_size DESC, fingerprint LIMIT :limit OFFSET :offset",
        {"limit": limit, "offset": offset},
    )


def duplicate_count() -> Query:
    return Query("SELECT count(*) FROM fingerprints WHERE copies > 1")


def duplicate_members(columns: str, fingerprints: Sequence[str]) -> Query:
    """The present videos with these fingerprints, by path."""
    return Query(
        f"SELECT {columns} FROM videos WHERE fingerprint IN (SELECT value FROM json_each(:f)) "
        "AND missing_since IS NULL ORDER BY path",
        {"f": json.dumps(list(fingerprints))},
    )
