"""Browsing the library on real SQLite files: sorts, filters, pages, cursors, counts, plans."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import closing
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio

from stoat_ferret.library import queries
from stoat_ferret.library.models import Video
from stoat_ferret.library.queries import Cursor, CursorError, Ordering, VideoFilters
from stoat_ferret.library.store import Library, ProbedFile, open_library
from stoat_ferret.naturalsort import natural_key
from stoat_ferret.probe.metadata import AudioStream, Container, VideoStream
from stoat_ferret.probe.parse import ProbeResult
from stoat_ferret.protocol import HdrFilter, SortOrder, VideoSort

from ..support.fingerprints import set_fingerprints


@attrs.frozen
class Row:
    path: str
    width: int
    seconds: float
    size: int
    rate: Fraction
    codec: str
    audio: str | None
    hdr: str | None
    field_order: str | None
    vfr: bool | None
    mtime: int


ROWS = [
    Row(
        "/m/a/clip_10.mp4",
        1920,
        10.0,
        500,
        Fraction(25),
        "h264",
        "aac",
        None,
        "progressive",
        False,
        5,
    ),
    Row(
        "/m/a/clip_2.mp4",
        3840,
        60.0,
        9000,
        Fraction(30000, 1001),
        "hevc",
        "aac",
        "HDR10",
        "progressive",
        True,
        3,
    ),
    Row(
        "/m/a/Clip_1.mov",
        1280,
        5.5,
        300,
        Fraction(24000, 1001),
        "prores",
        "pcm_s24le",
        None,
        "progressive",
        False,
        9,
    ),
    Row(
        "/m/a/sub/interview.mxf",
        1920,
        120.0,
        20000,
        Fraction(30000, 1001),
        "mpeg2video",
        "pcm_s16le",
        None,
        "tff",
        False,
        1,
    ),
    Row("/m/b/beach.mkv", 720, 30.0, 800, Fraction(50), "vp9", None, "HLG", "progressive", None, 7),
    Row(
        "/m/b/deep/er/clip_3.mp4",
        1920,
        10.0,
        500,
        Fraction(25),
        "h264",
        "aac",
        None,
        "bff",
        False,
        2,
    ),
    Row("/m/ab/x.mp4", 4096, 2.0, 100, Fraction(24), "h264", "aac", None, None, False, 8),
    Row(
        "/m/a/clip_02.mp4",
        1920,
        10.0,
        500,
        Fraction(25),
        "h264",
        "aac",
        None,
        "progressive",
        False,
        6,
    ),
]
#: Each row's created_at as stored (filled by the fixture).
CREATED: dict[str, Any] = {}
#: Marked missing after saving.
MISSING = {"/m/b/beach.mkv", "/m/a/clip_10.mp4"}


def probe(row: Row) -> ProbeResult:
    video = VideoStream(
        index=0,
        codec=row.codec,
        width=row.width,
        height=row.width * 9 // 16,
        hdr_format=row.hdr,  # type: ignore[arg-type]
        field_order=row.field_order,  # type: ignore[arg-type]
        variable_frame_rate=row.vfr,
    )
    streams: tuple[Any, ...] = (video,)
    if row.audio:
        streams += (AudioStream(index=1, codec=row.audio),)
    return ProbeResult(
        duration_seconds=row.seconds,
        frame_rate=row.rate,
        duration_frames=round(row.seconds * row.rate),
        width=row.width,
        height=row.width * 9 // 16,
        video_codec=row.codec,
        audio_codec=row.audio,
        file_size=row.size,
        format_name="mov,mp4,m4a,3gp,3g2,mj2",
        container=Container(),
        streams=streams,
    )


async def add(library: Library, rows: list[Row]) -> None:
    await library.save_probed([ProbedFile(r.path, r.mtime, probe(r)) for r in rows])


@pytest.fixture
async def library(tmp_path: Path) -> AsyncIterator[Library]:
    async with open_library(tmp_path / "data" / "library.db") as lib:
        # One row at a time, so creation order (and created_at) is the order of ROWS.
        for row in ROWS:
            await add(lib, [row])
        await lib.set_missing(MISSING, missing=True)
        CREATED.clear()
        CREATED.update({v.path: v.created_at for v in (await lib.list_videos(limit=50)).videos})
        yield lib


async def everything(library: Library, ordering: Ordering, filters: VideoFilters) -> list[str]:
    page = await library.list_videos(limit=500, ordering=ordering, filters=filters)
    assert page.total == len(page.videos)
    assert page.total_exact
    return [v.path for v in page.videos]


SORT_KEYS: dict[VideoSort, Callable[[Row], Any]] = {
    VideoSort.PATH: lambda r: r.path,
    VideoSort.FILENAME: lambda r: natural_key(r.path.rsplit("/", 1)[1]),
    VideoSort.DURATION: lambda r: r.seconds,
    VideoSort.SIZE: lambda r: r.size,
    VideoSort.WIDTH: lambda r: r.width,
    VideoSort.FRAME_RATE: lambda r: r.rate,
    # Rows saved within one millisecond tie: the tests fill in the stored times.
    VideoSort.CREATED: lambda r: CREATED[r.path],
    VideoSort.MODIFIED: lambda r: r.mtime,
}


def expected_order(sort: VideoSort, order: SortOrder) -> list[str]:
    """The sort's column in its default direction, ties by path A to Z; reversed exactly."""
    key = SORT_KEYS[sort]
    by_path = sorted(ROWS, key=lambda r: r.path)
    ranked = sorted(by_path, key=key, reverse=sort.default_order == SortOrder.DESC)
    paths = [r.path for r in ranked]
    return paths if order == sort.default_order else paths[::-1]


