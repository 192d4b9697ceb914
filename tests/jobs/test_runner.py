"""The job runner against a real SQLite library, a real event hub and real metrics.

Job bodies are written here and steered with trio events, so every test knows
exactly where each job stands when it looks.

Clocks: most tests use the real clock and never wait on it. The timeout test uses
``autojump_clock``; the tests that report progress while time passes use the manual
``mock_clock`` instead, because autojump counts a task that waits on a SQLite worker
thread as blocked and leaps to the next deadline in the middle of the write (see
``test_timed_out_job_keeps_its_partial_result``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio
import trio.testing

from stoat_ferret.events.hub import Event, EventHub, Subscriber
from stoat_ferret.events.jobs import JobEvents
from stoat_ferret.jobs.errors import JobAlreadyTerminal, JobNotFound, RunnerClosed
from stoat_ferret.jobs.models import JobSnapshot
from stoat_ferret.jobs.results import JobResult, ScanResult
from stoat_ferret.jobs.runner import (
    PROGRESS_EVENT_INTERVAL,
    JobContext,
    JobRunner,
    JobSpec,
    open_job_runner,
)
from stoat_ferret.library.store import Library, open_library
from stoat_ferret.metrics import Metrics
from stoat_ferret.protocol import EventType, JobKind, JobStatus
from stoat_ferret.timestamps import parse_timestamp

Body = Callable[[JobContext], Awaitable[JobResult | None]]

CANCELLED_ERROR = "cancelled on request"
INTERRUPTED_ERROR = "the server stopped before the job finished"


# -- helpers -------------------------------------------------------------------------------


PARAMS = {"path": "/media", "recursive": True, "force": False}


def make_spec(body: Body, *, timeout: float = 3600.0, **extra: Any) -> JobSpec:
    """A scan-kind job running ``body`` (the runner itself knows nothing of scans)."""
    return JobSpec(kind=JobKind.SCAN, body=body, timeout=timeout, params=PARAMS, **extra)


def finished_count(metrics: Metrics, status: JobStatus) -> float | None:
    """``stoat_jobs_finished_total`` of scan jobs that ended ``status``, as /metrics shows it."""
    return metrics.registry.get_sample_value(
        "stoat_jobs_finished_total", {"kind": "scan", "status": str(status)}
    )


async def drain(subscriber: Subscriber) -> list[Event]:
    """Every event the subscriber holds now (receive() does not block while some are held)."""
    events = []
    while subscriber.buffered:
        events.append(await subscriber.receive())
    return events


def statuses(events: list[Event], job_id: str) -> list[str]:
    """The job_status sequence one job went through."""
    return [
        e.payload["status"]
        for e in events
        if e.type == EventType.JOB_STATUS and e.payload["job_id"] == job_id
    ]


def progress_events(events: list[Event], job_id: str) -> list[Event]:
    return [e for e in events if e.type == EventType.JOB_PROGRESS and e.payload["job_id"] == job_id]


@attrs.define(eq=False)
class Controlled:
    """A job body that optionally reports, signals that it runs, then waits to be released."""

    result: JobResult | None = attrs.field(factory=lambda: ScanResult(scanned=1))
    partial: JobResult | None = None
    started: trio.Event = attrs.field(factory=trio.Event)
    release: trio.Event = attrs.field(factory=trio.Event)
    runs: int = 0
    saw_cancel: bool = False

    async def __call__(self, ctx: JobContext) -> JobResult | None:
        self.runs += 1
        if self.partial is not None:
            ctx.report(processed=3, total=10, current_file="c.mp4", partial_result=self.partial)
        self.started.set()
        try:
            await self.release.wait()
        except trio.Cancelled:
            self.saw_cancel = True
            raise
        return self.result


def recording(body: Body, raised: list[BaseException]) -> Body:
    """Wrap ``body`` so the exception it raises is kept for the test to inspect."""

    async def run(ctx: JobContext) -> JobResult | None:
        try:
            return await body(ctx)
        except BaseException as exc:
            raised.append(exc)
            raise

    return run


def in_state(runner: JobRunner, jobs: list[JobSnapshot], status: JobStatus) -> list[str]:
    """Ids of the live jobs among ``jobs`` that are in ``status`` now."""
    ids = []
    for job in jobs:
        snapshot = runner.live_snapshot(job.job_id)
        if snapshot is not None and snapshot.status is status:
            ids.append(job.job_id)
    return ids


# -- the happy path ------------------------------------------------------------------------


async def test_job_goes_pending_running_complete_with_events_in_order(
    runner: JobRunner, hub: EventHub, library: Library, metrics: Metrics
) -> None:
    """A job is published pending, running, complete (in that order) and stored complete."""
    body = Controlled(result=ScanResult(scanned=2))
    spec = make_spec(body)
    with hub.subscribe() as sub:
        first = await runner.submit(spec)
        assert first.status is JobStatus.PENDING
        assert first.started_at is None
        await body.started.wait()
        running = runner.live_snapshot(first.job_id)
        assert running is not None
        assert running.status is JobStatus.RUNNING
        assert running.started_at is not None
        assert await library.get_job(first.job_id) == running
        body.release.set()
        final = await runner.wait(first.job_id)
        events = await drain(sub)

    assert final.status is JobStatus.COMPLETE
    assert final.result == ScanResult(scanned=2)
    assert final.progress == 1.0
    assert final.error is None
    assert final.finished_at is not None
    assert [e.type for e in events] == [
        "job_status",
        "job_status",
        "scan_started",
        "job_progress",
        "job_status",
        "scan_completed",
    ]
    assert statuses(events, first.job_id) == ["pending", "running", "complete"]
    ids = [e.id for e in events if e.id is not None]
    assert len(ids) == len(events)
    assert ids == sorted(set(ids))
    assert events[3].payload["progress"] == 1.0
    assert events[2].payload == {"job_id": first.job_id, **PARAMS}
    assert events[4].payload == final.to_wire()
    assert events[5].payload == {
        "job_id": first.job_id,
        **PARAMS,
        "status": "complete",
        "result": ScanResult(scanned=2).to_wire(),
        "error": None,
    }
    assert await library.get_job(first.job_id) == final
    assert await runner.get(first.job_id) == final
    assert finished_count(metrics, JobStatus.COMPLETE) == 1


# -- failures ------------------------------------------------------------------------------


async def fail_plainly(ctx: JobContext) -> None:
    raise ValueError("disk on fire")


async def fail_without_message(ctx: JobContext) -> None:
    raise LookupError


async def fail_in_child_task(ctx: JobContext) -> None:
    async def probe() -> None:
        await trio.lowlevel.checkpoint()
        raise OSError("probe exploded")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.sleep_forever)
        nursery.start_soon(probe)


async def fail_in_nested_nursery(ctx: JobContext) -> None:
    async with trio.open_nursery() as nursery:
        nursery.start_soon(fail_in_child_task, ctx)


@pytest.mark.parametrize(
    ("body", "expected", "message"),
    [
        (fail_plainly, pytest.RaisesExc(ValueError, match="^disk on fire$"), "disk on fire"),
        (fail_without_message, pytest.RaisesExc(LookupError), "LookupError"),
        (
            fail_in_child_task,
            pytest.RaisesGroup(pytest.RaisesExc(OSError, match="^probe exploded$")),
            "probe exploded",
        ),
        (
            fail_in_nested_nursery,
            pytest.RaisesGroup(pytest.RaisesGroup(OSError)),
            "probe exploded",
        ),
    ],
    ids=["plain", "no-message", "exception-group", "nested-group"],
)
async def test_failed_job_records_the_leaf_error_message(
    runner: JobRunner,
    hub: EventHub,
    library: Library,
    body: Body,
    expected: pytest.RaisesExc[BaseException] | pytest.RaisesGroup[BaseException],
    message: str,
) -> None:
    """A body that raises ends failed, with the message of the (first leaf) exception."""
    raised: list[BaseException] = []
    with hub.subscribe() as sub:
        job = await runner.submit(make_spec(recording(body, raised)))
        final = await runner.wait(job.job_id)
        events = await drain(sub)

    assert len(raised) == 1
    assert expected.matches(raised[0]), expected.fail_reason
    assert final.status is JobStatus.FAILED
    assert final.error == message
    assert statuses(events, job.job_id) == ["pending", "running", "failed"]
    assert await library.get_job(job.job_id) == final


# -- timeouts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("work", "status", "error", "ran_for"),
    [
        (29.0, JobStatus.COMPLETE, None, 29.0),
        (31.0, JobStatus.TIMEOUT, "the job ran longer than its limit of 30s", 30.0),
    ],
    ids=["just-inside", "over-the-limit"],
)
async def test_timeout_ends_the_job_at_its_limit(
    runner: JobRunner,
    library: Library,
    metrics: Metrics,
    autojump_clock: trio.testing.MockClock,
    work: float,
    status: JobStatus,
    error: str | None,
    ran_for: float,
) -> None:
    """A body still running at its spec's limit ends as timeout then, and not before."""
    # autojump is sound here although the Library writes from worker threads: the
    # limit's scope opens only after the running row is written, and this body reports
    # no progress, so no write is in flight while the limit counts down. The final write
    # then runs alone; a leap past FINAL_SAVE_TIMEOUT while it is in its thread cannot
    # abandon it, as a thread call already under way is not cancellable.
    times: dict[str, float] = {}

    async def body(ctx: JobContext) -> ScanResult:
        times["start"] = trio.current_time()
        try:
            await trio.sleep(work)
        finally:
            times["end"] = trio.current_time()
        return ScanResult(scanned=int(work))

    job = await runner.submit(make_spec(body, timeout=30.0))
    final = await runner.wait(job.job_id)

    assert final.status is status
    assert final.error == error
    assert times["end"] - times["start"] == pytest.approx(ran_for)
    assert await library.get_job(job.job_id) == final
    assert finished_count(metrics, status) == 1


