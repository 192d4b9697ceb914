"""The client's event stream against the real server: filtering, resuming, resyncing, giving up.

Connections are broken on cue by a TCP proxy of the test's own between the stream and the
server; the server's replay buffer (``hub.history()``) is the record of what was published.
"""

from __future__ import annotations

import gc
import json
import os
import socket
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import trio
import trio.testing

import stoat_ferret
from stoat_ferret.client import (
    Client,
    ConnectionFailed,
    Event,
    EventStream,
    EventType,
    JobStatus,
    open_client,
)
from stoat_ferret.client.events import open_event_stream
from stoat_ferret.events.hub import EventHub, Subscriber
from stoat_ferret.settings import Settings

from ..conftest import LiveServer, start_live_server
from ..support.events import RawPayload
from ..support.media import copy_as
from ..support.prober import FakeProber, make_prober
from .proxy import open_proxy

REPO = Path(stoat_ferret.__file__).resolve().parent.parent
REPLAY_SIZE = 64
HEARTBEAT_INTERVAL = 0.2
#: Files per scan directory; each probe sleeps ``PROBE_DELAY`` first, one runs at a time.
FILES_PER_SCAN = 4
PROBE_DELAY = 0.2


@pytest.fixture(autouse=True)
def collect_garbage() -> Iterator[None]:
    """Collect garbage once the test is over, before the leak check counts descriptors.

    A socket a test left for the garbage collector then fails that test (as an unclosed
    socket), not whichever later test happens to run when the collector does.
    """
    yield
    gc.collect()


@pytest.fixture
def prober(tmp_path: Path) -> FakeProber:
    """ffprobe that waits PROBE_DELAY before each real probe, so a scan lasts a while."""
    return make_prober(tmp_path / "bin", f"slow={PROBE_DELAY}")


@pytest.fixture
def settings(make_settings: Callable[..., Settings], prober: FakeProber) -> Settings:
    return make_settings(
        ffprobe_path=str(prober.path),
        probe_concurrency=1,
        ws_replay_size=REPLAY_SIZE,
        ws_heartbeat_interval=HEARTBEAT_INTERVAL,
    )


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[Client]:
    async with open_client(live_server.url) as client:
        yield client


@pytest.fixture
def scan_dirs(media_root: Path, samples: dict[str, Path]) -> tuple[Path, Path]:
    """Two sibling directories (so their scans may run at once) of FILES_PER_SCAN videos each."""
    made = []
    for name in ("first", "second"):
        directory = media_root / name
        directory.mkdir()
        for i in range(FILES_PER_SCAN):
            copy_as(samples["h264_aac.mp4"], directory / f"{name}_{i}.mp4")
        made.append(directory)
    return made[0], made[1]


async def subscriber_count_becomes(hub: EventHub, count: int) -> None:
    """Wait until the server holds ``count`` /ws subscriptions (it subscribes after accepting)."""
    with trio.fail_after(10):
        while len(hub.subscribers) != count:
            await trio.testing.wait_all_tasks_blocked()


def numbered(events: list[Event]) -> list[int]:
    """The ids of ``events``, each of which must be a numbered one."""
    ids = [e.id for e in events if e.id is not None]
    assert len(ids) == len(events), events
    return ids


def job_history(hub: EventHub, job_id: str) -> list[int]:
    """The ids of every event the server published for ``job_id``, oldest first."""
    return [e.id for e in hub.history() if e.correlation_id == job_id and e.id is not None]


async def published_after(watcher: Subscriber, event_id: int | None) -> None:
    """Wait until the server publishes an event numbered above ``event_id``."""
    assert event_id is not None
    with trio.fail_after(10):
        while True:
            published = await watcher.receive()
            if published.id is not None and published.id > event_id:
                return


