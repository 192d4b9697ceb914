"""Measuring: percentiles, ratios, CPU time, run-queue waits, and a /health/live sampler."""

from __future__ import annotations

import math
import resource
import threading
import time
from collections.abc import Awaitable, Callable, Sequence

import attrs
import httpx
import trio


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest sample with ``pct`` % of samples at or below it."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    return ordered[max(math.ceil(pct / 100 * len(ordered)), 1) - 1]


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline > 0 else math.inf


@attrs.frozen
class CpuTimes:
    """User + system CPU seconds of this process and of its reaped children."""

    own: float
    children: float

    @classmethod
    def now(cls) -> CpuTimes:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls(own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime)

    def since(self, start: CpuTimes) -> CpuTimes:
        return CpuTimes(self.own - start.own, self.children - start.children)

    def plus(self, other: CpuTimes) -> CpuTimes:
        return CpuTimes(self.own + other.own, self.children + other.children)

    @property
    def total(self) -> float:
        return self.own + self.children


@attrs.frozen
class Timed:
    """Wall seconds and CPU of one measured run."""

    seconds: float
    cpu: CpuTimes


class Stopwatch:
    """Wall time and CPU (this process and reaped children) from start to ``stop()``."""

    def __init__(self) -> None:
        self._cpu = CpuTimes.now()
        self._started = time.perf_counter()

    def stop(self) -> Timed:
        return Timed(time.perf_counter() - self._started, CpuTimes.now().since(self._cpu))


def run_queue_wait(tid: int) -> float | None:
    """Seconds thread ``tid`` of this process has spent runnable, waiting for a CPU.

    From ``/proc/self/task/<tid>/schedstat`` (Linux); ``None`` where that is not available.
    Synchronous: call it in a worker thread.
    """
    try:
        with open(f"/proc/self/task/{tid}/schedstat") as stats:
            return int(stats.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


@attrs.define
class HealthSampler:
    """GETs /health/live every ``interval`` seconds through one client until told to stop."""

    client: httpx.AsyncClient
    interval: float
    latencies: list[float] = attrs.field(factory=list)
    failures: int = 0

    async def run(self, stop: trio.Event) -> None:
        next_at = trio.current_time()
        while not stop.is_set():
            started = time.perf_counter()
            response = await self.client.get("/health/live")
            self.latencies.append(time.perf_counter() - started)
            self.failures += response.status_code != 200
            # Keep to the schedule, but never fire a burst to catch up after a slow answer.
            next_at = max(next_at + self.interval, trio.current_time())
            await trio.sleep_until(next_at)


@attrs.frozen
class Window:
    """/health/live latencies over one stretch of load."""

    latencies_ms: list[float]
    failures: int
    wall: float
    #: Share of ``wall`` the event-loop thread waited, runnable, for a CPU (None: unknown).
    run_queue_share: float | None

    def summary(self) -> dict[str, object]:
        return {
            "n": len(self.latencies_ms),
            "p50_ms": percentile(self.latencies_ms, 50),
            "p99_ms": percentile(self.latencies_ms, 99),
            "max_ms": max(self.latencies_ms),
            "failures": self.failures,
            "wall_s": self.wall,
            "run_queue_share": self.run_queue_share,
            "latencies_ms": self.latencies_ms,
        }


async def health_window(
    client: httpx.AsyncClient, load: Callable[[], Awaitable[object]], *, interval: float
) -> Window:
    """Sample /health/live every ``interval`` seconds for as long as ``load`` runs."""
    tid = threading.get_native_id()
    waited_before = await trio.to_thread.run_sync(run_queue_wait, tid)
    started = time.perf_counter()
    sampler, stop = HealthSampler(client, interval), trio.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(sampler.run, stop)
        await load()
        stop.set()
    wall = time.perf_counter() - started
    waited_after = await trio.to_thread.run_sync(run_queue_wait, tid)
    share = None
    if waited_before is not None and waited_after is not None:
        share = (waited_after - waited_before) / wall
    return Window([s * 1000 for s in sampler.latencies], sampler.failures, wall, share)
