"""A pool of long-lived media worker processes, started and owned by trio.

Each worker is ``python -m stoat_ferret.workers.libav``, run by
``trio.lowlevel.open_process`` in its own process group, from a task of the pool's
nursery that owns it until it is reaped. A request borrows an idle worker (starting
one when none is idle, up to ``size`` at once), writes one line to its stdin and
reads one line from its stdout (:mod:`~stoat_ferret.workers.protocol`).

What the pool guarantees, request by request:

- over its ``timeout``: the worker's whole process group is SIGKILLed and reaped,
  the request raises a timeout naming the file, and the next request gets a new worker;
- the worker dies during the request (a crash inside FFmpeg on a hostile file): the
  request fails naming the file, and the next request gets a new worker;
- the caller is cancelled: the worker is killed and reaped before the cancellation
  goes on (its half-done answer could not be told from the next one's);
- after ``max_requests_per_worker`` requests a worker is retired and replaced, and
  each worker runs under an address-space limit of ``memory_limit_bytes``;
- nothing here blocks the event loop: pipes are trio streams, and a large answer is
  decoded in a worker thread.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import attrs
import trio

from ..probe.errors import EmptyFile, ProbeFailed, ProberMissing, ProbeTimeout
from ..probe.parse import ProbeResult, parse_probe_output
from ..thumbs.ffmpeg import THUMBNAIL_WIDTH, ThumbnailFailed, ThumbnailTimeout
from ..thumbs.strips import STRIP_WIDTH
from .errors import WorkerCrashed, WorkerError, WorkerRefused, WorkerTimeout, WorkerUnavailable
from .process import REAP_WAIT, STDERR_WAIT, WorkerProcess, run_worker
from .protocol import ErrorKind, Op, ProtocolError, Request, Response, encode_request

log = logging.getLogger(__name__)

#: Address space each worker may use (RLIMIT_AS): room for decoding 8K video, not for a
#: hostile file that claims a picture of a billion pixels.
DEFAULT_MEMORY_LIMIT = 2 * 1024**3
DEFAULT_MAX_REQUESTS = 1000
#: Seconds a new worker has to import PyAV and say it is ready.
DEFAULT_START_TIMEOUT = 30.0
#: Workers tried for one request that die before it reaches them.
SEND_ATTEMPTS = 3
#: Seconds cleanup may take once a request has failed or been cancelled.
CLEANUP_WAIT = REAP_WAIT + STDERR_WAIT + 1.0


@attrs.frozen
class Picture:
    """The size of a picture a worker wrote."""

    width: int
    height: int


@attrs.define
class PoolStats:
    """What happened to the pool's workers so far (for tests, metrics and benchmarks)."""

    started: int = 0
    #: Retired after their quota of requests (or after running out of memory).
    retired: int = 0
    #: Killed because a request ran over its time or its caller was cancelled.
    killed: int = 0
    #: Died on their own during a request.
    crashed: int = 0
    #: Starts that failed (the program could not run, or the worker could not work).
    start_failures: int = 0
    requests: int = 0


