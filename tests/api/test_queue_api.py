"""The job queue is bounded: 429 TOO_MANY_JOBS past the limit; a repeated request joins its job."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from stoat_ferret.settings import Settings

from ..conftest import LiveServer
from ..support.media import copy_as
from ..support.prober import FakeProber
from ..support.waiting import wait_for_spawns


@pytest.fixture
def settings(make_settings: Callable[..., Settings], prober: FakeProber) -> Settings:
    """One running slot (held by a hung scan in these tests) and room for three waiting jobs."""
    return make_settings(ffprobe_path=str(prober.path), max_running_jobs=1, max_pending_jobs=3)


@pytest.fixture
async def slot_taken(
    client: httpx.AsyncClient, media_root: Path, samples: dict[str, Path], prober: FakeProber
) -> str:
    """A scan that hangs in ffprobe, holding the only running slot: its job id."""
    copy_as(samples["h264_aac.mp4"], media_root / "hang.mp4")
    response = await client.post("/api/v1/videos/scan", json={"path": str(media_root)})
    assert response.status_code == 202
    await wait_for_spawns(prober, 1)
    return str(response.json()["job_id"])


async def thumbnails(client: httpx.AsyncClient, ids: list[str] | None) -> httpx.Response:
    return await client.post("/api/v1/videos/thumbnails", json={"video_ids": ids})


async def test_past_the_limit_jobs_are_refused_with_429(
    live_server: LiveServer, client: httpx.AsyncClient, slot_taken: str
) -> None:
    """Three jobs may wait; the fourth is 429 TOO_MANY_JOBS, and nothing is stored for it."""
    accepted = [await thumbnails(client, [f"video-{n}"]) for n in range(3)]
    assert [r.status_code for r in accepted] == [202, 202, 202]
    refused = await thumbnails(client, ["video-3"])
    assert refused.status_code == 429
    detail = refused.json()["detail"]
    assert detail["code"] == "TOO_MANY_JOBS"
    assert detail["message"].startswith("3 jobs are already waiting to run")
    jobs = (await client.get("/api/v1/jobs")).json()
    assert jobs["total"] == 4
    assert live_server.service.runner.live_count == 4


async def test_a_request_identical_to_a_pending_one_returns_that_job(
    live_server: LiveServer, client: httpx.AsyncClient, slot_taken: str
) -> None:
    """The same thumbnails request again, even at the limit, answers the pending job's id."""
    first = await thumbnails(client, ["a", "b"])
    every = await thumbnails(client, None)
    forced = await client.post("/api/v1/videos/thumbnails", json={"force": True})
    assert [r.status_code for r in (first, every, forced)] == [202, 202, 202]
    again = await thumbnails(client, ["a", "b", "a"])
    every_again = await client.post("/api/v1/videos/thumbnails", json={})
    assert again.json()["job_id"] == first.json()["job_id"]
    assert every_again.json()["job_id"] == every.json()["job_id"]
    reordered = await thumbnails(client, ["b", "a"])
    assert reordered.status_code == 429
    assert live_server.service.runner.live_count == 4
