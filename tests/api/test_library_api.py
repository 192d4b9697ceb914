"""``GET /api/v1/library/summary``: counts over the whole library."""

from __future__ import annotations

from pathlib import Path

import httpx
import trio

from ..conftest import LiveServer
from ..support.media import copy_as


async def test_summary_counts_videos_missing_and_without_thumbnail(
    live_server: LiveServer, client: httpx.AsyncClient, media_root: Path, samples: dict[str, Path]
) -> None:
    """Missing files count as missing, not as lacking a thumbnail; a made thumbnail leaves it."""
    empty = (await client.get("/api/v1/library/summary")).json()
    for name in ("h264_aac.mp4", "vp9_opus.webm", "silent.m4v"):
        copy_as(samples[name], media_root / name)
    scan = await client.post("/api/v1/videos/scan", json={"path": str(media_root)})
    with trio.fail_after(30):
        await live_server.service.runner.wait(scan.json()["job_id"])
    (media_root / "silent.m4v").unlink()
    rescan = await client.post("/api/v1/videos/scan", json={"path": str(media_root)})
    with trio.fail_after(30):
        await live_server.service.runner.wait(rescan.json()["job_id"])
    videos = {v["filename"]: v for v in (await client.get("/api/v1/videos")).json()["videos"]}
    made = await client.post(
        "/api/v1/videos/thumbnails", json={"video_ids": [videos["h264_aac.mp4"]["id"]]}
    )
    with trio.fail_after(30):
        await live_server.service.runner.wait(made.json()["job_id"])

    response = await client.get("/api/v1/library/summary")

    assert empty == {"videos": 0, "missing": 0, "without_thumbnail": 0}
    assert response.status_code == 200
    assert response.json() == {"videos": 3, "missing": 1, "without_thumbnail": 1}


async def test_summary_is_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    """The summary and the stream are documented, with their answers."""
    paths = (await client.get("/openapi.json")).json()["paths"]

    summary = paths["/api/v1/library/summary"]["get"]["responses"]["200"]
    schema = summary["content"]["application/json"]["schema"]
    assert schema["required"] == ["videos", "missing", "without_thumbnail"]
    assert {name: field["type"] for name, field in schema["properties"].items()} == {
        "videos": "integer",
        "missing": "integer",
        "without_thumbnail": "integer",
    }
    stream = paths["/api/v1/videos/{video_id}/stream"]["get"]["responses"]
    assert {"200", "206", "403", "404", "416"} <= set(stream)
