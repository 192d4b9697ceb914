"""Watched folders in the running service: real files, a real server, its API and events."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trio

from stoat_ferret.protocol import EventType, JobKind, JobStatus, WatchChange, WatchState
from stoat_ferret.settings import Settings
from stoat_ferret.watch.inotify import notify_threads

from ..support.media import copy_as
from ..support.prober import make_prober, process_exists
from ..support.served import Served, added, real, serving
from ..support.waiting import wait_for_spawns

#: A settle window short enough for tests to wait little, long enough for a copy to finish.
SETTLE = 0.3


@pytest.fixture
def watched(media_root: Path) -> Path:
    """The folder the tests watch, inside the allowed root; empty to begin with."""
    folder = media_root / "incoming"
    folder.mkdir()
    return folder


@pytest.fixture
def watch_settings(make_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        return make_settings(**{"watch_settle": SETTLE, **overrides})

    return make


async def copy(source: Path, target: Path) -> Path:
    return await trio.to_thread.run_sync(copy_as, source, target)


# Writes the bytes of argv[1] to argv[2] in 30 chunks, 100 ms apart; prints the wall-clock
# time of the last write when done.
GROW = """
import sys, time
data = open(sys.argv[1], "rb").read()
step = len(data) // 30 + 1
with open(sys.argv[2], "wb") as f:
    for start in range(0, len(data), step):
        f.write(data[start:start + step])
        f.flush()
        last = time.time()
        time.sleep(0.1)
