"""The CLI's client commands. Each is ``async def (client, console, args) -> exit status``."""

from __future__ import annotations

import argparse
import signal
import time
from typing import Any

import attrs
import trio

from ..client import Client, Job, JobHandle, JobStatus, Video
from ..protocol import EventType
from .console import Console, format_duration, format_size

#: Exit status of a scan stopped with Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


def job_json(job: Job) -> dict[str, Any]:
    data = attrs.asdict(job)
    data["status"] = str(job.status)
    return data


def video_json(video: Video) -> dict[str, Any]:
    return attrs.asdict(video)


def describe_result(job: Job) -> str:
    """What a scan did, in one line."""
    result = job.result or {}
    parts = [
        f"{result.get('scanned', 0)} found",
        f"{result.get('new', 0)} new",
        f"{result.get('updated', 0)} updated",
        f"{result.get('unchanged', 0)} unchanged",
    ]
    if result.get("missing"):
        parts.append(f"{result['missing']} missing")
    parts.append(f"{result.get('error_count', 0)} errors")
    return ", ".join(parts)


async def print_scan_outcome(console: Console, job: Job) -> None:
    if console.json_mode:
        await console.data(job_json(job))
        return
    if job.status is JobStatus.COMPLETE:
        await console.line(f"scan complete: {describe_result(job)}")
    elif job.status is JobStatus.CANCELLED:
        await console.line(f"scan cancelled; kept what was done: {describe_result(job)}")
    else:
        await console.line(f"scan {job.status}: {job.error or 'no reason given'}")
        if job.result:
            await console.line(f"kept what was done: {describe_result(job)}")
    for item in (job.result or {}).get("errors", [])[:20]:
        await console.line(f"  error: {item['path']}: {item['error']}")


@attrs.define
class _Rate:
    """Files per second over the scan so far, for the progress bar and its ETA."""

    started: float = attrs.field(factory=time.monotonic)
    first_processed: int | None = None

    def update(self, processed: int) -> float | None:
        if self.first_processed is None:
            self.first_processed = processed
            return None
        elapsed = time.monotonic() - self.started
        done = processed - self.first_processed
        return done / elapsed if elapsed > 0 and done > 0 else None


async def follow_job(client: Client, console: Console, job_id: str) -> Job:
    """Show the job's progress until it is terminal; return it."""
    rate = _Rate()
    async with client.events(job_id=job_id) as stream:
        job = await client.get_job(job_id)
        if job.terminal:
            return job
        await console.progress(
            processed=job.processed,
            total=job.total,
            rate=rate.update(job.processed),
            current_file=job.current_file,
        )
        async for event in stream:
            if event.resync_required:
                job = await client.get_job(job_id)
            elif event.type == EventType.JOB_STATUS:
                job = Job.from_json(event.payload)
            elif event.type == EventType.JOB_PROGRESS:
                processed = int(event.payload.get("processed") or 0)
                await console.progress(
                    processed=processed,
                    total=event.payload.get("total"),
                    rate=rate.update(processed),
                    current_file=event.payload.get("current_file"),
                )
            if job.terminal:
                return job
    return await client.get_job(job_id)


async def scan(client: Client, console: Console, args: argparse.Namespace) -> int:
    """Scan a directory; with a terminal, watch it live. Ctrl-C cancels it on the server."""
    recursive = not args.no_recursive
    if args.detach:
        job = await client.scan(args.path, recursive=recursive, force=args.force)
        if console.json_mode:
            await console.data(job_json(job))
        else:
            await console.line(job.job_id)
        return 0

    final: Job | None = None
    handle: JobHandle | None = None
    watching = trio.CancelScope()
    with trio.open_signal_receiver(signal.SIGINT) as interrupts:
        async with trio.open_nursery() as nursery:

            async def cancel_on_interrupt() -> None:
                # The first Ctrl-C stops watching (and so cancels the server job); any
                # more while that cancel finishes are taken here, not raised.
                async for _ in interrupts:
                    watching.cancel()

            nursery.start_soon(cancel_on_interrupt)
            with watching:
                async with client.scan_job(
                    args.path, recursive=recursive, force=args.force
                ) as started:
                    handle = started
                    final = await follow_job(client, console, started.job_id)
            if watching.cancelled_caught:
                status = await _report_interrupted(client, console, handle)
            else:
                assert final is not None
                await print_scan_outcome(console, final)
                status = 0 if final.status is JobStatus.COMPLETE else 1
            nursery.cancel_scope.cancel()
    return status