async def next_event(stream: EventStream) -> Event:
    with trio.fail_after(10):
        return await stream.__anext__()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_job_filter_yields_only_that_jobs_events_in_order(
    live_server: LiveServer, client: Client, scan_dirs: tuple[Path, Path]
) -> None:
    """A stream for one job, while another scan runs beside it, yields exactly that job's events."""
    hub = live_server.service.hub
    received: list[Event] = []
    others: list[Event] = []
    async with client.events() as everything:
        await subscriber_count_becomes(hub, 1)
        first = await client.scan(str(scan_dirs[0]))
        # Resuming from the newest id so far means the stream misses nothing from here on.
        mark = hub.last_id
        async with open_event_stream(
            live_server.ws_url, job_id=first.job_id, last_event_id=mark
        ) as stream:
            second = await client.scan(str(scan_dirs[1]))
            with trio.fail_after(30):
                async for event in stream:
                    received.append(event)
                    if event.type == EventType.SCAN_COMPLETED:
                        break
        # The other scan must really have run alongside, or the filter proved nothing.
        with trio.fail_after(30):
            async for event in everything:
                if event.job_id == second.job_id:
                    others.append(event)
                    if event.type == EventType.SCAN_COMPLETED:
                        break

    ids = numbered(received)
    assert all(e.job_id == first.job_id for e in received)
    assert all(e.correlation_id == first.job_id for e in received)
    assert ids == sorted(set(ids))
    assert ids == [i for i in job_history(hub, first.job_id) if i > mark]
    assert received[-1].payload["status"] == JobStatus.COMPLETE
    other_ids = numbered(others)
    assert min(other_ids) < max(ids)
    assert max(other_ids) > min(ids)


async def test_stream_resumes_after_every_drop_without_losing_or_repeating(
    live_server: LiveServer, client: Client, scan_dirs: tuple[Path, Path]
) -> None:
    """Cutting each connection mid-scan, with events published while cut off, loses none."""
    hub = live_server.service.hub
    received: list[Event] = []
    cuts = 0
    async with (
        open_proxy(live_server.url) as proxy,
        open_event_stream(proxy.url("ws", "/ws")) as stream,
    ):
        await subscriber_count_becomes(hub, 1)
        with hub.subscribe() as watcher:
            job = await client.scan(str(scan_dirs[0]))
            with trio.fail_after(30):
                async for event in stream:
                    received.append(event)
                    if event.type == EventType.SCAN_COMPLETED:
                        break
                    # Cut only where the next event is a whole probe away, so the replay
                    # after each drop holds no two progress events of the job (the server
                    # merges those by design, see docs/api.md).
                    early = event.type == EventType.SCAN_STARTED or (
                        event.type == EventType.JOB_PROGRESS
                        and event.payload["processed"] < FILES_PER_SCAN - 1
                    )
                    if not early:
                        continue
                    proxy.hold()
                    # 0 while the stream still reads what its lost connection had buffered.
                    if proxy.cut():
                        cuts += 1
                        # Keep the stream away until the server has published past here.
                        await published_after(watcher, event.id)
                    proxy.release()
        reconnects = stream.reconnects
        accepted = proxy.accepted

    # Every connection but the last was cut, and the stream came back after each cut.
    assert cuts >= 3
    assert (reconnects, accepted) == (cuts, cuts + 1)
    ids = numbered(received)
    assert ids == job_history(hub, job.job_id)
    assert ids == sorted(set(ids))
    other = (EventType.JOB_PROGRESS, EventType.VIDEO_ADDED)
    assert [e.type for e in received if e.type not in other] == [
        EventType.JOB_STATUS,
        EventType.JOB_STATUS,
        EventType.SCAN_STARTED,
        EventType.JOB_STATUS,
        EventType.SCAN_COMPLETED,
    ]
    added = [i for e in received if e.type == EventType.VIDEO_ADDED for i in e.payload["video_ids"]]
    assert len(set(added)) == len(added) == FILES_PER_SCAN
    assert [e.payload["processed"] for e in received if e.type == EventType.JOB_PROGRESS] == [
        *range(FILES_PER_SCAN + 1),
        FILES_PER_SCAN,
    ]