@pytest.mark.parametrize("order", list(SortOrder))
@pytest.mark.parametrize("sort", list(VideoSort))
async def test_every_sort_in_both_orders(
    library: Library, sort: VideoSort, order: SortOrder
) -> None:
    """Each sort orders by its column, ties by path; the other direction is the exact reverse."""
    got = await everything(library, Ordering(sort, order), VideoFilters())
    assert got == expected_order(sort, order)


async def test_filename_sort_is_natural_and_case_blind(library: Library) -> None:
    """Names sort as people read them: Clip_1, clip_2 and clip_02 (by path), clip_3, clip_10."""
    got = await everything(library, Ordering(VideoSort.FILENAME), VideoFilters(folder="/m/a"))
    names = [p.rsplit("/", 1)[1] for p in got]
    assert names == ["Clip_1.mov", "clip_02.mp4", "clip_2.mp4", "clip_10.mp4", "interview.mxf"]


async def test_no_sort_is_newest_first(library: Library) -> None:
    """Without a sort a list is newest first, the same as sort=created."""
    page = await library.list_videos(limit=100)
    assert [v.path for v in page.videos] == expected_order(VideoSort.CREATED, SortOrder.DESC)


FILTERS: list[tuple[str, VideoFilters, Callable[[Row], bool]]] = [
    ("folder", VideoFilters(folder="/m/a"), lambda r: r.path.startswith("/m/a/")),
    ("folder-slash", VideoFilters(folder="/m/a/"), lambda r: r.path.startswith("/m/a/")),
    (
        "folder-flat",
        VideoFilters(folder="/m/a", recursive=False),
        lambda r: r.path.rsplit("/", 1)[0] == "/m/a",
    ),
    ("folder-root", VideoFilters(folder="/"), lambda r: True),
    ("folder-empty", VideoFilters(folder="/nowhere"), lambda r: False),
    ("video-codec", VideoFilters(video_codec="h264"), lambda r: r.codec == "h264"),
    ("audio-codec", VideoFilters(audio_codec="aac"), lambda r: r.audio == "aac"),
    ("min-width", VideoFilters(min_width=1920), lambda r: r.width >= 1920),
    ("max-width", VideoFilters(max_width=1920), lambda r: r.width <= 1920),
    (
        "width-range",
        VideoFilters(min_width=1280, max_width=1920),
        lambda r: 1280 <= r.width <= 1920,
    ),
    ("min-duration", VideoFilters(min_duration=10), lambda r: r.seconds >= 10),
    ("max-duration", VideoFilters(max_duration=10), lambda r: r.seconds <= 10),
    (
        "frame-rate",
        VideoFilters(frame_rate=Fraction(30000, 1001)),
        lambda r: r.rate == Fraction(30000, 1001),
    ),
    ("frame-rate-int", VideoFilters(frame_rate=Fraction(25)), lambda r: r.rate == 25),
    ("missing", VideoFilters(missing=True), lambda r: r.path in MISSING),
    ("present", VideoFilters(missing=False), lambda r: r.path not in MISSING),
    ("hdr", VideoFilters(hdr=HdrFilter.TRUE), lambda r: r.hdr is not None),
    ("sdr", VideoFilters(hdr=HdrFilter.FALSE), lambda r: r.hdr is None),
    ("hdr10", VideoFilters(hdr=HdrFilter.HDR10), lambda r: r.hdr == "HDR10"),
    ("hlg", VideoFilters(hdr=HdrFilter.HLG), lambda r: r.hdr == "HLG"),
    ("vfr", VideoFilters(vfr=True), lambda r: r.vfr is True),
    ("cfr", VideoFilters(vfr=False), lambda r: r.vfr is False),
    ("interlaced", VideoFilters(interlaced=True), lambda r: r.field_order in ("tff", "bff")),
    ("progressive", VideoFilters(interlaced=False), lambda r: r.field_order == "progressive"),
    (
        "combined",
        VideoFilters(folder="/m", video_codec="h264", min_width=1920, missing=False),
        lambda r: r.codec == "h264" and r.width >= 1920 and r.path not in MISSING,
    ),
    (
        "combined-folder-missing",
        VideoFilters(folder="/m/b", missing=True),
        lambda r: r.path.startswith("/m/b/") and r.path in MISSING,
    ),
]