print(last)
"""


def queued_at(served: Served, job_id: str) -> float:
    """When a job was queued (its ``pending`` event), in seconds since the epoch."""
    event = next(
        e
        for e in served.events
        if e.type == EventType.JOB_STATUS
        and e.payload["job_id"] == job_id
        and e.payload["status"] == JobStatus.PENDING
    )
    return event.timestamp.timestamp()


async def test_a_file_grown_over_seconds_is_probed_once_after_it_stops(
    watch_settings: Callable[..., Settings], watched: Path, samples: dict[str, Path]
) -> None:
    """A video written over 3 s is probed once, a settle window after its last write."""
    settle = 1.0  # well above the gap between writes, even on a loaded machine
    source = samples["h264_vorbis.mkv"]
    async with serving(watch_settings(watch_settle=settle)) as served:
        watch = await served.add_watch(watched)
        probes_before = await served.probes()
        mark = served.mark()
        target = watched / "recording.mkv"
        argv = [sys.executable, "-c", GROW, str(source), str(target)]
        writer = await trio.run_process(argv, capture_stdout=True)
        last_write = float(writer.stdout)

        (job,) = await served.watch_jobs_until(lambda jobs: len(jobs) >= 1, after=mark)

        assert job["status"] == JobStatus.COMPLETE
        assert job["params"] == {"watch_id": watch["id"], "path": real(watched)}
        assert (job["result"]["scanned"], job["result"]["new"]) == (1, 1)
        assert queued_at(served, job["job_id"]) >= last_write + settle
        assert await served.probes() == probes_before + 1
        video = (await served.videos())["recording.mkv"]
        assert video["path"] == real(target)
        assert video["file_size"] == source.stat().st_size
        assert video["missing"] is False
        assert (await served.watch(watch["id"]))["job_id"] == job["job_id"]


def assert_moved(videos: dict[str, dict[str, Any]], old: str, new: str, video_id: str) -> None:
    """The video that was at ``old`` (with id ``video_id``) is now found at ``new``: moved.

    Moves are told by content: the same id, no entry left at the old path.
    """
    assert videos[new]["missing"] is False
    assert old not in videos
    assert videos[new]["id"] == video_id


async def changes_applied(served: Served, *, after: int, new: int, missing: int) -> list[Any]:
    """The watch jobs that ended from ``after`` on, once they add and miss this many.

    A video moved counts on both sides: its result says ``moved``.
    """

    def enough(jobs: list[dict[str, Any]]) -> bool:
        results = [job["result"] for job in jobs if job["result"] is not None]
        moved = sum(r.get("moved", 0) for r in results)
        return (
            sum(r["new"] for r in results) + moved >= new
            and sum(r["missing"] for r in results) + moved >= missing
        )

    return await served.watch_jobs_until(enough, after=after)


async def test_renamed_moved_and_deleted_files_are_applied_by_one_job_each(
    watch_settings: Callable[..., Settings], watched: Path, samples: dict[str, Path]
) -> None:
    """A rename, a move to a subfolder and a deletion: each one job, both sides in it."""
    (watched / "day1").mkdir()
    await copy(samples["h264_aac.mp4"], watched / "clip.mp4")
    async with serving(watch_settings()) as served:
        await served.add_watch(watched)
        first = (await served.videos())["clip.mp4"]

        mark = served.mark()
        await trio.Path(watched / "clip.mp4").rename(watched / "renamed.mp4")
        (job,) = await changes_applied(served, after=mark, new=1, missing=1)
        assert job["status"] == JobStatus.COMPLETE
        videos = await served.videos()
        assert_moved(videos, "clip.mp4", "renamed.mp4", first["id"])

        renamed = videos["renamed.mp4"]
        mark = served.mark()
        moved = watched / "day1" / "renamed.mp4"
        await trio.Path(watched / "renamed.mp4").rename(moved)
        (job,) = await changes_applied(served, after=mark, new=1, missing=1)
        assert job["status"] == JobStatus.COMPLETE
        videos = await served.videos_by_path()
        assert_moved(videos, renamed["path"], real(moved), renamed["id"])

        mark = served.mark()
        await trio.Path(moved).unlink()
        (job,) = await changes_applied(served, after=mark, new=0, missing=1)
        assert job["result"]["missing"] == 1
        response = await served.http.get("/api/v1/library/summary")
        assert response.json()["missing"] == response.json()["videos"]


async def test_a_renamed_folder_is_applied_as_its_files_gone_and_found(
    watch_settings: Callable[..., Settings], watched: Path, samples: dict[str, Path]
) -> None:
    """A folder renamed: every video below it moved, keeping its id."""
    (watched / "card").mkdir()
    await copy(samples["h264_aac.mp4"], watched / "card" / "a.mp4")
    await copy(samples["vp9_opus.webm"], watched / "card" / "b.webm")
    async with serving(watch_settings()) as served:
        await served.add_watch(watched)
        before = await served.videos_by_path()
        mark = served.mark()
        await trio.Path(watched / "card").rename(watched / "card-2026")

        (job,) = await changes_applied(served, after=mark, new=2, missing=2)

        assert job["status"] == JobStatus.COMPLETE
        after = await served.videos_by_path()
        for name in ("a.mp4", "b.webm"):
            old, new = real(watched / "card" / name), real(watched / "card-2026" / name)
            assert after[new]["missing"] is False
            assert old not in after
            assert after[new]["id"] == before[old]["id"]


async def test_a_burst_of_200_files_is_a_handful_of_jobs_probing_each_file_once(
    watch_settings: Callable[..., Settings], watched: Path, samples: dict[str, Path]
) -> None:
    """200 files copied in at once: a few watch jobs, 200 probes, 200 videos."""
    source = samples["h264_aac.mp4"]
    count = 200

    def offload() -> None:
        card = watched / "card"
        card.mkdir()
        for i in range(count):
            copy_as(source, card / f"C{i:04}.MP4")

    async with serving(watch_settings()) as served:
        await served.add_watch(watched)
        probes_before = await served.probes()
        mark = served.mark()
        await trio.to_thread.run_sync(offload)

        jobs = await served.watch_jobs_until(
            lambda jobs: sum(j["result"]["new"] for j in jobs if j["result"]) >= count,
            after=mark,
        )

        assert 1 <= len(jobs) <= 5, [j["result"] for j in jobs]
        assert all(job["status"] == JobStatus.COMPLETE for job in jobs)
        assert sum(job["result"]["new"] for job in jobs) == count
        assert sum(job["result"]["updated"] for job in jobs) == 0
        assert await served.probes() == probes_before + count
        videos = await served.videos()
        assert sorted(videos) == sorted(f"C{i:04}.MP4" for i in range(count))


async def test_a_watched_folder_removed_and_restored_is_unavailable_then_rescanned(
    watch_settings: Callable[..., Settings], watched: Path, samples: dict[str, Path]
) -> None:
    """Folder gone: unavailable (API and event), its videos kept; back: active, rescanned."""
    await copy(samples["h264_aac.mp4"], watched / "a.mp4")
    away = watched.with_name("away")
    async with serving(watch_settings()) as served:
        watch = await served.add_watch(watched)
        assert watch["state"] == WatchState.ACTIVE
        assert watch["reason"] is None

        mark = served.mark()
        await trio.Path(watched).rename(away)
        gone = await served.watch_event(
            watch["id"], lambda w: w["state"] == WatchState.UNAVAILABLE, after=mark
        )
        assert gone["change"] == WatchChange.CHANGED
        assert "does not exist" in gone["reason"]
        shown = await served.watch(watch["id"])
        assert (shown["state"], shown["reason"]) == (gone["state"], gone["reason"])
        assert (await served.videos())["a.mp4"]["missing"] is False

        mark = served.mark()
        await trio.Path(away).rename(watched)
        back = await served.watch_event(
            watch["id"], lambda w: w["state"] == WatchState.ACTIVE, after=mark
        )
        assert back["reason"] is None
        (rescan,) = await served.watch_jobs_until(lambda jobs: len(jobs) >= 1, after=mark)
        assert rescan["status"] == JobStatus.COMPLETE
        assert (rescan["result"]["scanned"], rescan["result"]["unchanged"]) == (1, 1)
        assert (await served.videos())["a.mp4"]["missing"] is False
        assert (await served.watch(watch["id"]))["state"] == WatchState.ACTIVE


async def test_watches_survive_a_restart_and_catch_up_on_what_changed_meanwhile(
    watch_settings: Callable[..., Settings], watched: Path, samples: dict[str, Path]
) -> None:
    """After a restart the watch is back (same id) and rescans: a file added while down is found."""
    settings = watch_settings()
    async with serving(settings) as served:
        watch = await served.add_watch(watched, poll=True)
    await copy(samples["h264_aac.mp4"], watched / "while-down.mp4")

    async with serving(settings) as served:
        (rescan,) = await served.watch_jobs_until(lambda jobs: len(jobs) >= 1)
        assert rescan["params"] == {"watch_id": watch["id"], "path": real(watched)}
        assert (rescan["result"]["scanned"], rescan["result"]["new"]) == (1, 1)
        response = await served.http.get("/api/v1/watches")
        (again,) = response.json()["watches"]
        assert {k: again[k] for k in ("id", "path", "poll", "created_at")} == {
            k: watch[k] for k in ("id", "path", "poll", "created_at")
        }
        assert again["state"] == WatchState.POLLING
        assert again["job_id"] == rescan["job_id"]
        assert (await served.videos())["while-down.mp4"]["missing"] is False


async def test_watch_roots_are_watched_from_start_up_once(
    watch_settings: Callable[..., Settings], watched: Path, tmp_path: Path
) -> None:
    """STOAT_WATCH_ROOTS: its folders are watched at start, once however often it starts."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    later = watched.with_name("not-mounted-yet")
    settings = watch_settings(watch_roots=(watched, outside, later))
    async with serving(settings) as served:
        response = await served.http.get("/api/v1/watches")
        first = response.json()["watches"]
        assert [w["path"] for w in first] == [real(watched), real(later)]
        by_path = {w["path"]: w for w in first}
        absent = await served.watch_event(by_path[real(later)]["id"], added)
        assert absent["state"] == WatchState.UNAVAILABLE
        assert "does not exist" in absent["reason"]
        present = await served.watch_event(by_path[real(watched)]["id"], added)
        assert (present["state"], present["reason"]) == (WatchState.ACTIVE, None)
    async with serving(settings) as served:
        response = await served.http.get("/api/v1/watches")
        assert [(w["id"], w["path"]) for w in response.json()["watches"]] == [
            (w["id"], w["path"]) for w in first
        ]


