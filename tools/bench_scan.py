"""Benchmark stoat-ferret's scan pipeline end to end, against baselines from the same run.

Run from the repository root (a few minutes on two cores)::

    .venv/bin/python tools/bench_scan.py [--files 400] [--rounds 3] [--cancel-repeats 30]
                                         [--json bench.json] [--workdir DIR]

Each phase starts the real server in this process (``stoat_ferret.server.serve`` through
``nursery.start`` on 127.0.0.1 port 0, a temporary database, the temporary media directory as
the only allowed scan root, ``probe_concurrency = os.cpu_count()``) and drives it over HTTP with
httpx. The end of a scan is taken from its ``scan_completed`` event on ``/ws`` (published after
the job's final state is stored), so no polling loads the server while it is timed. The machine
may be shared and noisy, so every figure comes with a baseline measured in the same run and is
judged as a ratio or against an absolute target; nothing here is a timed assertion. The exit
status is 0 when every target is met, 1 otherwise.

How each figure is measured
---------------------------

1. Cold scan. A handful of distinct tiny clips (five containers) are made once with ffmpeg,
   then copied under distinct names up to ``--files``. The baseline is
   ``xargs -0 -P <cpus> -n 1 <ffprobe argv>`` over the same files, with exactly the arguments
   of ``stoat_ferret.probe.run.probe_command`` (``file:`` + absolute path last) and stdout and
   stderr piped back to this process, as the service's are. After a short untimed warm-up of
   both, ``--rounds`` rounds alternate baseline and scan; every scan gets a fresh server and
   database. Scan time runs from ``POST /api/v1/videos/scan`` to its ``scan_completed`` event.
   Judged: median scan / median baseline (target: at most 1.25). Also shown, because wall
   time on a shared machine is noisy: the median of the per-round ratios, the CPU time of this
   process (server and client) and of its children (ffprobe) from ``getrusage``, their ratio,
   and how busy the probe slots were (the server's ``stoat_probe_duration_seconds_sum`` over
   ``cpus`` x scan time).
2. Rescan. A server whose ``ffprobe_path`` is a wrapper script (it appends its pid to a log,
   then execs the real ffprobe) opens the last cold scan's database and rescans the unchanged
   files ``--rounds`` times. Judged: median wall time (target: under 1 s) and the lines the log
   gained (must be 0). A last rescan after touching one file must add exactly one line, which
   shows that the wrapper really counts.
3. Liveness. One persistent ``httpx.AsyncClient`` requests ``/health/live`` every 10 ms in
   three windows on one server: idle (the baseline), while an xargs run of the same probes
   loads the CPUs with the server otherwise idle (a control: same CPU load, no scan code), and
   for the whole of a cold scan. Judged: p99 during the scan (target: under 10 ms); the ratios
   are to the idle figures. For each window, the share of its wall time the event-loop thread
   spent runnable but waiting for a CPU (``/proc/self/task/<tid>/schedstat``) tells CPU
   contention apart from code holding the loop; the server's own loop watch (longest task
   step, from ``/metrics``) is shown when the server exports it. Client and server share this
   process and its event loop, so every latency includes the client's own overhead.
4. Cancel. ``--cancel-repeats`` times: scan a small directory with a prober that logs its pid,
   ignores SIGTERM and then execs ``sleep``; once every probe slot holds a logged prober, time
   ``POST /api/v1/jobs/{id}/cancel`` until it answers 200 with status ``cancelled``, then check
   at once with ``os.kill(pid, 0)`` that every logged pid is gone (an unreaped zombie counts as
   alive). After the last repeat, any child of this process left in /proc counts too. The
   baseline is a plain ``GET /api/v1/jobs/{id}`` of the same running job, timed just before
   each cancel. Judged: surviving children (must be 0); p50/p99 and their ratios are shown.
   Survivors are SIGKILLed by pid at the end.

Blocking work (generating files, the timed xargs baseline) runs between the phases' trio runs,
never while a server is serving; inside a phase, files and /proc are read in worker threads and
child processes run through ``trio.run_process``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import httpx
import trio
from trio_websocket import open_websocket_url

from stoat_ferret.probe.run import probe_command
from stoat_ferret.server import serve
from stoat_ferret.settings import Settings

#: Targets from the design brief.
COLD_RATIO_TARGET = 1.25
RESCAN_SECONDS_TARGET = 1.0
HEALTH_P99_TARGET = 0.010
#: Seconds between /health/live requests, and how long the idle baseline samples.
HEALTH_INTERVAL = 0.010
HEALTH_IDLE_SECONDS = 5.0
#: Files the untimed xargs warm-up probes.
WARMUP_FILES = 20
#: Files in the small directory used for the scan warm-up and the cancel phase.
SMALL_DIR_FILES = 4
#: GET round trips timed before each cancel, for the baseline.
GETS_PER_CANCEL = 3
#: Seconds any single wait in the benchmark may take before it is called a failure.
WAIT_LIMIT = 300.0
#: Distinct clips the library is copied from: file name -> ffmpeg output arguments.
CLIPS: dict[str, list[str]] = {
    "h264_aac.mp4": [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
    ],
    "h264_vorbis.mkv": ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "libvorbis"],
    "vp9_opus.webm": [
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-c:a",
        "libopus",
    ],
    "mpeg4_mp3.avi": ["-c:v", "mpeg4", "-c:a", "libmp3lame"],
    "mjpeg_pcm.mov": ["-c:v", "mjpeg", "-c:a", "pcm_s16le"],
}


class BenchError(Exception):
    """The service did something a measurement depends on wrongly; the run cannot go on."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise BenchError(message)


