"""The scan job end to end: real ffprobe, a real library file, the real job runner."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trio

from stoat_ferret.jobs.models import JobSnapshot
from stoat_ferret.jobs.results import FileError
from stoat_ferret.protocol import EventType, JobStatus
from stoat_ferret.scan.errors import ScanConflict
from stoat_ferret.service import Service

from ..support.media import HOSTILE_NAMES, SAMPLES, copy_as, make_broken_files
from ..support.prober import make_prober, process_exists, process_running
from ..support.waiting import poll_until, wait_for_spawns


async def scan(service: Service, path: Path, **options: bool) -> JobSnapshot:
    job = await service.scanner.submit(str(path), **options)
    return await service.runner.wait(job.job_id)


def niceness(pid: int) -> int:
    """A live process's nice value, from /proc (field 19 of its stat line)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        return int(f.read().rsplit(b")", 1)[1].split()[16])


def cmdline(pid: int) -> str:
    """A process's command line; empty once it has ended."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def fill(root: Path, samples: dict[str, Path]) -> list[Path]:
    return [copy_as(path, root / name) for name, path in samples.items()]


async def test_scan_finds_every_container_and_reports_each_broken_file(
    open_test_service: Callable[..., Any], samples: dict[str, Path], media_root: Path
) -> None:
    """Every sample is stored with its probed values; each broken file is an error with a reason."""
    fill(media_root, samples)
    # Generating them runs ffmpeg: in a worker thread, not on the event loop.
    expected_errors = await trio.to_thread.run_sync(
        make_broken_files, media_root / "broken", samples["h264_aac.mp4"]
    )
    (media_root / "readme.txt").write_text("not a video name, never probed")
    service = await open_test_service()

    job = await scan(service, media_root)

    assert job.status is JobStatus.COMPLETE
    assert job.progress == 1.0
    assert job.result is not None
    assert job.result.scanned == len(samples) + len(expected_errors)
    assert job.result.new == len(samples)
    assert job.result.updated == 0
    errors = {Path(e.path).name: e.error for e in job.result.errors.items}
    assert set(errors) == set(expected_errors)
    for name, word in expected_errors.items():
        assert word in errors[name], (name, errors[name])
    videos, total = await service.library.list_videos(limit=100, offset=0)
    assert total == len(samples)
    by_name = {v.filename: v for v in videos}
    for name, (sample, _args) in SAMPLES.items():
        video = by_name[name]
        assert video.video_codec == sample.video_codec
        assert video.audio_codec == sample.audio_codec
        assert (video.width, video.height) == (sample.width, sample.height)
        assert video.frame_rate_numerator == sample.frame_rate.numerator
        assert video.frame_rate_denominator == sample.frame_rate.denominator


async def test_hostile_file_names_are_probed_and_stored_verbatim(
    open_test_service: Callable[..., Any], samples: dict[str, Path], media_root: Path
) -> None:
    """Names with leading dashes, quotes, newlines, colons or non-ASCII are probed as files."""
    for name in HOSTILE_NAMES:
        copy_as(samples["h264_aac.mp4"], media_root / name)
    service = await open_test_service()

    job = await scan(service, media_root)

    assert job.result is not None
    assert job.result.errors.items == ()
    assert job.result.new == len(HOSTILE_NAMES)
    videos, _ = await service.library.list_videos(limit=100, offset=0)
    assert sorted(v.filename for v in videos) == sorted(HOSTILE_NAMES)
    assert all(v.video_codec == "h264" for v in videos)


async def test_rescan_of_unchanged_files_spawns_no_ffprobe(
    open_test_service: Callable[..., Any],
    samples: dict[str, Path],
    media_root: Path,
    tmp_path: Path,
) -> None:
    """A rescan skips files whose size and mtime are unchanged; ``force`` probes them all."""
    files = fill(media_root, samples)
    prober = make_prober(tmp_path / "bin", "real")
    service = await open_test_service(ffprobe_path=str(prober.path))
    first = await scan(service, media_root)
    assert first.result is not None
    assert prober.spawn_count() == len(files)

    again = await scan(service, media_root)

    assert prober.spawn_count() == len(files)
    assert again.status is JobStatus.COMPLETE
    assert again.result is not None
    assert again.result.unchanged == again.result.to_wire()["skipped"] == len(files)
    assert (again.result.new, again.result.updated) == (0, 0)
    assert again.progress == 1.0

    forced = await scan(service, media_root, force=True)

    assert prober.spawn_count() == 2 * len(files)
    assert forced.result is not None
    assert (forced.result.new, forced.result.updated) == (0, len(files))


async def test_rescan_probes_only_changed_files_and_keeps_ids(
    open_test_service: Callable[..., Any],
    samples: dict[str, Path],
    media_root: Path,
    tmp_path: Path,
) -> None:
    """A file whose mtime changed is probed again and updated in place, keeping its id."""
    files = fill(media_root, samples)
    prober = make_prober(tmp_path / "bin", "real")
    service = await open_test_service(ffprobe_path=str(prober.path))
    await scan(service, media_root)
    before = {v.path: v.id for v in (await service.library.list_videos(limit=50, offset=0)).videos}
    touched = files[0]
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))

    job = await scan(service, media_root)

    assert prober.spawn_count() == len(files) + 1
    assert job.result is not None
    assert (job.result.updated, job.result.unchanged) == (1, len(files) - 1)
    after = {v.path: v.id for v in (await service.library.list_videos(limit=50, offset=0)).videos}
    assert after == before


async def test_missing_files_are_marked_and_unmarked_when_they_return(
    open_test_service: Callable[..., Any], samples: dict[str, Path], media_root: Path
) -> None:
    """A file gone since the last scan is marked missing, and cleared when it comes back."""
    files = fill(media_root, samples)
    service = await open_test_service()
    await scan(service, media_root)
    gone = files[0]
    hidden = media_root.parent / "moved-away"
    gone.rename(hidden)

    job = await scan(service, media_root)

    assert job.result is not None
    assert job.result.missing == 1
    videos = {v.path: v for v in (await service.library.list_videos(limit=50, offset=0)).videos}
    assert videos[str(gone)].missing
    assert videos[str(gone)].missing_since is not None
    assert sum(v.missing for v in videos.values()) == 1

    hidden.rename(gone)
    job = await scan(service, media_root)

    assert job.result is not None
    assert (job.result.reappeared, job.result.missing) == (1, 0)
    video = await service.library.get_video(videos[str(gone)].id)
    assert video is not None
    assert not video.missing


async def test_non_recursive_scan_leaves_subdirectories_alone(
    open_test_service: Callable[..., Any], samples: dict[str, Path], media_root: Path
) -> None:
    """Without ``recursive`` only the directory itself is read, and nothing below is missing."""
    sub = media_root / "sub"
    sub.mkdir()
    copy_as(samples["h264_aac.mp4"], media_root / "top.mp4")
    copy_as(samples["h264_aac.mp4"], sub / "below.mp4")
    service = await open_test_service()
    await scan(service, media_root)

    job = await scan(service, media_root, recursive=False, force=True)

    assert job.result is not None
    assert (job.result.scanned, job.result.updated, job.result.missing) == (1, 1, 0)


async def test_progress_is_monotonic_and_counts_files(
    open_test_service: Callable[..., Any], samples: dict[str, Path], media_root: Path
) -> None:
    """Progress events never decrease and end at 1.0 with processed equal to total."""
    for i in range(12):
        copy_as(samples["h264_aac.mp4"], media_root / f"clip{i:02}.mp4")
    service = await open_test_service()
    seen: list[dict[str, Any]] = []
    types: list[str] = []
    with service.hub.subscribe() as subscriber:
        job = await scan(service, media_root)
        while subscriber.buffered:
            event = await subscriber.receive()
            types.append(event.type)
            if event.type == EventType.JOB_PROGRESS:
                seen.append(event.payload)

    assert job.status is JobStatus.COMPLETE
    progress = [p["progress"] for p in seen]
    assert progress == sorted(progress)
    assert seen[-1]["progress"] == 1.0
    assert seen[-1]["processed"] == seen[-1]["total"] == 12
    assert types[0] == EventType.JOB_STATUS
    assert EventType.SCAN_STARTED in types
    assert types[-1] == EventType.SCAN_COMPLETED


async def test_cancel_mid_probe_kills_children_and_keeps_finished_work(
    open_test_service: Callable[..., Any],
    samples: dict[str, Path],
    media_root: Path,
    tmp_path: Path,
) -> None:
    """Cancelling mid-probe reaps every ffprobe child; files probed before the cancel stay."""
    for i in range(4):
        copy_as(samples["h264_aac.mp4"], media_root / f"a{i}-fine.mp4")
    copy_as(samples["h264_aac.mp4"], media_root / "z1-hang.mp4")
    copy_as(samples["h264_aac.mp4"], media_root / "z2-hang.mp4")
    prober = make_prober(tmp_path / "bin", "hang-on=hang")
    service = await open_test_service(ffprobe_path=str(prober.path), probe_concurrency=2)
    with service.hub.subscribe() as subscriber:
        submitted = await service.scanner.submit(str(media_root))
        # Files are probed in path order: the four fine ones are committed (progress
        # says so only after the commit), then both workers hang.
        with trio.fail_after(20):
            while True:
                event = await subscriber.receive()
                if event.type == EventType.JOB_PROGRESS and event.payload["processed"] >= 4:
                    break
    # The pid log's order is the order the wrappers got to run, not the order they were
    # started in: the hanging ones are those probing a "hang" file.
    hanging = [pid for pid in await wait_for_spawns(prober, 6) if "-hang.mp4" in cmdline(pid)]
    # ffprobe runs below the server's priority (STOAT_PROBE_NICE, default 10).
    assert [niceness(pid) for pid in hanging] == [10, 10]
    job, finished = await service.runner.cancel(submitted.job_id)

    assert finished
    assert job.status is JobStatus.CANCELLED
    assert job.result is not None
    assert job.result.new == 4
    assert [pid for pid in prober.pids() if process_exists(pid)] == []
    stored = await service.library.get_job(submitted.job_id)
    assert stored is not None
    assert stored.status is JobStatus.CANCELLED
    videos, total = await service.library.list_videos(limit=10, offset=0)
    assert total == 4
    assert all("fine" in v.filename for v in videos)
    assert service.runner.live_count == 0


async def test_cancel_kills_the_child_a_wrapper_prober_left_running(
    open_test_service: Callable[..., Any],
    samples: dict[str, Path],
    media_root: Path,
    tmp_path: Path,
) -> None:
    """Cancelling a scan kills its prober's whole process group: a wrapper's own child too."""
    copy_as(samples["h264_aac.mp4"], media_root / "stuck.mp4")
    prober = make_prober(tmp_path / "bin", "hang", fork_child=True)
    service = await open_test_service(ffprobe_path=str(prober.path))
    submitted = await service.scanner.submit(str(media_root))
    [wrapper] = await wait_for_spawns(prober, 1)
    with trio.fail_after(20):
        await poll_until(lambda: bool(prober.child_pids()))
    [child] = prober.child_pids()
    assert process_running(child)

    job, finished = await service.runner.cancel(submitted.job_id)

    assert (finished, job.status) == (True, JobStatus.CANCELLED)
    assert not process_exists(wrapper)
    with trio.fail_after(20):
        await poll_until(lambda: not process_running(child))


async def test_hung_probe_times_out_as_a_file_error_and_the_scan_goes_on(
    open_test_service: Callable[..., Any],
    samples: dict[str, Path],
    media_root: Path,
    tmp_path: Path,
) -> None:
    """A file whose ffprobe hangs past the per-call limit is an error; the rest are stored."""
    copy_as(samples["h264_aac.mp4"], media_root / "good.mp4")
    copy_as(samples["h264_aac.mp4"], media_root / "stuck-hang.mp4")
    prober = make_prober(tmp_path / "bin", "hang-on=hang")
    service = await open_test_service(ffprobe_path=str(prober.path), probe_timeout=0.5)

    job = await scan(service, media_root)

    assert job.status is JobStatus.COMPLETE
    assert job.result is not None
    assert job.result.new == 1
    assert job.result.errors.items == (
        FileError(str(media_root / "stuck-hang.mp4"), "ffprobe took longer than 0.5s"),
    )
    assert [pid for pid in prober.pids() if process_exists(pid)] == []


async def test_scan_past_its_time_limit_ends_as_timeout_with_children_reaped(
    open_test_service: Callable[..., Any],
    samples: dict[str, Path],
    media_root: Path,
    tmp_path: Path,
) -> None:
    """A scan that outlives ``scan_timeout`` ends ``timeout``; its probes are killed."""
    copy_as(samples["h264_aac.mp4"], media_root / "stuck-hang.mp4")
    prober = make_prober(tmp_path / "bin", "hang")
    service = await open_test_service(ffprobe_path=str(prober.path), scan_timeout=1.0)

    job = await scan(service, media_root)

    assert job.status is JobStatus.TIMEOUT
    assert job.error == "the job ran longer than its limit of 1s"
    assert len(prober.pids()) == 1
    assert [pid for pid in prober.pids() if process_exists(pid)] == []


async def test_missing_prober_fails_the_job_with_a_clear_message(
    open_test_service: Callable[..., Any], samples: dict[str, Path], media_root: Path
) -> None:
    """When ffprobe cannot be run at all the scan fails, saying which program is missing."""
    copy_as(samples["h264_aac.mp4"], media_root / "clip.mp4")
    service = await open_test_service(ffprobe_path="/nonexistent/ffprobe")

    job = await scan(service, media_root)

    assert job.status is JobStatus.FAILED
    assert job.error is not None
    assert "cannot run '/nonexistent/ffprobe'" in job.error


async def test_overlapping_scans_are_refused_until_the_first_ends(
    open_test_service: Callable[..., Any],
    samples: dict[str, Path],
    media_root: Path,
    tmp_path: Path,
) -> None:
    """A scan of the same, a parent or a child directory is refused while one is live."""
    sub = media_root / "sub"
    sub.mkdir()
    copy_as(samples["h264_aac.mp4"], sub / "stuck-hang.mp4")
    prober = make_prober(tmp_path / "bin", "hang")
    service = await open_test_service(ffprobe_path=str(prober.path))
    first = await service.scanner.submit(str(sub))

    for path in (sub, media_root, sub / "."):
        with pytest.raises(ScanConflict, match=first.job_id):
            await service.scanner.submit(str(path))
    await service.runner.cancel(first.job_id)

    second = await service.scanner.submit(str(media_root))
    assert second.job_id != first.job_id
    await service.runner.cancel(second.job_id)
