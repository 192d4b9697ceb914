"""Benchmark scanning and the media-worker pool, each against a baseline from the same run.

Run from the repository root (minutes on two cores; use a quiet machine)::

    .venv/bin/python tools/bench_scan.py [--files 400] [--rounds 3] [--cancel-repeats 30]
        [--prober ffprobe|libav] [--phases startup,cold,rescan,health,cancel,pool]
        [--json bench.json] [--workdir DIR]

Every figure is judged as a ratio to its baseline or against an absolute target; nothing is
a timed assertion. Exit status 0 when every target is met. Each server phase starts the real
service in this process on 127.0.0.1 port 0 with its own database (``benchkit.server``);
``--prober`` is passed to it as ``STOAT_PROBER``. Blocking work (generating files, the timed
xargs baselines) runs between trio runs, never while a server or pool is working.

- startup: CPU of ``ffprobe -version`` against ffprobe probing one clip, and of a media
  worker's start-up (Python + PyAV): how much of a probe is process start-up.
- cold: ``--rounds`` rounds alternating ``xargs -P <cpus>`` ffprobe over the library (the
  service's own argv) and a cold scan by a fresh server, timed from the POST to its
  ``scan_completed`` event. Target: median scan / median xargs <= 1.25.
- rescan: the last cold database rescanned through a wrapper that logs every ffprobe run.
  Targets: median under 1 s, no ffprobe run; touching one file must log exactly one.
- health: /health/live every 10 ms, idle, under the xargs load alone (control) and during a
  cold scan. Target: p99 during the scan under 10 ms, no failures.
- cancel: a scan whose prober hangs (SIGTERM ignored) on every slot, cancelled; every
  prober must be gone when the cancel answers. Baseline: a GET of the same job.
- pool: the worker pool alone (needs PyAV): probing the library, and a thumbnail of each
  file, against xargs ffprobe and xargs ffmpeg; lazy start against prestart; cancel to every
  worker reaped. Targets: probes and thumbnails <= 0.15x their baseline; cancel p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import shlex
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import trio
from benchkit import baselines, measure, pool, procs, report, server
from benchkit.report import Row, Target, fmt_ms, fmt_s, fmt_share, fmt_x, log
from benchkit.workspace import Workspace, expect, prepare_workspace, write_wrapper

PHASES = ("startup", "cold", "rescan", "health", "cancel", "pool")
COLD_RATIO, RESCAN_SECONDS, HEALTH_P99_MS = 1.25, 1.0, 10.0
POOL_RATIO, POOL_CANCEL_P99_MS = 0.15, 100.0
HEALTH_INTERVAL, HEALTH_IDLE_SECONDS, STARTUP_RUNS = 0.010, 5.0, 20


def cpu_per_run(argv: list[str], runs: int) -> float:
    """CPU seconds (user + system) one run of ``argv`` costs, over ``runs`` runs in a row."""
    start = measure.CpuTimes.now()
    for _ in range(runs):
        subprocess.run(argv, capture_output=True, check=True)
    return measure.CpuTimes.now().since(start).children / runs


def startup_phase(ws: Workspace) -> Target:
    clip = str(ws.library_files()[0])
    version = cpu_per_run([ws.ffprobe, "-version"], STARTUP_RUNS)
    probe = cpu_per_run(baselines.probe_argvs(ws, [Path(clip)])[0], STARTUP_RUNS)
    rows = [
        Row("ffprobe on one clip, CPU per run", fmt_ms(probe * 1000)),
        Row(
            "  of which start-up (ffprobe -version)",
            fmt_ms(version * 1000),
            "",
            f"{version / probe:.0%}",
        ),
    ]
    data = {"ffprobe_version_cpu_s": version, "ffprobe_probe_cpu_s": probe}
    if importlib.util.find_spec("av") is not None:
        worker = [sys.executable, "-c", "import stoat_ferret.workers.libav, av, av.filter"]
        data["worker_start_cpu_s"] = start = cpu_per_run(worker, STARTUP_RUNS // 4)
        rows.append(Row("media worker start-up (Python + PyAV), CPU", fmt_ms(start * 1000)))
    verdict = f"start-up is {version / probe:.0%} of a probe's CPU"
    return Target("startup", tuple(rows), True, verdict, data)


async def cold_scan_once(ws: Workspace, db: Path, prober: str) -> tuple[server.ScanRun, float]:
    async with server.server_client(server.server_settings(ws, db, prober=prober)) as client:
        run = await server.scan_and_wait(client, ws.library)
        busy = server.metric(await server.read_metrics(client), "stoat_probe_duration_seconds_sum")
    expect(run.result.get("error_count") == 0, f"cold scan had errors: {run.result}")
    return run, busy


def cold_phase(ws: Workspace, args: argparse.Namespace) -> Target:
    files = ws.library_files()
    baselines.probe_baseline(ws, files[:20])  # warm-up, untimed
    trio.run(cold_scan_once, ws, ws.database("warmup"), args.prober)
    xargs, scans, busy = [], [], []
    for index in range(args.rounds):
        xargs.append(baselines.probe_baseline(ws, files))
        run, probe_seconds = trio.run(cold_scan_once, ws, ws.database(f"cold-{index}"), args.prober)
        expect(run.result.get("new") == len(files), f"cold scan stored {run.result}")
        scans.append(run)
        busy.append(probe_seconds / (ws.cpus * run.seconds))
        log(f"  round {index + 1}: xargs {xargs[-1].seconds:.2f} s, scan {run.seconds:.2f} s")
    base, scan = (statistics.median(t.seconds for t in runs) for runs in (xargs, scans))
    cpu_base, cpu_scan = (statistics.median(t.cpu.total for t in runs) for runs in (xargs, scans))
    paired = statistics.median(s.seconds / b.seconds for s, b in zip(scans, xargs, strict=True))
    rows = [
        Row(f"cold scan, {len(files)} files", fmt_s(scan), fmt_s(base), fmt_x(scan / base)),
        Row("  median of per-round ratios", "", "", fmt_x(paired)),
        Row(
            "  CPU, this process + children",
            fmt_s(cpu_scan),
            fmt_s(cpu_base),
            fmt_x(cpu_scan / cpu_base),
        ),
    ]
    if not any(math.isnan(b) for b in busy):
        rows.append(Row("  probe slots busy (median)", f"{statistics.median(busy):.0%}", "100%"))
    verdict = (
        f"cold scan ({args.prober}) takes {fmt_x(scan / base)} xargs+ffprobe (<= {COLD_RATIO}x)"
    )
    data = {
        "prober": args.prober,
        "baseline_s": [t.seconds for t in xargs],
        "scan_s": [r.seconds for r in scans],
        "scan_job_s": [server.job_seconds(r.job) for r in scans],
        "ratio": scan / base,
        "median_round_ratio": paired,
        "cpu_ratio": cpu_scan / cpu_base,
    }
    return Target("cold scan", tuple(rows), scan / base <= COLD_RATIO, verdict, data)


async def rescan_measure(ws: Workspace, db: Path, prober: str) -> dict[str, Any]:
    script, pid_log = ws.wrapper("counting")
    settings = server.server_settings(ws, db, prober=prober, ffprobe=script)
    files = ws.library_files()
    async with server.server_client(settings) as client:
        before = len(await server.read_pids(pid_log))
        runs = [await server.scan_and_wait(client, ws.library) for _ in range(3)]
        during = len(await server.read_pids(pid_log)) - before
        for run in runs:
            expect(run.result.get("unchanged") == len(files), f"rescan result {run.result}")
        await trio.to_thread.run_sync(partial(os.utime, files[0], ns=(0, time.time_ns())))
        check = await server.scan_and_wait(client, ws.library)
        touched = len(await server.read_pids(pid_log)) - before - during
    expect(check.result.get("updated") == 1, f"touch-one rescan result {check.result}")
    return {"seconds": [r.seconds for r in runs], "spawned": during, "touched_one": touched}


def rescan_phase(ws: Workspace, args: argparse.Namespace) -> Target:
    write_wrapper(ws, "counting", f'exec {shlex.quote(ws.ffprobe)} "$@"')
    if not ws.database(f"cold-{args.rounds - 1}").exists():
        trio.run(cold_scan_once, ws, ws.database(f"cold-{args.rounds - 1}"), args.prober)
    data = trio.run(rescan_measure, ws, ws.database(f"cold-{args.rounds - 1}"), args.prober)
    median = statistics.median(data["seconds"])
    rows = (
        Row("rescan, all unchanged (median)", fmt_s(median), fmt_s(RESCAN_SECONDS)),
        Row(
            "  ffprobe spawned / after touching 1",
            f"{data['spawned']} / {data['touched_one']}",
            "0 / 1",
        ),
    )
    met = median < RESCAN_SECONDS and data["spawned"] == 0 and data["touched_one"] == 1
    verdict = (
        f"rescan takes {fmt_s(median)} (< {RESCAN_SECONDS:g} s), spawned {data['spawned']} ffprobe"
    )
    return Target("rescan", rows, met, verdict, data)


async def health_measure(ws: Workspace, db: Path, prober: str) -> dict[str, Any]:
    files = ws.library_files()
    async with server.server_client(server.server_settings(ws, db, prober=prober)) as client:
        window = partial(measure.health_window, client, interval=HEALTH_INTERVAL)
        idle = await window(partial(trio.sleep, HEALTH_IDLE_SECONDS))
        xargs = await window(partial(baselines.probe_baseline_async, ws, files))
        scan = await window(partial(server.scan_and_wait, client, ws.library))
        longest = server.metric(
            await server.read_metrics(client), "stoat_loop_longest_step_seconds"
        )
    return {
        "idle": idle.summary(),
        "xargs_control": xargs.summary(),
        "scan": scan.summary(),
        "longest_loop_step_ms": longest * 1000,
    }


def health_phase(ws: Workspace, args: argparse.Namespace) -> Target:
    data = trio.run(health_measure, ws, ws.database("health"), args.prober)
    idle, xargs, scan = data["idle"], data["xargs_control"], data["scan"]
    failures = idle["failures"] + xargs["failures"] + scan["failures"]
    rows = (
        Row(
            f"/health/live p50 during scan (n={scan['n']})",
            fmt_ms(scan["p50_ms"]),
            fmt_ms(idle["p50_ms"]),
        ),
        Row("/health/live p99 during scan", fmt_ms(scan["p99_ms"]), fmt_ms(idle["p99_ms"])),
        Row(
            "  p99 under xargs, server idle (control)",
            fmt_ms(xargs["p99_ms"]),
            fmt_ms(idle["p99_ms"]),
        ),
        Row(
            "  loop thread waiting for a CPU: scan / xargs",
            f"{fmt_share(scan['run_queue_share'])} / {fmt_share(xargs['run_queue_share'])}",
            fmt_share(idle["run_queue_share"]),
        ),
        Row(
            "  longest loop step, non-200 answers",
            f"{fmt_ms(data['longest_loop_step_ms'])}, {failures}",
            "-, 0",
        ),
    )
    met = scan["p99_ms"] < HEALTH_P99_MS and failures == 0
    verdict = (
        f"/health/live p99 during a scan is {fmt_ms(scan['p99_ms'])} (< {HEALTH_P99_MS:g} ms); "
        f"the same CPU load from xargs alone gives {fmt_ms(xargs['p99_ms'])}"
    )
    return Target("liveness", rows, met, verdict, data)


async def cancel_measure(ws: Workspace, db: Path, repeats: int) -> dict[str, Any]:
    script, pid_log = ws.wrapper("hanging")
    slots = min(ws.cpus, len(list(ws.small_dir.iterdir())))
    cancels, gets, pids, survivors = [], [], [], []
    async with server.server_client(server.server_settings(ws, db, ffprobe=script)) as client:
        for _ in range(repeats):
            job_id = await server.start_scan(client, ws.small_dir)
            mine = (await server.wait_for_pids(pid_log, len(pids) + slots))[len(pids) :]
            seconds, response = await server.timed(client.get(f"/api/v1/jobs/{job_id}"))
            expect(response.json()["status"] == "running", f"job not running: {response.text}")
            gets.append(seconds * 1000)
            seconds, response = await server.timed(client.post(f"/api/v1/jobs/{job_id}/cancel"))
            expect(response.json().get("status") == "cancelled", f"cancel answered {response.text}")
            cancels.append(seconds * 1000)
            # Checked at once, with no grace: a 200 promises the children are killed and reaped.
            survivors += [pid for pid in mine if procs.alive(pid)]
            pids += mine
        left = await trio.to_thread.run_sync(procs.child_pids, os.getpid())
    return {"cancel_ms": cancels, "get_ms": gets, "pids": pids, "survivors": survivors + left}


def cancel_phase(ws: Workspace, args: argparse.Namespace) -> Target:
    # An ignored signal stays ignored across exec: this sleep shrugs off SIGTERM.
    write_wrapper(ws, "hanging", "trap '' TERM\nexec sleep 3600")
    data = trio.run(cancel_measure, ws, ws.database("cancel"), args.cancel_repeats)
    procs.reap_survivors(data["pids"])
    c99, g99 = (measure.percentile(data[k], 99) for k in ("cancel_ms", "get_ms"))
    c50, g50 = (measure.percentile(data[k], 50) for k in ("cancel_ms", "get_ms"))
    survivors = len(data["survivors"])
    rows = (
        Row(
            f"cancel -> cancelled p50 (n={len(data['cancel_ms'])})",
            fmt_ms(c50),
            fmt_ms(g50),
            fmt_x(c50 / g50),
        ),
        Row("cancel -> cancelled p99", fmt_ms(c99), fmt_ms(g99), fmt_x(c99 / g99)),
        Row("  probers started / surviving", f"{len(data['pids'])} / {survivors}", "- / 0"),
    )
    verdict = f"cancel answers in {fmt_ms(c99)} p99; {survivors} probers survived (must be 0)"
    return Target("cancel", rows, survivors == 0, verdict, data)


def pool_phase(ws: Workspace, args: argparse.Namespace) -> list[Target]:
    files = ws.library_files()
    batch = partial(pool.pool_batch, files, cpus=ws.cpus)
    probes: dict[str, list[Any]] = {"xargs": [], "lazy": [], "prestart": []}
    thumbs: dict[str, list[Any]] = {"xargs": [], "pool": []}
    for index in range(args.rounds):
        probes["xargs"].append(baselines.probe_baseline(ws, files))
        probes["lazy"].append(trio.run(partial(batch, pool.probe_one, prestart=False)))
        probes["prestart"].append(trio.run(partial(batch, pool.probe_one, prestart=True)))
        out = ws.scratch(f"thumbs-xargs-{index}")
        thumbs["xargs"].append(baselines.thumbnail_baseline(ws, files, out))
        out = ws.scratch(f"thumbs-pool-{index}")
        thumbs["pool"].append(trio.run(partial(batch, pool.thumbnail_into(out), prestart=False)))
        expect(
            len(list(out.iterdir())) == len(files),
            f"pool made {len(list(out.iterdir()))} thumbnails",
        )
        log(
            f"  round {index + 1}: probes xargs {probes['xargs'][-1].seconds:.2f} s, "
            f"pool {probes['lazy'][-1].total.seconds:.2f} s; thumbnails xargs "
            f"{thumbs['xargs'][-1].seconds:.2f} s, pool {thumbs['pool'][-1].total.seconds:.2f} s"
        )
    cancels = trio.run(pool.pool_cancels, ws.cpus, args.cancel_repeats)
    return [
        judge_pool("pool probes", probes["xargs"], probes["lazy"], probes["prestart"]),
        judge_pool("pool thumbnails", thumbs["xargs"], thumbs["pool"], None),
        judge_pool_cancel(cancels),
    ]


def judge_pool(
    name: str, xargs: list[measure.Timed], lazy: list[pool.PoolRun], warm: list[pool.PoolRun] | None
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


def judge_pool_cancel(cancels: pool.PoolCancels) -> Target:
    ms = [s * 1000 for s in cancels.seconds]
    p50, p99 = measure.percentile(ms, 50), measure.percentile(ms, 99)
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


RUNNERS: dict[str, Any] = {
    "startup": lambda ws, _args: startup_phase(ws),
    "cold": cold_phase,
    "rescan": rescan_phase,
    "health": health_phase,
    "cancel": cancel_phase,
    "pool": pool_phase,
}


def main(argv: list[str] | None = None) -> int:
    parser = report.parser(__doc__ or "")
    parser.add_argument("--files", type=int, default=400, help="videos in the library (400)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (3)")
    parser.add_argument("--cancel-repeats", type=int, default=30, help="cancels to time (30)")
    parser.add_argument("--prober", choices=server.PROBERS, default="ffprobe")
    parser.add_argument("--phases", default=",".join(PHASES), help="comma-separated phases")
    args = parser.parse_args(argv)
    phases = args.phases.split(",")
    if min(args.files, args.rounds, args.cancel_repeats) < 1 or set(phases) - set(PHASES):
        parser.error(f"counts must be at least 1; phases are {', '.join(PHASES)}")
    if "pool" in phases and importlib.util.find_spec("av") is None:
        parser.error("the pool phase needs PyAV: install stoat-ferret[libav]")

    def run(root: Path) -> tuple[dict[str, Any], list[Target]]:
        ws = prepare_workspace(root, args.files)
        log(f"{args.files} files ready under {root}; phases: {', '.join(phases)}")
        targets: list[Target] = []
        for phase in phases:
            log(f"- {phase}")
            found = RUNNERS[phase](ws, args)
            targets += found if isinstance(found, list) else [found]
        settings = {
            "files": args.files,
            "rounds": args.rounds,
            "cpus": ws.cpus,
            "prober": args.prober,
        }
        return settings, targets

    return report.run(args, run)


if __name__ == "__main__":
    sys.exit(main())
