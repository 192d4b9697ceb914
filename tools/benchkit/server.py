"""The real service, served in this process on a loopback port, and talking to it."""

from __future__ import annotations

import json
import math
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import httpx
import trio
from trio_websocket import open_websocket_url

from stoat_ferret.api import create_app
from stoat_ferret.server import serve, serve_service, settle_collector
from stoat_ferret.service import Service, open_service
from stoat_ferret.settings import Settings

from .measure import CpuTimes
from .workspace import BenchError, Workspace, expect

#: Seconds any single wait may take before it is called a failure.
WAIT_LIMIT = 300.0
#: The probers a run can choose; anything but the default goes to the service as STOAT_PROBER.
PROBERS = ("ffprobe", "libav")


def server_settings(
    ws: Workspace,
    database: Path,
    *,
    prober: str = "ffprobe",
    ffprobe: str | Path | None = None,
    **overrides: Any,
) -> Settings:
    """Settings for one server on 127.0.0.1 port 0 over ``ws``, with ``database`` as its library.

    ``prober`` is passed as ``STOAT_PROBER``; a service that has no such setting can only
    run the default, and says so rather than measuring the wrong prober. ``overrides``
    replace settings (e.g. ``thumbnails_after_scan=True``).
    """
    environ = {} if prober == "ffprobe" else {"STOAT_PROBER": prober}
    if environ and "prober" not in Settings.model_fields:
        raise BenchError(f"this service has no STOAT_PROBER setting: cannot run with {prober!r}")
    values: dict[str, Any] = {
        "database_path": database,
        "thumbnail_dir": ws.root / "thumbnails",
        "api_port": 0,
        "allowed_scan_roots": (ws.media,),
        "ffprobe_path": str(ffprobe or ws.ffprobe),
        "probe_concurrency": ws.cpus,
        "log_level": "WARNING",
        # The targets are about scanning: thumbnails queued after each scan would
        # compete with the next measurement.
        "thumbnails_after_scan": False,
    }
    return Settings.from_env(environ, **(values | overrides))


@asynccontextmanager
async def running_server(settings: Settings) -> AsyncIterator[str]:
    """Serve ``settings`` in this process for the block; yield the base URL."""
    async with trio.open_nursery() as nursery:
        stop = trio.Event()
        url: str = await nursery.start(partial(serve, settings, stop=stop))
        try:
            yield url
        finally:
            stop.set()


@asynccontextmanager
async def running_service(settings: Settings) -> AsyncIterator[tuple[str, Service]]:
    """Serve ``settings`` in this process for the block; yield the base URL and the service
    (for measuring from the inside, e.g. when the hub publishes)."""
    async with open_service(settings) as service, trio.open_nursery() as nursery:
        stop = trio.Event()
        app = create_app(service)
        settle_collector()  # as stoat-ferret serve does
        url: str = await nursery.start(partial(serve_service, service, stop=stop, app=app))
        try:
            yield url, service
        finally:
            stop.set()


