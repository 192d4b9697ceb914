"""Benchmark scans, thumbnails and cancels with each prober, against baselines from the same run.

Run from the repository root (minutes on two cores; use a quiet machine)::

    .venv/bin/python tools/bench_scan.py [--files 400] [--rounds 3] [--cancel-repeats 30]
        [--prober ffprobe|libav|both] [--phases startup,cold,thumbs,rescan,health,cancel,pool]
        [--json bench.json] [--workdir DIR]

Every figure is judged as a ratio to its baseline or against an absolute target; nothing is
a timed assertion; exit status 0 when every target is met. Each server phase starts the real
service in this process on 127.0.0.1 port 0 with its own database, once per prober asked
for (``STOAT_PROBER``). Blocking work (generating files, the timed xargs baselines) runs
between trio runs, never while a server is working.

- startup: CPU of ``ffprobe -version`` against one probe, and of a media worker's start-up.
- cold: ``--rounds`` rounds of ``xargs -P <cpus>`` ffprobe over the library (the service's
  argv), then a cold scan by a fresh server with each prober, POST to ``scan_completed``.
  Targets: median scan / median xargs <= 1.15 (ffprobe), <= 0.15 (libav).
- thumbs: per round, ``xargs -P <cpus>`` ffmpeg making each file's thumbnail and then its
  scrub strip (the service's argvs), then a thumbnails job (``force``) on the scanned
  library with each prober, POST to its final ``job_status``. Target: libav <= 0.15x.
- rescan: the cold library rescanned three times; touching one file. Targets: median
  under 1 s, no file probed (``stoat_probes_total``); after the touch exactly one.
- health: /health/live every 10 ms, idle, under the xargs load alone (control) and during a
  cold scan. Target: p99 during the scan under 10 ms, no failures.
- cancel: a scan whose prober hangs on every slot (a wrapper that ignores SIGTERM, or media
  workers told to hang), cancelled. Targets: cancel -> cancelled p99 < 100 ms, and every
  hung child gone when the cancel answers. Baseline: a GET of the same job.
- pool: the worker pool alone (``benchkit.pool``).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import trio
from benchkit import baselines, measure, pool, procs, report, server
from benchkit.report import Row, Target, fmt_ms, fmt_s, fmt_x, log
from benchkit.workspace import Workspace, expect, prepare_workspace, write_wrapper

from stoat_ferret.workers.protocol import HANG_ON_ENV, TEST_OPS_ENV

PHASES = ("startup", "cold", "thumbs", "rescan", "health", "cancel", "pool")
COLD_RATIO = {"ffprobe": 1.15, "libav": 0.15}
THUMBS_RATIO = {"libav": 0.15}
RESCAN_SECONDS, HEALTH_P99_MS, CANCEL_P99_MS = 1.0, 10.0, 100.0
HEALTH_INTERVAL, HEALTH_IDLE_SECONDS, STARTUP_RUNS = 0.010, 5.0, 20


def cpu_per_run(argv: list[str], runs: int) -> float:
    """CPU seconds (user + system) one run of ``argv`` costs, over ``runs`` runs in a row."""
    start = measure.CpuTimes.now()
    for _ in range(runs):
        subprocess.run(argv, capture_output=True, check=True)
    return measure.CpuTimes.now().since(start).children / runs


def startup_phase(ws: Workspace, _args: argparse.Namespace) -> Target:
    version = cpu_per_run([ws.ffprobe, "-version"], STARTUP_RUNS)
    probe = cpu_per_run(baselines.probe_argvs(ws, ws.library_files()[:1])[0], STARTUP_RUNS)
    share = f"{version / probe:.0%}"
    rows = [
        Row("ffprobe on one clip, CPU per run", fmt_ms(probe * 1000)),
        Row("  of which start-up (ffprobe -version)", fmt_ms(version * 1000), "", share),
    ]
    data = {"ffprobe_version_cpu_s": version, "ffprobe_probe_cpu_s": probe}
    if importlib.util.find_spec("av") is not None:
        worker = [sys.executable, "-c", "import stoat_ferret.workers.libav, av, av.filter"]
        data["worker_start_cpu_s"] = start = cpu_per_run(worker, STARTUP_RUNS // 4)
        rows.append(Row("media worker start-up (Python + PyAV), CPU", fmt_ms(start * 1000)))
    return Target("startup", tuple(rows), True, f"start-up is {share} of a probe's CPU", data)


def settings_for(ws: Workspace, db: Path, prober: str, **overrides: Any) -> Any:
    return server.server_settings(ws, db, prober=prober, **overrides)


async def cold_scan(ws: Workspace, db: Path, prober: str) -> server.ScanRun:
    async with server.server_client(settings_for(ws, db, prober)) as client:
        run = await server.scan_and_wait(client, ws.library)
    expect(run.result.get("error_count") == 0, f"cold scan had errors: {run.result}")
    expect(run.result.get("new") == len(ws.library_files()), f"cold scan stored {run.result}")
    return run


def judged(name: str, runs: list[Any], base: list[Any], limit: float | None) -> Target:
    """Median wall time of ``runs`` against the median of the ``base`` runs (``.seconds``)."""
    value, baseline = (statistics.median(r.seconds for r in rs) for rs in (runs, base))
    cpu, cpu_base = (statistics.median(r.cpu.total for r in rs) for rs in (runs, base))
    rows = (
        Row(name, fmt_s(value), fmt_s(baseline), fmt_x(value / baseline)),
        Row("  CPU, this process + children", fmt_s(cpu), fmt_s(cpu_base), fmt_x(cpu / cpu_base)),
    )
    bound = "no target" if limit is None else f"<= {limit}x"
    verdict = f"takes {fmt_x(value / baseline)} its xargs baseline ({bound})"
    data = {"seconds": [r.seconds for r in runs], "baseline_s": [r.seconds for r in base]}
    met = limit is None or value / baseline <= limit
    return Target(name, rows, met, verdict, data | {"ratio": value / baseline})


def cold_phase(ws: Workspace, args: argparse.Namespace) -> list[Target]:
    files = ws.library_files()
    baselines.probe_baseline(ws, files[:20])  # warm-up, untimed
    xargs, scans = [], {p: [] for p in args.probers}
    for index in range(args.rounds):
        xargs.append(baselines.probe_baseline(ws, files))
        for prober in args.probers:
            scans[prober].append(
                trio.run(cold_scan, ws, ws.database(f"cold-{prober}-{index}"), prober)
            )
        log(
            f"  round {index + 1}: xargs {xargs[-1].seconds:.2f} s, "
            + ", ".join(f"{p} {runs[-1].seconds:.2f} s" for p, runs in scans.items())
        )
    return [
        judged(f"cold scan, {len(files)} files ({p})", scans[p], xargs, COLD_RATIO[p])
        for p in args.probers
    ]


async def thumbnails_job(ws: Workspace, db: Path, prober: str) -> server.ScanRun:
    async with server.server_client(settings_for(ws, db, prober)) as client:
        run = await server.job_and_wait(client, "/api/v1/videos/thumbnails", {"force": True})
    count = len(ws.library_files())
    made = (run.result.get("made"), run.result.get("strips"))
    expect(made == (count, count), f"thumbnails job made {run.result}")
    return run


def thumbs_phase(ws: Workspace, args: argparse.Namespace) -> list[Target]:
    files = ws.library_files()
    xargs, jobs = [], {p: [] for p in args.probers}
    for prober in args.probers:  # a scanned library for each, untimed
        if not ws.database(f"cold-{prober}-0").exists():
            trio.run(cold_scan, ws, ws.database(f"cold-{prober}-0"), prober)
    for index in range(args.rounds):
        xargs.append(baselines.pictures_baseline(ws, files, ws.scratch(f"pictures-{index}")))
        for prober in args.probers:
            jobs[prober].append(
                trio.run(thumbnails_job, ws, ws.database(f"cold-{prober}-0"), prober)
            )
        log(
            f"  round {index + 1}: xargs {xargs[-1].seconds:.2f} s, "
            + ", ".join(f"{p} {runs[-1].seconds:.2f} s" for p, runs in jobs.items())
        )
    name = f"thumbnails + strips, {len(files)} files"
    return [judged(f"{name} ({p})", jobs[p], xargs, THUMBS_RATIO.get(p)) for p in args.probers]


async def rescan_measure(ws: Workspace, db: Path, prober: str) -> dict[str, Any]:
    async def probed(client: Any) -> float:
        # A counter with labels has no series until its first probe: none is 0.
        return (await server.read_metrics(client)).get("stoat_probes_total", 0.0)

    files = ws.library_files()
    async with server.server_client(settings_for(ws, db, prober)) as client:
        # Untimed: takes in a file an earlier prober's rescan touched.
        await server.scan_and_wait(client, ws.library)
        before = await probed(client)
        runs = [await server.scan_and_wait(client, ws.library) for _ in range(3)]
        during = await probed(client) - before
        for run in runs:
            expect(run.result.get("unchanged") == len(files), f"rescan result {run.result}")
        await trio.to_thread.run_sync(partial(os.utime, files[0], ns=(0, time.time_ns())))
        check = await server.scan_and_wait(client, ws.library)
        touched = await probed(client) - before - during
    expect(check.result.get("updated") == 1, f"touch-one rescan result {check.result}")
    return {"seconds": [r.seconds for r in runs], "probed": during, "touched_one": touched}


def rescan_phase(ws: Workspace, args: argparse.Namespace) -> list[Target]:
    targets = []
    for prober in args.probers:
        db = ws.database(f"cold-{prober}-0")
        if not db.exists():
            trio.run(cold_scan, ws, db, prober)
        data = trio.run(rescan_measure, ws, db, prober)
        median = statistics.median(data["seconds"])
        rows = (
            Row(f"rescan, all unchanged, median ({prober})", fmt_s(median), fmt_s(RESCAN_SECONDS)),
            Row(
                "  files probed / after touching 1",
                f"{data['probed']:g} / {data['touched_one']:g}",
                "0 / 1",
            ),
        )
        met = median < RESCAN_SECONDS and data["probed"] == 0 and data["touched_one"] == 1
        verdict = (
            f"rescan takes {fmt_s(median)} (< {RESCAN_SECONDS:g} s), probed {data['probed']:g}"
        )
        targets.append(Target(f"rescan ({prober})", rows, met, verdict, data))
    return targets


async def health_measure(ws: Workspace, db: Path, prober: str) -> dict[str, Any]:
    async with server.server_client(settings_for(ws, db, prober)) as client:
        window = partial(measure.health_window, client, interval=HEALTH_INTERVAL)
        idle = await window(partial(trio.sleep, HEALTH_IDLE_SECONDS))
        xargs = await window(partial(baselines.probe_baseline_async, ws, ws.library_files()))
        scan = await window(partial(server.scan_and_wait, client, ws.library))
    return {"idle": idle.summary(), "xargs_control": xargs.summary(), "scan": scan.summary()}


def health_phase(ws: Workspace, args: argparse.Namespace) -> list[Target]:
    targets = []
    for prober in args.probers:
        data = trio.run(health_measure, ws, ws.database(f"health-{prober}"), prober)
        idle, xargs, scan = data["idle"], data["xargs_control"], data["scan"]
        failures = idle["failures"] + xargs["failures"] + scan["failures"]
        rows = (
            Row(
                f"/health/live p50 / p99 during scan ({prober}, n={scan['n']})",
                f"{fmt_ms(scan['p50_ms'])} / {fmt_ms(scan['p99_ms'])}",
                f"{fmt_ms(idle['p50_ms'])} / {fmt_ms(idle['p99_ms'])}",
            ),
            Row(
                "  p99 under xargs, server idle (control); failures",
                f"{fmt_ms(xargs['p99_ms'])}; {failures}",
                fmt_ms(idle["p99_ms"]),
            ),
        )
        met = scan["p99_ms"] < HEALTH_P99_MS and failures == 0
        verdict = (
            f"/health/live p99 during a scan is {fmt_ms(scan['p99_ms'])} (< {HEALTH_P99_MS:g} ms); "
            f"xargs alone gives {fmt_ms(xargs['p99_ms'])}"
        )
        targets.append(Target(f"liveness ({prober})", rows, met, verdict, data))
    return targets


@contextmanager
def environment(**values: str) -> Any:
    """``os.environ`` with ``values`` set for the block (media workers inherit it)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