async def test_timed_out_job_keeps_its_partial_result(
    runner: JobRunner, library: Library, mock_clock: trio.testing.MockClock
) -> None:
    """A job that times out keeps the partial result and progress it last reported."""
    # The manual clock, not autojump: this body reports progress, so the runner's
    # once-a-second history write may be in its SQLite thread when the limit expires.
    # Autojump treats that wait as idle, the final write queues behind it, the clock
    # leaps past FINAL_SAVE_TIMEOUT and the timeout row is never stored (seen in about
    # one run in twenty). A small real timeout would work but would race the scheduler;
    # here time moves only when the test moves it, so every run takes the same path.
    body = Controlled(partial=ScanResult(scanned=3))
    job = await runner.submit(make_spec(body, timeout=5.0))
    await body.started.wait()
    mock_clock.jump(5.0)
    final = await runner.wait(job.job_id)

    assert body.saw_cancel
    assert final.status is JobStatus.TIMEOUT
    assert final.error == "the job ran longer than its limit of 5s"
    assert final.result == ScanResult(scanned=3)
    assert (final.progress, final.processed, final.total) == (0.3, 3, 10)
    assert await library.get_job(job.job_id) == final


# -- the cap on running jobs ---------------------------------------------------------------


async def test_running_jobs_are_capped_and_the_rest_stay_pending(
    runner: JobRunner, metrics: Metrics
) -> None:
    """With two slots, two of four jobs run and two stay pending until a slot frees up."""
    active = peak = 0

    def tracked(body: Controlled) -> Body:
        async def run(ctx: JobContext) -> JobResult | None:
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            try:
                return await body(ctx)
            finally:
                active -= 1

        return run

    bodies = [Controlled() for _ in range(4)]
    jobs = [await runner.submit(make_spec(tracked(b))) for b in bodies]
    by_id = {job.job_id: body for job, body in zip(jobs, bodies, strict=True)}
    await trio.testing.wait_all_tasks_blocked()

    running = in_state(runner, jobs, JobStatus.RUNNING)
    pending = in_state(runner, jobs, JobStatus.PENDING)
    assert (len(running), len(pending)) == (2, 2)
    for job_id in running:
        await by_id[job_id].started.wait()
    assert [by_id[job_id].runs for job_id in pending] == [0, 0]
    assert metrics.registry.get_sample_value("stoat_jobs_running") == 2
    assert metrics.registry.get_sample_value("stoat_jobs_pending") == 2

    by_id[running[0]].release.set()
    assert (await runner.wait(running[0])).status is JobStatus.COMPLETE
    await trio.testing.wait_all_tasks_blocked()
    assert len(in_state(runner, jobs, JobStatus.RUNNING)) == 2
    assert len(in_state(runner, jobs, JobStatus.PENDING)) == 1

    for body in bodies:
        body.release.set()
    finals = [await runner.wait(job.job_id) for job in jobs]
    assert [f.status for f in finals] == [JobStatus.COMPLETE] * 4
    assert [b.runs for b in bodies] == [1, 1, 1, 1]
    assert peak == 2