# -- workspace ----------------------------------------------------------------------------


@attrs.frozen
class Workspace:
    """The temporary tree a run works in, and how to configure a server over it."""

    root: Path
    ffprobe: str
    cpus: int

    @property
    def media(self) -> Path:
        """The only allowed scan root."""
        return self.root / "media"

    @property
    def library(self) -> Path:
        return self.media / "library"

    @property
    def small_dir(self) -> Path:
        return self.media / "small"

    @property
    def counting_prober(self) -> Path:
        return self.root / "bin" / "ffprobe-counting"

    @property
    def counting_log(self) -> Path:
        return self.root / "logs" / "counting.pids"

    @property
    def hanging_prober(self) -> Path:
        return self.root / "bin" / "ffprobe-hanging"

    @property
    def hanging_log(self) -> Path:
        return self.root / "logs" / "hanging.pids"

    def database(self, name: str) -> Path:
        return self.root / "data" / f"{name}.db"

    def settings(self, database: Path, *, ffprobe: str | Path | None = None) -> Settings:
        """Settings for one server on port 0, with ``database`` as its library."""
        return Settings(
            database_path=database,
            thumbnail_dir=self.root / "thumbnails",
            api_port=0,
            allowed_scan_roots=(self.media,),
            ffprobe_path=str(ffprobe or self.ffprobe),
            probe_concurrency=self.cpus,
            log_level="WARNING",
            # The targets are about scanning: thumbnails (ffmpeg) queued after each scan
            # would compete with the next measurement.
            thumbnails_after_scan=False,
        )

    def library_files(self) -> list[Path]:
        return sorted(self.library.iterdir())


def generate_clip(target: Path, output_args: list[str]) -> None:
    """A 0.5 s test pattern with a tone, 64x48, in the container ``target``'s suffix names."""
    sources = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25:duration=0.5"]
    sources += ["-f", "lavfi", "-i", "sine=frequency=440:duration=0.5"]
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *sources]
    subprocess.run([*command, *output_args, str(target)], check=True, capture_output=True)


def fill_directory(directory: Path, clips: Sequence[Path], count: int) -> None:
    """``count`` byte copies of ``clips``, round robin, each under a name of its own."""
    directory.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        clip = clips[index % len(clips)]
        shutil.copyfile(clip, directory / f"{index:05d}-{clip.name}")


def write_wrapper(script: Path, pid_log: Path, body: str) -> None:
    """An executable shell script that appends its pid to ``pid_log``, then runs ``body``.

    The body ``exec``s its program, so the logged pid is the prober the service ran.
    """
    script.parent.mkdir(parents=True, exist_ok=True)
    pid_log.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(f"#!/bin/sh\necho $$ >> {shlex.quote(str(pid_log))}\n{body}\n")
    script.chmod(0o755)


