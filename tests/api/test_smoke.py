"""A first end-to-end check that the served app scans real files."""

from __future__ import annotations

from pathlib import Path

import httpx

from ..conftest import LiveServer
from ..support.media import copy_as


async def test_scan_then_list(
    live_server: LiveServer, client: httpx.AsyncClient, samples: dict[str, Path], media_root: Path
) -> None:
    """A scan submitted over HTTP completes and its videos are listed."""
    for name, path in samples.items():
        copy_as(path, media_root / name)
    response = await client.post("/api/v1/videos/scan", json={"path": str(media_root)})
    assert response.status_code == 202
    job_id = response.json()["job_id"]
    job = await live_server.service.runner.wait(job_id)
    assert job.status == "complete"
    listing = (await client.get("/api/v1/videos")).json()
    assert listing["total"] == len(samples)