async def test_drop_before_any_event_loses_nothing(live_server: LiveServer) -> None:
    """An event published while a fresh stream is reconnecting still arrives (or a resync does)."""
    hub = live_server.service.hub
    async with (
        open_proxy(live_server.url) as proxy,
        open_event_stream(proxy.url("ws", "/ws")) as stream,
    ):
        await subscriber_count_becomes(hub, 1)
        proxy.hold()
        assert proxy.cut() == 1
        with trio.fail_after(10):
            await proxy.held.wait()
        await subscriber_count_becomes(hub, 0)
        missed = hub.publish(
            RawPayload(EventType.JOB_STATUS, {"job_id": "gap"}), correlation_id="gap"
        )
        proxy.release()
        await subscriber_count_becomes(hub, 1)
        later = hub.publish(
            RawPayload(EventType.JOB_STATUS, {"job_id": "later"}), correlation_id="later"
        )
        first = await next_event(stream)

    assert stream.reconnects == 1
    assert first.resync_required or first.id == missed.id, (
        f"event {missed.id} published during the reconnection was lost: the stream went on "
        f"with {first.id} ({first.payload}) and no resync_required; later={later.id}"
    )


async def test_resume_from_an_id_older_than_the_replay_buffer_asks_for_a_resync(
    live_server: LiveServer,
) -> None:
    """A last_event_id the server no longer holds yields resync_required first, then live events."""
    hub = live_server.service.hub
    published = [
        hub.publish(
            RawPayload(EventType.JOB_STATUS, {"job_id": "old", "n": n}), correlation_id="old"
        )
        for n in range(REPLAY_SIZE + 2)
    ]
    too_old = published[0].id
    assert too_old is not None
    async with open_event_stream(live_server.ws_url, last_event_id=too_old) as stream:
        first = await next_event(stream)
        live = hub.publish(
            RawPayload(EventType.JOB_STATUS, {"job_id": "new"}), correlation_id="new"
        )
        second = await next_event(stream)

    assert first.resync_required
    assert (first.id, first.type, first.correlation_id) == (None, "resync_required", None)
    assert first.payload == {
        "reason": f"events after id {too_old} are no longer held; fetch current state over HTTP"
    }
    assert (second.id, second.payload) == (live.id, {"job_id": "new"})
    assert stream.last_event_id == live.id