def prepare_workspace(root: Path, files: int) -> Workspace:
    """Generate the clips, fill the media directories, write both prober wrappers."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None or shutil.which("ffmpeg") is None:
        raise BenchError("ffmpeg and ffprobe must be on PATH")
    ws = Workspace(root=root, ffprobe=ffprobe, cpus=os.cpu_count() or 1)
    clip_dir = root / "clips"
    clip_dir.mkdir(parents=True, exist_ok=True)
    clips = []
    for name, output_args in CLIPS.items():
        generate_clip(clip_dir / name, output_args)
        clips.append(clip_dir / name)
    fill_directory(ws.library, clips, files)
    fill_directory(ws.small_dir, clips, SMALL_DIR_FILES)
    write_wrapper(ws.counting_prober, ws.counting_log, f'exec {shlex.quote(ffprobe)} "$@"')
    # An ignored signal stays ignored across exec: this sleep shrugs off SIGTERM.
    write_wrapper(ws.hanging_prober, ws.hanging_log, "trap '' TERM\nexec sleep 3600")
    return ws


# -- measuring ----------------------------------------------------------------------------


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

    @property
    def total(self) -> float:
        return self.own + self.children


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


def child_pids(parent: int) -> list[int]:
    """Direct children of ``parent`` per /proc (Linux). Synchronous: call it in a thread."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat_file:
                fields = stat_file.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is still a process; an unreaped zombie counts as alive."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- the xargs baseline -------------------------------------------------------------------


def xargs_command(ws: Workspace, files: Sequence[Path]) -> tuple[list[str], bytes]:
    """``xargs`` argv running the service's ffprobe argv per file, and its NUL-separated input."""
    argv = [probe_command(ws.ffprobe, str(path)) for path in files]
    payload = b"\0".join(os.fsencode(command[-1]) for command in argv)
    return ["xargs", "-0", "-P", str(ws.cpus), "-n", "1", *argv[0][:-1]], payload


@attrs.frozen
class Timed:
    seconds: float
    cpu: CpuTimes


