"""Scrub strips in the service: made with thumbnails, recorded, served, remade and removed."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import trio

from stoat_ferret.jobs.results import ThumbnailResult
from stoat_ferret.protocol import EventType, JobStatus
from stoat_ferret.settings import Settings

from ..conftest import LiveServer, start_live_server
from ..support.media import copy_as
from ..support.pictures import picture_size
from ..support.prober import make_prober

JPEG_MAGIC = b"\xff\xd8\xff"


async def scan_and_wait(server: LiveServer, http: httpx.AsyncClient, path: Path) -> None:
    response = await http.post("/api/v1/videos/scan", json={"path": str(path)})
    job = await server.service.runner.wait(response.json()["job_id"])
    assert job.status is JobStatus.COMPLETE


async def thumbnails(
    server: LiveServer, http: httpx.AsyncClient, **body: Any
) -> tuple[ThumbnailResult, list[dict[str, Any]]]:
    """Run a thumbnails job to its end: its result, and the thumbnail_ready payloads it sent."""
    payloads = []
    with server.service.hub.subscribe() as subscriber:
        response = await http.post("/api/v1/videos/thumbnails", json=body)
        assert response.status_code == 202
        job = await server.service.runner.wait(response.json()["job_id"])
        while subscriber.buffered:
            event = await subscriber.receive()
            if event.type == EventType.THUMBNAIL_READY:
                payloads.append({k: v for k, v in event.payload.items() if k != "job_id"})
    assert job.status is JobStatus.COMPLETE
    assert isinstance(job.result, ThumbnailResult)
    return job.result, payloads


async def test_the_strip_endpoint_serves_the_strip_or_says_there_is_none(
    live_server: LiveServer, client: httpx.AsyncClient, samples: dict[str, Path], media_root: Path
) -> None:
    """404 NOT_FOUND for an unknown video and for one without a strip; then the JPEG, no-cache."""
    copy_as(samples["vp9_opus.webm"], media_root / "clip.webm")
    await scan_and_wait(live_server, client, media_root)
    [video] = (await client.get("/api/v1/videos")).json()["videos"]
    assert video["strip_frames"] is None

    for video_id, message in (
        ("no-such-video", "no video with id 'no-such-video'"),
        (video["id"], f"video {video['id']!r} has no scrub strip"),
    ):
        missing = await client.get(f"/api/v1/videos/{video_id}/strip")
        assert missing.status_code == 404
        assert missing.json() == {"detail": {"code": "NOT_FOUND", "message": message}}

    result, ready = await thumbnails(live_server, client)
    assert result == ThumbnailResult(total=1, made=1, strips=1)
    assert ready == [{"video_id": video["id"], "thumbnail": True, "strip_frames": 16}]
    strip = await client.get(f"/api/v1/videos/{video['id']}/strip")
    assert strip.status_code == 200
    assert strip.headers["content-type"] == "image/jpeg"
    assert strip.headers["cache-control"] == "no-cache"
    served = live_server.service.settings.thumbnail_dir / "served.jpg"
    await trio.Path(served).write_bytes(strip.content)
    assert await picture_size(served) == (16 * 160, 120)  # 80x60 frames, 160 wide each
    assert (await client.get(f"/api/v1/videos/{video['id']}")).json()["strip_frames"] == 16

    # Its file gone from under the library: 404 again, not an error.
    await trio.Path(live_server.service.thumbnailer.strip_path_for(video["id"])).unlink()
    assert (await client.get(f"/api/v1/videos/{video['id']}/strip")).status_code == 404


async def test_a_failed_strip_is_an_error_that_keeps_the_thumbnail(
    make_settings: Callable[..., Settings],
    samples: dict[str, Path],
    media_root: Path,
    tmp_path: Path,
) -> None:
    """ffmpeg fails on strips only: the thumbnail is made and announced, the strip is an error."""
    failing = make_prober(tmp_path / "bin", "ffmpeg-fail-if=setsar")
    copy_as(samples["h264_aac.mp4"], media_root / "clip.mp4")
    async for server in start_live_server(make_settings(ffmpeg_path=str(failing.path))):
        async with server.client() as http:
            await scan_and_wait(server, http, media_root)
            result, ready = await thumbnails(server, http)
            [video] = (await http.get("/api/v1/videos")).json()["videos"]

    assert (result.total, result.made, result.strips) == (1, 1, 0)
    assert [(e.path, e.error) for e in result.errors.items] == [
        (str(media_root / "clip.mp4"), "scrub strip: fake ffmpeg: simulated failure")
    ]
    assert ready == [{"video_id": video["id"], "thumbnail": True, "strip_frames": None}]
    assert video["thumbnail_path"] is not None
    assert video["strip_frames"] is None
    assert os.listdir(os.path.dirname(video["thumbnail_path"])) == [f"{video['id']}.jpg"]


async def test_missing_strips_are_made_alone_and_force_remakes_both(
    make_settings: Callable[..., Settings], samples: dict[str, Path], media_root: Path
) -> None:
    """With STOAT_STRIP_FRAMES=0 no strips; later "make missing" makes only the strips, and
    force makes thumbnail and strip anew."""
    copy_as(samples["h264_aac.mp4"], media_root / "clip.mp4")
    async for server in start_live_server(make_settings(strip_frames=0)):
        async with server.client() as http:
            await scan_and_wait(server, http, media_root)
            first, _ = await thumbnails(server, http)
            nothing_missing, _ = await thumbnails(server, http)
    assert first == ThumbnailResult(total=1, made=1, strips=0)
    assert nothing_missing == ThumbnailResult()

    async for server in start_live_server(make_settings(strip_frames=4)):
        async with server.client() as http:
            [video] = (await http.get("/api/v1/videos")).json()["videos"]
            assert video["strip_frames"] is None
            only_strips, ready = await thumbnails(server, http)
            assert only_strips == ThumbnailResult(total=1, made=0, strips=1)
            assert ready == [{"video_id": video["id"], "thumbnail": False, "strip_frames": 4}]
            forced, ready = await thumbnails(server, http, force=True)
            assert forced == ThumbnailResult(total=1, made=1, strips=1)
            assert ready == [{"video_id": video["id"], "thumbnail": True, "strip_frames": 4}]
            strip = await http.get(f"/api/v1/videos/{video['id']}/strip")
    assert strip.status_code == 200
    assert strip.content.startswith(JPEG_MAGIC)
