"""A live server with watched folders, seen through its API and its event stream."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import httpx
import trio

from stoat_ferret.events.hub import Event, Subscriber
from stoat_ferret.protocol import EventType, JobKind, JobStatus, WatchChange
from stoat_ferret.settings import Settings

from ..conftest import LiveServer, start_live_server

#: Seconds any single wait in these tests may take before it is called a failure.
WAIT = 30.0


@attrs.define(eq=False)
class Served:
    """A served service, an HTTP client for it, and every event it has published."""

    server: LiveServer
    http: httpx.AsyncClient
    events: list[Event]
    _arrived: trio.Event = attrs.field(factory=trio.Event)

    async def _collect(self, subscriber: Subscriber) -> None:
        while True:
            event = await subscriber.receive()
            assert event.type != EventType.RESYNC_REQUIRED, "the test fell behind the events"
            self.events.append(event)
            self._arrived.set()
            self._arrived = trio.Event()

    async def event(self, matches: Callable[[Event], bool], *, after: int = 0) -> Event:
        """The first event (from index ``after`` on) that ``matches``; waits for it."""
        with trio.fail_after(WAIT):
            index = after
            while True:
                for event in self.events[index:]:
                    if matches(event):
                        return event
                index = len(self.events)
                await self._arrived.wait()

    def mark(self) -> int:
        """The index the next event will have: to wait only for events from now on."""
        return len(self.events)

    async def job_done(self, job_id: str) -> dict[str, Any]:
        """The job once it is terminal (from its final ``job_status`` event)."""
        event = await self.event(
            lambda e: (
                e.type == EventType.JOB_STATUS
                and e.payload["job_id"] == job_id
                and JobStatus(e.payload["status"]).terminal
            )
        )
        return event.payload

    def final_index(self, job_id: str) -> int:
        """Where the job's final ``job_status`` event is among the events."""
        return next(
            i
            for i, e in enumerate(self.events)
            if e.type == EventType.JOB_STATUS
            and e.payload["job_id"] == job_id
            and JobStatus(e.payload["status"]).terminal
        )

    def jobs(self, kind: JobKind, *, after: int = 0) -> list[dict[str, Any]]:
        """Jobs of ``kind`` that ended (from their final events), in the order they ended."""
        return [
            e.payload
            for e in self.events[after:]
            if e.type == EventType.JOB_STATUS
            and e.payload["kind"] == kind
            and JobStatus(e.payload["status"]).terminal
        ]

    async def watch_jobs_until(
        self, done: Callable[[list[dict[str, Any]]], bool], *, after: int = 0
    ) -> list[dict[str, Any]]:
        """Watch jobs that ended from ``after`` on, once ``done`` holds for them."""
        with trio.fail_after(WAIT):
            while not done(self.jobs(JobKind.WATCH, after=after)):
                await self._arrived.wait()
        return self.jobs(JobKind.WATCH, after=after)

    async def watch_event(
        self, watch_id: str, matches: Callable[[dict[str, Any]], bool], *, after: int = 0
    ) -> dict[str, Any]:
        """The payload of the first ``watch_status`` event of the watch that ``matches``."""
        event = await self.event(
            lambda e: (
                e.type == EventType.WATCH_STATUS
                and e.payload["id"] == watch_id
                and matches(e.payload)
            ),
            after=after,
        )
        return event.payload

    async def add_watch(self, path: Path | str, **body: Any) -> dict[str, Any]:
        """Watch ``path`` through the API; once its first job (the full rescan) has ended."""
        response = await self.http.post("/api/v1/watches", json={"path": str(path), **body})
        assert response.status_code == 201, response.text
        watch: dict[str, Any] = response.json()
        first = await self.watch_event(watch["id"], lambda w: w["job_id"] is not None)
        job = await self.job_done(first["job_id"])
        assert job["status"] == JobStatus.COMPLETE, job
        return watch

    async def watch(self, watch_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/v1/watches/{watch_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def videos(self) -> dict[str, dict[str, Any]]:
        """The whole library through the API, by file name (which must be unique)."""
        found = await self.videos_by_path()
        by_name = {v["filename"]: v for v in found.values()}
        assert len(by_name) == len(found), "two videos share a file name: look up by path"
        return by_name

    async def videos_by_path(self) -> dict[str, dict[str, Any]]:
        """The whole library through the API, by path."""
        response = await self.http.get("/api/v1/videos", params={"limit": 500})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] <= 500
        return {v["path"]: v for v in body["videos"]}

    async def probes(self) -> int:
        """ffprobe runs so far, whatever their outcome (the stoat_probes_total counter)."""
        response = await self.http.get("/metrics")
        total = 0.0
        for line in response.text.splitlines():
            if line.startswith("stoat_probes_total{"):
                total += float(line.rsplit(" ", 1)[1])
        return int(total)


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Served]:
    """Serve ``settings``' service for the block, collecting its events from its start."""
    servers = start_live_server(settings)
    server = await anext(servers)
    try:
        hub = server.service.hub
        async with server.client() as http, trio.open_nursery() as nursery:
            # History and subscription taken together: no event falls between them.
            events = list(hub.history())
            with hub.subscribe() as subscriber:
                served = Served(server, http, events)
                nursery.start_soon(served._collect, subscriber)
                yield served
                nursery.cancel_scope.cancel()
    finally:
        # Run on to its end (not closed: a GeneratorExit would cross its nurseries).
        await anext(servers, None)


def added(payload: dict[str, Any]) -> bool:
    return payload["change"] == WatchChange.ADDED


def real(path: Path) -> str:
    return os.path.realpath(path)