# -- cancellation --------------------------------------------------------------------------


async def test_cancelled_pending_job_never_starts(
    runner: JobRunner, hub: EventHub, library: Library
) -> None:
    """A job cancelled while pending ends cancelled without its body ever running."""
    blockers = [Controlled(), Controlled()]
    waiting = Controlled()
    with hub.subscribe() as sub:
        holding = [await runner.submit(make_spec(b)) for b in blockers]
        job = await runner.submit(make_spec(waiting))
        for blocker in blockers:
            await blocker.started.wait()
        await trio.testing.wait_all_tasks_blocked()
        assert runner.live_snapshot(job.job_id) == job

        snapshot, finished = await runner.cancel(job.job_id)

        for blocker in blockers:
            blocker.release.set()
        for held in holding:
            await runner.wait(held.job_id)
        await trio.testing.wait_all_tasks_blocked()
        events = await drain(sub)

    assert finished is True
    assert snapshot.status is JobStatus.CANCELLED
    assert snapshot.started_at is None
    assert snapshot.error == CANCELLED_ERROR
    assert snapshot.result is None
    assert waiting.runs == 0
    assert statuses(events, job.job_id) == ["pending", "cancelled"]
    assert progress_events(events, job.job_id) == []
    assert await library.get_job(job.job_id) == snapshot