async def test_resume_from_an_id_of_another_run_asks_for_a_resync_then_goes_live(
    live_server: LiveServer, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """An id from another server run yields resync_required, then that server's live events."""
    other_settings = make_settings(database_path=tmp_path / "other" / "library.db")
    async for other in start_live_server(other_settings):
        other_id = other.service.hub.publish(
            RawPayload(EventType.JOB_STATUS, {"job_id": "elsewhere"})
        ).id
    assert other_id is not None
    hub = live_server.service.hub
    async with open_event_stream(live_server.ws_url, last_event_id=other_id) as stream:
        first = await next_event(stream)
        live = hub.publish(
            RawPayload(EventType.JOB_STATUS, {"job_id": "here"}), correlation_id="here"
        )
        second: Event | None = None
        with trio.move_on_after(2):
            second = await stream.__anext__()

    assert first.resync_required
    assert first.payload["reason"].startswith(f"events after id {other_id} are no longer held")
    assert second is not None, (
        f"event {live.id} never arrived: after the resync the stream still discards every "
        f"event numbered at or below the other run's id {other_id}"
    )
    assert (second.id, second.payload) == (live.id, {"job_id": "here"})


async def test_heartbeats_are_yielded_only_when_asked_for(live_server: LiveServer) -> None:
    """Heartbeats are left out of a stream by default and yielded with heartbeats=True."""
    hub = live_server.service.hub
    async with open_event_stream(live_server.ws_url) as quiet:
        await subscriber_count_becomes(hub, 1)
        async with open_event_stream(live_server.ws_url, heartbeats=True) as beating:
            beats = [await next_event(beating), await next_event(beating)]
        # The quiet stream's connection is older, so it was idle through these beats too.
        published = hub.publish(
            RawPayload(EventType.JOB_STATUS, {"job_id": "j"}), correlation_id="j"
        )
        event = await next_event(quiet)

    assert published.id is not None
    for beat in beats:
        assert (beat.type, beat.id, beat.correlation_id) == (EventType.HEARTBEAT, None, None)
        assert beat.payload == {"last_event_id": published.id - 1}
    assert (event.id, event.type) == (published.id, EventType.JOB_STATUS)


async def test_iteration_raises_connection_failed_when_the_server_is_gone_for_good(
    live_server: LiveServer,
) -> None:
    """Once the server stays unreachable for reconnect_attempts tries, iteration raises."""
    hub = live_server.service.hub
    async with open_proxy(live_server.url) as proxy:
        ws_url = proxy.url("ws", "/ws")
        async with open_event_stream(ws_url, reconnect_attempts=3) as stream:
            await subscriber_count_becomes(hub, 1)
            seen = hub.publish(
                RawPayload(EventType.JOB_STATUS, {"job_id": "j"}), correlation_id="j"
            )
            assert (await next_event(stream)).id == seen.id
            await proxy.stop_listening()
            assert proxy.cut() == 1
            with trio.fail_after(20), pytest.raises(ConnectionFailed) as failed:
                await stream.__anext__()
            # It stays failed: a later read raises again rather than hanging.
            with trio.fail_after(5), pytest.raises(ConnectionFailed):
                await stream.__anext__()

    assert failed.value.url == ws_url
    assert str(failed.value).startswith(f"cannot reach stoat-ferret at {ws_url}: ")
    assert stream.last_event_id == seen.id


async def test_opening_a_stream_to_a_closed_port_raises_connection_failed() -> None:
    """A stream that can never connect raises ConnectionFailed naming the URL, not a group."""
    ws_url = f"ws://127.0.0.1:{closed_port()}/ws"
    with trio.fail_after(20), pytest.raises(ConnectionFailed) as failed:
        async with open_event_stream(ws_url, reconnect_attempts=2):
            pytest.fail("the stream opened without a server")
    assert failed.value.url == ws_url


def test_importing_the_client_loads_no_server_code() -> None:
    """``import stoat_ferret.client`` pulls in neither the server's packages nor SQLite."""
    forbidden = [
        "quart",
        "quart_trio",
        "quart_schema",
        "hypercorn",
        "sqlite3",
        "stoat_ferret.api",
        "stoat_ferret.service",
        "stoat_ferret.server",
        "stoat_ferret.library",
        "stoat_ferret.jobs",
        "stoat_ferret.scan",
        "stoat_ferret.events",
    ]
    code = (
        "import json, sys\n"
        "import stoat_ferret.client\n"
        f"forbidden = {forbidden!r}\n"
        "loaded = sorted(m for m in sys.modules for f in forbidden\n"
        "                if m == f or m.startswith(f + '.'))\n"
        "print(json.dumps({'client': 'stoat_ferret.client' in sys.modules, 'loaded': loaded}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert json.loads(done.stdout) == {"client": True, "loaded": []}


def test_client_package_is_typed_and_mypy_strict_clean() -> None:
    """mypy --strict finds nothing in stoat_ferret/client, and the py.typed marker ships."""
    marker = REPO / "stoat_ferret" / "py.typed"
    assert marker.is_file()
    with open(REPO / "pyproject.toml", "rb") as f:
        package_data = tomllib.load(f)["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["stoat_ferret"]

    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "stoat_ferret/client"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "MYPY_FORCE_COLOR": "0"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("Success: no issues found in 7 source files")