@asynccontextmanager
async def server_client(
    settings: Settings, *, ready: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    """A running server and a client for it whose connection is already open.

    With ``ready``, the server has said it is ready (its media workers started, if it
    has them); otherwise only that it is alive (for a server given a prober that hangs).
    """
    async with (
        running_server(settings) as url,
        httpx.AsyncClient(base_url=url, timeout=WAIT_LIMIT) as client,
    ):
        answer = await client.get("/health/ready" if ready else "/health/live")
        expect(answer.status_code == 200, f"the server is not ready: {answer.text}")
        yield client


@attrs.frozen
class ScanRun:
    """One scan as the client saw it."""

    seconds: float
    job: dict[str, Any]
    cpu: CpuTimes

    @property
    def result(self) -> dict[str, Any]:
        return self.job.get("result") or {}


async def start_scan(client: httpx.AsyncClient, path: Path) -> str:
    response = await client.post("/api/v1/videos/scan", json={"path": str(path)})
    expect(response.status_code == 202, f"scan refused: {response.status_code} {response.text}")
    job_id: str = response.json()["job_id"]
    return job_id


async def scan_and_wait(client: httpx.AsyncClient, path: Path) -> ScanRun:
    """Scan ``path``; time it from the POST to the job's ``scan_completed`` event on /ws.

    The event is published after the job's final state is stored, so no polling loads
    the server while it is timed.
    """
    events_url = "ws" + str(client.base_url).removeprefix("http").rstrip("/") + "/ws"
    async with open_websocket_url(events_url) as events:
        cpu_start = CpuTimes.now()
        started = time.perf_counter()
        job_id = await start_scan(client, path)
        with trio.fail_after(WAIT_LIMIT):
            while True:
                event = json.loads(await events.get_message())
                if event["type"] == "scan_completed" and event["payload"]["job_id"] == job_id:
                    break
        elapsed = time.perf_counter() - started
        cpu = CpuTimes.now().since(cpu_start)
    job = (await client.get(f"/api/v1/jobs/{job_id}")).json()
    expect(job["status"] == "complete", f"scan of {path} ended as {job['status']}: {job}")
    return ScanRun(elapsed, job, cpu)


TERMINAL = {"complete", "failed", "timeout", "cancelled", "interrupted"}


async def job_and_wait(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> ScanRun:
    """POST ``body`` to ``path`` (a job-starting route); time it to the job's final
    ``job_status`` event on /ws, which is published once the final state is stored."""
    events_url = "ws" + str(client.base_url).removeprefix("http").rstrip("/") + "/ws"
    async with open_websocket_url(events_url) as events:
        cpu_start = CpuTimes.now()
        started = time.perf_counter()
        response = await client.post(path, json=body)
        expect(response.status_code == 202, f"{path} refused: {response.text}")
        job_id = response.json()["job_id"]
        with trio.fail_after(WAIT_LIMIT):
            while True:
                event = json.loads(await events.get_message())
                payload = event["payload"]
                ours = event["type"] == "job_status" and payload.get("job_id") == job_id
                if ours and payload["status"] in TERMINAL:
                    break
        elapsed = time.perf_counter() - started
        cpu = CpuTimes.now().since(cpu_start)
    job = (await client.get(f"/api/v1/jobs/{job_id}")).json()
    expect(job["status"] == "complete", f"{path} job ended as {job['status']}: {job}")
    return ScanRun(elapsed, job, cpu)


def job_seconds(job: dict[str, Any]) -> float | None:
    """The server's own started -> finished time for a job."""
    if not job.get("started_at") or not job.get("finished_at"):
        return None
    start = datetime.fromisoformat(job["started_at"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(job["finished_at"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


async def read_metrics(client: httpx.AsyncClient) -> dict[str, float]:
    """``/metrics`` as ``{name: value}``, summed over labels; empty if it is not served."""
    response = await client.get("/metrics")
    if response.status_code != 200:
        return {}
    values: dict[str, float] = {}
    for line in response.text.splitlines():
        if not line or line.startswith("#"):
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        with suppress(ValueError, IndexError):
            values[name] = values.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    return values


def metric(values: dict[str, float], name: str) -> float:
    return values.get(name, math.nan)


async def read_pids(log: Path) -> list[int]:
    """Every pid a wrapper has logged so far (read in a worker thread)."""
    path = trio.Path(log)
    if not await path.exists():
        return []
    return [int(word) for word in (await path.read_text()).split()]


async def wait_for_pids(log: Path, count: int) -> list[int]:
    """Poll a wrapper's pid log until it holds ``count`` pids."""
    with trio.fail_after(WAIT_LIMIT):
        # Other processes write the log: there is no event to wait on, so poll it.
        while len(pids := await read_pids(log)) < count:  # noqa: ASYNC110
            await trio.sleep(0.002)
    return pids


async def timed(request: Awaitable[httpx.Response]) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = await request
    return time.perf_counter() - started, response


def free_port() -> int:
    """A loopback port nothing listens on now (for a server in another process)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@asynccontextmanager
async def child_server(environ: dict[str, str]) -> AsyncIterator[str]:
    """``stoat-ferret serve`` in a child process with ``environ`` added; yield its URL.

    A process of its own, so the load a benchmark makes competes with the server for
    CPUs only, not for the same Python thread. Stopped with SIGTERM (SIGKILL after
    ``WAIT_LIMIT``) when the block ends.
    """
    import os
    import sys

    port = free_port()
    env = {**os.environ, **environ, "STOAT_API_PORT": str(port), "STOAT_API_HOST": "127.0.0.1"}
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "stoat_ferret", "serve"]
    async with trio.open_nursery() as nursery:
        process = await nursery.start(partial(trio.run_process, command, env=env, check=False))
        try:
            async with httpx.AsyncClient(base_url=url, timeout=1.0) as probe:
                with trio.fail_after(WAIT_LIMIT):
                    while True:
                        with suppress(httpx.TransportError):
                            if (await probe.get("/health/live")).status_code == 200:
                                break
                        # Another process: nothing to wait on but its port answering.
                        await trio.sleep(0.05)
            yield url
        finally:
            process.terminate()
            with trio.move_on_after(WAIT_LIMIT) as waiting, trio.CancelScope(shield=True):
                await process.wait()
            if waiting.cancelled_caught:
                process.kill()