async def test_cancelling_a_running_job_keeps_its_partial_result(
    runner: JobRunner, hub: EventHub, library: Library, metrics: Metrics
) -> None:
    """Cancelling a running job ends it cancelled at once, keeping its partial result."""
    body = Controlled(partial=ScanResult(scanned=3))
    with hub.subscribe() as sub:
        job = await runner.submit(make_spec(body))
        await body.started.wait()
        snapshot, finished = await runner.cancel(job.job_id)
        events = await drain(sub)

    assert finished is True
    assert body.saw_cancel
    assert snapshot.status is JobStatus.CANCELLED
    assert snapshot.error == CANCELLED_ERROR
    assert snapshot.result == ScanResult(scanned=3)
    assert (snapshot.progress, snapshot.processed, snapshot.current_file) == (0.3, 3, "c.mp4")
    assert snapshot.started_at is not None
    assert snapshot.finished_at is not None
    assert statuses(events, job.job_id) == ["pending", "running", "cancelled"]
    assert await library.get_job(job.job_id) == snapshot
    assert finished_count(metrics, JobStatus.CANCELLED) == 1
    with pytest.raises(JobAlreadyTerminal, match=r"has already finished as cancelled$"):
        await runner.cancel(job.job_id)


async def test_cancel_that_races_a_finishing_body_loses(
    runner: JobRunner, hub: EventHub, library: Library
) -> None:
    """A cancel fired while the body is in its last (shielded) step loses to completion."""
    in_last_step = trio.Event()
    finish = trio.Event()

    async def body(ctx: JobContext) -> ScanResult:
        # The last step cannot be interrupted; after it the body returns without a
        # checkpoint, so the cancel already fired at its scope is never delivered.
        with trio.CancelScope(shield=True):
            in_last_step.set()
            await finish.wait()
        return ScanResult(scanned=5)

    refused: list[JobAlreadyTerminal] = []

    async def cancel_it(job_id: str) -> None:
        with pytest.raises(JobAlreadyTerminal, match=r"has already finished as complete$") as err:
            await runner.cancel(job_id)
        refused.append(err.value)

    with hub.subscribe() as sub:
        job = await runner.submit(make_spec(body))
        await in_last_step.wait()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(cancel_it, job.job_id)
            await trio.testing.wait_all_tasks_blocked()
            # The cancel has fired and is waiting for the job to end.
            assert refused == []
            live = runner.live_snapshot(job.job_id)
            assert live is not None
            assert live.status is JobStatus.RUNNING
            finish.set()
        events = await drain(sub)

    assert len(refused) == 1
    final = refused[0].job
    assert final.status is JobStatus.COMPLETE
    assert final.result == ScanResult(scanned=5)
    assert final.progress == 1.0
    assert final.error is None
    assert statuses(events, job.job_id) == ["pending", "running", "complete"]
    assert await library.get_job(job.job_id) == final