@pytest.mark.parametrize(
    ("filters", "keep"), [pytest.param(f, k, id=name) for name, f, k in FILTERS]
)
async def test_each_filter_alone_and_combined(
    library: Library, filters: VideoFilters, keep: Callable[[Row], bool]
) -> None:
    """A filter keeps exactly the videos it names, in the list's order, with the exact total."""
    got = await everything(library, Ordering(VideoSort.PATH), filters)
    assert got == sorted(r.path for r in ROWS if keep(r))


@pytest.mark.parametrize(
    ("filters", "keep"), [pytest.param(f, k, id=name) for name, f, k in FILTERS]
)
async def test_both_plans_give_the_same_page(
    tmp_path: Path, library: Library, filters: VideoFilters, keep: Callable[[Row], bool]
) -> None:
    """Driven by the sort's index or by any filter's, a page holds the same rows in order."""
    terms = queries.filter_terms(filters)
    ordering = Ordering(VideoSort.DURATION)

    def read_pages() -> list[list[Any]]:
        with closing(sqlite3.connect(tmp_path / "data" / "library.db")) as conn:
            return [
                conn.execute(q.sql, q.params).fetchall()
                for q in (
                    queries.page("videos.path", terms, ordering, driver=driver, limit=50)
                    for driver in [None, *terms]
                )
            ]

    pages = await trio.to_thread.run_sync(read_pages)
    expected = [(p,) for p in expected_order(VideoSort.DURATION, SortOrder.DESC)]
    assert all(page == [row for row in expected if keep(_row(row[0]))] for page in pages)


def _row(path: str) -> Row:
    return next(r for r in ROWS if r.path == path)


