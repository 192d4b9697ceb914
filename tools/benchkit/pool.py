"""The media-worker pool measured alone: a batch of probes or thumbnails, and cancels."""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import attrs
import trio

from stoat_ferret.probe.parse import parse_probe_output
from stoat_ferret.thumbs.ffmpeg import frame_time
from stoat_ferret.workers.pool import WorkerPool, open_worker_pool
from stoat_ferret.workers.protocol import TEST_OPS_ENV, Op

from . import baselines
from .measure import Stopwatch, Timed, percentile
from .procs import alive, ignores_sigterm
from .report import Row, Target, fmt_ms, fmt_s, fmt_x, log
from .server import WAIT_LIMIT
from .workspace import CLIP_SECONDS, Workspace, expect

#: Targets: the pool's probes and thumbnails against xargs; cancel to every worker reaped.
POOL_RATIO, POOL_CANCEL_P99_MS = 0.15, 100.0

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


def pool_phase(ws: Workspace, rounds: int, cancel_repeats: int) -> list[Target]:
    """The pool alone: probes and thumbnails of the library, lazy and prestarted; cancels."""
    files = ws.library_files()
    batch = partial(pool_batch, files, cpus=ws.cpus)
    probes: dict[str, list[Any]] = {"xargs": [], "lazy": [], "prestart": []}
    thumbs: dict[str, list[Any]] = {"xargs": [], "pool": []}
    for index in range(rounds):
        probes["xargs"].append(baselines.probe_baseline(ws, files))
        probes["lazy"].append(trio.run(partial(batch, probe_one, prestart=False)))
        probes["prestart"].append(trio.run(partial(batch, probe_one, prestart=True)))
        out = ws.scratch(f"thumbs-xargs-{index}")
        thumbs["xargs"].append(baselines.thumbnail_baseline(ws, files, out))
        out = ws.scratch(f"thumbs-pool-{index}")
        thumbs["pool"].append(trio.run(partial(batch, thumbnail_into(out), prestart=False)))
        expect(
            len(list(out.iterdir())) == len(files),
            f"pool made {len(list(out.iterdir()))} thumbnails",
        )
        log(
            f"  round {index + 1}: probes xargs {probes['xargs'][-1].seconds:.2f} s, "
            f"pool {probes['lazy'][-1].total.seconds:.2f} s; thumbnails xargs "
            f"{thumbs['xargs'][-1].seconds:.2f} s, pool {thumbs['pool'][-1].total.seconds:.2f} s"
        )
    cancels = trio.run(pool_cancels, ws.cpus, cancel_repeats)
    return [
        judge_pool("pool probes", probes["xargs"], probes["lazy"], probes["prestart"]),
        judge_pool("pool thumbnails", thumbs["xargs"], thumbs["pool"], None),
        judge_pool_cancel(cancels),
    ]


def judge_pool(
    name: str, xargs: list[Timed], lazy: list[PoolRun], warm: list[PoolRun] | None
) -> Target:
    base = statistics.median(t.seconds for t in xargs)
    wall = statistics.median(r.total.seconds for r in lazy)
    cpu_base = statistics.median(t.cpu.total for t in xargs)
    cpu = statistics.median(r.total.cpu.total for r in lazy)
    first = statistics.median(r.first_answer for r in lazy)
    rows = [
        Row(f"{name}, lazy start (wall)", fmt_s(wall), fmt_s(base), fmt_x(wall / base)),
        Row(
            f"  {name}: CPU incl. worker start-up",
            fmt_s(cpu),
            fmt_s(cpu_base),
            fmt_x(cpu / cpu_base),
        ),
        Row("  first answer after opening the pool", fmt_s(first)),
    ]
    data: dict[str, Any] = {
        "baseline_s": [t.seconds for t in xargs],
        "lazy_s": [r.total.seconds for r in lazy],
        "ratio": wall / base,
        "cpu_ratio": cpu / cpu_base,
    }
    if warm:
        warm_work = statistics.median(r.work_seconds for r in warm)
        warm_first = statistics.median(r.first_answer for r in warm)
        rows.append(
            Row(
                "  prestarted: requests alone / first answer",
                f"{fmt_s(warm_work)} / {fmt_s(warm_first)}",
                fmt_s(base),
                fmt_x(warm_work / base),
            )
        )
        data |= {
            "prestart_work_s": [r.work_seconds for r in warm],
            "prestart_total_s": [r.total.seconds for r in warm],
        }
    verdict = f"{name} take {fmt_x(wall / base)} their xargs baseline (<= {POOL_RATIO}x)"
    return Target(name, tuple(rows), wall / base <= POOL_RATIO, verdict, data)


def judge_pool_cancel(cancels: PoolCancels) -> Target:
    ms = [s * 1000 for s in cancels.seconds]
    p50, p99 = percentile(ms, 50), percentile(ms, 99)
    rows = (
        Row(f"pool cancel -> workers reaped p50 (n={len(ms)})", fmt_ms(p50)),
        Row("pool cancel -> workers reaped p99", fmt_ms(p99), fmt_ms(POOL_CANCEL_P99_MS)),
        Row("  workers hung / surviving", f"{cancels.workers} / {len(cancels.survivors)}", "- / 0"),
    )
    met = p99 < POOL_CANCEL_P99_MS and not cancels.survivors
    left = len(cancels.survivors)
    verdict = f"cancelling busy workers reaps them in {fmt_ms(p99)} p99; {left} survived"
    data = {"cancel_ms": ms, "p50_ms": p50, "p99_ms": p99, "survivors": cancels.survivors}
    return Target("pool cancel", rows, met, verdict, data)
