"""``/ws``: job events, heartbeats, resuming from an id, and clients that stop reading."""

from __future__ import annotations

import base64
import json
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import trio
import trio.testing
from trio_websocket import WebSocketConnection, open_websocket_url

from stoat_ferret.events.hub import EventHub, Subscriber
from stoat_ferret.protocol import EventType
from stoat_ferret.settings import Settings

from ..conftest import LiveServer
from ..support.events import RawPayload
from ..support.media import copy_as

HEARTBEAT_INTERVAL = 0.2
CLIENT_BUFFER = 64
ENVELOPE_KEYS = {"id", "type", "payload", "correlation_id", "timestamp"}


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Quick heartbeats, and a small per-client buffer so a stalled client overflows it."""
    return make_settings(ws_heartbeat_interval=HEARTBEAT_INTERVAL, ws_client_buffer=CLIENT_BUFFER)


async def receive(ws: WebSocketConnection) -> dict[str, Any]:
    """The next message, heartbeats included."""
    message = json.loads(await ws.get_message())
    assert isinstance(message, dict)
    return message


async def next_event(ws: WebSocketConnection) -> dict[str, Any]:
    """The next message that is not a heartbeat."""
    while True:
        message = await receive(ws)
        if message["type"] != EventType.HEARTBEAT:
            return message


async def events_until(
    ws: WebSocketConnection, last: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """Every non-heartbeat event up to and including the first for which ``last`` holds."""
    seen = []
    with trio.fail_after(30):
        while True:
            event = await next_event(ws)
            seen.append(event)
            if last(event):
                return seen


def scan_completed(job_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["type"] == EventType.SCAN_COMPLETED and e["payload"]["job_id"] == job_id


async def subscribed(hub: EventHub, count: int) -> None:
    """Wait until the hub has ``count`` subscribers (the server subscribes after the handshake)."""
    with trio.fail_after(5):
        while len(hub.subscribers) < count:
            await trio.testing.wait_all_tasks_blocked()


@asynccontextmanager
async def never_reading_client(live_server: LiveServer) -> AsyncIterator[trio.SocketStream]:
    """A WebSocket client that completes the handshake and then never reads a byte."""
    address = urlsplit(live_server.url)
    assert address.hostname is not None
    assert address.port is not None
    sock = trio.socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A small receive window makes back-pressure reach the server sooner.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    await sock.connect((address.hostname, address.port))
    stream = trio.SocketStream(sock)
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        await stream.send_all(
            (
                "GET /ws HTTP/1.1\r\n"
                f"Host: {address.netloc}\r\n"
                "Upgrade: websocket\r\n"
                "Connection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        response = b""
        with trio.fail_after(5):
            while b"\r\n\r\n" not in response:
                chunk = await stream.receive_some(1)
                assert chunk, "the server closed the connection during the handshake"
                response += chunk
        assert response.startswith(b"HTTP/1.1 101 ")
        yield stream
    finally:
        await stream.aclose()


def assert_envelope(event: dict[str, Any]) -> None:
    assert set(event) == ENVELOPE_KEYS
    assert isinstance(event["id"], int)
    assert isinstance(event["payload"], dict)
    assert isinstance(event["timestamp"], str)
    assert event["timestamp"].endswith("Z")


async def start_scan(client: httpx.AsyncClient, path: Path) -> str:
    response = await client.post("/api/v1/videos/scan", json={"path": str(path)})
    assert response.status_code == 202
    job_id = response.json()["job_id"]
    assert isinstance(job_id, str)
    return job_id


async def test_scan_events_reach_a_connected_client(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    media_root: Path,
    real_root: str,
) -> None:
    """A client connected before a scan sees its states, start, progress and completion."""
    names = sorted(samples)
    for name in names:
        copy_as(samples[name], media_root / name)
    async with open_websocket_url(live_server.ws_url) as ws:
        await subscribed(live_server.service.hub, 1)
        job_id = await start_scan(client, media_root)
        events = await events_until(ws, scan_completed(job_id))

    for event in events:
        assert_envelope(event)
        assert event["correlation_id"] == job_id
    ids = [e["id"] for e in events]
    assert ids == sorted(set(ids))

    milestones = [
        (e["type"], e["payload"].get("status"))
        for e in events
        if e["type"] not in (EventType.JOB_PROGRESS, EventType.VIDEO_ADDED)
    ]
    assert milestones == [
        ("job_status", "pending"),
        ("job_status", "running"),
        ("scan_started", None),
        ("job_status", "complete"),
        ("scan_completed", "complete"),
    ]
    # Each stored video is announced once, while the scan runs.
    added = [e for e in events if e["type"] == EventType.VIDEO_ADDED]
    stored = (await client.get("/api/v1/videos", params={"limit": 100})).json()["videos"]
    assert sorted(i for e in added for i in e["payload"]["video_ids"]) == sorted(
        v["id"] for v in stored
    )
    kinds_seen = [e["type"] for e in events]
    assert kinds_seen.index(EventType.SCAN_STARTED) < events.index(added[0])
    assert events.index(added[-1]) < kinds_seen.index(EventType.SCAN_COMPLETED)
    started = next(e for e in events if e["type"] == EventType.SCAN_STARTED)
    assert started["payload"] == {
        "job_id": job_id,
        "path": real_root,
        "recursive": True,
        "force": False,
    }

    progress = [e["payload"] for e in events if e["type"] == EventType.JOB_PROGRESS]
    assert progress, "no job_progress event was sent"
    values = [p["progress"] for p in progress]
    assert values == sorted(values)
    assert all(p["job_id"] == job_id and p["total"] == len(names) for p in progress)
    assert progress[-1]["progress"] == 1.0
    assert progress[-1]["processed"] == progress[-1]["total"] == len(names)
    # Progress comes between the start and the final state.
    kinds = [e["type"] for e in events]
    first_progress = kinds.index(EventType.JOB_PROGRESS)
    last_progress = len(kinds) - 1 - kinds[::-1].index(EventType.JOB_PROGRESS)
    assert kinds.index(EventType.SCAN_STARTED) < first_progress
    final_status = kinds.index(EventType.JOB_STATUS, first_progress)
    assert events[final_status]["payload"]["status"] == "complete"
    assert last_progress < final_status

    completed = events[-1]["payload"]
    assert completed["status"] == "complete"
    assert completed["error"] is None
    assert completed["result"] == {
        "scanned": len(names),
        "new": len(names),
        "updated": 0,
        "skipped": 0,
        "unchanged": 0,
        "missing": 0,
        "reappeared": 0,
        "moved": 0,
        "ignored": {},
        "error_count": 0,
        "errors": [],
    }
    job = (await client.get(f"/api/v1/jobs/{job_id}")).json()
    assert completed["result"] == job["result"]


async def test_heartbeat_on_an_idle_connection(live_server: LiveServer) -> None:
    """An idle connection gets an unnumbered heartbeat carrying the hub's last event id."""
    async with open_websocket_url(live_server.ws_url) as ws:
        with trio.fail_after(HEARTBEAT_INTERVAL * 20):
            first = await receive(ws)
            second = await receive(ws)
    for beat in (first, second):
        assert set(beat) == ENVELOPE_KEYS
        assert beat["type"] == "heartbeat"
        assert beat["id"] is None
        assert beat["correlation_id"] is None
        assert beat["payload"] == {"last_event_id": live_server.service.hub.last_id}