async def hung_children(slots: int, exclude: set[int]) -> list[int]:
    """Wait until ``slots`` children of this process ignore SIGTERM (they have begun to hang)."""
    with trio.fail_after(server.WAIT_LIMIT):
        while True:
            children = await trio.to_thread.run_sync(procs.child_pids, os.getpid())
            hung = [pid for pid in children if pid not in exclude and procs.ignores_sigterm(pid)]
            if len(hung) >= slots:
                return hung
            await trio.sleep(0.002)


async def cancel_measure(ws: Workspace, db: Path, prober: str, repeats: int) -> dict[str, Any]:
    script, _ = ws.wrapper("hanging")
    slots = min(ws.cpus, len(list(ws.small_dir.iterdir())))
    cancels, gets, pids, survivors = [], [], [], []
    settings = settings_for(ws, db, prober, ffprobe=script)
    async with server.server_client(settings, ready=False) as client:
        for _ in range(repeats):
            job_id = await server.start_scan(client, ws.small_dir)
            mine = await hung_children(slots, set(pids))
            seconds, response = await server.timed(client.get(f"/api/v1/jobs/{job_id}"))
            expect(response.json()["status"] == "running", f"job not running: {response.text}")
            gets.append(seconds * 1000)
            seconds, response = await server.timed(client.post(f"/api/v1/jobs/{job_id}/cancel"))
            expect(response.json().get("status") == "cancelled", f"cancel answered {response.text}")
            cancels.append(seconds * 1000)
            # Checked at once, with no grace: a 200 promises the children are killed and reaped.
            survivors += [pid for pid in mine if procs.alive(pid)]
            pids += mine
    return {"cancel_ms": cancels, "get_ms": gets, "pids": pids, "survivors": survivors}


