"""One video's copies (``/videos/{id}/duplicates``) and history (``/videos/{id}/jobs``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from ..conftest import LiveServer
from ..support.media import copy_as
from .test_videos_api import assert_error, scan


async def by_name(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """The library's videos by path below the media root."""
    listed = (await client.get("/api/v1/videos", params={"limit": 500})).json()["videos"]
    return {v["filename"]: v for v in listed}


async def run_job(live_server: LiveServer, answer: httpx.Response) -> str:
    """Wait for the job an accepted request queued to end; its id."""
    assert answer.status_code == 202, answer.text
    job_id: str = answer.json()["job_id"]
    with trio.fail_after(30):
        await live_server.service.runner.wait(job_id)
    return job_id


async def test_a_copied_file_lists_its_copy(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    media_root: Path,
    real_root: str,
) -> None:
    """Each of two copies lists the other; a different file lists none; a missing copy goes."""
    (media_root / "b").mkdir()
    copy_as(samples["h264_aac.mp4"], media_root / "take.mp4")
    copy_as(samples["h264_aac.mp4"], media_root / "b" / "take copy.mp4")
    copy_as(samples["vp9_opus.webm"], media_root / "other.webm")
    await scan(live_server, client, media_root)
    videos = await by_name(client)
    take, copy, other = videos["take.mp4"], videos["take copy.mp4"], videos["other.webm"]
    assert take["fingerprint"] == copy["fingerprint"] is not None

    of_take = (await client.get(f"/api/v1/videos/{take['id']}/duplicates")).json()
    of_copy = (await client.get(f"/api/v1/videos/{copy['id']}/duplicates")).json()
    of_other = (await client.get(f"/api/v1/videos/{other['id']}/duplicates")).json()

    assert [v["path"] for v in of_take["videos"]] == [os.path.join(real_root, "b", "take copy.mp4")]
    assert of_take["videos"][0] == copy
    assert [v["id"] for v in of_copy["videos"]] == [take["id"]]
    assert of_other == {"videos": []}

    (media_root / "b" / "take copy.mp4").unlink()
    await scan(live_server, client, media_root)
    assert (await client.get(f"/api/v1/videos/{take['id']}/duplicates")).json() == {"videos": []}


async def test_copies_of_an_unknown_video_are_404(client: httpx.AsyncClient) -> None:
    """An id the library does not hold is NOT_FOUND, for its copies and its jobs."""
    assert_error(await client.get("/api/v1/videos/nope/duplicates"), 404, "NOT_FOUND")
    assert_error(await client.get("/api/v1/videos/nope/jobs"), 404, "NOT_FOUND")


async def test_a_videos_history_is_the_jobs_that_covered_it(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    media_root: Path,
) -> None:
    """Scans of its folder or above it and thumbnail jobs naming it, newest first; no others."""
    (media_root / "shoot" / "day1").mkdir(parents=True)
    (media_root / "other").mkdir()
    copy_as(samples["h264_aac.mp4"], media_root / "shoot" / "day1" / "clip.mp4")
    copy_as(samples["vp9_opus.webm"], media_root / "other" / "else.webm")
    whole = await run_job(
        live_server, await client.post("/api/v1/videos/scan", json={"path": str(media_root)})
    )
    videos = await by_name(client)
    clip, other = videos["clip.mp4"], videos["else.webm"]
    shoot = await run_job(
        live_server,
        await client.post("/api/v1/videos/scan", json={"path": str(media_root / "shoot")}),
    )
    # Not recursive: the folder above the clip's, without its subfolders.
    await run_job(
        live_server,
        await client.post(
            "/api/v1/videos/scan",
            json={"path": str(media_root / "shoot"), "recursive": False},
        ),
    )
    await run_job(
        live_server,
        await client.post("/api/v1/videos/scan", json={"path": str(media_root / "other")}),
    )
    mine = await run_job(
        live_server,
        await client.post("/api/v1/videos/thumbnails", json={"video_ids": [clip["id"]]}),
    )
    await run_job(
        live_server,
        await client.post("/api/v1/videos/thumbnails", json={"video_ids": [other["id"]]}),
    )
    every = await run_job(live_server, await client.post("/api/v1/videos/thumbnails", json={}))

    answer = await client.get(f"/api/v1/videos/{clip['id']}/jobs")

    assert answer.status_code == 200
    body = answer.json()
    assert [job["job_id"] for job in body["jobs"]] == [every, mine, shoot, whole]
    assert (body["examined"], body["limit"]) == (7, 20)
    listed = (await client.get("/api/v1/jobs", params={"limit": 7})).json()["jobs"]
    assert body["jobs"][0] == next(job for job in listed if job["job_id"] == every)

    newest = (await client.get(f"/api/v1/videos/{clip['id']}/jobs", params={"limit": 2})).json()
    assert [job["job_id"] for job in newest["jobs"]] == [every, mine]


async def test_history_looks_through_the_newest_jobs_only(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    media_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a window of two jobs, an older scan that covered the video is not found."""
    from stoat_ferret.api.routes import videos as routes

    monkeypatch.setattr(routes, "HISTORY_WINDOW", 2)
    copy_as(samples["h264_aac.mp4"], media_root / "clip.mp4")
    await scan(live_server, client, media_root)
    [clip] = (await by_name(client)).values()
    first = await run_job(
        live_server,
        await client.post("/api/v1/videos/thumbnails", json={"video_ids": [clip["id"]]}),
    )
    second = await run_job(
        live_server,
        await client.post(
            "/api/v1/videos/thumbnails", json={"video_ids": [clip["id"]], "force": True}
        ),
    )

    body = (await client.get(f"/api/v1/videos/{clip['id']}/jobs")).json()

    assert [job["job_id"] for job in body["jobs"]] == [second, first]
    assert body["examined"] == 2


@pytest.mark.parametrize("limit", ["0", "501", "x"])
async def test_a_bad_history_limit_is_422(client: httpx.AsyncClient, limit: str) -> None:
    """limit must be a whole number from 1 to 500."""
    assert_error(
        await client.get("/api/v1/videos/any/jobs", params={"limit": limit}),
        422,
        "VALIDATION_ERROR",
    )
