"""Real parts for job runner tests: a SQLite library on disk, an event hub, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio
import trio.testing

from stoat_ferret.events.hub import EventHub
from stoat_ferret.events.jobs import JobEvents
from stoat_ferret.jobs.runner import JobRunner, open_job_runner
from stoat_ferret.library.store import Library, open_library
from stoat_ferret.metrics import Metrics

#: Real seconds a test may spend before it is failed as hung.
HANG_LIMIT = 20.0


async def _fail_when_hung() -> None:
    await trio.sleep(HANG_LIMIT)
    raise AssertionError(f"still running after {HANG_LIMIT:g}s: an awaited event never came")


@pytest.fixture
async def hang_guard() -> AsyncIterator[None]:
    """Fail a real-clock test that waits on something that never happens, not hang.

    Not autouse: pytest-trio runs only the fixtures a test (or its fixtures) asks for
    by name, so ``library`` depends on it and tests without ``library`` name it.
    """
    if isinstance(trio.lowlevel.current_clock(), trio.testing.MockClock):
        # Under a mock clock a deadline means virtual time: the manual clock never
        # reaches it, and autojump would leap to it during any SQLite write.
        yield
        return
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_fail_when_hung)
        yield
        nursery.cancel_scope.cancel()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "library.db"


@pytest.fixture
async def library(db_path: Path, hang_guard: None) -> AsyncIterator[Library]:
    async with open_library(db_path) as lib:
        yield lib


@pytest.fixture
def hub() -> EventHub:
    # Large enough that no runner test ever overflows a subscriber.
    return EventHub(replay_size=10_000, client_buffer=10_000)


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
async def runner(library: Library, hub: EventHub, metrics: Metrics) -> AsyncIterator[JobRunner]:
    """A runner with two slots; the test must leave no job behind in it."""
    async with open_job_runner(
        library, JobEvents(hub), metrics, max_running=2, cancel_wait=30.0, shutdown_grace=30.0
    ) as job_runner:
        yield job_runner
        assert job_runner.live_count == 0, "the test left live jobs in the runner"
