"""At most ``max_pending`` jobs wait; beyond that, submitting is refused with TOO_MANY_JOBS."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from stoat_ferret.events.hub import EventHub
from stoat_ferret.events.jobs import JobEvents
from stoat_ferret.jobs.errors import TooManyJobs
from stoat_ferret.jobs.runner import open_job_runner
from stoat_ferret.library.store import Library
from stoat_ferret.metrics import Metrics
from stoat_ferret.protocol import ErrorCode, JobStatus

from .test_runner import Controlled, make_spec


async def test_pending_jobs_are_capped(library: Library, hub: EventHub, metrics: Metrics) -> None:
    """With one slot and two waiting, a fourth job is refused and never stored; room admits it."""
    async with open_job_runner(
        library,
        JobEvents(hub),
        metrics,
        max_running=1,
        cancel_wait=30.0,
        shutdown_grace=30.0,
        max_pending=2,
    ) as runner:
        bodies = [Controlled() for _ in range(3)]
        jobs = [await runner.submit(make_spec(body)) for body in bodies]
        await bodies[0].started.wait()
        await trio.testing.wait_all_tasks_blocked()

        with pytest.raises(TooManyJobs) as refused:
            await runner.submit(make_spec(Controlled()))
        assert refused.value.code is ErrorCode.TOO_MANY_JOBS
        assert refused.value.http_status == 429
        assert str(refused.value).startswith("2 jobs are already waiting to run")
        _, stored = await library.list_jobs(limit=10, offset=0)
        assert stored == 3

        # A running job does not count: once the first ends, one pending starts, one waits.
        bodies[0].release.set()
        await runner.wait(jobs[0].job_id)
        await bodies[1].started.wait()
        late = Controlled()
        accepted = await runner.submit(make_spec(late))
        assert accepted.status is JobStatus.PENDING

        for body in (*bodies, late):
            body.release.set()
        finals = [await runner.wait(job.job_id) for job in (*jobs, accepted)]
        assert [f.status for f in finals] == [JobStatus.COMPLETE] * 4