@pytest.mark.parametrize("order", list(SortOrder))
@pytest.mark.parametrize("sort", list(VideoSort))
async def test_cursor_and_offset_pages_make_the_whole_list(
    library: Library, sort: VideoSort, order: SortOrder
) -> None:
    """Paging by cursor and by offset, two at a time, gives the whole list once, in order."""
    ordering = Ordering(sort, order)
    whole = expected_order(sort, order)
    by_cursor: list[str] = []
    after: Cursor | None = None
    while True:
        page = await library.list_videos(limit=2, after=after, ordering=ordering)
        by_cursor += [v.path for v in page.videos]
        if page.next is None:
            break
        after = Cursor.decode(page.next.encode())
    by_offset: list[str] = []
    for offset in range(0, len(ROWS) + 2, 2):
        page = await library.list_videos(limit=2, offset=offset, ordering=ordering)
        by_offset += [v.path for v in page.videos]
    assert by_cursor == by_offset == whole


@pytest.mark.parametrize("sort", [VideoSort.CREATED, VideoSort.PATH, VideoSort.WIDTH])
async def test_cursor_pages_miss_nothing_while_videos_are_added(
    library: Library, sort: VideoSort
) -> None:
    """Videos added between pages never make a cursor repeat or skip a video it had."""
    ordering = Ordering(sort)
    seen: list[str] = []
    after: Cursor | None = None
    added = 0
    while True:
        page = await library.list_videos(limit=3, after=after, ordering=ordering)
        seen += [v.path for v in page.videos]
        if page.next is None:
            break
        after = page.next
        # New videos before and after the cursor, in every place the sort can put them.
        fresh = [
            attrs.evolve(ROWS[0], path=f"/m/0new{added}.mp4", width=8000),
            attrs.evolve(ROWS[0], path=f"/m/znew{added}.mp4", width=10),
        ]
        await add(library, fresh)
        added += 1
    assert len(seen) == len(set(seen))
    assert {r.path for r in ROWS} <= set(seen)


async def test_a_cursor_of_another_sort_is_refused(library: Library) -> None:
    """A cursor continues only the sort and direction it was made for."""
    page = await library.list_videos(limit=2, ordering=Ordering(VideoSort.WIDTH))
    assert page.next is not None
    with pytest.raises(CursorError, match="sort=width&order=desc"):
        await library.list_videos(
            limit=2, after=page.next, ordering=Ordering(VideoSort.WIDTH, SortOrder.ASC)
        )


@pytest.mark.parametrize(
    "text",
    ["", "garbage", "e30", "WzEsInBhdGgiLCJhc2MiLG51bGwsNV0", "WzIsInBhdGgiLCJhc2MiLDEsIi94Il0"],
)
def test_a_cursor_not_made_here_is_refused(text: str) -> None:
    """Text that is not a cursor this server made (bad base64, JSON, shape, version) is refused."""
    with pytest.raises(CursorError):
        Cursor.decode(text)


def test_a_cursor_round_trips() -> None:
    """A cursor is opaque text that decodes to itself."""
    cursor = Cursor(VideoSort.FILENAME, SortOrder.ASC, "002clip", "/m/clip_2.mp4")
    assert Cursor.decode(cursor.encode()) == cursor


