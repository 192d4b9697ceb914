"""Identity across moves, renames and copies; thumbnails across re-probes; video events.

Real files moved, renamed and copied on disk, real ffprobe, a real library file.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trio

from stoat_ferret.events.hub import Event, EventHub, Subscriber
from stoat_ferret.events.library import LibraryEvents
from stoat_ferret.events.payloads import VideoAdded
from stoat_ferret.jobs.models import JobSnapshot
from stoat_ferret.jobs.results import FileError, ScanResult
from stoat_ferret.library import schema
from stoat_ferret.library.models import Video
from stoat_ferret.metrics import Metrics
from stoat_ferret.protocol import EventType, JobStatus
from stoat_ferret.scan.fingerprint import fingerprint_file
from stoat_ferret.scan.job import Scanner
from stoat_ferret.service import Service

from ..support.media import copy_as
from ..support.prober import make_prober

VIDEO_EVENTS = {
    EventType.VIDEO_ADDED,
    EventType.VIDEO_UPDATED,
    EventType.VIDEO_MISSING,
    EventType.VIDEO_MOVED,
    EventType.VIDEO_REMOVED,
}


async def scan(service: Service, path: Path, **options: bool) -> JobSnapshot:
    job = await service.scanner.submit(str(path), **options)
    with trio.fail_after(60):
        return await service.runner.wait(job.job_id)


def result_of(job: JobSnapshot) -> ScanResult:
    assert job.status is JobStatus.COMPLETE, job.error
    assert isinstance(job.result, ScanResult)
    return job.result


def counts(job: JobSnapshot) -> dict[str, int]:
    """The scan's counts that are not zero, and its error count."""
    wire = result_of(job).to_wire()
    return {
        key: value
        for key, value in wire.items()
        if isinstance(value, int) and value and key != "skipped"
    }


async def make_thumbnails(service: Service) -> None:
    job = await service.thumbnailer.submit()
    with trio.fail_after(60):
        done = await service.runner.wait(job.job_id)
    assert done.status is JobStatus.COMPLETE


async def videos_by_path(service: Service) -> dict[str, Video]:
    videos, _ = await service.library.list_videos(limit=500, offset=0)
    return {video.path: video for video in videos}


async def drain(subscriber: Subscriber) -> list[tuple[EventType, dict[str, Any]]]:
    """The video events the subscriber holds, in order: (type, payload)."""
    seen = []
    while subscriber.buffered:
        event = await subscriber.receive()
        if event.type in VIDEO_EVENTS:
            seen.append((event.type, event.payload))
    return seen


@pytest.fixture
def root(media_root: Path) -> Path:
    """The media root as the service reports its paths: fully resolved."""
    return Path(os.path.realpath(media_root))


@pytest.fixture
async def service(open_test_service: Callable[..., Any]) -> Service:
    # One probe at a time: files are probed and stored in path order, so events are exact.
    opened: Service = await open_test_service(probe_concurrency=1)
    return opened


# -- moves and renames ---------------------------------------------------------------------------


async def test_a_renamed_file_keeps_its_id_and_thumbnail(
    service: Service, root: Path, distinct_clips: list[Path]
) -> None:
    """Renamed on disk: same id and thumbnail, new path; counted as moved, published as moved."""
    copy_as(distinct_clips[0], root / "A001_C001.mp4")
    await scan(service, root)
    await make_thumbnails(service)
    [before] = (await videos_by_path(service)).values()
    assert before.thumbnail_path is not None
    (root / "A001_C001.mp4").rename(root / "interview.mp4")

    with service.hub.subscribe() as subscriber:
        job = await scan(service, root)
        events = await drain(subscriber)

    assert counts(job) == {"scanned": 1, "moved": 1}
    after = await service.library.get_video(before.id)
    assert after is not None
    assert (after.path, after.filename, after.missing) == (
        str(root / "interview.mp4"),
        "interview.mp4",
        False,
    )
    assert (after.thumbnail_path, after.created_at) == (before.thumbnail_path, before.created_at)
    assert await trio.Path(after.thumbnail_path or "").is_file()
    assert await service.library.count_videos() == 1
    assert events == [
        (
            EventType.VIDEO_MISSING,
            {"video_ids": [before.id], "missing": True, "job_id": job.job_id},
        ),
        (
            EventType.VIDEO_MOVED,
            {
                "moves": [
                    {
                        "video_id": before.id,
                        "from_path": str(root / "A001_C001.mp4"),
                        "to_path": str(root / "interview.mp4"),
                    }
                ],
                "job_id": job.job_id,
            },
        ),
    ]