async def test_resume_replays_exactly_the_events_after_the_given_id(
    live_server: LiveServer,
) -> None:
    """Reconnecting with ?last_event_id=N gives the events after N once each, then live ones."""
    hub = live_server.service.hub
    async with open_websocket_url(live_server.ws_url) as first:
        await subscribed(hub, 1)
        published = [
            hub.publish(
                RawPayload(EventType.JOB_STATUS, {"job_id": "j", "n": n}), correlation_id="j"
            )
            for n in range(10)
        ]
        with trio.fail_after(10):
            seen = [await next_event(first) for _ in published]
    assert [e["id"] for e in seen] == [e.id for e in published]
    resume_from = seen[3]["id"]

    async with open_websocket_url(f"{live_server.ws_url}?last_event_id={resume_from}") as second:
        # Published after (or, if the server subscribes late, before) the subscription:
        # either way it must arrive exactly once, after the replayed events.
        live = hub.publish(
            RawPayload(EventType.JOB_STATUS, {"job_id": "j", "n": "live"}), correlation_id="j"
        )
        with trio.fail_after(10):
            replayed = [await next_event(second) for _ in range(7)]
        hub.publish(
            RawPayload(EventType.JOB_STATUS, {"job_id": "j", "n": "end"}), correlation_id="j"
        )
        with trio.fail_after(10):
            after = await next_event(second)

    assert [e["id"] for e in replayed] == [e["id"] for e in seen[4:]] + [live.id]
    assert [e["payload"]["n"] for e in replayed] == [4, 5, 6, 7, 8, 9, "live"]
    assert after["payload"]["n"] == "end"


async def test_resume_after_a_scan_gives_the_rest_of_its_events(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    media_root: Path,
) -> None:
    """Resuming from scan_started's id replays the scan's later state changes and completion."""
    copy_as(samples["h264_aac.mp4"], media_root / "one.mp4")
    async with open_websocket_url(live_server.ws_url) as ws:
        await subscribed(live_server.service.hub, 1)
        job_id = await start_scan(client, media_root)
        events = await events_until(ws, scan_completed(job_id))
    started = next(e for e in events if e["type"] == EventType.SCAN_STARTED)

    url = f"{live_server.ws_url}?last_event_id={started['id']}"
    async with open_websocket_url(url) as ws:
        replayed = await events_until(ws, scan_completed(job_id))

    ids = [e["id"] for e in replayed]
    assert ids == sorted(set(ids))
    assert min(ids) > started["id"]
    assert [
        (e["type"], e["payload"].get("status"))
        for e in replayed
        if e["type"] != EventType.JOB_PROGRESS
    ] == [
        ("video_added", None),
        ("job_status", "complete"),
        ("scan_completed", "complete"),
    ]
    later = [e for e in events if e["id"] > started["id"] and e["type"] != "job_progress"]
    assert [e for e in replayed if e["type"] != "job_progress"] == later
    progress = [e["payload"] for e in replayed if e["type"] == EventType.JOB_PROGRESS]
    assert progress[-1]["progress"] == 1.0
    assert progress[-1]["processed"] == progress[-1]["total"] == 1


