"""The event loop stays responsive during a real scan, and the measurement can tell when not.

The real server, the real ffprobe, 100 generated videos. While the scan runs, one
task asks ``/health/live`` every 10 ms and a WebSocket client reads every event.
The same measurement, with a deliberately blocking prober swapped in, must
report the violation: that is what shows the test can fail.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import trio
from trio_websocket import open_websocket_url

import stoat_ferret.probers
from stoat_ferret.loopwatch import SlowStep, watch_loop
from stoat_ferret.probe.parse import ProbeResult, parse_probe_output
from stoat_ferret.probe.run import probe_command
from stoat_ferret.settings import Settings

from ..conftest import LiveServer, start_live_server
from ..support.loop_guard import step_limit
from ..support.media import copy_as
from ..support.prober import make_prober

#: Worst /health/live round trip allowed while a scan runs, in seconds. A request that
#: waits on a blocked loop waits as long as the block; one that only competes for a
#: busy CPU (2 cores, both probing) stays well under this.
WORST_HEALTH_LATENCY = 0.25
HEALTH_INTERVAL = 0.01


@attrs.frozen
class Measurement:
    job: dict[str, Any]
    events: list[dict[str, Any]]
    published: list[int]
    health_latencies: list[float]
    longest_step: float
    slow_steps: list[SlowStep]

    @property
    def worst_health_latency(self) -> float:
        return max(self.health_latencies)


async def measure_scan(server: LiveServer, directory: Path) -> Measurement:
    """Scan ``directory`` while polling health and reading every event; return what was seen."""
    events: list[dict[str, Any]] = []
    latencies: list[float] = []
    finished = trio.Event()
    job_id: list[str] = []

    async def read_events(task_status: trio.TaskStatus[None]) -> None:
        async with open_websocket_url(server.ws_url) as ws:
            task_status.started()
            while True:
                event = json.loads(await ws.get_message())
                events.append(event)
                if event["type"] == "scan_completed" and event["payload"]["job_id"] in job_id:
                    finished.set()
                    return

    async def poll_health(http: httpx.AsyncClient) -> None:
        while not finished.is_set():
            started = time.perf_counter()
            response = await http.get("/health/live")
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200
            await trio.sleep(HEALTH_INTERVAL)

    async with server.client() as http:
        with watch_loop(step_limit()) as watch:
            async with trio.open_nursery() as nursery:
                await nursery.start(read_events)
                # The WebSocket subscription is in place once the hub has a subscriber.
                while not server.service.hub.subscribers:
                    await trio.testing.wait_all_tasks_blocked()
                response = await http.post("/api/v1/videos/scan", json={"path": str(directory)})
                assert response.status_code == 202
                job_id.append(response.json()["job_id"])
                nursery.start_soon(poll_health, http)
                with trio.fail_after(120):
                    await finished.wait()
        job = (await http.get(f"/api/v1/jobs/{job_id[0]}")).json()
    published = [e.id for e in server.service.hub.history() if e.correlation_id == job_id[0]]
    return Measurement(
        job=job,
        events=[e for e in events if e["correlation_id"] == job_id[0]],
        published=published,
        health_latencies=latencies,
        longest_step=watch.longest,
        slow_steps=list(watch.slow_steps),
    )


@pytest.fixture
def library_of_100(media_root: Path, samples: dict[str, Path]) -> Path:
    for i in range(100):
        copy_as(samples["h264_aac.mp4"], media_root / f"clip{i:03}.mp4")
    return media_root


@pytest.mark.slow
async def test_loop_stays_responsive_during_a_real_scan(
    live_server: LiveServer, library_of_100: Path
) -> None:
    """No task step passes the limit, health answers promptly, and every event arrives."""
    result = await measure_scan(live_server, library_of_100)

    assert result.job["status"] == "complete"
    assert result.job["result"]["new"] == 100
    assert result.slow_steps == []
    assert result.longest_step < step_limit()
    assert result.worst_health_latency < WORST_HEALTH_LATENCY
    assert len(result.health_latencies) >= 10
    assert [e["id"] for e in result.events] == result.published
    assert result.events[-1]["type"] == "scan_completed"
    assert [e for e in result.events if e["type"] == "resync_required"] == []


@pytest.fixture
async def blocking_prober_server(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[LiveServer]:
    """A live server whose scans probe with a blocking ``subprocess.run`` (0.3 s a file)."""
    slow = make_prober(tmp_path / "bin", "slow=0.3")

    async def blocking_probe(
        path: str,
        *,
        file_size: int,
        ffprobe: str,
        timeout: float | None = None,  # noqa: ASYNC109 - probe_file's own signature
        nice: int = 0,
    ) -> ProbeResult:
        # The earlier system's defect, planted on purpose: a synchronous child process.
        done = subprocess.run(  # noqa: ASYNC221 - the blocking call under test
            probe_command(str(slow.path), path), capture_output=True, check=True
        )
        return parse_probe_output(path, done.stdout, file_size=file_size)

    monkeypatch.setattr(stoat_ferret.probers, "probe_file", blocking_probe)
    async for server in start_live_server(make_settings()):
        yield server


@pytest.mark.blocks_loop
async def test_measurement_reports_a_blocking_prober(
    blocking_prober_server: LiveServer, media_root: Path, samples: dict[str, Path]
) -> None:
    """With a prober that blocks the loop, the same measurement shows the violation."""
    for i in range(8):
        copy_as(samples["h264_aac.mp4"], media_root / f"clip{i}.mp4")

    result = await measure_scan(blocking_prober_server, media_root)

    assert result.job["status"] == "complete"
    assert result.longest_step > 0.3
    assert len(result.slow_steps) >= 8
    assert any("blocking_probe" in step.stack for step in result.slow_steps)
    assert result.worst_health_latency > WORST_HEALTH_LATENCY