async def test_removing_a_watch_cancels_its_running_job_and_stops_its_watcher(
    watch_settings: Callable[..., Settings],
    watched: Path,
    samples: dict[str, Path],
    tmp_path: Path,
) -> None:
    """DELETE while its job probes: 204, the job cancelled, the prober reaped, no watcher left."""
    prober = make_prober(tmp_path / "bin", "hang")
    async with serving(watch_settings(ffprobe_path=str(prober.path))) as served:
        watch = await served.add_watch(watched)
        threads = notify_threads()
        assert threads, "the watcher runs a notify thread"
        mark = served.mark()
        await copy(samples["h264_aac.mp4"], watched / "a.mp4")
        running = await served.event(
            lambda e: (
                e.type == EventType.JOB_STATUS
                and e.payload["kind"] == JobKind.WATCH
                and e.payload["status"] == JobStatus.RUNNING
            ),
            after=mark,
        )
        (pid,) = await wait_for_spawns(prober, 1)

        response = await served.http.delete(f"/api/v1/watches/{watch['id']}")

        assert response.status_code == 204
        job = await served.job_done(running.payload["job_id"])
        assert job["status"] == JobStatus.CANCELLED
        assert not process_exists(pid)
        assert not notify_threads() & threads
        removed = await served.watch_event(watch["id"], lambda w: w["change"] == "removed")
        assert removed["path"] == real(watched)
        assert (await served.http.get(f"/api/v1/watches/{watch['id']}")).status_code == 404
        assert (await served.http.get("/api/v1/watches")).json() == {"watches": []}


