"""The CLI's client commands. Each is ``async def (client, console, args) -> exit status``."""

from __future__ import annotations

import argparse
import signal
import time
from datetime import datetime

import attrs
import trio

from ..client import (
    Client,
    Job,
    JobHandle,
    JobResult,
    JobStatus,
    ScanResult,
    ThumbnailResult,
    Watch,
)
from .browse import filters_of
from .console import Console
from .format import (
    format_frame_rate,
    format_local_time,
    format_percent,
    format_size,
    format_span,
    format_timecode,
    table,
)

#: Exit status of a scan stopped with Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130
#: Exit status of a usage error: bad arguments, or a job id prefix that fits several jobs.
EXIT_USAGE = 2
#: How many of a job's per-file errors are printed.
ERRORS_SHOWN = 20


def describe_result(result: JobResult) -> str:
    """What a job did, in one line."""
    if isinstance(result, ScanResult):
        parts = [
            f"{result.scanned} found",
            f"{result.new} new",
            f"{result.updated} updated",
            f"{result.unchanged} unchanged",
        ]
        for count, what in ((result.missing, "missing"), (result.moved, "moved")):
            if count:
                parts.append(f"{count} {what}")
        if result.ignored_count:
            parts.append(f"{result.ignored_count} ignored ({describe_ignored(result.ignored)})")
    elif isinstance(result, ThumbnailResult):
        parts = [f"{result.made} of {result.total} made"]
    else:
        parts = []
    parts.append(f"{result.error_count} errors")
    return ", ".join(parts)


#: How many extensions a scan's summary names among the files it ignored.
IGNORED_SHOWN = 5


def describe_ignored(ignored: dict[str, int]) -> str:
    """The extensions ignored most often, with their counts: ``.txt 3, .jpg 1``."""
    ranked = sorted(ignored.items(), key=lambda item: (-item[1], item[0]))
    shown = [f"{ext or 'no extension'} {count}" for ext, count in ranked[:IGNORED_SHOWN]]
    if len(ranked) > IGNORED_SHOWN:
        shown.append("…")
    return ", ".join(shown)


async def print_errors(console: Console, result: JobResult) -> None:
    await trio.lowlevel.checkpoint()
    shown = result.errors.items[:ERRORS_SHOWN]
    for item in shown:
        await console.line(f"  error: {item.path or item.video_id}: {item.error}")
    if result.error_count > len(shown):
        await console.line(f"  ({result.error_count - len(shown)} more errors not shown)")


async def print_scan_outcome(console: Console, job: Job) -> None:
    if console.json_mode:
        await console.data(job.to_json())
        return
    if job.status is JobStatus.COMPLETE:
        assert job.result is not None
        await console.line(f"scan complete: {describe_result(job.result)}")
    elif job.status is JobStatus.CANCELLED and job.result is not None:
        await console.line(f"scan cancelled; kept what was done: {describe_result(job.result)}")
    else:
        await console.line(f"scan {job.status}: {job.error or 'no reason given'}")
        if job.result is not None:
            await console.line(f"kept what was done: {describe_result(job.result)}")
    if job.result is not None:
        await print_errors(console, job.result)


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
    async with client.follow(job_id) as updates:
        async for job in updates:
            if not job.terminal:
                await console.progress(
                    processed=job.processed,
                    total=job.total,
                    rate=rate.update(job.processed),
                    current_file=job.current_file,
                )
    return updates.job


async def scan(client: Client, console: Console, args: argparse.Namespace) -> int:
    """Scan a directory; with a terminal, watch it live. Ctrl-C cancels it on the server."""
    recursive = not args.no_recursive
    if args.detach:
        job = await client.scan(args.path, recursive=recursive, force=args.force)
        if console.json_mode:
            await console.data(job.to_json())
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


def job_progress(job: Job) -> str:
    """Percent done, and the counts once the total is known: ``50% (1/2)``."""
    text = format_percent(job.progress)
    return text if job.total is None else f"{text} ({job.processed}/{job.total})"