def cancel_phase(ws: Workspace, args: argparse.Namespace) -> list[Target]:
    # An ignored signal stays ignored across exec: this sleep shrugs off SIGTERM.
    write_wrapper(ws, "hanging", "trap '' TERM\nexec sleep 3600")
    targets = []
    for prober in args.probers:
        # Media workers told to hang on every file (each name holds a "-"), ignoring SIGTERM.
        hang = {TEST_OPS_ENV: "1", HANG_ON_ENV: "-"} if prober == "libav" else {}
        with environment(**hang):
            data = trio.run(
                cancel_measure, ws, ws.database(f"cancel-{prober}"), prober, args.cancel_repeats
            )
        procs.reap_survivors(data["pids"])
        c50, c99 = (measure.percentile(data["cancel_ms"], p) for p in (50, 99))
        g99 = measure.percentile(data["get_ms"], 99)
        survivors = len(data["survivors"])
        rows = (
            Row(
                f"cancel -> cancelled p50 / p99 ({prober}, n={len(data['cancel_ms'])})",
                f"{fmt_ms(c50)} / {fmt_ms(c99)}",
                fmt_ms(g99),
                fmt_x(c99 / g99),
            ),
            Row(
                "  hung children / surviving the answer",
                f"{len(data['pids'])} / {survivors}",
                "- / 0",
            ),
        )
        met = c99 < CANCEL_P99_MS and survivors == 0
        verdict = (
            f"cancel answers in {fmt_ms(c99)} p99 (< {CANCEL_P99_MS:g} ms); {survivors} survived"
        )
        targets.append(Target(f"cancel ({prober})", rows, met, verdict, data))
    return targets