async def test_a_scheduled_rescan_finds_what_the_watcher_did_not_see(
    watch_settings: Callable[..., Settings], watched: Path, samples: dict[str, Path]
) -> None:
    """STOAT_RESCAN_INTERVAL: a scan job of each watched folder, finding a file unseen."""
    # Polled once an hour: the watcher itself sees nothing during the test.
    settings = watch_settings(watch_poll_interval=3600.0, rescan_interval=0.5)
    async with serving(settings) as served:
        watch = await served.add_watch(watched, poll=True)
        mark = served.mark()
        await copy(samples["h264_aac.mp4"], watched / "unseen.mp4")

        def found(event: Any) -> bool:
            payload = event.payload
            return (
                event.type == EventType.JOB_STATUS
                and payload["kind"] == JobKind.SCAN
                and payload["status"] == JobStatus.COMPLETE
                and payload["result"]["new"] == 1
            )

        scan = (await served.event(found, after=mark)).payload

        assert scan["params"] == {
            "watch_id": watch["id"],
            "path": real(watched),
            "recursive": True,
            "force": False,
        }
        assert served.jobs(JobKind.WATCH, after=mark) == []
        assert (await served.videos())["unseen.mp4"]["missing"] is False


async def test_a_watch_job_waits_for_a_scan_of_its_folder_and_is_not_lost(
    watch_settings: Callable[..., Settings],
    media_root: Path,
    watched: Path,
    samples: dict[str, Path],
    tmp_path: Path,
) -> None:
    """A change seen while a scan of an enclosing folder runs is applied after that scan."""
    prober = make_prober(tmp_path / "bin", "hang-on=hang")
    await copy(samples["h264_aac.mp4"], media_root / "hang.mp4")
    async with serving(watch_settings(ffprobe_path=str(prober.path))) as served:
        await served.add_watch(watched)
        response = await served.http.post("/api/v1/videos/scan", json={"path": str(media_root)})
        scan_id = response.json()["job_id"]
        await wait_for_spawns(prober, 1)  # the scan is probing hang.mp4, and hangs there
        mark = served.mark()
        await copy(samples["vp9_opus.webm"], watched / "new.webm")
        waiting = await served.event(
            lambda e: (
                e.type == EventType.JOB_STATUS
                and e.payload["kind"] == JobKind.WATCH
                and e.payload["status"] == JobStatus.RUNNING
            ),
            after=mark,
        )
        watch_id = waiting.payload["params"]["watch_id"]
        job_id = waiting.payload["job_id"]
        # Each batch gathered is one watch_status event naming the job that will apply it.
        await served.watch_event(watch_id, lambda w: w["job_id"] == job_id, after=mark)
        # More changes while it waits join it rather than queueing another job.
        joined = served.mark()
        await copy(samples["mjpeg_pcm.mov"], watched / "newer.mov")
        await served.watch_event(watch_id, lambda w: w["job_id"] == job_id, after=joined)
        assert prober.spawn_count() == 1

        await served.http.post(f"/api/v1/jobs/{scan_id}/cancel")

        (job,) = await served.watch_jobs_until(lambda jobs: len(jobs) >= 1, after=mark)
        assert job["job_id"] == job_id
        assert job["status"] == JobStatus.COMPLETE
        assert job["result"]["new"] == 2
        assert served.final_index(scan_id) < served.final_index(job["job_id"])
        assert served.jobs(JobKind.SCAN, after=mark)[0]["status"] == JobStatus.CANCELLED
        videos = await served.videos()
        assert {"new.webm", "newer.mov"} <= set(videos)


async def test_thumbnails_are_made_for_what_a_watch_job_added(
    watch_settings: Callable[..., Settings], watched: Path, samples: dict[str, Path]
) -> None:
    """After a watch job adds a video, a thumbnails job makes its thumbnail."""
    async with serving(watch_settings(thumbnails_after_scan=True)) as served:
        await served.add_watch(watched)
        mark = served.mark()
        await copy(samples["h264_aac.mp4"], watched / "a.mp4")

        thumbs = await served.event(
            lambda e: (
                e.type == EventType.JOB_STATUS
                and e.payload["kind"] == JobKind.THUMBNAILS
                and JobStatus(e.payload["status"]).terminal
            ),
            after=mark,
        )

        (job,) = await served.watch_jobs_until(lambda jobs: len(jobs) >= 1, after=mark)
        assert job["result"]["new"] == 1
        assert (thumbs.payload["status"], thumbs.payload["result"]["made"]) == (
            JobStatus.COMPLETE,
            1,
        )
        video = (await served.videos())["a.mp4"]
        ready = [e for e in served.events[mark:] if e.type == EventType.THUMBNAIL_READY]
        assert [e.payload["video_id"] for e in ready] == [video["id"]]
        assert video["thumbnail_path"] is not None