async def test_cancel_requested_by_the_body_as_it_returns_loses(
    runner: JobRunner, library: Library
) -> None:
    """A cancel the body requests just before returning (no checkpoint between) loses."""
    refused: list[JobAlreadyTerminal] = []

    async def cancel_it(job_id: str) -> None:
        with pytest.raises(JobAlreadyTerminal, match=r"has already finished as complete$") as err:
            await runner.cancel(job_id)
        refused.append(err.value)

    async with trio.open_nursery() as nursery:

        async def body(ctx: JobContext) -> ScanResult:
            await trio.lowlevel.checkpoint()
            nursery.start_soon(cancel_it, ctx.job_id)
            return ScanResult(scanned=1)

        job = await runner.submit(make_spec(body))
        final = await runner.wait(job.job_id)

    assert len(refused) == 1
    assert refused[0].job.status is JobStatus.COMPLETE
    assert final.status is JobStatus.COMPLETE
    assert final.result == ScanResult(scanned=1)
    assert await library.get_job(job.job_id) == final


async def test_terminal_state_never_changes(
    runner: JobRunner, hub: EventHub, library: Library
) -> None:
    """Cancelling a complete job is refused, changes nothing, and publishes nothing."""
    body = Controlled(result=ScanResult(scanned=4))
    body.release.set()
    job = await runner.submit(make_spec(body))
    final = await runner.wait(job.job_id)
    assert final.status is JobStatus.COMPLETE

    with hub.subscribe() as sub:
        for _ in range(2):
            with pytest.raises(JobAlreadyTerminal, match=r"has already finished as complete$"):
                await runner.cancel(job.job_id)
        await trio.testing.wait_all_tasks_blocked()
        assert sub.buffered == 0

    assert await runner.get(job.job_id) == final
    assert await library.get_job(job.job_id) == final


