"""``/api/v1/jobs``: one job, the history, and cancellation over HTTP."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from stoat_ferret.settings import Settings

from ..conftest import LiveServer
from ..support.media import copy_as
from ..support.prober import FakeProber, process_exists
from ..support.results import scan_result
from ..support.waiting import wait_for_spawns

JOB_KEYS = {
    "job_id",
    "status",
    "progress",
    "result",
    "error",
    "kind",
    "params",
    "created_at",
    "started_at",
    "finished_at",
    "processed",
    "total",
    "current_file",
}


@pytest.fixture
def settings(make_settings: Callable[..., Settings], prober: FakeProber) -> Settings:
    return make_settings(ffprobe_path=str(prober.path))


async def submit_scan(client: httpx.AsyncClient, path: Path) -> str:
    response = await client.post("/api/v1/videos/scan", json={"path": str(path)})
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert isinstance(job_id, str)
    return job_id


async def finished_scan(live_server: LiveServer, client: httpx.AsyncClient, path: Path) -> str:
    job_id = await submit_scan(client, path)
    with trio.fail_after(30):
        job = await live_server.service.runner.wait(job_id)
    assert job.status == "complete"
    return job_id


def timestamp(text: str) -> datetime:
    assert text.endswith("Z")
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def hanging_dir(root: Path, sample: Path, name: str = "stuck") -> Path:
    directory = root / name
    directory.mkdir()
    copy_as(sample, directory / "hang_one.mp4")
    copy_as(sample, directory / "hang_two.mp4")
    return directory


async def test_completed_scan_job_shape(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    media_root: Path,
    real_root: str,
) -> None:
    """A finished scan job shows every field, with its result, full progress and timestamps."""
    names = ["h264_aac.mp4", "vp9_opus.webm"]
    for name in names:
        copy_as(samples[name], media_root / name)
    job_id = await finished_scan(live_server, client, media_root)

    response = await client.get(f"/api/v1/jobs/{job_id}")
    assert response.status_code == 200
    job = response.json()
    assert set(job) == JOB_KEYS
    root = real_root
    assert job["job_id"] == job_id
    assert job["kind"] == "scan"
    assert job["status"] == "complete"
    assert job["params"] == {"path": root, "recursive": True, "force": False}
    assert job["progress"] == 1.0
    assert job["processed"] == job["total"] == 2
    assert job["current_file"] in {os.path.join(root, name) for name in names}
    assert job["error"] is None
    assert job["result"] == scan_result(2, new=2)
    created = timestamp(job["created_at"])
    started = timestamp(job["started_at"])
    finished = timestamp(job["finished_at"])
    assert created <= started <= finished


async def test_unknown_job_is_not_found(client: httpx.AsyncClient) -> None:
    """GET of a job id that was never issued is 404 NOT_FOUND in the error envelope."""
    response = await client.get("/api/v1/jobs/no-such-job")
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert detail["code"] == "NOT_FOUND"
    assert "no-such-job" in detail["message"]


async def test_job_history_newest_first_with_filters(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    media_root: Path,
    prober: FakeProber,
) -> None:
    """The history lists newest first and filters by status and kind, with limit and offset."""
    first_dir, second_dir = media_root / "first", media_root / "second"
    for directory in (first_dir, second_dir):
        directory.mkdir()
        copy_as(samples["h264_aac.mp4"], directory / "clip.mp4")
    first = await finished_scan(live_server, client, first_dir)
    second = await finished_scan(live_server, client, second_dir)
    third = await submit_scan(client, hanging_dir(media_root, samples["h264_aac.mp4"]))
    await wait_for_spawns(prober, 4)

    async def listed(query: str = "") -> tuple[list[str], dict[str, Any]]:
        response = await client.get(f"/api/v1/jobs{query}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"jobs", "total", "limit", "offset"}
        for job in body["jobs"]:
            assert set(job) == JOB_KEYS
        return [job["job_id"] for job in body["jobs"]], body

    ids, body = await listed()
    assert ids == [third, second, first]
    assert (body["total"], body["limit"], body["offset"]) == (3, 20, 0)
    assert [job["status"] for job in body["jobs"]] == ["running", "complete", "complete"]

    ids, body = await listed("?status=running")
    assert (ids, body["total"]) == ([third], 1)

    cancelled = await client.post(f"/api/v1/jobs/{third}/cancel")
    assert cancelled.status_code == 200

    ids, body = await listed("?status=complete")
    assert (ids, body["total"]) == ([second, first], 2)
    ids, body = await listed("?status=cancelled")
    assert (ids, body["total"]) == ([third], 1)
    ids, body = await listed("?status=running")
    assert (ids, body["total"]) == ([], 0)
    ids, body = await listed("?kind=scan")
    assert (ids, body["total"]) == ([third, second, first], 3)
    ids, body = await listed("?kind=thumbnail")
    assert (ids, body["total"]) == ([], 0)
    ids, body = await listed("?status=complete&kind=scan&limit=1")
    assert (ids, body["total"], body["limit"]) == ([second], 2, 1)
    ids, body = await listed("?limit=1&offset=1")
    assert (ids, body["total"], body["limit"], body["offset"]) == ([second], 3, 1, 1)
    ids, body = await listed("?offset=3")
    assert (ids, body["total"]) == ([], 3)


@pytest.mark.parametrize("query", ["status=bogus", "status=completed", "status=COMPLETE"])
async def test_job_history_rejects_an_unknown_status(client: httpx.AsyncClient, query: str) -> None:
    """A status filter that is not a job state is 422 VALIDATION_ERROR naming the field."""
    response = await client.get(f"/api/v1/jobs?{query}")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["code"] == "VALIDATION_ERROR"
    assert detail["message"].startswith("status:")


async def test_cancel_running_scan_kills_its_probes(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    media_root: Path,
    prober: FakeProber,
) -> None:
    """Cancelling a running scan answers 200 cancelled once its hung ffprobes are reaped."""
    job_id = await submit_scan(client, hanging_dir(media_root, samples["h264_aac.mp4"]))
    await wait_for_spawns(prober, 2)

    running = (await client.get(f"/api/v1/jobs/{job_id}")).json()
    assert set(running) == JOB_KEYS
    assert running["status"] == "running"
    assert running["progress"] == 0.0
    assert (running["processed"], running["total"]) == (0, 2)
    assert running["started_at"] is not None
    assert running["finished_at"] is None
    assert running["result"] is None
    pids = prober.pids()
    assert all(process_exists(pid) for pid in pids)

    response = await client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert response.status_code == 200
    job = response.json()
    assert set(job) == JOB_KEYS
    assert job["job_id"] == job_id
    assert job["status"] == "cancelled"
    assert job["error"] == "cancelled on request"
    assert job["finished_at"] is not None
    assert job["result"] == scan_result(2)
    assert [pid for pid in pids if process_exists(pid)] == []
    assert prober.spawn_count() == 2

    stored = (await client.get(f"/api/v1/jobs/{job_id}")).json()
    assert stored["status"] == "cancelled"
    assert stored["result"] == scan_result(2)

    again = await client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert again.status_code == 409
    assert again.json()["detail"] == {
        "code": "ALREADY_TERMINAL",
        "message": f"job {job_id} has already finished as cancelled",
        "job_id": job_id,
        "status": "cancelled",
    }


async def test_cancel_unknown_job_is_not_found(client: httpx.AsyncClient) -> None:
    """Cancelling a job id that was never issued is 404 NOT_FOUND."""
    response = await client.post("/api/v1/jobs/no-such-job/cancel")
    assert response.status_code == 404
    assert response.json()["detail"]["code"] == "NOT_FOUND"


async def test_cancel_completed_job_is_a_conflict(
    live_server: LiveServer, client: httpx.AsyncClient, samples: dict[str, Path], media_root: Path
) -> None:
    """Cancelling a job that already completed is 409 ALREADY_TERMINAL and changes nothing."""
    copy_as(samples["h264_aac.mp4"], media_root / "clip.mp4")
    job_id = await finished_scan(live_server, client, media_root)
    before = (await client.get(f"/api/v1/jobs/{job_id}")).json()

    response = await client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert detail["code"] == "ALREADY_TERMINAL"
    assert detail["job_id"] == job_id
    assert detail["status"] == "complete"
    assert (await client.get(f"/api/v1/jobs/{job_id}")).json() == before