RUNNERS: dict[str, Callable[[Workspace, argparse.Namespace], Target | list[Target]]] = {
    "startup": startup_phase,
    "cold": cold_phase,
    "thumbs": thumbs_phase,
    "rescan": rescan_phase,
    "health": health_phase,
    "cancel": cancel_phase,
    "pool": lambda ws, args: pool.pool_phase(ws, args.rounds, args.cancel_repeats),
}


def main(argv: list[str] | None = None) -> int:
    parser = report.parser(__doc__ or "")
    parser.add_argument("--files", type=int, default=400, help="videos in the library (400)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (3)")
    parser.add_argument("--cancel-repeats", type=int, default=30, help="cancels to time (30)")
    parser.add_argument("--prober", choices=(*server.PROBERS, "both"), default="both")
    parser.add_argument("--phases", default=",".join(PHASES), help="comma-separated phases")
    args = parser.parse_args(argv)
    args.probers = list(server.PROBERS) if args.prober == "both" else [args.prober]
    phases = args.phases.split(",")
    if min(args.files, args.rounds, args.cancel_repeats) < 1 or set(phases) - set(PHASES):
        parser.error(f"counts must be at least 1; phases are {', '.join(PHASES)}")
    needs_pyav = "pool" in phases or "libav" in args.probers
    if needs_pyav and importlib.util.find_spec("av") is None:
        parser.error("libav and the pool phase need PyAV: pip install 'stoat-ferret[libav]'")

    def run(root: Path) -> tuple[dict[str, Any], list[Target]]:
        ws = prepare_workspace(root, args.files)
        log(f"{args.files} files ready under {root}; phases: {', '.join(phases)}")
        targets: list[Target] = []
        for phase in phases:
            log(f"- {phase}")
            found = RUNNERS[phase](ws, args)
            targets += found if isinstance(found, list) else [found]
        return {
            "files": args.files,
            "rounds": args.rounds,
            "cpus": ws.cpus,
            "probers": args.probers,
        }, targets

    return report.run(args, run)


if __name__ == "__main__":
    sys.exit(main())