async def test_totals_past_the_budget_are_a_lower_bound(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When counting stops at its budget, the total is what it counted, marked not exact."""
    monkeypatch.setattr(queries, "COUNT_BUDGET", 3)
    monkeypatch.setattr(queries, "EXAMINE_BUDGET", 3)
    one = await library.list_videos(limit=1, filters=VideoFilters(video_codec="h264"))
    assert (one.total, one.total_exact) == (3, False)
    few = await library.list_videos(limit=1, filters=VideoFilters(video_codec="hevc"))
    assert (few.total, few.total_exact) == (1, True)
    # A folder's count comes from the folders table: exact whatever the budget.
    folder = await library.list_videos(limit=1, filters=VideoFilters(folder="/m"))
    assert (folder.total, folder.total_exact) == (len(ROWS), True)
    absent = await library.list_videos(limit=1, filters=VideoFilters(missing=False))
    assert (absent.total, absent.total_exact) == (len(ROWS) - len(MISSING), True)


# -- folders and duplicates ------------------------------------------------------------------


async def test_folders_count_videos_below_and_directly_in_each(library: Library) -> None:
    """Each folder below the parent counts its videos, missing ones and subfolders."""
    top = await library.folders()
    assert top.parent is None
    [root] = top.folders
    assert (root.path, root.videos, root.missing, root.direct_videos, root.folders) == (
        "/m",
        len(ROWS),
        2,
        0,
        3,
    )
    listing = await library.folders("/m")
    assert listing.parent == root
    got = {f.path: (f.videos, f.missing, f.direct_videos, f.direct_missing, f.folders)
           for f in listing.folders}  # fmt: skip
    assert got == {
        "/m/a": (5, 1, 4, 1, 1),
        "/m/ab": (1, 0, 1, 0, 0),
        "/m/b": (2, 1, 1, 1, 1),
    }
    assert [f.name for f in listing.folders] == ["a", "ab", "b"]
    deep = await library.folders("/m/b/")
    assert [(f.path, f.videos, f.folders) for f in deep.folders] == [("/m/b/deep", 1, 1)]
    nothing = await library.folders("/elsewhere")
    assert nothing.folders == []
    assert nothing.parent is not None
    assert (nothing.parent.videos, nothing.parent.folders) == (0, 0)


async def test_folder_counts_follow_deletes_and_missing(library: Library) -> None:
    """Deleting videos and marking them found again keeps the counts right."""
    videos = {v.path: v for v in (await library.list_videos(limit=50)).videos}
    await library.delete_video(videos["/m/b/deep/er/clip_3.mp4"].id)
    await library.set_missing(["/m/b/beach.mkv"], missing=False)
    listing = await library.folders("/m")
    assert [(f.path, f.videos, f.missing, f.folders) for f in listing.folders] == [
        ("/m/a", 5, 1, 1),
        ("/m/ab", 1, 0, 0),
        ("/m/b", 1, 0, 0),
    ]


async def test_duplicates_group_present_copies(library: Library, tmp_path: Path) -> None:
    """Videos with one fingerprint form a group (largest first); missing copies do not count."""
    await set_fingerprints(
        tmp_path / "data" / "library.db",
        {
            "/m/a/clip_10.mp4": "500:aa",  # missing: not a copy on disk
            "/m/a/clip_02.mp4": "500:aa",
            "/m/b/deep/er/clip_3.mp4": "500:aa",
            "/m/a/clip_2.mp4": "9000:bb",
            "/m/ab/x.mp4": "9000:bb",
            "/m/a/Clip_1.mov": "300:cc",
        },
    )
    groups, total = await library.duplicates(limit=10, offset=0)
    assert total == 2
    assert [(g.fingerprint, g.file_size, [v.path for v in g.videos]) for g in groups] == [
        ("9000:bb", 9000, ["/m/a/clip_2.mp4", "/m/ab/x.mp4"]),
        ("500:aa", 500, ["/m/a/clip_02.mp4", "/m/b/deep/er/clip_3.mp4"]),
    ]
    second, _ = await library.duplicates(limit=1, offset=1)
    assert [g.fingerprint for g in second] == ["500:aa"]
    await library.set_missing(["/m/ab/x.mp4"], missing=True)
    groups, total = await library.duplicates(limit=10, offset=0)
    assert ([g.fingerprint for g in groups], total) == (["500:aa"], 1)


# -- search ----------------------------------------------------------------------------------


async def test_search_takes_the_filters(library: Library) -> None:
    """Search keeps only the matches the filters keep."""
    page = await library.search_videos("clip", limit=50, filters=VideoFilters(min_width=1920))
    assert sorted(v.path for v in page.videos) == [
        "/m/a/clip_02.mp4",
        "/m/a/clip_10.mp4",
        "/m/a/clip_2.mp4",
        "/m/b/deep/er/clip_3.mp4",
    ]
    assert (page.total, page.total_exact) == (4, True)


async def test_search_past_the_ranked_matches_goes_newest_first(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the ranked candidates, matches come newest first, and pages join up exactly."""
    monkeypatch.setattr(queries, "SEARCH_CANDIDATES", 2)
    whole = await library.search_videos("clip", limit=50)
    paths = [v.path for v in whole.videos]
    # By row id: the order they were added.
    newest = [r.path for r in reversed(ROWS) if "clip" in r.path.lower()]
    assert len(newest) == 5
    assert sorted(paths[:2]) == sorted(newest[:2])
    assert paths[2:] == newest[2:]
    pages: list[Video] = []
    for offset in range(0, len(newest), 3):
        pages += (await library.search_videos("clip", limit=3, offset=offset)).videos
    assert [v.path for v in pages] == paths


async def test_a_search_with_a_short_word_is_newest_first(library: Library) -> None:
    """A word of one or two letters is not ranked: every match comes newest first."""
    newest = [r.path for r in reversed(ROWS)]
    for text in ("m", "cl", "m clip"):
        matching = [p for p in newest if all(w in p.lower() for w in text.split())]
        page = await library.search_videos(text, limit=50)
        assert [v.path for v in page.videos] == matching, text
        offsets = [
            v.path
            for offset in range(0, len(matching), 2)
            for v in (await library.search_videos(text, limit=2, offset=offset)).videos
        ]
        assert offsets == matching, text
    assert queries.worth_ranking("clip beach")
    assert not queries.worth_ranking("clip b")


async def test_pages_in_wire_form_are_the_models_wire_form(library: Library) -> None:
    """list_wire and search_wire give exactly the models' to_wire(), in the same order,
    for every kind of row: missing, HDR, VFR or not or unknown, interlaced, no audio."""
    orderings = [Ordering(), Ordering(VideoSort.FILENAME), Ordering(VideoSort.WIDTH, SortOrder.ASC)]
    filters = [VideoFilters(), VideoFilters(missing=True), VideoFilters(video_codec="h264")]
    for ordering in orderings:
        for kept in filters:
            models = await library.list_videos(limit=3, ordering=ordering, filters=kept)
            wire = await library.list_wire(limit=3, ordering=ordering, filters=kept)
            assert wire.videos == [v.to_wire() for v in models.videos]
            assert (wire.total, wire.total_exact, wire.next) == (
                models.total,
                models.total_exact,
                models.next,
            )
    for text in ("clip", "m", "interview"):
        models = await library.search_videos(text, limit=50)
        wire = await library.search_wire(text, limit=50)
        assert wire.videos == [v.to_wire() for v in models.videos]
        assert wire.total == models.total


async def test_a_timestamp_stored_in_another_form_is_sent_in_the_one_form(
    library: Library,
) -> None:
    """A timestamp written with an offset (not by this version) still goes out with a Z."""
    with closing(sqlite3.connect(library.path)) as conn, conn:
        conn.execute(
            "UPDATE videos SET created_at = '2026-01-02T04:04:05.678+01:00' WHERE path = ?",
            (ROWS[0].path,),
        )
    models = await library.list_videos(limit=50)
    wire = await library.list_wire(limit=50)
    assert wire.videos == [v.to_wire() for v in models.videos]
    [changed] = [v for v in wire.videos if v["path"] == ROWS[0].path]
    assert changed["created_at"] == "2026-01-02T03:04:05.678Z"


# -- query plans -----------------------------------------------------------------------------


def _plan(database: Path, query: queries.Query) -> str:
    with closing(sqlite3.connect(database)) as conn, conn:
        rows = conn.execute("EXPLAIN QUERY PLAN " + query.sql, query.params).fetchall()
    return "\n".join(row[3] for row in rows)


async def plan(database: Path, query: queries.Query) -> str:
    """SQLite's plan for ``query`` (in a worker thread: SQLite blocks)."""
    return await trio.to_thread.run_sync(_plan, database, query)


@pytest.mark.parametrize("sort", list(VideoSort))
async def test_a_sorted_page_walks_its_index(
    library: Library, tmp_path: Path, sort: VideoSort
) -> None:
    """A sorted page reads index entries only, in order: no sort step, no table scan."""
    database = tmp_path / "data" / "library.db"
    ordering = Ordering(sort)
    index = ordering.key.index
    first = await plan(database, queries.page("videos.path", [], ordering, driver=None, limit=5))
    assert f"SCAN videos USING COVERING INDEX {index}" in first
    assert "TEMP B-TREE" not in first.replace("USE TEMP B-TREE FOR ORDER BY", "", 1)
    cursor = Cursor.after_row(
        ordering, 1 if sort not in (VideoSort.FILENAME, VideoSort.CREATED) else "x", "/m/a"
    )
    after = await plan(
        database, queries.page("videos.path", [], ordering, driver=None, limit=5, after=cursor)
    )
    # Each branch of a keyset page is a seek into the index, never a scan from its start.
    assert f"SCAN videos USING COVERING INDEX {index}" not in after
    assert after.count(f"SEARCH videos USING COVERING INDEX {index}") == (
        1 if sort == VideoSort.PATH else 2
    )


@pytest.mark.parametrize(("name", "filters", "_"), FILTERS)
async def test_each_filter_is_counted_and_driven_by_an_index(
    library: Library, tmp_path: Path, name: str, filters: VideoFilters, _: object
) -> None:
    """Each filter's count reads its index alone, and a page it drives searches that index."""
    database = tmp_path / "data" / "library.db"
    for term in queries.filter_terms(filters):
        count = await plan(database, queries.term_count(term, budget=10))
        assert f"USING COVERING INDEX {term.index}" in count
        driven = await plan(
            database, queries.page("videos.path", [term], Ordering(), driver=term, limit=5)
        )
        assert f"SEARCH videos USING INDEX {term.index}" in driven or (
            f"SEARCH videos USING COVERING INDEX {term.index}" in driven
        )


async def test_search_reads_a_bounded_set(library: Library, tmp_path: Path) -> None:
    """Search ranks its candidates only: the full-text index is read newest first, with a limit."""
    database = tmp_path / "data" / "library.db"
    text = await plan(database, queries.search_ranked("videos.path", '"m"*', [], limit=5, offset=0))
    assert "SCAN videos_fts VIRTUAL TABLE INDEX" in text
    assert "SEARCH videos USING INTEGER PRIMARY KEY (rowid=?)" in text


def test_choose_driver_weighs_the_walk_against_the_matches() -> None:
    """The fewest matches drive when reading them costs less than walking the sort's index."""
    terms = queries.filter_terms(VideoFilters(video_codec="x", hdr=HdrFilter.HLG))
    assert queries.choose_driver(terms, [500, 40], library_size=100_000, wanted=50) == terms[1]
    assert queries.choose_driver(terms, [5000, 4000], library_size=100_000, wanted=50) is None
    assert queries.choose_driver(terms, [5000, 4000], library_size=100_000, wanted=500) == terms[1]
    assert queries.choose_driver([], [], library_size=10, wanted=5) is None


@pytest.mark.parametrize(
    ("folders", "top"),
    [
        (["/m/a", "/m/b"], "/m"),
        (["/m/a"], "/m/a"),
        (["/m/a/x", "/m/ab"], "/m"),
        (["/home/x", "/srv/y"], "/"),
        (["/srv/media", "/srv/media/2019/a"], "/srv/media"),
        (["/"], "/"),
    ],
)
async def test_the_top_folder_is_the_deepest_holding_every_video(
    tmp_path: Path, folders: list[str], top: str
) -> None:
    """Without a parent, the tree starts at the deepest folder every video is in."""
    async with open_library(tmp_path / "library.db") as lib:
        assert (await lib.folders()).folders == []
        await add(lib, [attrs.evolve(ROWS[0], path=f"{f.rstrip('/')}/v.mp4") for f in folders])
        [found] = (await lib.folders()).folders
        assert (found.path, found.videos) == (top, len(folders))
