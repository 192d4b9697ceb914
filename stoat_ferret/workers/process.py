"""One media worker process: starting it under trio, talking to it, ending it.

:func:`run_worker` is the task that owns one worker from ``open_process`` to
reaping; :class:`WorkerProcess` is the handle the pool talks through.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import signal
import subprocess
from collections.abc import Mapping

import attrs
import trio

from .protocol import MAX_LINE_BYTES, ProtocolError, Response, decode_response

log = logging.getLogger(__name__)

#: Seconds a kill may wait for the process to be reaped (SIGKILL cannot be ignored, so
#: this is only ever reached by a process stuck in the kernel).
REAP_WAIT = 5.0
#: Seconds to wait for the last of a dead worker's stderr, which may say why it died.
STDERR_WAIT = 1.0
#: Answers longer than this are decoded in a worker thread, not on the event loop.
THREAD_DECODE_BYTES = 256 * 1024
#: Lines of a worker's stderr kept to explain its death.
STDERR_TAIL = 20
_CHUNK = 65536


class LineReader:
    """Lines from a trio receive stream, each at most ``limit`` bytes long."""

    def __init__(self, stream: trio.abc.ReceiveStream, limit: int = MAX_LINE_BYTES) -> None:
        self._stream = stream
        self._limit = limit
        self._buffer = bytearray()
        self._searched = 0

    async def readline(self) -> bytes | None:
        """The next line, newline included; None once the stream has ended or closed.

        Raises :class:`ProtocolError` for a line over the limit.
        """
        await trio.lowlevel.checkpoint()
        while (end := self._buffer.find(b"\n", self._searched)) < 0:
            self._searched = len(self._buffer)
            if len(self._buffer) > self._limit:
                raise ProtocolError(f"a line longer than {self._limit} bytes")
            try:
                chunk = await self._stream.receive_some(_CHUNK)
            except (trio.ClosedResourceError, trio.BrokenResourceError):
                return None
            if not chunk:
                return None
            self._buffer += chunk
        line = bytes(self._buffer[: end + 1])
        del self._buffer[: end + 1]
        self._searched = 0
        return line


@attrs.define(eq=False)
class WorkerProcess:
    """A running worker, as the pool sees it."""

    process: trio.Process
    lines: LineReader
    stderr_tail: collections.deque[str] = attrs.field(
        factory=lambda: collections.deque(maxlen=STDERR_TAIL)
    )
    stderr_closed: trio.Event = attrs.field(factory=trio.Event)
    #: Requests sent to it so far.
    requests: int = 0
    ended: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    async def send(self, line: bytes) -> None:
        """Write one request line. Raises trio.BrokenResourceError if the worker is gone."""
        if self.process.stdin is None:  # pragma: no cover - always piped by run_worker
            raise trio.BrokenResourceError("the worker has no stdin")
        await self.process.stdin.send_all(line)

    async def receive(self) -> Response | None:
        """The next response; None if the worker's stdout ended (it died)."""
        line = await self.lines.readline()
        if line is None:
            return None
        if len(line) > THREAD_DECODE_BYTES:
            return await trio.to_thread.run_sync(decode_response, line)
        return decode_response(line)

    def kill_group(self) -> None:
        """SIGKILL the worker and everything it started (its process group)."""
        # A group's id stays taken while any member lives, so this cannot reach a
        # stranger; once the group is empty the kill finds nothing.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    async def end(self, *, read_tail: bool = False) -> None:
        """Kill the process group and wait until the worker is reaped.

        Shielded: it runs to the end inside a cancelled scope too, since a worker that
        is not reaped is a leak. With ``read_tail``, also wait briefly for the end of
        its stderr (the lines that may say why it died).
        """
        with trio.CancelScope(shield=True):
            if not self.ended:
                self.ended = True
                self.kill_group()
                with trio.move_on_after(REAP_WAIT):
                    await self.process.wait()
            if read_tail:
                with trio.move_on_after(STDERR_WAIT):
                    await self.stderr_closed.wait()
            await trio.lowlevel.checkpoint()

    def death(self) -> str:
        """How the worker ended, in words, with the last line it wrote to stderr."""
        code = self.process.returncode
        if code is None:
            how = "stopped answering"
        elif code < 0:
            how = f"was killed by {_signal_name(-code)}"
        else:
            how = f"exited with status {code}"
        said = next((line for line in reversed(self.stderr_tail) if line), "")
        return f"the media worker {how}" + (f" ({said})" if said else "")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


async def run_worker(
    argv: list[str],
    env: Mapping[str, str] | None,
    *,
    task_status: trio.TaskStatus[WorkerProcess] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Start a worker and own it until it is reaped (run it with ``nursery.start``).

    The worker gets its own process group, so a kill reaches anything it started.
    Meanwhile this task keeps the tail of its stderr. Raises OSError when the
    program cannot be started; after start-up it never raises.
    """
    process = await trio.lowlevel.open_process(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        process_group=0,
    )
    if process.stdout is None or process.stderr is None:  # pragma: no cover - piped above
        raise RuntimeError("the worker's pipes were not opened")
    worker = WorkerProcess(process, LineReader(process.stdout))
    try:
        task_status.started(worker)
        await _keep_tail(worker, process.stderr)
        await process.wait()
    finally:
        with trio.CancelScope(shield=True):
            worker.kill_group()
            with trio.move_on_after(REAP_WAIT):
                await process.wait()
            for pipe in (process.stdin, process.stdout, process.stderr):
                if pipe is not None:
                    await pipe.aclose()


async def _keep_tail(worker: WorkerProcess, stderr: trio.abc.ReceiveStream) -> None:
    """Read the worker's stderr to its end, keeping its last lines."""
    pending = b""
    await trio.lowlevel.checkpoint()
    try:
        async for chunk in stderr:
            *lines, pending = (pending + chunk).split(b"\n")
            for raw in lines:
                text = raw.decode("utf-8", "replace").strip()[:1000]
                worker.stderr_tail.append(text)
                log.debug("media worker %d: %s", worker.pid, text)
            pending = pending[-4096:]
    except (trio.ClosedResourceError, trio.BrokenResourceError):
        pass
    finally:
        if pending:
            worker.stderr_tail.append(pending.decode("utf-8", "replace").strip()[:1000])
        worker.stderr_closed.set()