def job_duration(job: Job) -> str:
    """How long the job ran (or ``in progress``, ``waiting``); ``-`` if it never ran."""
    if job.started_at is not None and job.finished_at is not None:
        return format_span((job.finished_at - job.started_at).total_seconds())
    if not job.terminal:
        return "in progress" if job.started_at is not None else "waiting"
    return "-"


async def jobs(client: Client, console: Console, args: argparse.Namespace) -> int:
    """Recent jobs, newest first."""
    page = await client.list_jobs(
        status=args.status, kind=args.kind, limit=args.limit, offset=args.offset
    )
    if console.json_mode:
        await console.data({"jobs": [j.to_json() for j in page.jobs], "total": page.total})
        return 0
    if not page.jobs:
        await console.line("no jobs")
        return 0
    rows = [
        [
            job.job_id,
            str(job.kind),
            str(job.status),
            job_progress(job),
            format_local_time(job.started_at or job.created_at),
            job_duration(job),
        ]
        for job in page.jobs
    ]
    header = ["JOB", "KIND", "STATUS", "PROGRESS", "STARTED", "DURATION"]
    for line in table(header, rows, right={3}):
        await console.line(line)
    older = page.total - page.offset - len(page.jobs)
    if older > 0:
        await console.line(f"({older} older; use --limit or --offset)")
    return 0


async def job(client: Client, console: Console, args: argparse.Namespace) -> int:
    """One job in full."""
    found = await client.get_job(await client.resolve_job_id(args.job_id))
    if console.json_mode:
        await console.data(found.to_json())
        return 0
    fields: list[tuple[str, object]] = [
        ("job_id", found.job_id),
        ("kind", found.kind),
        ("status", found.status),
        ("params", found.params),
        ("progress", job_progress(found)),
        ("current_file", found.current_file),
        ("error", found.error),
        ("created_at", format_local_time(found.created_at)),
        ("started_at", _local_time(found.started_at)),
        ("finished_at", _local_time(found.finished_at)),
        ("duration", job_duration(found)),
        ("result", None if found.result is None else describe_result(found.result)),
    ]
    for name, value in fields:
        if value is not None:
            await console.line(f"{name + ':':13} {value}")
    if found.result is not None:
        await print_errors(console, found.result)
    return 0


def _local_time(when: datetime | None) -> str | None:
    return None if when is None else format_local_time(when)


async def cancel(client: Client, console: Console, args: argparse.Namespace) -> int:
    """Cancel a job; waits until the server says it is cancelled."""
    stopped = await client.cancel_job(await client.resolve_job_id(args.job_id), wait=True)
    if console.json_mode:
        await console.data(stopped.to_json())
    else:
        await console.line(f"{stopped.job_id}: {stopped.status}")
    return 0


async def videos(client: Client, console: Console, args: argparse.Namespace) -> int:
    """The library, sorted and filtered, or the videos matching a search."""
    filters = filters_of(args)
    following: str | None = None
    if args.search is not None:
        result = await client.search_videos(
            args.search, limit=args.limit, offset=args.offset, **filters
        )
        found, total, exact = result.videos, result.total, result.total_exact
    else:
        page = await client.list_videos(
            limit=args.limit,
            offset=args.offset,
            after=args.after,
            sort=args.sort,
            order=args.order,
            **filters,
        )
        found, total, exact, following = page.videos, page.total, page.total_exact, page.next
    if console.json_mode:
        await console.data(
            {
                "videos": [v.to_json() for v in found],
                "total": total,
                "total_exact": exact,
                "next": following,
            }
        )
        return 0
    rows = [
        [
            format_timecode(video.duration_frames, video.frame_rate),
            f"{video.width}x{video.height}",
            format_frame_rate(video.frame_rate),
            video.video_codec,
            video.audio_codec or "-",
            format_size(video.file_size),
            video.path + ("  [missing]" if video.missing else ""),
        ]
        for video in found
    ]
    if rows:
        header = ["DURATION", "RESOLUTION", "FPS", "VIDEO", "AUDIO", "SIZE", "PATH"]
        for line in table(header, rows, right={2, 5}):
            await console.line(line)
    await console.line(f"{len(found)} of {'' if exact else 'at least '}{total} videos")
    if following is not None:
        await console.line(f"more: --after {following}")
    return 0


