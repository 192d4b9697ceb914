"""Thumbnails: real ffmpeg, the job after a scan, the endpoints, cancellation."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from stoat_ferret.jobs.results import ThumbnailResult, VideoError
from stoat_ferret.protocol import EventType, JobKind, JobStatus
from stoat_ferret.settings import Settings
from stoat_ferret.thumbs.ffmpeg import (
    THUMBNAIL_WIDTH,
    ThumbnailFailed,
    ThumbnailTimeout,
    make_thumbnail,
)

from ..conftest import LiveServer, start_live_server
from ..support.media import HOSTILE_NAMES, copy_as
from ..support.prober import FakeProber, make_prober, process_exists
from ..support.waiting import poll_until, wait_for_spawns

JPEG_MAGIC = b"\xff\xd8\xff"


async def jpeg_size(path: str) -> tuple[int, int]:
    """Width and height of an image, as the real ffprobe reads them."""
    done = await trio.run_process(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
            "-of",
            "csv=p=0",
            "file:" + path,
        ],
        capture_stdout=True,
    )
    width, height = done.stdout.decode().strip().split(",")
    return int(width), int(height)


async def read_bytes(path: str) -> bytes:
    return await trio.Path(path).read_bytes()


async def test_make_thumbnail_writes_a_scaled_jpeg_and_no_partial_file(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    """One frame becomes a JPEG 320 pixels wide, with the video's aspect ratio."""
    target = str(tmp_path / "thumb.jpg")

    await make_thumbnail(
        str(samples["vp9_opus.webm"]), target, duration_seconds=1.0, ffmpeg="ffmpeg"
    )

    assert (await read_bytes(target)).startswith(JPEG_MAGIC)
    assert await jpeg_size(target) == (THUMBNAIL_WIDTH, 240)  # 80x60 scaled to 320 wide
    assert sorted(os.listdir(tmp_path)) == ["thumb.jpg"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
async def test_hostile_names_get_thumbnails(
    name: str, samples: dict[str, Path], tmp_path: Path
) -> None:
    """A source whose name looks like an option or a protocol is read as a plain file."""
    source = copy_as(samples["h264_aac.mp4"], tmp_path / name)
    target = str(tmp_path / "out.jpg")

    await make_thumbnail(str(source), target, duration_seconds=1.0, ffmpeg="ffmpeg")

    assert (await read_bytes(target)).startswith(JPEG_MAGIC)


async def test_unreadable_source_fails_with_ffmpegs_reason(tmp_path: Path) -> None:
    """A file ffmpeg cannot decode raises ThumbnailFailed and leaves nothing behind."""
    source = tmp_path / "notes.mp4"
    source.write_text("not a video")
    target = str(tmp_path / "out.jpg")

    with pytest.raises(ThumbnailFailed, match="Invalid data found"):
        await make_thumbnail(str(source), target, duration_seconds=1.0, ffmpeg="ffmpeg")

    assert sorted(os.listdir(tmp_path)) == ["notes.mp4"]


async def test_missing_ffmpeg_is_named(samples: dict[str, Path], tmp_path: Path) -> None:
    """When ffmpeg cannot be run, the reason names the program."""
    with pytest.raises(ThumbnailFailed, match="cannot run '/nonexistent/ffmpeg'"):
        await make_thumbnail(
            str(samples["h264_aac.mp4"]),
            str(tmp_path / "out.jpg"),
            duration_seconds=1.0,
            ffmpeg="/nonexistent/ffmpeg",
        )


async def test_hung_ffmpeg_times_out_at_the_thumbnail_limit_and_is_reaped(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    """ffmpeg past the per-thumbnail limit is killed; the reason names the limit."""
    hanging = make_prober(tmp_path / "bin", "hang")
    target = tmp_path / "out" / "thumb.jpg"
    target.parent.mkdir()

    with pytest.raises(ThumbnailTimeout, match=r"^.*: ffmpeg took longer than 0\.5s$"):
        await make_thumbnail(
            str(samples["h264_aac.mp4"]),
            str(target),
            duration_seconds=1.0,
            ffmpeg=str(hanging.path),
            timeout=0.5,
        )

    assert len(hanging.pids()) == 1
    assert not process_exists(hanging.pids()[0])
    assert os.listdir(target.parent) == []


@pytest.fixture
async def thumbs_server(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[LiveServer]:
    """A live server that queues thumbnails after each scan, as it does by default."""
    async for server in start_live_server(make_settings(thumbnails_after_scan=True)):
        yield server


async def scan_and_wait(server: LiveServer, http: httpx.AsyncClient, path: Path) -> str:
    response = await http.post("/api/v1/videos/scan", json={"path": str(path)})
    assert response.status_code == 202
    job = await server.service.runner.wait(response.json()["job_id"])
    assert job.status is JobStatus.COMPLETE
    return job.job_id


async def thumbnail_jobs(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await http.get("/api/v1/jobs", params={"kind": "thumbnails"})
    jobs: list[dict[str, Any]] = response.json()["jobs"]
    return jobs


async def test_a_scan_queues_thumbnails_and_they_are_served(
    thumbs_server: LiveServer, samples: dict[str, Path], media_root: Path
) -> None:
    """After a scan, every new video gets a JPEG thumbnail, announced over the hub."""
    for name, path in samples.items():
        copy_as(path, media_root / name)
    async with thumbs_server.client() as http:
        with thumbs_server.service.hub.subscribe() as subscriber:
            await scan_and_wait(thumbs_server, http, media_root)
            [queued] = await thumbnail_jobs(http)
            done = await thumbs_server.service.runner.wait(queued["job_id"])
            ready = []
            while subscriber.buffered:
                event = await subscriber.receive()
                if event.type == EventType.THUMBNAIL_READY:
                    ready.append(event.payload)

        assert done.status is JobStatus.COMPLETE
        made = len(samples)
        assert done.result == ThumbnailResult(total=made, made=made, strips=made)
        videos = (await http.get("/api/v1/videos")).json()["videos"]
        assert sorted(ready, key=lambda p: p["video_id"]) == sorted(
            (
                {"video_id": v["id"], "job_id": done.job_id, "thumbnail": True, "strip_frames": 16}
                for v in videos
            ),
            key=lambda p: p["video_id"],
        )
        for video in videos:
            assert video["thumbnail_path"] is not None
            assert video["strip_frames"] == 16
            response = await http.get(f"/api/v1/videos/{video['id']}/thumbnail")
            assert response.status_code == 200
            assert response.headers["content-type"] == "image/jpeg"
            assert response.content.startswith(JPEG_MAGIC)
            assert "x-thumbnail" not in response.headers
            strip = await http.get(f"/api/v1/videos/{video['id']}/strip")
            assert strip.status_code == 200
            assert strip.headers["content-type"] == "image/jpeg"
            assert strip.headers["cache-control"] == "no-cache"
            assert strip.content.startswith(JPEG_MAGIC)


async def test_placeholder_until_a_thumbnail_exists_and_on_demand_jobs(
    live_server: LiveServer, client: httpx.AsyncClient, samples: dict[str, Path], media_root: Path
) -> None:
    """Without a thumbnail the endpoint serves a placeholder; a request makes the JPEG."""
    copy_as(samples["h264_aac.mp4"], media_root / "clip.mp4")
    await scan_and_wait(live_server, client, media_root)
    assert await thumbnail_jobs(client) == []  # this server does not queue them
    [video] = (await client.get("/api/v1/videos")).json()["videos"]

    placeholder = await client.get(f"/api/v1/videos/{video['id']}/thumbnail")
    assert placeholder.status_code == 200
    assert placeholder.headers["content-type"].startswith("image/svg+xml")
    assert placeholder.headers["x-thumbnail"] == "placeholder"

    response = await client.post(
        "/api/v1/videos/thumbnails", json={"video_ids": [video["id"], "no-such-video"]}
    )
    assert response.status_code == 202
    job = await live_server.service.runner.wait(response.json()["job_id"])
    assert job.status is JobStatus.COMPLETE
    assert job.result is not None
    assert isinstance(job.result, ThumbnailResult)
    assert (job.result.made, job.result.strips, job.result.errors.count) == (1, 1, 1)
    assert job.result.errors.items == (
        VideoError("no-such-video", None, "no such video, or its file is missing"),
    )
    image = await client.get(f"/api/v1/videos/{video['id']}/thumbnail")
    assert image.headers["content-type"] == "image/jpeg"

    unknown = await client.get("/api/v1/videos/no-such-video/thumbnail")
    assert unknown.status_code == 404
    assert unknown.json()["detail"]["code"] == "NOT_FOUND"
    bad = await client.post("/api/v1/videos/thumbnails", json={"video_ids": "all"})
    assert bad.status_code == 422


async def test_changed_file_loses_its_thumbnail_and_delete_removes_it(
    live_server: LiveServer, client: httpx.AsyncClient, samples: dict[str, Path], media_root: Path
) -> None:
    """A file re-probed with new content drops its thumbnail; a deleted video's goes too."""
    copy_as(samples["h264_aac.mp4"], media_root / "clip.mp4")
    await scan_and_wait(live_server, client, media_root)
    made = await client.post("/api/v1/videos/thumbnails", json={})
    await live_server.service.runner.wait(made.json()["job_id"])
    [video] = (await client.get("/api/v1/videos")).json()["videos"]
    thumbnail = video["thumbnail_path"]
    assert thumbnail is not None
    assert video["strip_frames"] == 16
    strip = live_server.service.thumbnailer.strip_path_for(video["id"])
    assert strip == thumbnail.removesuffix(".jpg") + ".strip.jpg"
    assert await trio.Path(strip).exists()

    # Another video's bytes at the same path: the content (and its fingerprint) changed.
    copy_as(samples["silent.m4v"], media_root / "clip.mp4")
    await scan_and_wait(live_server, client, media_root)

    [changed] = (await client.get("/api/v1/videos")).json()["videos"]
    assert changed["id"] == video["id"]
    assert changed["fingerprint"] != video["fingerprint"]
    assert (changed["thumbnail_path"], changed["strip_frames"]) == (None, None)
    gone = await client.get(f"/api/v1/videos/{video['id']}/strip")
    assert gone.status_code == 404
    assert gone.json()["detail"]["code"] == "NOT_FOUND"
    assert (await client.delete(f"/api/v1/videos/{video['id']}")).status_code == 204
    assert not await trio.Path(thumbnail).exists()
    assert not await trio.Path(strip).exists()


@pytest.fixture
async def hung_ffmpeg_server(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> AsyncIterator[tuple[LiveServer, FakeProber]]:
    """A live server whose ffmpeg hangs (logging its pid) until it is killed."""
    hanging = make_prober(tmp_path / "bin", "hang")
    async for server in start_live_server(make_settings(ffmpeg_path=str(hanging.path))):
        yield server, hanging


async def test_cancel_kills_hung_ffmpeg_and_leaves_no_partial_files(
    hung_ffmpeg_server: tuple[LiveServer, FakeProber],
    samples: dict[str, Path],
    media_root: Path,
) -> None:
    """Cancelling a thumbnails job reaps every ffmpeg at once and leaves no files."""
    live_server, hanging = hung_ffmpeg_server
    for i in range(3):
        copy_as(samples["h264_aac.mp4"], media_root / f"clip{i}.mp4")
    async with live_server.client() as client:
        await scan_and_wait(live_server, client, media_root)
        await cancel_hung_thumbnails(live_server, client, hanging)


async def cancel_hung_thumbnails(
    live_server: LiveServer, client: httpx.AsyncClient, hanging: FakeProber
) -> None:
    response = await client.post("/api/v1/videos/thumbnails", json={})
    job_id = response.json()["job_id"]
    with trio.fail_after(20):
        await poll_until(lambda: len(hanging.pids()) >= 2)

    cancelled = await client.post(f"/api/v1/jobs/{job_id}/cancel")

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert [pid for pid in hanging.pids() if process_exists(pid)] == []
    thumbnail_dir = live_server.service.settings.thumbnail_dir
    assert await trio.to_thread.run_sync(os.listdir, thumbnail_dir) == []


@pytest.fixture
async def one_slot_server(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> AsyncIterator[tuple[LiveServer, FakeProber]]:
    """A server running one job at a time, whose ffprobe hangs: a scan holds the slot."""
    hanging = make_prober(tmp_path / "bin", "hang")
    settings = make_settings(ffprobe_path=str(hanging.path), max_running_jobs=1)
    async for server in start_live_server(settings):
        yield server, hanging


async def test_requests_for_all_missing_thumbnails_join_the_pending_job(
    one_slot_server: tuple[LiveServer, FakeProber], samples: dict[str, Path], media_root: Path
) -> None:
    """While one such job waits, a second request answers with it instead of queueing."""
    live_server, hanging = one_slot_server
    copy_as(samples["h264_aac.mp4"], media_root / "clip.mp4")
    async with live_server.client() as http:
        scan = await http.post("/api/v1/videos/scan", json={"path": str(media_root)})
        with trio.fail_after(20):
            await poll_until(lambda: bool(hanging.pids()))

        first = (await http.post("/api/v1/videos/thumbnails", json={})).json()["job_id"]
        second = (await http.post("/api/v1/videos/thumbnails", json={})).json()["job_id"]
        forced = (await http.post("/api/v1/videos/thumbnails", json={"force": True})).json()

        assert second == first
        assert forced["job_id"] != first
        assert [j["status"] for j in await thumbnail_jobs(http)] == ["pending", "pending"]
        await http.post(f"/api/v1/jobs/{scan.json()['job_id']}/cancel")


async def test_thumbnails_job_uses_its_own_time_limits(
    make_settings: Callable[..., Settings],
    samples: dict[str, Path],
    media_root: Path,
    tmp_path: Path,
) -> None:
    """A hung ffmpeg is cut off at STOAT_THUMBNAIL_TIMEOUT, not at the probe's limit."""
    hanging = make_prober(tmp_path / "bin", "hang")
    copy_as(samples["h264_aac.mp4"], media_root / "clip.mp4")
    settings = make_settings(ffmpeg_path=str(hanging.path), thumbnail_timeout=0.5)
    async for server in start_live_server(settings):
        async with server.client() as http:
            await scan_and_wait(server, http, media_root)
            made = await http.post("/api/v1/videos/thumbnails", json={})
            job = await server.service.runner.wait(made.json()["job_id"])

    assert settings.probe_timeout == 20.0
    assert job.status is JobStatus.COMPLETE
    assert isinstance(job.result, ThumbnailResult)
    assert (job.result.total, job.result.made, job.result.strips) == (1, 0, 0)
    clip = str(media_root / "clip.mp4")
    assert [(e.path, e.error) for e in job.result.errors.items] == [
        (clip, "ffmpeg took longer than 0.5s"),
        (clip, "scrub strip: ffmpeg took longer than 0.5s"),
    ]
    assert [pid for pid in hanging.pids() if process_exists(pid)] == []


async def test_a_cancelled_scan_still_queues_thumbnails_for_what_it_stored(
    make_settings: Callable[..., Settings],
    samples: dict[str, Path],
    media_root: Path,
    tmp_path: Path,
) -> None:
    """Videos a scan stored before it was cancelled get their thumbnails all the same."""
    for i in range(3):
        copy_as(samples["h264_aac.mp4"], media_root / f"a{i}-fine.mp4")
    copy_as(samples["h264_aac.mp4"], media_root / "z-hang.mp4")
    prober = make_prober(tmp_path / "bin", "hang-on=hang")
    settings = make_settings(
        ffprobe_path=str(prober.path), probe_concurrency=1, thumbnails_after_scan=True
    )
    async for server in start_live_server(settings):
        async with server.client() as http:
            scan = await http.post("/api/v1/videos/scan", json={"path": str(media_root)})
            scan_id = scan.json()["job_id"]
            # Files are probed in path order, one at a time: the three fine ones are
            # stored, then the prober hangs on the last.
            await wait_for_spawns(prober, 4)
            cancelled = await http.post(f"/api/v1/jobs/{scan_id}/cancel")
            [queued] = await thumbnail_jobs(http)
            done = await server.service.runner.wait(queued["job_id"])
            videos = (await http.get("/api/v1/videos")).json()["videos"]

    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["result"]["new"] == 3
    assert done.kind == JobKind.THUMBNAILS
    assert done.status is JobStatus.COMPLETE
    assert done.result == ThumbnailResult(total=3, made=3, strips=3)
    assert sorted(v["filename"] for v in videos) == [f"a{i}-fine.mp4" for i in range(3)]
    assert all(v["thumbnail_path"] is not None for v in videos)


async def test_a_scan_cancelled_before_storing_anything_queues_no_thumbnails(
    make_settings: Callable[..., Settings],
    samples: dict[str, Path],
    media_root: Path,
    tmp_path: Path,
) -> None:
    """A scan cancelled before it stored a video queues no thumbnails job."""
    copy_as(samples["h264_aac.mp4"], media_root / "z-hang.mp4")
    prober = make_prober(tmp_path / "bin", "hang-on=hang")
    settings = make_settings(ffprobe_path=str(prober.path), thumbnails_after_scan=True)
    async for server in start_live_server(settings):
        async with server.client() as http:
            scan = await http.post("/api/v1/videos/scan", json={"path": str(media_root)})
            await wait_for_spawns(prober, 1)
            cancelled = await http.post(f"/api/v1/jobs/{scan.json()['job_id']}/cancel")
            jobs = await thumbnail_jobs(http)

    assert cancelled.json()["status"] == "cancelled"
    assert jobs == []


async def test_a_scan_interrupted_by_shutdown_queues_no_thumbnails(
    make_settings: Callable[..., Settings],
    samples: dict[str, Path],
    media_root: Path,
    tmp_path: Path,
) -> None:
    """At shutdown a scan ends interrupted, keeping what it stored, and queues nothing new."""
    copy_as(samples["h264_aac.mp4"], media_root / "a-fine.mp4")
    copy_as(samples["h264_aac.mp4"], media_root / "z-hang.mp4")
    prober = make_prober(tmp_path / "bin", "hang-on=hang")
    settings = make_settings(
        ffprobe_path=str(prober.path), probe_concurrency=1, thumbnails_after_scan=True
    )
    async for server in start_live_server(settings):
        async with server.client() as http:
            scan = await http.post("/api/v1/videos/scan", json={"path": str(media_root)})
            await wait_for_spawns(prober, 2)
            await server.service.stop()
            jobs = (await http.get("/api/v1/jobs")).json()["jobs"]

    assert [(j["kind"], j["status"]) for j in jobs] == [("scan", "interrupted")]
    assert jobs[0]["job_id"] == scan.json()["job_id"]
    assert jobs[0]["result"]["new"] == 1
