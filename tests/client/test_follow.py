"""Client.follow: a job's snapshots as it changes, ending at its final state.

Against the real server, with one job running at a time and an ffprobe that hangs on
files whose name holds "hang", so a test decides when a job may run and end. Connections
are broken on cue by a TCP proxy between the client and the server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing

from stoat_ferret.client import (
    Client,
    Event,
    EventType,
    Job,
    JobKind,
    JobStatus,
    NotFound,
    ProtocolError,
    open_client,
)
from stoat_ferret.client.follow import apply_event
from stoat_ferret.events.hub import EventHub
from stoat_ferret.settings import Settings

from ..conftest import LiveServer
from ..support.events import RawPayload
from ..support.media import copy_as
from ..support.prober import FakeProber, make_prober
from ..support.waiting import wait_for_spawns
from .expected import expected_scan
from .proxy import open_proxy

REPLAY_SIZE = 8
RANK = {JobStatus.PENDING: 0, JobStatus.RUNNING: 1}


@pytest.fixture
def prober(tmp_path: Path) -> FakeProber:
    """ffprobe that hangs on files named *hang* and is the real one for the rest."""
    return make_prober(tmp_path / "bin", "hang-on=hang")


@pytest.fixture
def settings(make_settings: Callable[..., Settings], prober: FakeProber) -> Settings:
    """One job at a time, and a small replay buffer, so a test can outrun it."""
    return make_settings(
        ffprobe_path=str(prober.path), max_running_jobs=1, ws_replay_size=REPLAY_SIZE
    )


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[Client]:
    async with open_client(live_server.url) as client:
        yield client


def make_dir(root: Path, name: str, sample: Path, files: list[str]) -> Path:
    directory = root / name
    directory.mkdir()
    for file_name in files:
        copy_as(sample, directory / file_name)
    return directory


@pytest.fixture
def quick_dir(media_root: Path, samples: dict[str, Path]) -> Path:
    return make_dir(media_root, "quick", samples["h264_aac.mp4"], ["one.mp4", "two.mp4"])


@pytest.fixture
def stuck_dir(media_root: Path, samples: dict[str, Path]) -> Path:
    return make_dir(media_root, "stuck", samples["h264_aac.mp4"], ["hang_a.mp4", "hang_b.mp4"])


@pytest.fixture
def half_stuck_dir(media_root: Path, samples: dict[str, Path]) -> Path:
    """One video that probes, one whose probe hangs (two probes run at once)."""
    return make_dir(media_root, "half", samples["h264_aac.mp4"], ["clip.mp4", "hang.mp4"])


async def subscriber_count_becomes(hub: EventHub, count: int) -> None:
    """Wait until the server holds ``count`` /ws subscriptions."""
    with trio.fail_after(10):
        while len(hub.subscribers) != count:
            await trio.testing.wait_all_tasks_blocked()


def assert_a_life(snapshots: list[Job]) -> None:
    """Snapshots of one job: each differs from the last, none goes back, only the last ends."""
    assert snapshots, "no snapshot at all"
    assert all(not job.terminal for job in snapshots[:-1])
    assert snapshots[-1].terminal
    for before, after in pairwise(snapshots):
        assert after != before
        assert after.processed >= before.processed
        if not after.terminal:
            assert RANK[after.status] >= RANK[before.status]


async def test_follow_yields_each_change_and_ends_at_the_final_state(
    client: Client, stuck_dir: Path, quick_dir: Path, prober: FakeProber
) -> None:
    """A job followed from pending yields pending, running and progress, then ends complete."""
    blocker = await client.scan(str(stuck_dir))
    await wait_for_spawns(prober, 2)
    job = await client.scan(str(quick_dir))
    snapshots: list[Job] = []

    with trio.fail_after(30):
        async with client.follow(job.job_id) as updates:
            async for snapshot in updates:
                snapshots.append(snapshot)
                if len(snapshots) == 1:
                    # Let it run: it waited behind the blocker until now.
                    await client.cancel_job(blocker.job_id)

    assert_a_life(snapshots)
    first, final = snapshots[0], snapshots[-1]
    assert first == job
    assert first.status is JobStatus.PENDING
    assert JobStatus.RUNNING in {s.status for s in snapshots}
    assert any(s.processed == 2 and s.total == 2 for s in snapshots[:-1])
    assert final.status is JobStatus.COMPLETE
    assert final.result == expected_scan(2, new=2)
    assert final == await client.get_job(job.job_id)
    assert updates.job == final
    assert (updates.reconnects, updates.resyncs) == (0, 0)
    # It is over: asking for more gives nothing.
    with pytest.raises(StopAsyncIteration):
        await updates.__anext__()


async def test_following_a_finished_job_yields_it_once(client: Client, quick_dir: Path) -> None:
    """A job that has already ended gives one snapshot, the final one."""
    job = await client.scan(str(quick_dir))
    final = await client.wait(job.job_id)

    with trio.fail_after(10):
        async with client.follow(job.job_id) as updates:
            snapshots = [snapshot async for snapshot in updates]

    assert snapshots == [final]
    assert final.status is JobStatus.COMPLETE


async def test_following_an_unknown_job_raises_not_found(client: Client) -> None:
    """follow() of an id the server never issued raises NotFound itself, not a group."""
    with pytest.raises(NotFound) as raised:
        async with client.follow("no-such-job"):
            pytest.fail("follow() began for a job that does not exist")
    assert raised.value.message == "no job with id 'no-such-job'"


async def test_follow_survives_a_dropped_connection(
    live_server: LiveServer, client: Client, half_stuck_dir: Path, prober: FakeProber
) -> None:
    """Cut off while the job ends, follow() resumes on a new connection and ends cancelled."""
    hub = live_server.service.hub
    job = await client.scan(str(half_stuck_dir))
    snapshots: list[Job] = []
    cuts = 0
    async with open_proxy(live_server.url) as proxy, open_client(proxy.url("http")) as remote:
        with trio.fail_after(30):
            async with remote.follow(job.job_id) as updates:
                async for snapshot in updates:
                    snapshots.append(snapshot)
                    if snapshot.processed == 1 and not cuts:
                        await wait_for_spawns(prober, 2)
                        proxy.hold()
                        cuts = proxy.cut()
                        await subscriber_count_becomes(hub, 0)
                        # The job ends while nobody follows it.
                        await client.cancel_job(job.job_id)
                        proxy.release()

    assert cuts >= 1
    assert_a_life(snapshots)
    final = snapshots[-1]
    assert (final.status, final.error) == (JobStatus.CANCELLED, "cancelled on request")
    assert final.result == expected_scan(2, new=1)
    assert final == await client.get_job(job.job_id)
    assert (updates.reconnects, updates.resyncs) == (1, 0)


async def test_follow_reads_the_job_over_http_after_a_resync(
    live_server: LiveServer, client: Client, stuck_dir: Path, prober: FakeProber
) -> None:
    """When the events it missed are gone, follow() takes the job as HTTP gives it, and ends."""
    hub = live_server.service.hub
    job = await client.scan(str(stuck_dir))
    await wait_for_spawns(prober, 2)
    snapshots: list[Job] = []
    async with open_proxy(live_server.url) as proxy, open_client(proxy.url("http")) as remote:
        with trio.fail_after(30):
            async with remote.follow(job.job_id) as updates:
                async for snapshot in updates:
                    snapshots.append(snapshot)
                    if len(snapshots) == 1:
                        proxy.hold()
                        assert proxy.cut() >= 1
                        await subscriber_count_becomes(hub, 0)
                        await client.cancel_job(job.job_id)
                        # More events than the server keeps: resuming is impossible.
                        for n in range(REPLAY_SIZE + 2):
                            hub.publish(RawPayload(EventType.JOB_STATUS, {"job_id": f"other-{n}"}))
                        proxy.release()

    assert [s.status for s in snapshots] == [JobStatus.RUNNING, JobStatus.CANCELLED]
    assert snapshots[-1] == await client.get_job(job.job_id)
    assert (updates.reconnects, updates.resyncs) == (1, 1)


# -- apply_event ------------------------------------------------------------------------------

CREATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def a_job(**changes: Any) -> Job:
    values: dict[str, Any] = {
        "job_id": "j",
        "kind": JobKind.SCAN,
        "status": JobStatus.RUNNING,
        "params": {"path": "/m"},
        "progress": 0.3,
        "processed": 3,
        "total": 10,
        "current_file": "/m/c.mp4",
        "created_at": CREATED,
        "started_at": CREATED,
    }
    values.update(changes)
    return Job(**values)


def progress_event(**payload: Any) -> Event:
    values = {
        "job_id": "j",
        "kind": "scan",
        "status": "running",
        "progress": 0.5,
        "processed": 5,
        "total": 10,
        "current_file": "/m/e.mp4",
    }
    values.update(payload)
    return Event(id=1, type=EventType.JOB_PROGRESS, payload=values, timestamp=CREATED)


def status_event(job: Job) -> Event:
    return Event(id=1, type=EventType.JOB_STATUS, payload=job.to_json(), timestamp=CREATED)


def test_progress_moves_the_counts_forward() -> None:
    """A job_progress event with more done updates progress, counts and the current file."""
    assert apply_event(a_job(), progress_event()) == a_job(
        progress=0.5, processed=5, current_file="/m/e.mp4"
    )


def test_old_progress_other_jobs_and_other_types_change_nothing() -> None:
    """Progress behind what is known, another job's events, and other types leave the job."""
    job = a_job()
    for event in [
        progress_event(processed=2, progress=0.2),
        progress_event(job_id="other"),
        Event(id=1, type=EventType.SCAN_STARTED, payload={"job_id": "j"}, timestamp=CREATED),
        Event(id=1, type="something_new", payload={"job_id": "j"}, timestamp=CREATED),
    ]:
        assert apply_event(job, event) is job, event


def test_a_stale_status_never_takes_a_job_back() -> None:
    """An earlier status is ignored; a running snapshot with fewer files done keeps the counts."""
    job = a_job()
    assert apply_event(job, status_event(a_job(status=JobStatus.PENDING, processed=0))) is job
    older = a_job(processed=1, progress=0.1, current_file="/m/a.mp4", params={"path": "/n"})
    assert apply_event(job, status_event(older)) == a_job(params={"path": "/n"})


def test_a_final_status_replaces_the_job_and_then_nothing_changes_it() -> None:
    """A terminal job_status is taken whole; after it, no event changes the job."""
    final = a_job(status=JobStatus.CANCELLED, processed=4, error="cancelled on request")
    ended = apply_event(a_job(processed=6), status_event(final))
    assert ended == final
    assert apply_event(ended, progress_event(processed=9)) is ended
    assert apply_event(ended, status_event(a_job(status=JobStatus.COMPLETE))) is ended


def test_malformed_progress_raises_protocol_error() -> None:
    """A job_progress payload with counts of the wrong type raises ProtocolError."""
    with pytest.raises(ProtocolError):
        apply_event(a_job(), progress_event(processed="5"))