async def purge_missing(client: Client, console: Console, args: argparse.Namespace) -> int:
    """Remove the entries whose files are missing; at a terminal, only once the user agrees."""
    if console.interactive and not args.yes:
        where = f" in {args.folder} (and below)" if args.folder else ""
        answer = await console.ask(
            f"Remove every library entry whose file is missing{where}, with its thumbnail? "
            "No file on disk is touched. [y/N] "
        )
        if answer.strip().lower() not in {"y", "yes"}:
            await console.error("nothing removed")
            return 1
    result = await client.purge_missing(args.folder)
    if console.json_mode:
        await console.data(result.to_json())
    else:
        entries = "entry" if result.removed == 1 else "entries"
        await console.line(f"removed {result.removed} {entries} whose files were missing")
    return 0


async def health(client: Client, console: Console, args: argparse.Namespace) -> int:
    """Whether the server is up and its database, ffprobe and ffmpeg work."""
    readiness = await client.ready()
    if console.json_mode:
        checks = {name: check.to_json() for name, check in readiness.checks.items()}
        await console.data({"ok": readiness.ok, "checks": checks})
    else:
        await console.line(f"{client.base_url}: {'ok' if readiness.ok else 'degraded'}")
        for name, check in sorted(readiness.checks.items()):
            await console.line(f"  {name}: {check.describe()}")
    return 0 if readiness.ok else 1


def _watch_line(watch: Watch) -> str:
    """``active``, or the state and why: ``unavailable (the folder does not exist ...)``."""
    return f"{watch.state} ({watch.reason})" if watch.reason else str(watch.state)


async def watches(client: Client, console: Console, args: argparse.Namespace) -> int:
    """The watched folders, with how each is watched and when it last changed."""
    found = await client.list_watches()
    if console.json_mode:
        await console.data({"watches": [w.to_json() for w in found]})
        return 0
    if not found:
        await console.line("no watched folders")
        return 0
    rows = [
        [
            watch.id,
            str(watch.state) + (" (poll)" if watch.poll else ""),
            "-" if watch.last_change_at is None else format_local_time(watch.last_change_at),
            watch.path,
        ]
        for watch in found
    ]
    for line in table(["WATCH", "STATE", "LAST CHANGE", "PATH"], rows):
        await console.line(line)
    for watch in found:
        if watch.reason:
            await console.line(f"{watch.id}: {watch.reason}")
    return 0


async def watch(client: Client, console: Console, args: argparse.Namespace) -> int:
    """Watch a folder; print the watch's id."""
    added = await client.add_watch(args.path, poll=args.poll)
    if console.json_mode:
        await console.data(added.to_json())
    else:
        await console.line(added.id)
        await console.error(f"watching {added.path}: {_watch_line(added)}")
    return 0


async def unwatch(client: Client, console: Console, args: argparse.Namespace) -> int:
    """Stop watching a folder, given its watch id, a unique start of it, or its path."""
    found = await client.list_watches()
    exact = [w.id for w in found if args.watch_id in (w.id, w.path)]
    matches = exact or [w.id for w in found if w.id.startswith(args.watch_id)]
    if len(matches) > 1:
        await console.error(
            f"watch id prefix {args.watch_id!r} matches {len(matches)} watches: "
            + ", ".join(matches)
        )
        return EXIT_USAGE
    # No match: the server says that no watch has that id.
    watch_id = matches[0] if matches else args.watch_id
    await client.remove_watch(watch_id)
    if console.json_mode:
        await console.data({"removed": watch_id})
    else:
        await console.line(f"{watch_id}: no longer watched")
    return 0