async def _report_interrupted(client: Client, console: Console, handle: JobHandle | None) -> int:
    if handle is None:
        await console.error("interrupted while the scan was starting; it was cancelled")
        return EXIT_INTERRUPTED
    # scan_job cancelled the server job on the way out, and waited for it to end.
    stopped = handle.final or await client.get_job(handle.job_id)
    await print_scan_outcome(console, stopped)
    return EXIT_INTERRUPTED


async def jobs(client: Client, console: Console, args: argparse.Namespace) -> int:
    """Recent jobs, newest first."""
    page = await client.list_jobs(status=args.status, kind=args.kind, limit=args.limit)
    if console.json_mode:
        await console.data({"jobs": [job_json(j) for j in page.jobs], "total": page.total})
        return 0
    if not page.jobs:
        await console.line("no jobs")
        return 0
    await console.line(f"{'JOB':32}  {'KIND':10}  {'STATUS':11}  {'PROGRESS':>8}  CREATED")
    for job in page.jobs:
        progress = "-" if job.progress is None else f"{job.progress * 100:.0f}%"
        await console.line(
            f"{job.job_id:32}  {job.kind:10}  {job.status:11}  {progress:>8}  {job.created_at}"
        )
    if page.total > len(page.jobs):
        await console.line(f"({page.total - len(page.jobs)} older; use --limit)")
    return 0


async def job(client: Client, console: Console, args: argparse.Namespace) -> int:
    """One job in full."""
    found = await client.get_job(args.job_id)
    if console.json_mode:
        await console.data(job_json(found))
        return 0
    for name in ("job_id", "kind", "status", "params", "progress", "processed", "total"):
        await console.line(f"{name + ':':13} {getattr(found, name)}")
    for name in ("current_file", "error", "created_at", "started_at", "finished_at"):
        value = getattr(found, name)
        if value is not None:
            await console.line(f"{name + ':':13} {value}")
    if found.result is not None:
        await console.line(f"{'result:':13} {describe_result(found)}")
    return 0


async def cancel(client: Client, console: Console, args: argparse.Namespace) -> int:
    """Cancel a job; waits until the server says it is cancelled."""
    stopped = await client.cancel_job(args.job_id, wait=True)
    if console.json_mode:
        await console.data(job_json(stopped))
    else:
        await console.line(f"{stopped.job_id}: {stopped.status}")
    return 0


async def videos(client: Client, console: Console, args: argparse.Namespace) -> int:
    """The library, or the videos matching a search."""
    if args.search is not None:
        if args.offset:
            await console.error("--offset does not apply to --search (results come best first)")
            return 2
        result = await client.search_videos(args.search, limit=args.limit)
        found, total = list(result.videos), result.total
    else:
        page = await client.list_videos(limit=args.limit, offset=args.offset)
        found, total = list(page.videos), page.total
    if console.json_mode:
        await console.data({"videos": [video_json(v) for v in found], "total": total})
        return 0
    for video in found:
        rate = video.frame_rate_numerator / video.frame_rate_denominator
        flags = "  [missing]" if video.missing else ""
        await console.line(
            f"{format_duration(video.duration_seconds):>8}  {video.width}x{video.height:<5} "
            f"{rate:6.2f} fps  {video.video_codec:6} {video.audio_codec or '-':6} "
            f"{format_size(video.file_size):>10}  {video.path}{flags}"
        )
    await console.line(f"{len(found)} of {total} videos")
    return 0


async def health(client: Client, console: Console, args: argparse.Namespace) -> int:
    """Whether the server is up and its database, ffprobe and ffmpeg work."""
    readiness = await client.ready()
    if console.json_mode:
        await console.data({"ok": readiness.ok, "checks": readiness.checks})
    else:
        await console.line(f"{client.base_url}: {'ok' if readiness.ok else 'degraded'}")
        for name, state in sorted(readiness.checks.items()):
            await console.line(f"  {name}: {state}")
    return 0 if readiness.ok else 1