def run_xargs_baseline(ws: Workspace, files: Sequence[Path]) -> Timed:
    """Probe ``files`` with xargs, synchronously: only call it while no server runs."""
    command, payload = xargs_command(ws, files)
    cpu_start = CpuTimes.now()
    started = time.perf_counter()
    done = subprocess.run(command, input=payload, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    expect(done.returncode == 0, f"xargs failed: {done.stderr.decode(errors='replace')[:500]}")
    return Timed(elapsed, CpuTimes.now().since(cpu_start))


async def run_xargs_async(ws: Workspace, files: Sequence[Path]) -> None:
    """The same xargs run, as a trio child process (for use while a server runs)."""
    command, payload = xargs_command(ws, files)
    await trio.run_process(command, stdin=payload, capture_stdout=True, capture_stderr=True)


# -- talking to the server ----------------------------------------------------------------


@asynccontextmanager
async def running_server(settings: Settings) -> AsyncIterator[str]:
    """Serve ``settings`` in this process for the block; yield the base URL."""
    async with trio.open_nursery() as nursery:
        stop = trio.Event()
        url: str = await nursery.start(partial(serve, settings, stop=stop))
        try:
            yield url
        finally:
            stop.set()


@asynccontextmanager
async def server_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A running server and a client for it whose connection is already open."""
    async with (
        running_server(settings) as url,
        httpx.AsyncClient(base_url=url, timeout=WAIT_LIMIT) as client,
    ):
        (await client.get("/health/live")).raise_for_status()
        yield client


@attrs.frozen
class ScanRun:
    """One scan as the client saw it."""

    seconds: float
    job: dict[str, Any]
    cpu: CpuTimes

    @property
    def result(self) -> dict[str, Any]:
        return self.job.get("result") or {}


async def start_scan(client: httpx.AsyncClient, path: Path) -> str:
    response = await client.post("/api/v1/videos/scan", json={"path": str(path)})
    expect(response.status_code == 202, f"scan refused: {response.status_code} {response.text}")
    job_id: str = response.json()["job_id"]
    return job_id


async def scan_and_wait(client: httpx.AsyncClient, path: Path) -> ScanRun:
    """Scan ``path``; time it from the POST to the job's ``scan_completed`` event."""
    events_url = "ws" + str(client.base_url).removeprefix("http").rstrip("/") + "/ws"
    async with open_websocket_url(events_url) as events:
        cpu_start = CpuTimes.now()
        started = time.perf_counter()
        job_id = await start_scan(client, path)
        with trio.fail_after(WAIT_LIMIT):
            while True:
                event = json.loads(await events.get_message())
                if event["type"] == "scan_completed" and event["payload"]["job_id"] == job_id:
                    break
        elapsed = time.perf_counter() - started
        cpu = CpuTimes.now().since(cpu_start)
    job = (await client.get(f"/api/v1/jobs/{job_id}")).json()
    expect(job["status"] == "complete", f"scan of {path} ended as {job['status']}: {job}")
    return ScanRun(elapsed, job, cpu)


async def read_metrics(client: httpx.AsyncClient) -> dict[str, float]:
    """``/metrics`` as ``{name: value}``, summed over labels; empty if it is not served."""
    response = await client.get("/metrics")
    if response.status_code != 200:
        return {}
    values: dict[str, float] = {}
    for line in response.text.splitlines():
        if not line or line.startswith("#"):
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        with suppress(ValueError, IndexError):
            values[name] = values.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    return values


async def read_pids(log: Path) -> list[int]:
    """Every pid a wrapper has logged so far (read in a worker thread)."""
    path = trio.Path(log)
    if not await path.exists():
        return []
    return [int(word) for word in (await path.read_text()).split()]


# -- phase 1: cold scan -------------------------------------------------------------------


@attrs.frozen
class ColdRound:
    baseline: Timed
    scan: ScanRun
    #: Sum of the server's ffprobe wall times over (cpus x scan time); None if not exported.
    slot_busy: float | None


async def cold_scan_once(ws: Workspace, database: Path, directory: Path) -> tuple[ScanRun, float]:
    """One cold scan of ``directory`` with a fresh server; the run and its ffprobe seconds."""
    async with server_client(ws.settings(database)) as client:
        run = await scan_and_wait(client, directory)
        metrics = await read_metrics(client)
    expect(run.result.get("error_count") == 0, f"cold scan had errors: {run.result}")
    return run, metrics.get("stoat_probe_duration_seconds_sum", math.nan)


def measure_cold(ws: Workspace, rounds: int, log: Callable[[str], None]) -> list[ColdRound]:
    """After a short warm-up, alternate the xargs baseline and a cold scan ``rounds`` times."""
    files = ws.library_files()
    run_xargs_baseline(ws, files[:WARMUP_FILES])
    trio.run(cold_scan_once, ws, ws.database("warmup"), ws.small_dir)
    measured = []
    for index in range(rounds):
        baseline = run_xargs_baseline(ws, files)
        scan, probe_seconds = trio.run(cold_scan_once, ws, ws.database(f"cold-{index}"), ws.library)
        expect(scan.result.get("new") == len(files), f"cold scan stored {scan.result}")
        busy = probe_seconds / (ws.cpus * scan.seconds)
        measured.append(ColdRound(baseline, scan, None if math.isnan(busy) else busy))
        log(
            f"  round {index + 1}: xargs {baseline.seconds:.2f} s, scan {scan.seconds:.2f} s "
            f"(ratio {scan.seconds / baseline.seconds:.2f})"
        )
    return measured


def job_seconds(job: dict[str, Any]) -> float | None:
    """The server's own started -> finished time for a job (millisecond timestamps)."""
    if not job.get("started_at") or not job.get("finished_at"):
        return None
    start = datetime.fromisoformat(job["started_at"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(job["finished_at"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


# -- phase 2: rescan ----------------------------------------------------------------------


@attrs.frozen
class RescanFigures:
    files: int
    seconds: list[float]
    spawned_during_rescans: int
    spawned_after_touching_one: int


async def rescan_phase(
    ws: Workspace, database: Path, files: Sequence[Path], rounds: int
) -> RescanFigures:
    """Rescan the unchanged ``files`` through the counting prober; then touch one of them."""
    async with server_client(ws.settings(database, ffprobe=ws.counting_prober)) as client:
        spawned_before = len(await read_pids(ws.counting_log))
        runs = [await scan_and_wait(client, ws.library) for _ in range(rounds)]
        spawned_during = len(await read_pids(ws.counting_log)) - spawned_before
        for run in runs:
            expect(run.result.get("unchanged") == len(files), f"rescan result {run.result}")
        # Check the wrapper itself: one changed file must mean exactly one spawn.
        await trio.to_thread.run_sync(partial(os.utime, files[0], ns=(0, time.time_ns())))
        check = await scan_and_wait(client, ws.library)
        spawned_check = len(await read_pids(ws.counting_log)) - spawned_before - spawned_during
    expect(check.result.get("updated") == 1, f"touch-one rescan result {check.result}")
    return RescanFigures(len(files), [r.seconds for r in runs], spawned_during, spawned_check)


# -- phase 3: liveness --------------------------------------------------------------------


@attrs.define
class HealthSampler:
    """GETs /health/live every HEALTH_INTERVAL through one client until told to stop."""

    client: httpx.AsyncClient
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
            next_at = max(next_at + HEALTH_INTERVAL, trio.current_time())
            await trio.sleep_until(next_at)


@attrs.frozen
class Window:
    """/health/live latencies over one stretch of load."""

    latencies_ms: list[float]
    failures: int
    wall: float
    #: Share of ``wall`` the event-loop thread waited, runnable, for a CPU (None: unknown).
    run_queue_share: float | None


async def health_window(client: httpx.AsyncClient, load: Callable[[], Awaitable[object]]) -> Window:
    """Sample /health/live for as long as ``load`` runs."""
    tid = threading.get_native_id()
    waited_before = await trio.to_thread.run_sync(run_queue_wait, tid)
    started = time.perf_counter()
    sampler, stop = HealthSampler(client), trio.Event()
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


@attrs.frozen
class HealthFigures:
    idle: Window
    xargs: Window
    scan: Window
    #: The server's loop watch over the whole phase, if it exports one.
    longest_step_ms: float | None
    slow_steps: float | None


async def health_phase(ws: Workspace, database: Path, files: Sequence[Path]) -> HealthFigures:
    """/health/live latency on one server: idle, under an xargs run, during a cold scan."""
    async with (
        server_client(ws.settings(database)) as client,
        httpx.AsyncClient(base_url=client.base_url, timeout=WAIT_LIMIT) as health,
    ):
        await health.get("/health/live")
        idle = await health_window(health, partial(trio.sleep, HEALTH_IDLE_SECONDS))
        xargs = await health_window(health, partial(run_xargs_async, ws, files))
        scan = await health_window(health, partial(scan_and_wait, client, ws.library))
        metrics = await read_metrics(client)
    longest = metrics.get("stoat_loop_longest_step_seconds")
    return HealthFigures(
        idle,
        xargs,
        scan,
        longest * 1000 if longest is not None else None,
        metrics.get("stoat_loop_slow_steps"),
    )


# -- phase 4: cancel ----------------------------------------------------------------------


async def wait_for_pids(log: Path, count: int) -> list[int]:
    """Poll a prober's pid log until it holds ``count`` pids."""
    with trio.fail_after(WAIT_LIMIT):
        # Other processes write the log: there is no event to wait on, so poll it.
        while len(pids := await read_pids(log)) < count:  # noqa: ASYNC110
            await trio.sleep(0.002)
    return pids


async def timed(request: Awaitable[httpx.Response]) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = await request
    return time.perf_counter() - started, response


@attrs.frozen
class CancelRepeat:
    cancel_seconds: float
    get_seconds: list[float]
    pids: list[int]
    survivors: list[int]


async def cancel_once(client: httpx.AsyncClient, ws: Workspace, logged: int) -> CancelRepeat:
    """Scan with the hanging prober, wait for every slot to hang, cancel, check the pids."""
    job_id = await start_scan(client, ws.small_dir)
    pids = await wait_for_pids(ws.hanging_log, logged + min(ws.cpus, SMALL_DIR_FILES))
    gets = []
    for _ in range(GETS_PER_CANCEL):
        seconds, response = await timed(client.get(f"/api/v1/jobs/{job_id}"))
        expect(response.json()["status"] == "running", f"job not running: {response.text}")
        gets.append(seconds)
    seconds, response = await timed(client.post(f"/api/v1/jobs/{job_id}/cancel"))
    expect(
        response.status_code == 200 and response.json()["status"] == "cancelled",
        f"cancel answered {response.status_code} {response.text}",
    )
    # Checked at once, with no grace: a 200 promises the children are killed and reaped.
    mine = pids[logged:]
    return CancelRepeat(seconds, gets, mine, [pid for pid in mine if alive(pid)])


@attrs.frozen
class CancelFigures:
    repeats: list[CancelRepeat]
    children_left: list[int]

    @property
    def pids(self) -> list[int]:
        return [pid for repeat in self.repeats for pid in repeat.pids]

    @property
    def survivors(self) -> list[int]:
        found = [pid for repeat in self.repeats for pid in repeat.survivors]
        return sorted(set(found) | set(self.children_left))


async def cancel_phase(ws: Workspace, database: Path, repeats: int) -> CancelFigures:
    """``repeats`` cancels of hung scans; every logged prober must be gone at each answer."""
    done: list[CancelRepeat] = []
    async with server_client(ws.settings(database, ffprobe=ws.hanging_prober)) as client:
        for _ in range(repeats):
            done.append(await cancel_once(client, ws, sum(len(r.pids) for r in done)))
        left = await trio.to_thread.run_sync(child_pids, os.getpid())
    return CancelFigures(done, left)


def reap_survivors(pids: Sequence[int]) -> None:
    """SIGKILL probers the service left behind, by pid (this run started them)."""
    for pid in pids:
        if alive(pid):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


# -- report -------------------------------------------------------------------------------


def fmt_ms(value: float) -> str:
    return f"{value:.2f} ms"


def fmt_s(value: float) -> str:
    return f"{value:.3f} s"


def fmt_x(value: float) -> str:
    return f"{value:.2f}x"


def fmt_share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


@attrs.frozen
class Row:
    figure: str
    value: str
    baseline: str = ""
    ratio: str = ""


@attrs.frozen
class Target:
    """One target's figures, verdict and data for the JSON report."""

    name: str
    rows: tuple[Row, ...]
    met: bool
    verdict: str
    data: dict[str, Any]


def judge_cold(rounds: Sequence[ColdRound]) -> Target:
    base = statistics.median(r.baseline.seconds for r in rounds)
    scan = statistics.median(r.scan.seconds for r in rounds)
    wall_ratio = ratio(scan, base)
    paired = statistics.median(ratio(r.scan.seconds, r.baseline.seconds) for r in rounds)
    cpu_base = statistics.median(r.baseline.cpu.total for r in rounds)
    cpu_scan = statistics.median(r.scan.cpu.total for r in rounds)
    busy = [r.slot_busy for r in rounds if r.slot_busy is not None]
    files = rounds[0].scan.result.get("new")
    rows = [
        Row(f"cold scan, {files} files (median)", fmt_s(scan), fmt_s(base), fmt_x(wall_ratio)),
        Row("  median of per-round ratios", "", "", fmt_x(paired)),
        Row(
            "  CPU, this process + children",
            fmt_s(cpu_scan),
            fmt_s(cpu_base),
            fmt_x(ratio(cpu_scan, cpu_base)),
        ),
        Row(
            "  CPU in ffprobe children",
            fmt_s(statistics.median(r.scan.cpu.children for r in rounds)),
            fmt_s(statistics.median(r.baseline.cpu.children for r in rounds)),
        ),
        Row(
            "  CPU in this process (server+client)",
            fmt_s(statistics.median(r.scan.cpu.own for r in rounds)),
            fmt_s(statistics.median(r.baseline.cpu.own for r in rounds)),
        ),
    ]
    if busy:
        rows.append(Row("  probe slots busy (median)", f"{statistics.median(busy):.0%}", "100%"))
    verdict = (
        f"cold scan takes {fmt_x(wall_ratio)} the xargs+ffprobe time (target <= "
        f"{COLD_RATIO_TARGET}x); per-round median {fmt_x(paired)}, "
        f"CPU {fmt_x(ratio(cpu_scan, cpu_base))}"
    )
    data = {
        "baseline_s": [r.baseline.seconds for r in rounds],
        "scan_s": [r.scan.seconds for r in rounds],
        "scan_job_s": [job_seconds(r.scan.job) for r in rounds],
        "baseline_cpu": [attrs.asdict(r.baseline.cpu) for r in rounds],
        "scan_cpu": [attrs.asdict(r.scan.cpu) for r in rounds],
        "probe_slots_busy": [r.slot_busy for r in rounds],
        "median_baseline_s": base,
        "median_scan_s": scan,
        "ratio": wall_ratio,
        "median_round_ratio": paired,
        "cpu_ratio": ratio(cpu_scan, cpu_base),
    }
    return Target("1. cold scan", tuple(rows), wall_ratio <= COLD_RATIO_TARGET, verdict, data)


def judge_rescan(figures: RescanFigures) -> Target:
    median, worst = statistics.median(figures.seconds), max(figures.seconds)
    spawned = figures.spawned_during_rescans
    rows = (
        Row(
            f"rescan, {figures.files} unchanged (median)",
            fmt_s(median),
            fmt_s(RESCAN_SECONDS_TARGET),
        ),
        Row("  rescan, worst round", fmt_s(worst)),
        Row("  ffprobe spawned during rescans", str(spawned), "0"),
        Row("  spawned after touching 1 file", str(figures.spawned_after_touching_one), "1"),
    )
    verdict = (
        f"rescan takes {fmt_s(median)} median, {fmt_s(worst)} worst (target < "
        f"{RESCAN_SECONDS_TARGET:g} s), and spawned {spawned} ffprobe (must be 0)"
    )
    met = median < RESCAN_SECONDS_TARGET and spawned == 0
    data = {**attrs.asdict(figures), "median_s": median, "worst_s": worst}
    return Target("2. rescan", rows, met, verdict, data)


def window_summary(window: Window) -> dict[str, Any]:
    return {
        "n": len(window.latencies_ms),
        "p50_ms": percentile(window.latencies_ms, 50),
        "p99_ms": percentile(window.latencies_ms, 99),
        "max_ms": max(window.latencies_ms),
        "failures": window.failures,
        "wall_s": window.wall,
        "run_queue_share": window.run_queue_share,
        "latencies_ms": window.latencies_ms,
    }


def judge_health(figures: HealthFigures) -> Target:
    idle, xargs, scan = (window_summary(w) for w in (figures.idle, figures.xargs, figures.scan))
    failures = idle["failures"] + xargs["failures"] + scan["failures"]
    rows = [
        Row(
            f"/health/live p50 during scan (n={scan['n']})",
            fmt_ms(scan["p50_ms"]),
            fmt_ms(idle["p50_ms"]),
            fmt_x(ratio(scan["p50_ms"], idle["p50_ms"])),
        ),
        Row(
            f"/health/live p99 during scan (idle n={idle['n']})",
            fmt_ms(scan["p99_ms"]),
            fmt_ms(idle["p99_ms"]),
            fmt_x(ratio(scan["p99_ms"], idle["p99_ms"])),
        ),
        Row(
            "  p99 under xargs, server idle (control)",
            fmt_ms(xargs["p99_ms"]),
            fmt_ms(idle["p99_ms"]),
            fmt_x(ratio(xargs["p99_ms"], idle["p99_ms"])),
        ),
        Row(
            "  max during scan / under xargs",
            f"{scan['max_ms']:.1f} / {xargs['max_ms']:.1f} ms",
            fmt_ms(idle["max_ms"]),
        ),
        Row(
            "  loop thread waiting for a CPU: scan / xargs",
            f"{fmt_share(scan['run_queue_share'])} / {fmt_share(xargs['run_queue_share'])}",
            fmt_share(idle["run_queue_share"]),
        ),
        Row("  non-200 answers", str(failures), "0"),
    ]
    if figures.longest_step_ms is not None:
        rows.append(
            Row("  longest loop step (server's loop watch)", fmt_ms(figures.longest_step_ms))
        )
    met = scan["p99_ms"] < HEALTH_P99_TARGET * 1000 and failures == 0
    verdict = (
        f"/health/live p99 during a scan is {fmt_ms(scan['p99_ms'])} (target < "
        f"{fmt_ms(HEALTH_P99_TARGET * 1000)}), {fmt_x(ratio(scan['p99_ms'], idle['p99_ms']))} "
        f"idle; the same CPU load from xargs alone gives {fmt_ms(xargs['p99_ms'])}"
    )
    data = {
        "idle": idle,
        "xargs_control": xargs,
        "scan": scan,
        "longest_loop_step_ms": figures.longest_step_ms,
        "slow_loop_steps": figures.slow_steps,
    }
    return Target("3. liveness", tuple(rows), met, verdict, data)


def judge_cancel(figures: CancelFigures) -> Target:
    cancels = [r.cancel_seconds * 1000 for r in figures.repeats]
    gets = [s * 1000 for r in figures.repeats for s in r.get_seconds]
    c50, c99 = percentile(cancels, 50), percentile(cancels, 99)
    g50, g99 = percentile(gets, 50), percentile(gets, 99)
    survivors, started = len(figures.survivors), len(figures.pids)
    rows = (
        Row(
            f"cancel -> cancelled p50 (n={len(cancels)})",
            fmt_ms(c50),
            fmt_ms(g50),
            fmt_x(ratio(c50, g50)),
        ),
        Row("cancel -> cancelled p99", fmt_ms(c99), fmt_ms(g99), fmt_x(ratio(c99, g99))),
        Row("  probers started / surviving", f"{started} / {survivors}", "- / 0"),
    )
    verdict = (
        f"cancel answers in {fmt_ms(c50)} p50, {fmt_ms(c99)} p99 ({fmt_x(ratio(c50, g50))} a "
        f"GET); {survivors} of {started} probers survived (must be 0)"
    )
    data = {
        "cancel_ms": cancels,
        "get_ms": gets,
        "cancel_p50_ms": c50,
        "cancel_p99_ms": c99,
        "get_p50_ms": g50,
        "get_p99_ms": g99,
        "probers_started": started,
        "surviving_pids": figures.survivors,
    }
    return Target("4. cancel", rows, survivors == 0, verdict, data)


def render(targets: Sequence[Target]) -> str:
    """The figures as a fixed-width table, then one verdict line per target."""
    header = Row("figure", "value", "baseline", "ratio")
    rows = [header, *(row for target in targets for row in target.rows)]
    columns = ("figure", "value", "baseline", "ratio")
    widths = [max(len(getattr(row, column)) for row in rows) for column in columns]

    def line(row: Row) -> str:
        cells = [getattr(row, column) for column in columns]
        text = f"{cells[0]:<{widths[0]}}"
        text += "".join(
            f"  {cell:>{width}}" for cell, width in zip(cells[1:], widths[1:], strict=True)
        )
        return text.rstrip()

    out = [line(header), "-" * (sum(widths) + 2 * (len(widths) - 1))]
    out += [line(row) for row in rows[1:]]
    out.append("")
    out += [f"{'MET ' if t.met else 'MISS'}  {t.name}: {t.verdict}" for t in targets]
    return "\n".join(out)


# -- main ---------------------------------------------------------------------------------


class FirstLineFormatter(logging.Formatter):
    """The server's warnings (slow loop steps carry whole stacks) on one line each."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).splitlines()[0]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--files", type=int, default=400, help="videos in the library (400)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of scans (3)")
    parser.add_argument("--cancel-repeats", type=int, default=30, help="cancels to time (30)")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    parser.add_argument("--workdir", type=Path, help="work here and keep it (default: temp)")
    args = parser.parse_args(argv)
    if min(args.files, args.rounds, args.cancel_repeats) < 1:
        parser.error("--files, --rounds and --cancel-repeats must be at least 1")
    return args


def run_all(ws: Workspace, args: argparse.Namespace) -> list[Target]:
    files = ws.library_files()
    log(f"1/4 cold scan vs xargs -P {ws.cpus}: warm-up, then {args.rounds} rounds")
    cold = measure_cold(ws, args.rounds, log)
    log("2/4 rescans of the unchanged files")
    last_database = ws.database(f"cold-{args.rounds - 1}")
    rescan = trio.run(rescan_phase, ws, last_database, files, args.rounds)
    log(f"3/4 /health/live: idle {HEALTH_IDLE_SECONDS:g} s, under xargs, during a cold scan")
    health = trio.run(health_phase, ws, ws.database("health"), files)
    log(f"4/4 cancel x{args.cancel_repeats}")
    cancel = trio.run(cancel_phase, ws, ws.database("cancel"), args.cancel_repeats)
    reap_survivors(cancel.pids)
    return [judge_cold(cold), judge_rescan(rescan), judge_health(health), judge_cancel(cancel)]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(FirstLineFormatter("  server log: %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    root = (args.workdir or Path(tempfile.mkdtemp(prefix="stoat-bench-"))).resolve()
    try:
        started = time.perf_counter()
        ws = prepare_workspace(root, args.files)
        log(f"{args.files} files ready in {time.perf_counter() - started:.1f} s under {root}")
        targets = run_all(ws, args)
    finally:
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    print(render(targets))
    if args.json is not None:
        report = {
            "settings": {"files": args.files, "rounds": args.rounds, "cpus": ws.cpus},
            "targets": {t.name: {"met": t.met, "verdict": t.verdict, **t.data} for t in targets},
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if all(t.met for t in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