@attrs.define(eq=False)
class WorkerPool:
    """Long-lived media workers; use through :func:`open_worker_pool`."""

    _nursery: trio.Nursery
    _argv: list[str]
    _env: dict[str, str] | None
    size: int
    timeout: float
    max_requests_per_worker: int
    start_timeout: float
    memory_limit_bytes: int
    stats: PoolStats = attrs.field(factory=PoolStats)
    _slots: trio.Semaphore = attrs.field(init=False)
    _idle: list[WorkerProcess] = attrs.field(factory=list)
    #: Every worker started and not yet ended (idle or busy).
    _workers: set[WorkerProcess] = attrs.field(factory=set)
    _ids: itertools.count[int] = attrs.field(factory=lambda: itertools.count(1))
    #: Set once a worker has said it can never work here (PyAV missing).
    _missing: str | None = None
    #: What the latest worker to start said of itself (PyAV's and FFmpeg's versions).
    _hello: Mapping[str, Any] | None = None

    def __attrs_post_init__(self) -> None:
        self._slots = trio.Semaphore(self.size)

    @property
    def unavailable(self) -> str | None:
        """Why no worker can ever start here (PyAV is not installed), if that is so."""
        return self._missing

    @property
    def versions(self) -> Mapping[str, Any] | None:
        """The greeting of the latest worker to start (``pyav``, ``libavformat``…), if any has."""
        return self._hello

    @property
    def idle_pids(self) -> list[int]:
        """Process ids of the workers waiting for a request."""
        return [worker.pid for worker in self._idle]

    # -- what callers use -------------------------------------------------------------------

    async def probe(
        self,
        path: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the pool kills the worker on it
    ) -> str:
        """ffprobe's JSON for ``path`` (``-show_format -show_streams``), as text.

        Feed it to :func:`stoat_ferret.probe.parse.parse_probe_output`, exactly as
        ffprobe's stdout. ``timeout`` replaces the pool's for this request. Raises
        :class:`~stoat_ferret.probe.ProbeTimeout`, :class:`~stoat_ferret.probe.ProbeFailed`
        or :class:`~stoat_ferret.probe.ProberMissing`, naming ``path``.
        """
        try:
            result = await self.call(Op.PROBE, {"path": path}, subject=path, timeout=timeout)
        except WorkerTimeout as exc:
            raise ProbeTimeout(path, exc.reason) from exc
        except WorkerUnavailable as exc:
            raise ProberMissing(path, exc.reason) from exc
        except WorkerRefused as exc:
            if exc.kind == ErrorKind.MISSING:
                raise ProberMissing(path, exc.reason) from exc
            raise ProbeFailed(path, exc.reason) from exc
        except WorkerError as exc:
            raise ProbeFailed(path, exc.reason) from exc
        text = result.get("ffprobe_json")
        if not isinstance(text, str):
            raise ProbeFailed(path, "the media worker answered without ffprobe's JSON")
        return text

    async def probe_file(
        self,
        path: str,
        *,
        file_size: int,
        timeout: float | None = None,  # noqa: ASYNC109 - the pool kills the worker on it
    ) -> ProbeResult:
        """What ``path`` holds, as :func:`stoat_ferret.probe.probe_file` says it with ffprobe.

        The same checks in the same order (an empty file is refused without asking a
        worker), the same parser, the same errors.
        """
        if file_size == 0:
            await trio.lowlevel.checkpoint()
            raise EmptyFile(path, "the file is empty (0 bytes)")
        text = await self.probe(path, timeout=timeout)
        return parse_probe_output(path, text, file_size=file_size)

    async def thumbnail(
        self,
        source: str,
        target: str,
        *,
        at_seconds: float,
        width: int = THUMBNAIL_WIDTH,
        timeout: float | None = None,  # noqa: ASYNC109 - the pool kills the worker on it
    ) -> Picture:
        """Write the frame at ``at_seconds`` of ``source``, ``width`` wide, as a JPEG to ``target``.

        ``target`` is written in place (pass a ``.part`` path and rename it). Raises
        :class:`~stoat_ferret.thumbs.ffmpeg.ThumbnailFailed` naming ``source``
        (:class:`~stoat_ferret.thumbs.ffmpeg.ThumbnailTimeout` past ``timeout``).
        """
        args = {"source": source, "target": target, "at_seconds": at_seconds, "width": width}
        return await self._picture(Op.THUMBNAIL, args, source, timeout)

    async def strip(
        self,
        source: str,
        target: str,
        *,
        times: Sequence[float],
        width: int = STRIP_WIDTH,
        timeout: float | None = None,  # noqa: ASYNC109 - the pool kills the worker on it
    ) -> Picture:
        """Write a scrub strip of ``source``'s frames at ``times`` to ``target``.

        As :mod:`stoat_ferret.thumbs.strips` describes: each frame ``width`` wide, by
        the display aspect, side by side. Raises
        :class:`~stoat_ferret.thumbs.ffmpeg.ThumbnailFailed` naming ``source``.
        """
        args = {"source": source, "target": target, "times": list(times), "width": width}
        return await self._picture(Op.STRIP, args, source, timeout)

    async def _picture(
        self, op: Op, args: dict[str, Any], source: str, limit: float | None
    ) -> Picture:
        try:
            result = await self.call(op, args, subject=source, timeout=limit)
        except WorkerTimeout as exc:
            raise ThumbnailTimeout(source, exc.reason) from exc
        except WorkerError as exc:
            raise ThumbnailFailed(source, exc.reason) from exc
        return Picture(int(result["width"]), int(result["height"]))

    async def call(
        self,
        op: str,
        args: Mapping[str, Any],
        *,
        subject: str,
        timeout: float | None = None,  # noqa: ASYNC109 - the pool kills the worker on it
    ) -> Mapping[str, Any]:
        """Send one request to a worker; its result. Raises a :class:`WorkerError` subclass.

        ``subject`` (the file) names the request in errors; ``timeout`` (seconds)
        replaces the pool's own for this request.
        """
        request = Request(next(self._ids), op, args)
        line = encode_request(request)
        async with self._slots:
            worker = await self._send(line, subject)
            answer: Response | None = None
            try:
                answer = await self._answer(
                    worker, request.id, subject, self.timeout if timeout is None else timeout
                )
            except trio.Cancelled:
                self.stats.killed += 1
                raise
            finally:
                with trio.CancelScope(shield=True), trio.move_on_after(CLEANUP_WAIT):
                    await self._check_in(worker, answer)
        if answer.error is not None:
            reason = answer.error.reason
            if answer.error.kind == ErrorKind.MEMORY:
                reason = f"{reason} (over the media worker's limit of {self._memory_text()})"
            raise WorkerRefused(subject, reason, kind=answer.error.kind)
        if answer.result is None:  # pragma: no cover - decode_response guarantees one
            raise WorkerCrashed(subject, "the media worker answered without a result")
        return answer.result

    async def _answer(
        self, worker: WorkerProcess, request_id: int, subject: str, limit: float
    ) -> Response:
        """The worker's answer to the request it holds, within ``limit`` seconds."""
        try:
            with trio.move_on_after(limit) as deadline:
                answer = await worker.receive()
        except ProtocolError as exc:
            raise WorkerCrashed(subject, f"the media worker broke the protocol: {exc}") from exc
        if deadline.cancelled_caught:
            self.stats.killed += 1
            raise WorkerTimeout(subject, f"the media worker took longer than {limit:g}s")
        if answer is None:
            self.stats.crashed += 1
            with trio.CancelScope(shield=True), trio.move_on_after(CLEANUP_WAIT):
                await worker.end(read_tail=True)
            raise WorkerCrashed(subject, worker.death())
        if answer.id != request_id:
            raise WorkerCrashed(subject, "the media worker answered out of turn")
        return answer

    # -- workers ----------------------------------------------------------------------------

    async def _send(self, line: bytes, subject: str) -> WorkerProcess:
        """An idle or new worker that has taken ``line``."""
        for attempt in range(1, SEND_ATTEMPTS + 1):
            worker = await self._check_out(subject)
            try:
                await worker.send(line)
            except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                # It died while idle, before this request reached it: not this file's fault,
                # so try another; but a worker that dies as soon as it has started is broken.
                with trio.CancelScope(shield=True), trio.move_on_after(CLEANUP_WAIT):
                    await worker.end(read_tail=True)
                if attempt >= SEND_ATTEMPTS:
                    raise WorkerCrashed(subject, worker.death()) from exc
                continue
            except BaseException:
                with trio.CancelScope(shield=True), trio.move_on_after(CLEANUP_WAIT):
                    await worker.end()
                raise
            worker.requests += 1
            self.stats.requests += 1
            return worker
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _check_out(self, subject: str) -> WorkerProcess:
        while self._idle:
            worker = self._idle.pop()
            if worker.process.poll() is None:
                await trio.lowlevel.checkpoint()
                return worker
            await worker.end()  # it died while idle
        return await self._start(subject)

    async def _check_in(self, worker: WorkerProcess, answer: Response | None) -> None:
        """Back to the idle list after an answer; else killed (no answer) or retired."""
        if answer is not None:
            out_of_memory = answer.error is not None and answer.error.kind == ErrorKind.MEMORY
            if not out_of_memory and worker.requests < self.max_requests_per_worker:
                self._idle.append(worker)
                await trio.lowlevel.checkpoint()
                return
            # Its quota is used up, or it ran out of memory and its heap may be in pieces.
            self.stats.retired += 1
        await worker.end()

    async def _start(self, subject: str) -> WorkerProcess:
        """A new worker that has said it is ready; or WorkerUnavailable saying why not."""
        if self._missing is not None:
            await trio.lowlevel.checkpoint()
            raise WorkerUnavailable(subject, self._missing)
        try:
            worker: WorkerProcess = await self._nursery.start(run_worker, self._argv, self._env)
        except OSError as exc:
            self.stats.start_failures += 1
            why = f"cannot start the media worker with {self._argv[0]!r}: {exc.strerror or exc}"
            raise WorkerUnavailable(subject, why) from exc
        try:
            reason = await self._greeting(worker)
        except BaseException:
            with trio.CancelScope(shield=True), trio.move_on_after(CLEANUP_WAIT):
                await worker.end()
            raise
        if reason is None:
            self.stats.started += 1
            self._workers.add(worker)
            return worker
        self.stats.start_failures += 1
        raise WorkerUnavailable(subject, reason)

    async def _greeting(self, worker: WorkerProcess) -> str | None:
        """Wait for the worker to say it is ready: None if it did, else why it will not."""
        try:
            with trio.move_on_after(self.start_timeout) as deadline:
                hello = await worker.receive()
        except ProtocolError as exc:
            await worker.end()
            return f"the media worker broke the protocol at start-up: {exc}"
        if deadline.cancelled_caught:
            await worker.end()
            return f"the media worker did not start within {self.start_timeout:g}s"
        if hello is None:
            await worker.end(read_tail=True)
            return f"the media worker could not start: {worker.death()}"
        if hello.error is not None:
            await worker.end()
            if hello.error.kind == ErrorKind.MISSING:
                self._missing = hello.error.reason
            return hello.error.reason
        log.debug("media worker %d ready: %s", worker.pid, hello.result)
        self._hello = hello.result
        return None

    def _memory_text(self) -> str:
        return f"{self.memory_limit_bytes / 1e9:.1f} GB"

    @property
    def live(self) -> int:
        """Workers running now, idle or busy."""
        self._workers = {worker for worker in self._workers if not worker.ended}
        return len(self._workers)

    async def prestart(self) -> None:
        """Start workers, all at once, until ``size`` are running.

        Safe while requests run: each start takes a request slot, and none starts once
        ``size`` workers live. Raises :class:`WorkerUnavailable` if any could not start
        (those that did stay).
        """
        failures: list[WorkerUnavailable] = []
        async with trio.open_nursery() as nursery:
            for _ in range(self.size - self.live):
                nursery.start_soon(self._prestart_one, failures)
        if failures:
            raise failures[0]

    async def _prestart_one(self, failures: list[WorkerUnavailable]) -> None:
        async with self._slots:
            if self.live >= self.size:
                await trio.lowlevel.checkpoint()
                return
            try:
                self._idle.append(await self._start("(start-up)"))
            except WorkerUnavailable as exc:
                failures.append(exc)
                await trio.lowlevel.checkpoint()

    async def close(self) -> None:
        """Kill and reap every idle worker; later requests fail."""
        self._missing = "the media worker pool is closed"
        idle, self._idle = self._idle, []
        for worker in idle:
            await worker.end()
        await trio.lowlevel.checkpoint()