async def test_a_folder_moved_within_the_root_keeps_every_id_and_thumbnail(
    service: Service, root: Path, distinct_clips: list[Path]
) -> None:
    """Every file of a renamed and moved folder (subfolders too) is the same video, moved."""
    card = root / "card"
    (card / "CLIP").mkdir(parents=True)
    names = ["C0001.MP4", "C0002.MP4", "CLIP/C0003.MP4", "CLIP/C0004.MP4"]
    for name, clip in zip(names, distinct_clips, strict=False):
        copy_as(clip, card / name)
    await scan(service, root)
    await make_thumbnails(service)
    before = await videos_by_path(service)
    (root / "archive").mkdir()
    card.rename(root / "archive" / "day1")

    job = await scan(service, root)

    assert counts(job) == {"scanned": 4, "moved": 4}
    after = await videos_by_path(service)
    assert {path: (v.id, v.thumbnail_path) for path, v in after.items()} == {
        str(root / "archive" / "day1" / name): (
            before[str(card / name)].id,
            before[str(card / name)].thumbnail_path,
        )
        for name in names
    }
    assert all(v.thumbnail_path is not None and not v.missing for v in after.values())


async def test_a_move_between_folders_scanned_apart_is_found_by_the_second_scan(
    service: Service, root: Path, distinct_clips: list[Path]
) -> None:
    """Old folder scanned first: its videos go missing; the new folder's scan finds them moved."""
    old, new = root / "old", root / "new"
    old.mkdir()
    new.mkdir()
    for n in range(2):
        copy_as(distinct_clips[n], old / f"take{n}.mov")
    await scan(service, root)
    before = await videos_by_path(service)
    for n in range(2):
        (old / f"take{n}.mov").rename(new / f"take{n}.mov")

    first = await scan(service, old)
    assert counts(first) == {"missing": 2}
    assert all(v.missing for v in (await videos_by_path(service)).values())

    second = await scan(service, new)

    assert counts(second) == {"scanned": 2, "moved": 2}
    after = await videos_by_path(service)
    assert {path: (v.id, v.missing) for path, v in after.items()} == {
        str(new / f"take{n}.mov"): (before[str(old / f"take{n}.mov")].id, False) for n in range(2)
    }


async def test_scanning_the_new_place_first_finds_copies_not_moves(
    service: Service, root: Path, distinct_clips: list[Path]
) -> None:
    """While the old entry is not known to be missing, a file at a new place is a new video."""
    old, new = root / "old", root / "new"
    old.mkdir()
    new.mkdir()
    copy_as(distinct_clips[0], old / "take.mov")
    await scan(service, root)
    (old / "take.mov").rename(new / "take.mov")

    assert counts(await scan(service, new)) == {"scanned": 1, "new": 1}
    assert counts(await scan(service, old)) == {"missing": 1}

    videos = await videos_by_path(service)
    assert {path: v.missing for path, v in videos.items()} == {
        str(old / "take.mov"): True,
        str(new / "take.mov"): False,
    }
    assert len({v.id for v in videos.values()}) == 2


async def test_a_copy_is_a_second_video_with_the_same_fingerprint(
    service: Service, root: Path, distinct_clips: list[Path]
) -> None:
    """Both paths present: two ids, one fingerprint (the file's), nothing missing or moved."""
    copy_as(distinct_clips[0], root / "original.mp4")
    await scan(service, root)
    (root / "backup").mkdir()
    copy_as(distinct_clips[0], root / "backup" / "original.mp4")

    job = await scan(service, root)

    assert counts(job) == {"scanned": 2, "new": 1, "unchanged": 1}
    videos = await videos_by_path(service)
    expected = str(await trio.to_thread.run_sync(fingerprint_file, str(root / "original.mp4")))
    assert sorted(videos) == [str(root / "backup" / "original.mp4"), str(root / "original.mp4")]
    assert [v.fingerprint for v in videos.values()] == [expected, expected]
    assert len({v.id for v in videos.values()}) == 2


# -- thumbnails across re-probes -----------------------------------------------------------------


