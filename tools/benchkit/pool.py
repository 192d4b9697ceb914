"""The media-worker pool measured alone: a batch of probes or thumbnails, and cancels."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import TypeVar

import attrs
import trio

from stoat_ferret.probe.parse import parse_probe_output
from stoat_ferret.thumbs.ffmpeg import frame_time
from stoat_ferret.workers.pool import WorkerPool, open_worker_pool
from stoat_ferret.workers.protocol import TEST_OPS_ENV, Op

from .measure import Stopwatch, Timed
from .procs import alive, ignores_sigterm
from .server import WAIT_LIMIT
from .workspace import CLIP_SECONDS, expect

T = TypeVar("T")


async def for_each(
    work: Callable[[T], Awaitable[object]], items: Sequence[T], concurrency: int
) -> None:
    """``work`` on every item, ``concurrency`` at a time (one shared iterator)."""
    shared: Iterator[T] = iter(items)

    async def worker() -> None:
        for item in shared:
            await work(item)

    async with trio.open_nursery() as nursery:
        for _ in range(concurrency):
            nursery.start_soon(worker)


@attrs.frozen
class PoolRun:
    """One batch through a fresh pool: the whole of it, and the part after start-up."""

    total: Timed
    #: Wall seconds of the requests alone (with ``prestart``: after every worker was ready).
    work_seconds: float
    #: Seconds from opening the pool to the first answer.
    first_answer: float


async def pool_batch(
    files: Sequence[Path],
    request: Callable[[WorkerPool, Path], Awaitable[object]],
    *,
    cpus: int,
    prestart: bool,
) -> PoolRun:
    """Open a pool of ``cpus`` workers, run ``request(pool, path)`` on every file, close it.

    ``total`` runs from opening the pool to the last worker reaped, so its CPU figure
    includes every worker's start-up and all of its work.
    """
    watch = Stopwatch()
    first: list[float] = []
    async with open_worker_pool(size=cpus, prestart=prestart, timeout=WAIT_LIMIT) as pool:
        work = Stopwatch()

        async def one(path: Path) -> None:
            await request(pool, path)
            if not first:
                first.append(watch.stop().seconds)

        await for_each(one, files, cpus)
        work_seconds = work.stop().seconds
    return PoolRun(watch.stop(), work_seconds, first[0])


async def probe_one(pool: WorkerPool, path: Path) -> None:
    """Probe through the pool and parse, as a scan would."""
    size = (await trio.Path(path).stat()).st_size
    text = await pool.probe(str(path))
    parse_probe_output(str(path), text, file_size=size)


def thumbnail_into(out: Path) -> Callable[[WorkerPool, Path], Awaitable[None]]:
    """A request making ``path``'s thumbnail at ``out``/<name>.jpg, as the xargs baseline does."""

    async def one(pool: WorkerPool, path: Path) -> None:
        target = str(out / f"{path.name}.jpg")
        await pool.thumbnail(str(path), target, at_seconds=frame_time(CLIP_SECONDS))

    return one


async def count_files(directory: Path) -> int:
    return len(await trio.Path(directory).iterdir())


@attrs.frozen
class PoolCancels:
    #: Seconds from cancelling the callers to the last worker reaped, per repeat.
    seconds: list[float]
    workers: int
    survivors: list[int]


async def pool_cancels(cpus: int, repeats: int) -> PoolCancels:
    """``repeats`` times: every worker busy with a hung request; cancel; all must be reaped."""
    latencies: list[float] = []
    survivors: list[int] = []
    workers = 0
    env = {TEST_OPS_ENV: "1"}
    async with open_worker_pool(size=cpus, env=env, timeout=WAIT_LIMIT) as pool:
        for _ in range(repeats):
            await pool.prestart()
            pids = pool.idle_pids
            workers += len(pids)
            async with trio.open_nursery() as nursery:
                for index in range(cpus):
                    call = partial(pool.call, Op.HANG, {}, subject=f"hung-{index}")
                    nursery.start_soon(call)
                with trio.fail_after(WAIT_LIMIT):
                    # The workers are other processes: their signal masks say they hang.
                    while not all(map(ignores_sigterm, pids)):  # noqa: ASYNC110
                        await trio.sleep(0.002)
                started = trio.current_time()
                nursery.cancel_scope.cancel()
            latencies.append(trio.current_time() - started)
            survivors += [pid for pid in pids if alive(pid)]
    expect(workers == cpus * repeats, f"{workers} workers hung, expected {cpus * repeats}")
    return PoolCancels(latencies, workers, survivors)