def worker_argv(*, python: str, memory_limit_bytes: int, nice: int) -> list[str]:
    """The command line of one worker."""
    argv = [python, "-m", "stoat_ferret.workers.libav"]
    return [*argv, "--memory-limit", str(memory_limit_bytes), "--nice", str(nice)]


@asynccontextmanager
async def open_worker_pool(
    *,
    size: int | None = None,
    timeout: float = 30.0,  # noqa: ASYNC109 - enforced by the pool, which kills the worker
    max_requests_per_worker: int = DEFAULT_MAX_REQUESTS,
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT,
    python: str = sys.executable,
    nice: int = 0,
    start_timeout: float = DEFAULT_START_TIMEOUT,
    prestart: bool = False,
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[WorkerPool]:
    """A pool of at most ``size`` media workers (default: one per CPU) for the block.

    Workers start when a request first needs one, or all at once before the block
    when ``prestart`` is true. ``timeout`` bounds each request (seconds);
    ``memory_limit_bytes`` caps each worker's address space (0: no cap); ``nice`` is
    the workers' niceness; ``env`` adds to their environment. When the block ends,
    every worker is killed and reaped.
    """
    if timeout <= 0 or start_timeout <= 0:
        raise ValueError("timeouts must be greater than 0")
    if max_requests_per_worker < 1 or (size is not None and size < 1):
        raise ValueError("size and max_requests_per_worker must be at least 1")
    async with trio.open_nursery() as nursery:
        pool = WorkerPool(
            nursery,
            worker_argv(python=python, memory_limit_bytes=memory_limit_bytes, nice=nice),
            {**os.environ, **env} if env else None,
            size=size or os.cpu_count() or 1,
            timeout=timeout,
            max_requests_per_worker=max_requests_per_worker,
            start_timeout=start_timeout,
            memory_limit_bytes=memory_limit_bytes,
        )
        try:
            if prestart:
                await pool.prestart()
            yield pool
        finally:
            with trio.CancelScope(shield=True), trio.move_on_after(CLEANUP_WAIT * pool.size):
                await pool.close()
            # Workers still out on a request belong to callers who are being cancelled
            # too; their owning tasks kill and reap them.
            nursery.cancel_scope.cancel()
