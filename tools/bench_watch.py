"""Benchmark the folder watcher (stoat_ferret.watch) against real files.

Run from the repository root::

    .venv/bin/python tools/bench_watch.py [--files 100000] [--folders 2000] [--idle-seconds 30]
        [--copy-files 500] [--latency-rounds 10] [--settle 2] [--poll-too]
        [--json bench.json] [--workdir DIR]

The defaults are the full size (100k files in 2,000 folders, about 1 GB of inodes but only a
few MB of data: every file is 1 kB); ``--files 2000 --folders 40 --idle-seconds 5`` is a quick
run. Nothing here is a timed assertion: each figure is printed with its target, and the exit
status is 0 when every target is met, 1 otherwise.

What is measured
----------------

The tree is made before the watcher starts (files named ``.mp4``; the watcher never reads
them). One :class:`~stoat_ferret.watch.FolderWatcher` watches it, in this process, with the
given settle window, as the service will.

1. Start. Time from ``run`` starting to the first status (the watches added, the tree's
   directories indexed), and that status: ``active``, or ``polling`` if the inotify watch
   limit (``fs.inotify.max_user_watches``, printed) was too low for the tree, which is the
   automatic fallback at work.
2. Idle CPU. With nothing changing, the CPU time of this whole process (every thread: the
   notify thread, the watcher's worker thread, the event loop), from ``getrusage``, over
   ``--idle-seconds``, as a share of one core. Target: under 1%.
3. Latency. ``--latency-rounds`` times: a worker thread writes a 1 MB file in 64 kB chunks
   and closes it; the figure is the time from the close to the batch holding it being
   received, minus the settle window. Target: the median under 1 s (so settle + 1 s).
4. Burst. ``cp -p`` (a child process, as a card offload would be) copies ``--copy-files``
   files into a new folder of the tree at once. Counted: the batches until every file has
   been sent settled, and how often each file was sent. Targets: at most 5 batches, each
   file exactly once.
5. ``--poll-too``: the idle CPU again with the watcher forced to poll (``poll=True``,
   ``--poll-interval``), for the documentation of polling's cost; no target.

``--service`` measures the whole service instead of the watcher alone: it opens the service
(a library of its own, the real ffprobe) on a small generated video, watches a fresh folder
through :class:`~stoat_ferret.watch.service.Watches`, and measures

6. Latency to the library. ``--latency-rounds`` times: the video is written (as one file,
   closed) into the watched folder; the figure is the time from the close to the end of the
   ``watch`` job that stored it, minus the settle window. Target: the median under 1 s.
7. Burst through jobs. ``cp -p`` copies ``--service-copy-files`` copies of the video into the
   folder at once. Counted: the ``watch`` jobs until all are stored, and ffprobe runs
   (``stoat_probes_total``). Targets: at most 5 jobs, exactly one probe per file.
8. The service's idle CPU (this whole process, the service's own tasks and threads
   included) over ``--idle-seconds`` once the burst is done, watching that folder.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import trio

from stoat_ferret.protocol import WatchState
from stoat_ferret.watch.inotify import max_user_watches
from stoat_ferret.watch.models import WatchBatch, WatchStatus
from stoat_ferret.watch.watcher import FolderWatcher

IDLE_CPU_TARGET = 0.01
LATENCY_TARGET = 1.0
BURST_BATCHES_TARGET = 5
#: Seconds any single wait may take before the run is called a failure.
WAIT_LIMIT = 600.0


def make_tree(root: Path, files: int, folders: int) -> None:
    """``files`` files of 1 kB spread evenly over ``folders`` folders (two levels deep)."""
    payload = b"\0" * 1000
    per_folder = max(1, files // folders)
    made = 0
    for f in range(folders):
        folder = root / f"group{f // 50:03}" / f"shoot{f:05}"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_folder if f < folders - 1 else files - made):
            (folder / f"clip{i:05}.mp4").write_bytes(payload)
            made += 1


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def write_file(path: Path) -> float:
    """Write 1 MB in 64 kB chunks; the monotonic time just after it was closed."""
    with open(path, "wb") as f:
        for _ in range(16):
            f.write(b"\1" * 65536)
    return time.monotonic()


class Run:
    """One watcher over the tree, and what it sends."""

    def __init__(self, root: Path, *, settle: float, poll: bool, poll_interval: float) -> None:
        self.send, self.batches = trio.open_memory_channel[WatchBatch](10_000)
        self.statuses: list[WatchStatus] = []
        self.watcher = FolderWatcher(
            str(root),
            self.send,
            settle=settle,
            poll=poll,
            poll_interval=poll_interval,
            on_status=self.statuses.append,
        )

    async def next_batch(self) -> tuple[float, WatchBatch]:
        with trio.fail_after(WAIT_LIMIT):
            batch = await self.batches.receive()
        return time.monotonic(), batch


async def measure_idle(seconds: float) -> float:
    """Share of one core this process used over ``seconds`` of doing nothing itself."""
    start_cpu, start_wall = cpu_seconds(), time.monotonic()
    await trio.sleep(seconds)
    return (cpu_seconds() - start_cpu) / (time.monotonic() - start_wall)


async def bench(args: argparse.Namespace, root: Path, names: list[str]) -> dict[str, Any]:
    """Every measurement, on one tree; ``names``: the files the burst copies in."""
    results: dict[str, Any] = {"max_user_watches": max_user_watches()}
    run = Run(root, settle=args.settle, poll=False, poll_interval=args.poll_interval)
    async with trio.open_nursery() as nursery:
        started = time.monotonic()
        with trio.fail_after(WAIT_LIMIT):
            status = await nursery.start(run.watcher.run)
        results["start_seconds"] = time.monotonic() - started
        results["status"] = {"state": str(status.state), "reason": status.reason}
        how = status.reason or "inotify"
        print(f"start: {results['start_seconds']:.2f} s, {status.state} ({how})")

        # Let the start-up settle (thread cache, first root check) before measuring idle.
        await trio.sleep(2.0)
        idle = await measure_idle(args.idle_seconds)
        results["idle_cpu"] = idle
        print(
            f"idle CPU: {idle * 100:.3f}% of a core over {args.idle_seconds:.0f} s"
            f" (target < {IDLE_CPU_TARGET * 100:.0f}%)"
        )

        latencies = []
        target_dir = root / "latency"
        await trio.Path(target_dir).mkdir()
        for i in range(args.latency_rounds):
            path = target_dir / f"fresh{i:03}.mp4"
            closed_at = await trio.to_thread.run_sync(write_file, path)
            while True:
                received_at, batch = await run.next_batch()
                if str(path) in batch.settled:
                    break
            latencies.append(received_at - closed_at - args.settle)
        results["latency_over_settle"] = {
            "median": statistics.median(latencies),
            "max": max(latencies),
            "all": latencies,
        }
        print(
            f"latency over the settle window: median {statistics.median(latencies):.3f} s,"
            f" max {max(latencies):.3f} s (target: median < {LATENCY_TARGET:.0f} s)"
        )

        landing = root / "offload"
        expected = {str(landing / Path(n).name) for n in names}
        await trio.Path(landing).mkdir()
        copy_started = time.monotonic()
        await trio.run_process(["cp", "-p", *names, str(landing)])
        copy_seconds = time.monotonic() - copy_started
        sent: Counter[str] = Counter()
        batches = 0
        while not expected <= set(sent):
            _, batch = await run.next_batch()
            batches += 1
            sent.update(batch.settled)
        repeats = {p: n for p, n in sent.items() if n != 1}
        results["burst"] = {
            "files": len(expected),
            "copy_seconds": copy_seconds,
            "batches": batches,
            "sent_more_than_once": len(repeats),
        }
        print(
            f"burst: {len(expected)} files copied in {copy_seconds:.2f} s, {batches} batch(es),"
            f" {len(repeats)} sent more than once"
            f" (targets: at most {BURST_BATCHES_TARGET} batches, none repeated)"
        )
        nursery.cancel_scope.cancel()

    if args.poll_too:
        run = Run(root, settle=args.settle, poll=True, poll_interval=args.poll_interval)
        async with trio.open_nursery() as nursery:
            with trio.fail_after(WAIT_LIMIT):
                await nursery.start(run.watcher.run)
            await trio.sleep(2.0)
            idle = await measure_idle(args.idle_seconds)
            results["idle_cpu_polling"] = idle
            print(
                f"idle CPU while polling every {args.poll_interval:.0f} s:"
                f" {idle * 100:.3f}% of a core"
            )
            nursery.cancel_scope.cancel()
    return results


def make_video(path: Path) -> None:
    """A half-second test-pattern video with sound (the real ffmpeg), for the service part."""
    subprocess.run(
        [
            "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25:duration=0.5",
            "-f", "lavfi", "-i", "sine=duration=0.5",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", str(path),
        ],
        check=True,
    )  # fmt: skip


def probes_run(service: Any) -> int:
    """ffprobe runs so far, whatever their outcome, from the service's own metrics."""
    total = 0.0
    for line in service.metrics.render().decode().splitlines():
        if line.startswith("stoat_probes_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


async def bench_service(args: argparse.Namespace, workdir: Path, video: Path) -> dict[str, Any]:
    """The service's figures: latency to the library, a burst through jobs, idle CPU."""
    from stoat_ferret.events.hub import Subscriber
    from stoat_ferret.protocol import EventType, JobKind, JobStatus
    from stoat_ferret.service import open_service
    from stoat_ferret.settings import Settings

    watched = workdir / "watched"
    await trio.Path(watched).mkdir()
    settings = Settings(
        database_path=workdir / "data" / "library.db",
        thumbnail_dir=workdir / "data" / "thumbnails",
        allowed_scan_roots=(workdir,),
        watch_settle=args.settle,
        thumbnails_after_scan=False,
    )
    data = await trio.Path(video).read_bytes()
    results: dict[str, Any] = {}

    async def watch_job_done(subscriber: Subscriber) -> tuple[float, dict[str, Any]]:
        with trio.fail_after(WAIT_LIMIT):
            while True:
                event = await subscriber.receive()
                payload = event.payload
                if (
                    event.type == EventType.JOB_STATUS
                    and payload.get("kind") == JobKind.WATCH
                    and JobStatus(payload["status"]).terminal
                ):
                    return time.monotonic(), payload

    def write_video(path: Path) -> float:
        with open(path, "wb") as f:
            f.write(data)
        return time.monotonic()

    async with open_service(settings) as service:
        with service.hub.subscribe() as subscriber:
            await service.watches.add(str(watched))
            await watch_job_done(subscriber)  # the first, full rescan of the empty folder

            latencies = []
            for i in range(args.latency_rounds):
                closed_at = await trio.to_thread.run_sync(write_video, watched / f"r{i:03}.mp4")
                done_at, job = await watch_job_done(subscriber)
                if job["status"] != JobStatus.COMPLETE or job["result"]["new"] != 1:
                    raise RuntimeError(f"the watch job did not store the file: {job}")
                latencies.append(done_at - closed_at - args.settle)
            results["latency_to_library_over_settle"] = {
                "median": statistics.median(latencies),
                "max": max(latencies),
                "all": latencies,
            }
            print(
                f"service: latency to the library over the settle window:"
                f" median {statistics.median(latencies):.3f} s, max {max(latencies):.3f} s"
                f" (target: median < {LATENCY_TARGET:.0f} s)"
            )

            card = workdir / "card"
            await trio.Path(card).mkdir()
            for i in range(args.service_copy_files):
                await trio.Path(card / f"C{i:05}.MP4").write_bytes(data)
            names = sorted(str(card / f"C{i:05}.MP4") for i in range(args.service_copy_files))
            landing = watched / "offload"
            await trio.Path(landing).mkdir()
            probes_before = probes_run(service)
            started = time.monotonic()
            await trio.run_process(["cp", "-p", *names, str(landing)])
            jobs = []
            stored = 0
            while stored < len(names):
                _, job = await watch_job_done(subscriber)
                jobs.append(job)
                stored += job["result"]["new"] if job["result"] else 0
            seconds = time.monotonic() - started
            probes = probes_run(service) - probes_before
            results["service_burst"] = {
                "files": len(names),
                "jobs": len(jobs),
                "probes": probes,
                "seconds": seconds,
            }
            print(
                f"service: burst of {len(names)} files: {len(jobs)} watch job(s),"
                f" {probes} probes, all stored in {seconds:.1f} s"
                f" (targets: at most {BURST_BATCHES_TARGET} jobs, one probe per file)"
            )

            await trio.sleep(2.0)
            idle = await measure_idle(args.idle_seconds)
            results["service_idle_cpu"] = idle
            print(f"service: idle CPU {idle * 100:.3f}% of a core over {args.idle_seconds:.0f} s")
    return results


def judge_service(results: dict[str, Any]) -> bool:
    burst = results["service_burst"]
    return (
        results["latency_to_library_over_settle"]["median"] < LATENCY_TARGET
        and burst["jobs"] <= BURST_BATCHES_TARGET
        and burst["probes"] == burst["files"]
        and results["service_idle_cpu"] < IDLE_CPU_TARGET
    )


def judge(results: dict[str, Any]) -> bool:
    return (
        results["status"]["state"] in (WatchState.ACTIVE, WatchState.POLLING)
        and results["idle_cpu"] < IDLE_CPU_TARGET
        and results["latency_over_settle"]["median"] < LATENCY_TARGET
        and results["burst"]["batches"] <= BURST_BATCHES_TARGET
        and results["burst"]["sent_more_than_once"] == 0
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--folders", type=int, default=2_000)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--copy-files", type=int, default=500)
    parser.add_argument("--latency-rounds", type=int, default=10)
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--poll-too", action="store_true")
    parser.add_argument("--poll-interval", type=float, default=10.0)
    parser.add_argument(
        "--service", action="store_true", help="measure the whole service (see above)"
    )
    parser.add_argument("--service-copy-files", type=int, default=500)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--workdir", type=Path, help="where to make the tree (default: a temp dir)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-watch-", dir=args.workdir))
    try:
        if args.service:
            video = workdir / "sample.mp4"
            make_video(video)
            results = trio.run(bench_service, args, workdir, video)
            results["args"] = {k: str(v) for k, v in vars(args).items()}
            ok = judge_service(results)
            print("all targets met" if ok else "some targets missed")
            if args.json:
                args.json.write_text(json.dumps(results, indent=2))
            return 0 if ok else 1
        root, source = workdir / "library", workdir / "card"
        limit = max_user_watches()
        print(
            f"making {args.files} files in {args.folders} folders under {workdir}"
            f" (inotify watch limit: {limit})"
        )
        if limit is not None and limit < args.folders + 10:
            print("  the tree needs more watches than the limit allows: expect polling")
        made = time.monotonic()
        make_tree(root, args.files, args.folders)
        source.mkdir()
        for i in range(args.copy_files):
            (source / f"C{i:05}.MP4").write_bytes(b"\2" * 1000)
        subprocess.run(["sync"], check=False)
        print(f"  made in {time.monotonic() - made:.1f} s")
        names = sorted(str(p) for p in source.iterdir())
        results = trio.run(bench, args, root, names)
        results["args"] = {k: str(v) for k, v in vars(args).items()}
        ok = judge(results)
        print("all targets met" if ok else "some targets missed")
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
        return 0 if ok else 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