def execute(db: Path, sql: str) -> None:
    """Change the library behind the service's back (synchronous: run in a thread)."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute(sql)
    finally:
        conn.close()


async def test_a_forced_rescan_keeps_the_thumbnails_of_unchanged_files_only(
    service: Service, root: Path, distinct_clips: list[Path]
) -> None:
    """Forced: an unchanged file keeps its thumbnail, a file with new content loses it."""
    copy_as(distinct_clips[0], root / "same.mp4")
    copy_as(distinct_clips[1], root / "changed.mp4")
    await scan(service, root)
    await make_thumbnails(service)
    before = await videos_by_path(service)
    copy_as(distinct_clips[2], root / "changed.mp4")

    job = await scan(service, root, force=True)

    assert counts(job) == {"scanned": 2, "updated": 2}
    after = await videos_by_path(service)
    same, changed = str(root / "same.mp4"), str(root / "changed.mp4")
    assert after[same].thumbnail_path == before[same].thumbnail_path is not None
    assert after[changed].thumbnail_path is None
    assert after[changed].fingerprint != before[changed].fingerprint
    assert after[changed].id == before[changed].id


async def test_a_stale_row_probed_again_keeps_its_thumbnail(
    service: Service, root: Path, distinct_clips: list[Path], tmp_path: Path
) -> None:
    """A row an older parser wrote is probed again once, its thumbnail kept."""
    copy_as(distinct_clips[0], root / "clip.mp4")
    await scan(service, root)
    await make_thumbnails(service)
    [before] = (await videos_by_path(service)).values()
    await trio.to_thread.run_sync(
        execute, tmp_path / "data" / "library.db", "UPDATE videos SET technical_version = 0"
    )

    job = await scan(service, root)

    assert counts(job) == {"scanned": 1, "updated": 1}
    [after] = (await videos_by_path(service)).values()
    assert (after.id, after.thumbnail_path) == (before.id, before.thumbnail_path)
    assert after.probed_at > before.probed_at


# -- fingerprints: failures, and rows stored before they were kept ---------------------------------


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("vanish-on=gone", "the file no longer exists (moved or deleted since it was listed)"),
        ("dir-on=gone", "the path is now a directory, not a file"),
    ],
)
async def test_a_file_that_cannot_be_fingerprinted_is_an_error_not_a_failed_scan(
    open_test_service: Callable[..., Any],
    root: Path,
    distinct_clips: list[Path],
    tmp_path: Path,
    mode: str,
    reason: str,
) -> None:
    """A file gone (or now a folder) between its probe and its fingerprint is a file error."""
    copy_as(distinct_clips[0], root / "fine.mp4")
    copy_as(distinct_clips[1], root / "gone.mp4")
    prober = make_prober(tmp_path / "bin", mode)
    service = await open_test_service(ffprobe_path=str(prober.path))

    job = await scan(service, root)

    assert counts(job) == {"scanned": 2, "new": 1, "error_count": 1}
    assert result_of(job).errors.items == (FileError(str(root / "gone.mp4"), reason),)
    assert sorted(await videos_by_path(service)) == [str(root / "fine.mp4")]
    assert prober.spawn_count() == 2


def make_v1_library(db: Path, files: dict[str, Path]) -> None:
    """A library as version 0.10.0 wrote it, holding ``files`` (id -> path) as they are now."""
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.executescript(f"BEGIN;\n{schema.MIGRATIONS[0]}\nPRAGMA user_version = 1;\nCOMMIT;")
        for video_id, path in files.items():
            info = path.stat()
            conn.execute(
                "INSERT INTO videos (id, path, directory, filename, duration_frames, "
                "duration_seconds, frame_rate_numerator, frame_rate_denominator, width, height, "
                "video_codec, container, file_size, file_mtime_ns, thumbnail_path, created_at, "
                "updated_at, probed_at) VALUES (?, ?, ?, ?, 30, 1.001, 30000, 1001, 64, 48, "
                "'h264', 'mov', ?, ?, ?, '2026-01-01T00:00:00.000Z', "
                "'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
                (
                    video_id,
                    str(path),
                    str(path.parent),
                    path.name,
                    info.st_size,
                    info.st_mtime_ns,
                    f"/thumbs/{video_id}.jpg",
                ),
            )
    finally:
        conn.close()


async def test_rows_of_a_version_1_library_get_fingerprints_at_their_next_scan(
    open_test_service: Callable[..., Any],
    root: Path,
    distinct_clips: list[Path],
    tmp_path: Path,
) -> None:
    """Old rows are probed once more and fingerprinted, keeping ids and (unchanged) thumbnails."""
    files = {f"old-{n}": copy_as(distinct_clips[n], root / f"clip{n}.mp4") for n in range(3)}
    await trio.to_thread.run_sync(make_v1_library, tmp_path / "data" / "library.db", files)
    service = await open_test_service()

    job = await scan(service, root)

    assert counts(job) == {"scanned": 3, "updated": 3}
    videos = await videos_by_path(service)
    for video_id, path in files.items():
        video = videos[str(path)]
        expected = await trio.to_thread.run_sync(fingerprint_file, str(path))
        assert (video.id, video.fingerprint) == (video_id, str(expected))
        assert video.thumbnail_path == f"/thumbs/{video_id}.jpg"
        assert video.technical is None  # lists are compact; one video's answer has it
        one = await service.library.get_video(video_id)
        assert one is not None
        assert one.technical is not None


async def test_unchanged_rows_without_a_fingerprint_are_fingerprinted_without_a_probe(
    open_test_service: Callable[..., Any],
    root: Path,
    distinct_clips: list[Path],
    tmp_path: Path,
) -> None:
    """Rows stored without fingerprints get them from the files alone: no ffprobe runs."""
    for n in range(3):
        copy_as(distinct_clips[n], root / f"clip{n}.mp4")
    prober = make_prober(tmp_path / "bin", "real")
    service = await open_test_service(ffprobe_path=str(prober.path))
    await scan(service, root)
    before = await videos_by_path(service)
    await trio.to_thread.run_sync(
        execute, tmp_path / "data" / "library.db", "UPDATE videos SET fingerprint = NULL"
    )

    job = await scan(service, root)

    assert counts(job) == {"scanned": 3, "unchanged": 3}
    assert job.progress == 1.0
    assert prober.spawn_count() == 3
    after = await videos_by_path(service)
    assert {path: v.fingerprint for path, v in after.items()} == {
        path: v.fingerprint for path, v in before.items()
    }
    assert all(v.fingerprint is not None for v in after.values())
    assert {v.updated_at for v in after.values()} == {v.updated_at for v in before.values()}


# -- what the walk passed over -------------------------------------------------------------------


async def test_ignored_files_are_counted_by_extension_and_the_setting_adds_extensions(
    open_test_service: Callable[..., Any], root: Path, distinct_clips: list[Path]
) -> None:
    """Other files are counted by extension; STOAT_VIDEO_EXTENSIONS makes .braw a video."""
    copy_as(distinct_clips[0], root / "clip.mp4")
    copy_as(distinct_clips[1], root / "raw.braw")
    (root / "sub").mkdir()
    for name in ("notes.txt", "sub/LOG.TXT", "sub/README", "still.jpg", ".DS_Store"):
        (root / name).write_text("not a video")
    plain = await open_test_service()

    job = await scan(plain, root)

    assert counts(job) == {"scanned": 1, "new": 1}
    assert result_of(job).ignored == {"": 1, ".braw": 1, ".jpg": 1, ".txt": 2}
    assert result_of(job).to_wire()["ignored"] == {"": 1, ".braw": 1, ".jpg": 1, ".txt": 2}


async def test_the_extension_setting_reaches_the_scan(
    open_test_service: Callable[..., Any], root: Path, distinct_clips: list[Path]
) -> None:
    """With .braw among the extra extensions, a .braw file is probed and stored."""
    copy_as(distinct_clips[1], root / "raw.braw")
    (root / "notes.txt").write_text("not a video")
    service = await open_test_service(video_extensions=(".braw",))

    job = await scan(service, root)

    assert counts(job) == {"scanned": 1, "new": 1}
    assert result_of(job).ignored == {".txt": 1}
    assert sorted(await videos_by_path(service)) == [str(root / "raw.braw")]


# -- events ----------------------------------------------------------------------------------------


async def test_scans_publish_every_video_change_with_its_ids(
    service: Service, root: Path, distinct_clips: list[Path]
) -> None:
    """added, updated, missing (gone and back) and moved: exact payloads, after each change."""
    for n, name in enumerate(["a.mp4", "b.mp4", "c.mp4"]):
        copy_as(distinct_clips[n], root / name)

    with service.hub.subscribe() as subscriber:
        first = await scan(service, root)
        added = await drain(subscriber)
    ids = {path: v.id for path, v in (await videos_by_path(service)).items()}
    a, b, c = (ids[str(root / name)] for name in ["a.mp4", "b.mp4", "c.mp4"])
    assert [t for t, _ in added] == [EventType.VIDEO_ADDED] * len(added)
    assert [i for _, p in added for i in p["video_ids"]] == [a, b, c]
    assert all(set(p) == {"video_ids", "job_id"} for _, p in added)
    assert {p["job_id"] for _, p in added} == {first.job_id}

    touched = root / "a.mp4"
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    (root / "b.mp4").rename(root / "b-renamed.mp4")
    (root / "c.mp4").rename(root.parent / "c-away.mp4")
    with service.hub.subscribe() as subscriber:
        second = await scan(service, root)
        changed = await drain(subscriber)
    assert counts(second) == {"scanned": 2, "updated": 1, "missing": 1, "moved": 1}
    job_id = second.job_id
    assert changed == [
        (EventType.VIDEO_MISSING, {"video_ids": [b, c], "missing": True, "job_id": job_id}),
        (EventType.VIDEO_UPDATED, {"video_ids": [a], "job_id": job_id}),
        (
            EventType.VIDEO_MOVED,
            {
                "moves": [
                    {
                        "video_id": b,
                        "from_path": str(root / "b.mp4"),
                        "to_path": str(root / "b-renamed.mp4"),
                    }
                ],
                "job_id": job_id,
            },
        ),
    ]

    (root.parent / "c-away.mp4").rename(root / "c.mp4")
    with service.hub.subscribe() as subscriber:
        third = await scan(service, root)
        back = await drain(subscriber)
    assert counts(third) == {"scanned": 3, "unchanged": 3, "reappeared": 1}
    assert back == [
        (EventType.VIDEO_MISSING, {"video_ids": [c], "missing": False, "job_id": third.job_id})
    ]


class CommitCheckingHub(EventHub):
    """A hub that, as each video event is published, reads the library file afresh.

    A connection of its own sees only committed data: each video the event names must
    be there already, as the event says, or the event came before its commit.
    """

    def __init__(self, db: Path) -> None:
        super().__init__(replay_size=100, client_buffer=100)
        self._db = db
        self.checked: list[EventType] = []

    def publish(self, payload: Any, *, correlation_id: str | None = None) -> Event:
        event = super().publish(payload, correlation_id=correlation_id)
        wire = event.payload
        conn = sqlite3.connect(self._db)
        try:
            if event.type == EventType.VIDEO_MOVED:
                for move in wire["moves"]:
                    row = conn.execute(
                        "SELECT path FROM videos WHERE id = ?", (move["video_id"],)
                    ).fetchone()
                    assert row == (move["to_path"],), event
            elif event.type in (EventType.VIDEO_ADDED, EventType.VIDEO_MISSING):
                for video_id in wire["video_ids"]:
                    row = conn.execute(
                        "SELECT missing_since IS NOT NULL FROM videos WHERE id = ?", (video_id,)
                    ).fetchone()
                    assert row == (int(wire.get("missing", False)),), event
        finally:
            conn.close()
        self.checked.append(event.type)
        return event


async def test_video_events_come_after_their_changes_are_committed(
    service: Service, root: Path, distinct_clips: list[Path], tmp_path: Path
) -> None:
    """At the moment each event is published, another connection already sees its change."""
    db = tmp_path / "data" / "library.db"
    hub = CommitCheckingHub(db)
    scanner = Scanner(
        service.library,
        service.runner,
        Metrics(),
        service.settings,
        trio.CapacityLimiter(1),
        service.prober,
        events=LibraryEvents(hub),
    )
    copy_as(distinct_clips[0], root / "a.mp4")
    copy_as(distinct_clips[1], root / "b.mp4")

    async def scan_with_checks() -> None:
        job = await scanner.submit(str(root))
        with trio.fail_after(60):
            assert (await service.runner.wait(job.job_id)).status is JobStatus.COMPLETE

    await scan_with_checks()
    (root / "a.mp4").rename(root / "moved.mp4")
    await scan_with_checks()

    # The check catches an event about a change that is not (yet) committed.
    with pytest.raises(AssertionError):
        hub.publish(VideoAdded(video_ids=("not-stored-yet",), job_id=None))
    # The two new files may have been stored (and announced) in one batch or in two.
    assert list(dict.fromkeys(hub.checked)) == [
        EventType.VIDEO_ADDED,
        EventType.VIDEO_MISSING,
        EventType.VIDEO_MOVED,
    ]