async def test_final_state_the_database_refused_is_kept_and_stored_later(
    runner: JobRunner, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A final state the database refused stays served from memory until a retry stores it."""
    save_job = library.save_job
    refusals: list[JobStatus] = []
    final_stored = trio.Event()

    async def refuse_final_states_twice(job: JobSnapshot) -> None:
        if job.status.terminal and len(refusals) < 2:
            refusals.append(job.status)
            raise sqlite3.OperationalError("database is locked")
        await save_job(job)
        if job.status.terminal:
            final_stored.set()

    monkeypatch.setattr(library, "save_job", refuse_final_states_twice)
    body = Controlled()
    job = await runner.submit(make_spec(body))
    await body.started.wait()
    body.release.set()

    final = await runner.wait(job.job_id)

    assert final.status is JobStatus.COMPLETE
    assert refusals == [JobStatus.COMPLETE]
    assert await runner.get(job.job_id) == final
    assert runner.live_count == 1
    stored = await library.get_job(job.job_id)
    assert stored is not None
    assert stored.status is JobStatus.RUNNING
    with pytest.raises(JobAlreadyTerminal):
        await runner.cancel(job.job_id)
    # The runner retries once a second; the second retry succeeds.
    with trio.fail_after(10):
        await final_stored.wait()

    assert runner.live_count == 0
    assert refusals == [JobStatus.COMPLETE, JobStatus.COMPLETE]
    assert await library.get_job(job.job_id) == final


async def test_a_job_id_in_use_is_refused(runner: JobRunner) -> None:
    """Submitting under the id of a live job raises instead of replacing it."""
    body = Controlled()
    job = await runner.submit(make_spec(body))
    with pytest.raises(ValueError, match="already in use"):
        await runner.submit(make_spec(Controlled()), job_id=job.job_id)
    body.release.set()
    await runner.wait(job.job_id)


async def test_cancel_of_an_unknown_job_raises_not_found(runner: JobRunner) -> None:
    """Cancelling an id the runner never had raises JobNotFound."""
    with pytest.raises(JobNotFound, match=r"^no job with id 'no-such-job'$"):
        await runner.cancel("no-such-job")


# -- progress ------------------------------------------------------------------------------


async def test_progress_never_decreases(
    runner: JobRunner, hub: EventHub, mock_clock: trio.testing.MockClock
) -> None:
    """Lower or total-less reports never lower progress, in snapshots or in events."""
    steps_send, steps_receive = trio.open_memory_channel[tuple[int, int | None]](0)

    async def body(ctx: JobContext) -> ScanResult:
        async with steps_receive:
            async for processed, total in steps_receive:
                ctx.report(processed=processed, total=total)
        return ScanResult()

    # (processed, total) reported -> (progress, processed, total) the job then shows
    table: list[tuple[tuple[int, int | None], tuple[float, int, int | None]]] = [
        ((5, 10), (0.5, 5, 10)),
        ((3, 10), (0.5, 5, 10)),
        ((2, 100), (0.5, 5, 100)),
        ((50, 100), (0.5, 50, 100)),
        ((80, 100), (0.8, 80, 100)),
        ((40, None), (0.8, 80, None)),
        ((100, 100), (1.0, 100, 100)),
    ]
    with hub.subscribe() as sub:
        job = await runner.submit(make_spec(body))
        async with steps_send:
            for step, (progress, processed, total) in table:
                # Past the rate limit, so every report is published.
                mock_clock.jump(2 * PROGRESS_EVENT_INTERVAL)
                await steps_send.send(step)
                await trio.testing.wait_all_tasks_blocked()
                snapshot = runner.live_snapshot(job.job_id)
                assert snapshot is not None
                assert (snapshot.progress, snapshot.processed, snapshot.total) == (
                    progress,
                    processed,
                    total,
                ), step
                published = progress_events(await drain(sub), job.job_id)
                assert [e.payload["progress"] for e in published] == [progress], step
        final = await runner.wait(job.job_id)
        last = progress_events(await drain(sub), job.job_id)

    assert final.status is JobStatus.COMPLETE
    assert final.progress == 1.0
    assert [(e.payload["status"], e.payload["progress"]) for e in last] == [("complete", 1.0)]


async def test_progress_events_are_rate_limited_but_the_latest_is_sent(
    runner: JobRunner, hub: EventHub, mock_clock: trio.testing.MockClock
) -> None:
    """Reports within the interval give one event; the held-back latest follows it."""
    reported = trio.Event()
    release = trio.Event()

    async def body(ctx: JobContext) -> ScanResult:
        for processed in (1, 2, 3):
            ctx.report(processed=processed, total=10)
        reported.set()
        await release.wait()
        return ScanResult()

    with hub.subscribe() as sub:
        job = await runner.submit(make_spec(body))
        await reported.wait()
        await trio.testing.wait_all_tasks_blocked()
        first = progress_events(await drain(sub), job.job_id)
        assert [e.payload["progress"] for e in first] == [0.1]

        mock_clock.jump(2 * PROGRESS_EVENT_INTERVAL)
        await trio.testing.wait_all_tasks_blocked()
        held = progress_events(await drain(sub), job.job_id)
        assert [(e.payload["status"], e.payload["progress"]) for e in held] == [("running", 0.3)]

        release.set()
        await runner.wait(job.job_id)
        last = progress_events(await drain(sub), job.job_id)
    assert [e.payload["progress"] for e in last] == [1.0]


# -- the job list --------------------------------------------------------------------------


async def test_list_jobs_shows_live_jobs_as_they_stand(
    runner: JobRunner, library: Library, mock_clock: trio.testing.MockClock
) -> None:
    """The job list shows a running job's latest progress, not its lagging history row."""
    # The manual clock holds back the once-a-second history write.
    body = Controlled(partial=ScanResult(scanned=3))
    job = await runner.submit(make_spec(body))
    await body.started.wait()

    stored, _ = await library.list_jobs(limit=10, offset=0)
    listed, total = await runner.list_jobs(limit=10, offset=0)
    only_done, done_total = await runner.list_jobs(limit=10, offset=0, status=JobStatus.COMPLETE)

    assert [(j.job_id, j.progress) for j in stored] == [(job.job_id, None)]
    assert listed == [runner.live_snapshot(job.job_id)]
    assert (listed[0].progress, listed[0].processed, listed[0].result) == (
        0.3,
        3,
        None,
    )
    assert total == 1
    assert (only_done, done_total) == ([], 0)
    body.release.set()
    final = await runner.wait(job.job_id)
    assert await runner.list_jobs(limit=10, offset=0) == ([final], 1)


# -- restart and shutdown ------------------------------------------------------------------


def stored_job(job_id: str, status: JobStatus, **fields: Any) -> JobSnapshot:
    return JobSnapshot(
        job_id=job_id,
        kind=JobKind.SCAN,
        status=status,
        params=PARAMS,
        created_at=parse_timestamp("2024-05-01T10:00:00.000Z"),
        **fields,
    )


async def test_reopening_marks_jobs_a_crashed_process_left_as_interrupted(
    db_path: Path, hub: EventHub, metrics: Metrics, hang_guard: None
) -> None:
    """Jobs left pending or running by a process that died are interrupted on reopening."""
    started = parse_timestamp("2024-05-01T10:00:01.000Z")
    running = stored_job(
        "a" * 32, JobStatus.RUNNING, progress=0.4, processed=4, total=10, started_at=started
    )
    pending = stored_job("b" * 32, JobStatus.PENDING)
    complete = stored_job(
        "c" * 32,
        JobStatus.COMPLETE,
        progress=1.0,
        result=ScanResult(scanned=2),
        started_at=started,
        finished_at=parse_timestamp("2024-05-01T10:00:02.000Z"),
    )
    # What a process that crashed mid-job leaves behind: rows it wrote while the jobs
    # were live, and no final write (a graceful exit would have recorded them itself).
    async with open_library(db_path) as library:
        for snapshot in (running, pending, complete):
            await library.save_job(snapshot)

    async with open_library(db_path) as library:
        assert await library.get_job(running.job_id) == running
        async with open_job_runner(
            library, JobEvents(hub), metrics, max_running=1, cancel_wait=5.0, shutdown_grace=5.0
        ) as runner:
            assert runner.live_count == 0
            after_running = await runner.get(running.job_id)
            after_pending = await runner.get(pending.job_id)
            assert await runner.get(complete.job_id) == complete

    assert after_running.status is JobStatus.INTERRUPTED
    assert after_running.error == INTERRUPTED_ERROR
    assert after_running.finished_at is not None
    assert (after_running.progress, after_running.processed) == (0.4, 4)
    assert after_pending.status is JobStatus.INTERRUPTED
    assert after_pending.started_at is None
    assert after_pending.finished_at is not None


async def test_exit_interrupts_live_jobs_within_the_grace_period(
    library: Library, hub: EventHub, metrics: Metrics
) -> None:
    """Leaving open_job_runner ends running and pending jobs as interrupted, stored."""
    grace = 5.0
    running_body = Controlled(partial=ScanResult(scanned=3))
    pending_body = Controlled()
    with hub.subscribe() as sub:
        async with open_job_runner(
            library, JobEvents(hub), metrics, max_running=1, cancel_wait=5.0, shutdown_grace=grace
        ) as runner:
            running = await runner.submit(make_spec(running_body))
            pending = await runner.submit(make_spec(pending_body))
            await running_body.started.wait()
            await trio.testing.wait_all_tasks_blocked()
            assert runner.live_snapshot(pending.job_id) == pending
            exit_began = trio.current_time()
        took = trio.current_time() - exit_began
        events = await drain(sub)

    assert took < grace
    assert runner.live_count == 0
    assert running_body.saw_cancel
    assert pending_body.runs == 0
    stopped = await library.get_job(running.job_id)
    assert stopped is not None
    assert stopped.status is JobStatus.INTERRUPTED
    assert stopped.error == INTERRUPTED_ERROR
    assert stopped.result == ScanResult(scanned=3)
    assert stopped.progress == 0.3
    never_ran = await library.get_job(pending.job_id)
    assert never_ran is not None
    assert never_ran.status is JobStatus.INTERRUPTED
    assert never_ran.started_at is None
    assert statuses(events, running.job_id) == ["pending", "running", "interrupted"]
    assert statuses(events, pending.job_id) == ["pending", "interrupted"]


async def test_submit_after_shutdown_raises_runner_closed(
    library: Library, hub: EventHub, metrics: Metrics
) -> None:
    """Once the runner has shut down, submit refuses new jobs with RunnerClosed."""
    body = Controlled()
    async with open_job_runner(
        library, JobEvents(hub), metrics, max_running=1, cancel_wait=5.0, shutdown_grace=5.0
    ) as runner:
        pass
    with pytest.raises(RunnerClosed, match=r"^the server is shutting down$"):
        await runner.submit(make_spec(body))
    assert runner.live_count == 0
    assert body.runs == 0
    assert (await library.list_jobs(limit=10, offset=0))[1] == 0


async def test_submit_cancelled_before_the_job_is_stored_leaves_nothing_behind(
    runner: JobRunner, hub: EventHub, library: Library, autojump_clock: trio.testing.MockClock
) -> None:
    """A submit cancelled before it records the job leaves no live job in the runner."""
    # autojump: a phantom job left behind would make the runner's exit wait out its
    # whole grace period for a job that never ends.
    body = Controlled()
    with hub.subscribe() as sub, trio.CancelScope() as scope:
        scope.cancel()
        await runner.submit(make_spec(body))
    assert scope.cancelled_caught
    assert sub.buffered == 0
    assert (await library.list_jobs(limit=10, offset=0))[1] == 0
    await trio.testing.wait_all_tasks_blocked()
    assert body.runs == 0
    assert runner.live_count == 0
