"""The library store on real SQLite files: videos, search, scan baselines and job history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio

from stoat_ferret.jobs.models import JobSnapshot
from stoat_ferret.jobs.results import CappedErrors, FileError, OpaqueResult, ScanResult
from stoat_ferret.library.models import KnownFile, Technical
from stoat_ferret.library.store import Library, ProbedFile, fts_query, open_library
from stoat_ferret.probe.metadata import Container
from stoat_ferret.probe.parse import ProbeResult
from stoat_ferret.protocol import JobStatus
from stoat_ferret.timestamps import parse_timestamp, utc_now

from ..support.results import counts

CREATED = parse_timestamp("2024-05-01T10:00:00.000Z")


def probe_result(**changes: Any) -> ProbeResult:
    """A plausible ProbeResult; ``changes`` replace fields."""
    result = ProbeResult(
        duration_seconds=10.01,
        frame_rate=Fraction(30000, 1001),
        duration_frames=300,
        width=1920,
        height=1080,
        video_codec="h264",
        audio_codec="aac",
        file_size=1_000_000,
        format_name="mov,mp4,m4a,3gp,3g2,mj2",
    )
    return attrs.evolve(result, **changes)


def probed(path: str, *, mtime_ns: int = 1_700_000_000_000_000_000, **changes: Any) -> ProbedFile:
    return ProbedFile(path, mtime_ns, probe_result(**changes))


def job(job_id: str, status: JobStatus = JobStatus.PENDING, **changes: Any) -> JobSnapshot:
    snapshot = JobSnapshot(
        job_id=job_id, kind="scan", status=status, params={"path": "/media"}, created_at=CREATED
    )
    return attrs.evolve(snapshot, **changes)


@pytest.fixture
async def library(tmp_path: Path) -> AsyncIterator[Library]:
    async with open_library(tmp_path / "data" / "library.db") as lib:
        yield lib


async def paths_of(library: Library) -> list[str]:
    videos, _ = await library.list_videos(limit=100, offset=0)
    return [v.path for v in videos]


# -- saving probed files ---------------------------------------------------------------------


async def test_save_probed_inserts_with_every_field(library: Library) -> None:
    """A new file is stored with all its probed values and is not missing."""
    assert counts(await library.save_probed([probed("/media/a/clip.mp4", mtime_ns=42)])) == (1, 0)
    [video], total = await library.list_videos(limit=10, offset=0)
    assert total == 1
    assert (video.path, video.filename) == ("/media/a/clip.mp4", "clip.mp4")
    assert (video.frame_rate_numerator, video.frame_rate_denominator) == (30000, 1001)
    assert video.frame_rate == Fraction(30000, 1001)
    assert (video.duration_frames, video.duration_seconds) == (300, 10.01)
    assert (video.width, video.height) == (1920, 1080)
    assert (video.video_codec, video.audio_codec) == ("h264", "aac")
    assert (video.container, video.file_size) == ("mov,mp4,m4a,3gp,3g2,mj2", 1_000_000)
    assert (video.missing, video.missing_since, video.thumbnail_path) == (False, None, None)
    assert video.created_at == video.updated_at == video.probed_at
    one = await library.get_video(video.id)
    # One video comes with its whole technical metadata (none here), a list's without.
    assert one is not None
    assert one.technical == Technical(container=Container(), streams=())
    assert attrs.evolve(one, technical=None) == video
    known = await library.known_files("/media/a", recursive=False)
    assert known == {"/media/a/clip.mp4": KnownFile("/media/a/clip.mp4", 1_000_000, 42, False)}


async def test_save_probed_counts_new_and_updated(library: Library) -> None:
    """A batch reports how many rows it inserted and how many it updated."""
    assert counts(await library.save_probed([probed("/m/a.mp4"), probed("/m/b.mp4")])) == (2, 0)
    assert counts(await library.save_probed([probed("/m/b.mp4"), probed("/m/c.mp4")])) == (1, 1)
    assert counts(await library.save_probed([probed("/m/a.mp4"), probed("/m/c.mp4")])) == (0, 2)
    assert counts(await library.save_probed([])) == (0, 0)
    assert sorted(await paths_of(library)) == ["/m/a.mp4", "/m/b.mp4", "/m/c.mp4"]


async def test_update_keeps_the_id_and_takes_new_values(library: Library) -> None:
    """Re-probing a path updates it in place: same id and created_at, new values and mtime."""
    await library.save_probed([probed("/m/a.mp4", mtime_ns=1)])
    [before], _ = await library.list_videos(limit=10, offset=0)
    changed = probed(
        "/m/a.mp4",
        mtime_ns=2,
        width=640,
        height=360,
        audio_codec=None,
        file_size=5,
        frame_rate=Fraction(25),
    )
    assert counts(await library.save_probed([changed])) == (0, 1)
    after = await library.get_video(before.id)
    assert after is not None
    assert (after.id, after.created_at) == (before.id, before.created_at)
    assert (after.width, after.height, after.audio_codec, after.file_size) == (640, 360, None, 5)
    assert (after.frame_rate_numerator, after.frame_rate_denominator) == (25, 1)
    assert after.updated_at >= before.updated_at
    assert await library.count_videos() == 1
    known = await library.known_files("/m", recursive=False)
    assert known["/m/a.mp4"] == KnownFile("/m/a.mp4", 5, 2, False)


async def test_update_clears_missing(library: Library) -> None:
    """A missing file that is probed again is no longer missing."""
    await library.save_probed([probed("/m/a.mp4")])
    assert len(await library.set_missing(["/m/a.mp4"], missing=True)) == 1
    await library.save_probed([probed("/m/a.mp4")])
    [video], _ = await library.list_videos(limit=10, offset=0)
    assert (video.missing, video.missing_since) == (False, None)


# -- scan baselines ----------------------------------------------------------------------------

BOUNDARY_PATHS = [
    "/m/a.mp4",
    "/m/a/x.mp4",
    "/m/a/sub/y.mp4",
    "/m/a/sub/deeper/z.mp4",
    "/m/a-b/no.mp4",
    "/m/a.d/no.mp4",
    "/m/a0/no.mp4",
    "/m/ab/no.mp4",
    "/m/b/no.mp4",
]


async def test_known_files_recursive_stays_inside_the_directory(library: Library) -> None:
    """Recursive known_files of /m/a holds everything below /m/a and nothing in /m/ab, /m/a-b …"""
    await library.save_probed([probed(p) for p in BOUNDARY_PATHS])
    known = await library.known_files("/m/a", recursive=True)
    assert sorted(known) == ["/m/a/sub/deeper/z.mp4", "/m/a/sub/y.mp4", "/m/a/x.mp4"]
    assert await library.known_files("/m/a/", recursive=True) == known


async def test_known_files_non_recursive_is_one_directory(library: Library) -> None:
    """Non-recursive known_files holds only files directly in the directory."""
    await library.save_probed([probed(p) for p in BOUNDARY_PATHS])
    assert sorted(await library.known_files("/m/a", recursive=False)) == ["/m/a/x.mp4"]
    assert sorted(await library.known_files("/m", recursive=False)) == ["/m/a.mp4"]
    assert await library.known_files("/m/none", recursive=True) == {}


async def test_known_files_of_the_filesystem_root(library: Library) -> None:
    """Recursive known_files of "/" holds every file."""
    await library.save_probed([probed(p) for p in BOUNDARY_PATHS])
    assert sorted(await library.known_files("/", recursive=True)) == sorted(BOUNDARY_PATHS)


async def test_set_missing_and_back(library: Library) -> None:
    """set_missing marks files missing and found again, returning the ids that changed."""
    await library.save_probed([probed("/m/a.mp4"), probed("/m/b.mp4")])
    ids = {v.path: v.id for v in (await library.list_videos(limit=10, offset=0)).videos}
    assert await library.set_missing(["/m/a.mp4", "/m/unknown.mp4"], missing=True) == [
        ids["/m/a.mp4"]
    ]
    assert await library.set_missing(["/m/a.mp4"], missing=True) == []
    known = await library.known_files("/m", recursive=False)
    assert {p: k.missing for p, k in known.items()} == {"/m/a.mp4": True, "/m/b.mp4": False}
    videos, _ = await library.list_videos(limit=10, offset=0)
    missing = {v.path: v for v in videos}["/m/a.mp4"]
    assert missing.missing
    assert missing.missing_since is not None
    assert missing.updated_at == missing.missing_since

    assert await library.set_missing(["/m/a.mp4", "/m/b.mp4"], missing=False) == [ids["/m/a.mp4"]]
    assert await library.set_missing(["/m/a.mp4"], missing=False) == []
    videos, _ = await library.list_videos(limit=10, offset=0)
    assert [(v.missing, v.missing_since) for v in videos] == [(False, None), (False, None)]


async def test_set_missing_of_nothing(library: Library) -> None:
    """An empty batch changes nothing and returns no ids."""
    await library.save_probed([probed("/m/a.mp4")])
    assert len(await library.set_missing([], missing=True)) == 0
    assert len(await library.set_missing(iter(()), missing=False)) == 0


# -- search ------------------------------------------------------------------------------------

SEARCHABLE = [
    "/media/holiday/Beach_2019.mp4",
    "/media/holiday/mountain hike.mkv",
    "/media/work/Beach meeting.mp4",
    "/media/café ビデオ.mkv",
]


@pytest.fixture
async def searchable(library: Library) -> Library:
    await library.save_probed([probed(p) for p in SEARCHABLE])
    return library


async def found(library: Library, text: str) -> list[str]:
    videos, total = await library.search_videos(text, limit=50)
    assert total == len(videos)
    return sorted(v.filename for v in videos)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("beach", ["Beach meeting.mp4", "Beach_2019.mp4"]),
        ("BEACH", ["Beach meeting.mp4", "Beach_2019.mp4"]),
        ("bea", ["Beach meeting.mp4", "Beach_2019.mp4"]),
        ("beach 20", ["Beach_2019.mp4"]),
        ("20 beach", ["Beach_2019.mp4"]),
        ("beach meet", ["Beach meeting.mp4"]),
        ("beach hike", []),
        ("holiday", ["Beach_2019.mp4", "mountain hike.mkv"]),
        ("holiday beach", ["Beach_2019.mp4"]),
        ("work", ["Beach meeting.mp4"]),
        ("mkv", ["café ビデオ.mkv", "mountain hike.mkv"]),
        ("cafe", ["café ビデオ.mkv"]),
        ("café", ["café ビデオ.mkv"]),
        ("ビデオ", ["café ビデオ.mkv"]),
        ("volcano", []),
    ],
)
async def test_search_words(searchable: Library, text: str, expected: list[str]) -> None:
    """Every word must match a file name or path word, as a prefix, case- and accent-blind."""
    assert await found(searchable, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"', []),
        ('""', []),
        ("'", []),
        ("(", []),
        (")", []),
        ("()", []),
        ("*", []),
        ("^", []),
        ("-", []),
        (":", []),
        ("", []),
        ("   ", []),
        ("\x00", []),
        ('"beach', ["Beach meeting.mp4", "Beach_2019.mp4"]),
        ('"beach"', ["Beach meeting.mp4", "Beach_2019.mp4"]),
        ("(beach", ["Beach meeting.mp4", "Beach_2019.mp4"]),
        ("beach)", ["Beach meeting.mp4", "Beach_2019.mp4"]),
        ("beach*", ["Beach meeting.mp4", "Beach_2019.mp4"]),
        ("^beach", ["Beach meeting.mp4", "Beach_2019.mp4"]),
        ("-beach", ["Beach meeting.mp4", "Beach_2019.mp4"]),
        ("beach:", ["Beach meeting.mp4", "Beach_2019.mp4"]),
        ("{beach}", ["Beach meeting.mp4", "Beach_2019.mp4"]),
        ('beach" OR "x', []),
        ("NEAR", []),
        ("NEAR(beach meeting)", []),
        ("beach NEAR meeting", []),
        ("AND", []),
        ("beach AND", []),
        ("OR beach", []),
        ("beach OR hike", []),
        ("NOT", []),
        ("filename:beach", []),
        ("path:holiday", []),
        ("🎬", []),
        ("ビ", ["café ビデオ.mkv"]),
        ("Beach_20", ["Beach_2019.mp4"]),
    ],
)
async def test_hostile_queries_never_raise(
    searchable: Library, text: str, expected: list[str]
) -> None:
    """FTS5 syntax in a query is taken as plain words: no error, and every word must match."""
    assert await found(searchable, text) == expected


async def test_search_limit_and_total(searchable: Library) -> None:
    """The limit caps the rows returned, while total counts every match."""
    videos, total = await searchable.search_videos("media", limit=2)
    assert total == 4
    assert len(videos) == 2


async def test_search_offset_skips_the_best_matches(searchable: Library) -> None:
    """The offset skips that many matches in rank order; the total stays every match."""
    everything, total = await searchable.search_videos("media", limit=10)
    rest, rest_total = await searchable.search_videos("media", limit=10, offset=1)
    assert (total, rest_total) == (4, 4)
    assert rest == everything[1:]
    assert tuple(await searchable.search_videos("media", limit=10, offset=4)) == ([], 4)


async def test_delete_removes_from_search(searchable: Library) -> None:
    """A deleted video is gone from get, list, count and search; deleting again reports False."""
    [video], _ = await searchable.search_videos("beach 2019", limit=10)
    assert await searchable.delete_video(video.id) is True
    assert await searchable.get_video(video.id) is None
    assert await searchable.count_videos() == 3
    assert await found(searchable, "beach") == ["Beach meeting.mp4"]
    assert await found(searchable, "2019") == []
    assert await searchable.delete_video(video.id) is False


async def test_search_after_update_still_finds_once(searchable: Library) -> None:
    """Re-probing a file keeps exactly one search entry for it."""
    await searchable.save_probed([probed("/media/holiday/Beach_2019.mp4", width=1)])
    assert await found(searchable, "2019") == ["Beach_2019.mp4"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("beach 20", '"beach"* "20"*'),
        ('a"b', '"a"* "b"*'),
        ("NEAR(x, y)", '"NEAR"* "x"* "y"*'),
        ("beach OR hike", '"beach"* "OR"* "hike"*'),
        ("Beach_2019.mp4", '"Beach_2019"* "mp4"*'),
        ("café ビデオ", '"café"* "ビデオ"*'),
        ('"', None),
        ("*^()-:", None),
        ("", None),
        ("  \t", None),
    ],
)
def test_fts_query(text: str, expected: str | None) -> None:
    """fts_query quotes every word as a prefix term, or gives None when there is no word."""
    assert fts_query(text) == expected


async def test_videos_are_listed_newest_first_then_by_path(library: Library) -> None:
    """list_videos puts the latest added first; videos added together go in path order."""
    await library.save_probed([probed("/m/old-b.mp4"), probed("/m/old-a.mp4")])
    [first, _], _ = await library.list_videos(limit=10, offset=0)
    # Timestamps are kept to the millisecond: let the clock pass the first batch's.
    while utc_now() <= first.created_at:  # noqa: ASYNC110 - waits for the wall clock itself
        await trio.sleep(0.001)
    await library.save_probed([probed("/m/new-z.mp4"), probed("/m/new-y.mp4")])

    assert await paths_of(library) == [
        "/m/new-y.mp4",
        "/m/new-z.mp4",
        "/m/old-a.mp4",
        "/m/old-b.mp4",
    ]
    page, total = await library.list_videos(limit=2, offset=1)
    assert ([v.path for v in page], total) == (["/m/new-z.mp4", "/m/old-a.mp4"], 4)
    # A rescan that updates an old video does not move it to the front.
    await library.save_probed([probed("/m/old-b.mp4", mtime_ns=7)])
    assert await paths_of(library) == [
        "/m/new-y.mp4",
        "/m/new-z.mp4",
        "/m/old-a.mp4",
        "/m/old-b.mp4",
    ]


# -- jobs ---------------------------------------------------------------------------------------


async def test_job_round_trip(library: Library) -> None:
    """A saved job snapshot reads back equal, field for field."""
    snapshot = job(
        "j1",
        JobStatus.COMPLETE,
        params={"path": "/media", "recursive": True, "force": False},
        progress=1.0,
        processed=7,
        total=7,
        current_file=None,
        result=ScanResult(
            scanned=7, new=5, errors=CappedErrors((FileError("/media/x.mp4", "empty"),), 1)
        ),
        error=None,
        started_at=parse_timestamp("2024-05-01T10:00:01.000Z"),
        finished_at=parse_timestamp("2024-05-01T10:00:09.500Z"),
    )
    await library.save_job(snapshot)
    assert await library.get_job("j1") == snapshot
    assert await library.get_job("nope") is None


async def test_running_job_updates_in_place(library: Library) -> None:
    """Saving newer snapshots of an unfinished job replaces its row, keeping one row."""
    await library.save_job(job("j1"))
    running = job("j1", JobStatus.RUNNING, progress=0.5, processed=1, total=2, current_file="/m/a")
    await library.save_job(running)
    assert await library.get_job("j1") == running
    done = job(
        "j1", JobStatus.COMPLETE, progress=1.0, processed=2, total=2, result=ScanResult(new=2)
    )
    await library.save_job(done)
    assert await library.get_job("j1") == done
    assert (await library.list_jobs(limit=10, offset=0))[1] == 1


@pytest.mark.parametrize(
    "final",
    [
        JobStatus.COMPLETE,
        JobStatus.FAILED,
        JobStatus.TIMEOUT,
        JobStatus.CANCELLED,
        JobStatus.INTERRUPTED,
    ],
)
async def test_terminal_job_is_never_overwritten(library: Library, final: JobStatus) -> None:
    """Once a job is terminal, a late snapshot of it running does not change its row."""
    finished = job(
        "j1",
        final,
        progress=1.0,
        error="why",
        finished_at=parse_timestamp("2024-05-01T10:01:00.000Z"),
    )
    await library.save_job(job("j1", JobStatus.RUNNING, progress=0.2))
    await library.save_job(finished)
    await library.save_job(job("j1", JobStatus.RUNNING, progress=0.9, current_file="/m/late"))
    await library.save_job(job("j1", JobStatus.COMPLETE, progress=1.0))
    assert await library.get_job("j1") == finished


async def test_list_jobs_newest_first_with_filters(library: Library) -> None:
    """list_jobs is newest first; status and kind filter both rows and total."""
    await library.save_job(job("j1", JobStatus.COMPLETE))
    await library.save_job(job("j2", JobStatus.FAILED, error="boom"))
    await library.save_job(job("j3", JobStatus.COMPLETE, kind="thumbnails"))
    await library.save_job(job("j4", JobStatus.RUNNING))
    # Updating an older job does not move it to the front.
    await library.save_job(job("j1", JobStatus.RUNNING))

    async def ids(
        *, limit: int, offset: int, status: str | None = None, kind: str | None = None
    ) -> tuple[list[str], int]:
        rows, total = await library.list_jobs(limit=limit, offset=offset, status=status, kind=kind)
        return [r.job_id for r in rows], total

    assert await ids(limit=10, offset=0) == (["j4", "j3", "j2", "j1"], 4)
    assert await ids(limit=2, offset=1) == (["j3", "j2"], 4)
    assert await ids(limit=10, offset=0, status="complete") == (["j3", "j1"], 2)
    assert await ids(limit=10, offset=0, kind="scan") == (["j4", "j2", "j1"], 3)
    assert await ids(limit=10, offset=0, status="complete", kind="scan") == (["j1"], 1)
    assert await ids(limit=1, offset=0, kind="scan") == (["j4"], 3)
    assert await ids(limit=10, offset=0, status="pending") == ([], 0)


async def test_list_jobs_by_id_prefix(library: Library) -> None:
    """id_prefix keeps the jobs whose id starts with it; LIKE wildcards mean themselves."""
    for job_id in ("ab1", "ab2", "a%c", "a_c", "b"):
        await library.save_job(job(job_id))

    async def ids(prefix: str) -> tuple[list[str], int]:
        rows, total = await library.list_jobs(limit=10, offset=0, id_prefix=prefix)
        return [r.job_id for r in rows], total

    assert await ids("ab") == (["ab2", "ab1"], 2)
    assert await ids("ab1") == (["ab1"], 1)
    assert await ids("a%") == (["a%c"], 1)
    assert await ids("a_") == (["a_c"], 1)
    assert await ids("c") == ([], 0)


async def test_interrupt_unfinished(library: Library) -> None:
    """Pending and running jobs become interrupted with a reason; terminal ones stay as they are."""
    finished = {
        "done": job(
            "done", JobStatus.COMPLETE, finished_at=parse_timestamp("2024-05-01T10:05:00.000Z")
        ),
        "failed": job(
            "failed",
            JobStatus.FAILED,
            error="boom",
            finished_at=parse_timestamp("2024-05-01T10:06:00Z"),
        ),
        "cancelled": job(
            "cancelled", JobStatus.CANCELLED, finished_at=parse_timestamp("2024-05-01T10:07:00Z")
        ),
    }
    for snapshot in finished.values():
        await library.save_job(snapshot)
    await library.save_job(job("waiting"))
    await library.save_job(job("busy", JobStatus.RUNNING, progress=0.3))
    await library.save_job(job("erred", JobStatus.RUNNING, error="ffprobe went away"))

    assert await library.interrupt_unfinished() == 3
    for job_id, snapshot in finished.items():
        assert await library.get_job(job_id) == snapshot
    for job_id in ("waiting", "busy", "erred"):
        row = await library.get_job(job_id)
        assert row is not None
        assert row.status == JobStatus.INTERRUPTED
        assert row.finished_at is not None
    waiting = await library.get_job("waiting")
    erred = await library.get_job("erred")
    assert waiting is not None
    assert erred is not None
    assert waiting.error == "the server stopped before the job finished"
    assert erred.error == "ffprobe went away"
    busy = await library.get_job("busy")
    assert busy is not None
    assert busy.progress == 0.3
    assert await library.interrupt_unfinished() == 0


async def test_results_of_kinds_without_a_type_are_kept_as_stored(library: Library) -> None:
    """A result of an unknown kind, or one that does not fit its kind, reads back untouched."""
    await library.save_job(
        job("w", JobStatus.COMPLETE, kind="watch", result=OpaqueResult({"applied": 3}))
    )
    await library.save_job(job("s", JobStatus.COMPLETE, result=OpaqueResult({"scanned": "x"})))

    watch = await library.get_job("w")
    odd = await library.get_job("s")
    assert watch is not None
    assert odd is not None
    assert watch.result == OpaqueResult({"applied": 3})
    assert odd.result == OpaqueResult({"scanned": "x"})