@pytest.mark.parametrize(
    ("last_event_id", "reason"),
    [
        ("1", "no longer held"),
        ("-5", "no longer held"),
        ("99999999999999999999", "no longer held"),
        ("abc", "must be an integer"),
        ("1.5", "must be an integer"),
    ],
)
async def test_unusable_last_event_id_asks_for_a_resync(
    live_server: LiveServer, last_event_id: str, reason: str
) -> None:
    """An id from long ago or one that is not a number starts with resync_required, then live."""
    hub = live_server.service.hub
    hub.publish(RawPayload(EventType.JOB_STATUS, {"job_id": "old"}), correlation_id="old")
    url = f"{live_server.ws_url}?last_event_id={last_event_id}"
    async with open_websocket_url(url) as ws:
        with trio.fail_after(10):
            first = await next_event(ws)
            await subscribed(hub, 1)
            live = hub.publish(
                RawPayload(EventType.JOB_STATUS, {"job_id": "new"}), correlation_id="new"
            )
            second = await next_event(ws)
    assert set(first) == ENVELOPE_KEYS
    assert first["type"] == "resync_required"
    assert first["id"] is None
    assert reason in first["payload"]["reason"]
    assert second["id"] == live.id
    assert second["payload"] == {"job_id": "new"}


def _progress(n: int, total: int, padding: str) -> dict[str, Any]:
    return {
        "job_id": "flood",
        "kind": "scan",
        "status": "running",
        "progress": n / total,
        "processed": n,
        "total": total,
        "current_file": padding,
    }


async def test_a_stalled_client_stays_bounded_while_a_fast_one_gets_everything(
    live_server: LiveServer,
) -> None:
    """A never-reading client's buffer stays bounded; a reading client misses no state change."""
    hub = live_server.service.hub
    total, status_every = 20_000, 10
    padding = "x" * 1000
    status_ids: list[int] = []
    received: list[dict[str, Any]] = []
    highest_buffered = 0

    async def read_all(ws: WebSocketConnection, done: trio.Event) -> None:
        while True:
            event = await next_event(ws)
            received.append(event)
            if event["payload"].get("status") == "end":
                done.set()
                return

    async with never_reading_client(live_server):
        await subscribed(hub, 1)
        (stalled,) = hub.subscribers
        async with open_websocket_url(live_server.ws_url) as ws, trio.open_nursery() as nursery:
            await subscribed(hub, 2)
            done = trio.Event()
            nursery.start_soon(read_all, ws, done)
            published_before = hub.published
            with trio.fail_after(40):
                for n in range(1, total + 1):
                    hub.publish(RawPayload(EventType.JOB_PROGRESS, _progress(n, total, padding)))
                    highest_buffered = max(highest_buffered, stalled.buffered)
                    if n % status_every == 0:
                        event = hub.publish(
                            RawPayload(
                                EventType.JOB_STATUS, {"job_id": "flood", "n": n, "pad": padding}
                            )
                        )
                        status_ids.append(event.id or 0)
                        highest_buffered = max(highest_buffered, stalled.buffered)
                        # Let the reading client drain before the next batch.
                        await trio.testing.wait_all_tasks_blocked()
                end = hub.publish(
                    RawPayload(EventType.JOB_STATUS, {"job_id": "flood", "status": "end"})
                )
                await done.wait()
            assert hub.published - published_before == total + total // status_every + 1

    assert highest_buffered <= CLIENT_BUFFER + 1
    # The stalled client really did stall: it fell behind by more than its buffer.
    assert stalled.resets >= 1
    statuses = [e["id"] for e in received if e["type"] == EventType.JOB_STATUS]
    assert statuses == [*status_ids, end.id]
    assert not any(e["type"] == EventType.RESYNC_REQUIRED for e in received)
    ids = [e["id"] for e in received]
    assert ids == sorted(set(ids))
    last_progress = [e for e in received if e["type"] == EventType.JOB_PROGRESS][-1]["payload"]
    assert last_progress["processed"] == last_progress["total"] == total
    assert last_progress["progress"] == 1.0


async def test_scan_completes_with_a_stalled_client_connected(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    media_root: Path,
) -> None:
    """A client that never reads does not hold up a scan."""
    for name, path in samples.items():
        copy_as(path, media_root / name)
    async with never_reading_client(live_server):
        await subscribed(live_server.service.hub, 1)
        stalled: Subscriber = next(iter(live_server.service.hub.subscribers))
        job_id = await start_scan(client, media_root)
        with trio.fail_after(30):
            job = await live_server.service.runner.wait(job_id)
        assert job.status == "complete"
        assert job.result is not None
        assert job.result.to_wire()["new"] == len(samples)
        assert stalled.buffered <= CLIENT_BUFFER + 1
    listing = (await client.get("/api/v1/videos")).json()
    assert listing["total"] == len(samples)
