"""Measuring how long each trio task step holds the event loop.

A task step is the stretch between two checkpoints of one task: while it runs,
nothing else in the process can. A blocking call anywhere below an ``async def``
(a synchronous subprocess, a ``time.sleep``, a SQLite query, a slow library
call) shows up as a long step, however deep it is hidden.

:class:`LoopWatch` is a trio instrument that times every step. Attached with
:func:`watch_loop`, a watchdog thread also notices a step *while* it is still
running past the threshold and records the event-loop thread's stack at that
moment, so a report names the blocking call, not just the task.

A step is timed by what it did, not by how busy the machine was: where the kernel
reports it (Linux's per-thread ``schedstat``), the time the event-loop thread spent
runnable but waiting for a CPU during the step is left out. A step that blocks (a
sleep, a read, a lock) is off the CPU *not* runnable, so it still counts in full.
"""

from __future__ import annotations

import collections
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from time import perf_counter

import attrs
import trio

#: Slow steps remembered per watch (the longest step is always kept).
MAX_RECORDED = 50


@attrs.frozen
class SlowStep:
    """One task step that held the event loop longer than the threshold."""

    task: str
    #: How long the step held the loop, less the time it waited for a CPU.
    seconds: float
    #: Where the event-loop thread was while the step ran long ("" if not caught in time).
    stack: str
    #: Time the step was runnable but waiting for a CPU (not counted in ``seconds``).
    waited: float = 0.0

    def describe(self) -> str:
        text = f"task {self.task!r} held the event loop for {self.seconds * 1000:.1f} ms"
        if self.waited >= 0.0005:
            text += f" (and waited {self.waited * 1000:.1f} ms for a CPU besides)"
        return f"{text}\n{self.stack}" if self.stack else text


class _RunQueueClock:
    """How long the calling thread has spent runnable but waiting for a CPU.

    Reads ``/proc/<pid>/task/<tid>/schedstat`` for the thread that made it. Every task
    step takes a :attr:`mark`, so taking one is kept to a single ``pread`` (the record is
    parsed only for the few steps :meth:`waited_since` is asked about). Where there is no
    such file, nothing is ever waited: every step counts in full.
    """

    def __init__(self) -> None:
        try:
            self._fd: int | None = os.open(
                f"/proc/self/task/{threading.get_native_id()}/schedstat", os.O_RDONLY
            )
        except OSError:
            self._fd = None
        #: The thread's raw ``schedstat`` record now (``b""`` where there is none).
        self.mark: Callable[[], bytes] = (
            bytes if self._fd is None else partial(os.pread, self._fd, 64, 0)
        )

    def waited_since(self, mark: bytes) -> float:
        """Seconds spent waiting for a CPU since ``mark`` was taken."""
        try:
            return max(0, _queued_ns(self.mark()) - _queued_ns(mark)) / 1e9
        except OSError:
            return 0.0

    def close(self) -> None:
        if self._fd is not None:
            self.mark = bytes
            os.close(self._fd)
            self._fd = None


def _queued_ns(record: bytes) -> int:
    """The run-queue nanoseconds of a ``schedstat`` record (its second field), or 0."""
    fields = record.split()
    return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0


class LoopWatch(trio.abc.Instrument):
    """Times every task step; records the steps longer than ``threshold`` seconds."""

    def __init__(
        self, threshold: float, *, on_slow_step: Callable[[SlowStep], None] | None = None
    ) -> None:
        self.threshold = threshold
        self.longest = 0.0
        self.longest_task = ""
        self.slow_steps: collections.deque[SlowStep] = collections.deque(maxlen=MAX_RECORDED)
        self.slow_count = 0
        self._on_slow_step = on_slow_step
        self._loop_thread = threading.get_ident()
        #: Made on the loop thread, so it reads the loop thread's run-queue time.
        self._run_queue = _RunQueueClock()
        #: Steps this long or shorter are not worth a second look: min(longest, threshold).
        self._notable = 0.0
        # (start time, run-queue mark) of the step running now, or None between steps.
        # Written on the loop thread, read by the watchdog: a tuple is swapped whole, so no
        # lock is needed (and none is paid for on every step), and the tuple itself tells
        # one step from the next.
        self._current: tuple[float, bytes] | None = None
        self._caught: tuple[tuple[float, bytes], str] | None = None

    # -- trio.abc.Instrument ----------------------------------------------------------------

    # Both run around every task step in the process, and a request served takes many: they
    # are kept to a clock read and a pread before, and a comparison after.
    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        self._current = (perf_counter(), self._run_queue.mark())

    def after_task_step(self, task: trio.lowlevel.Task) -> None:
        current = self._current
        self._current = None
        if current is not None and perf_counter() - current[0] > self._notable:
            self._weigh(task, current)

    def _weigh(self, task: trio.lowlevel.Task, current: tuple[float, bytes]) -> None:
        """A step longer than the longest yet or the threshold: its time less what it
        waited for a CPU, kept as the longest and recorded as slow where it is."""
        started, mark = current
        elapsed = perf_counter() - started
        waited = min(elapsed, self._run_queue.waited_since(mark))
        elapsed -= waited
        if elapsed > self.longest:
            self.longest = elapsed
            self.longest_task = task.name
            self._notable = min(self.longest, self.threshold)
        if elapsed > self.threshold:
            caught = self._caught
            stack = caught[1] if caught is not None and caught[0] is current else ""
            slow = SlowStep(task.name, elapsed, stack, waited)
            self.slow_count += 1
            self.slow_steps.append(slow)
            if self._on_slow_step is not None:
                self._on_slow_step(slow)

    def close(self) -> None:
        """Release what the watch holds open (:func:`watch_loop` calls it)."""
        self._run_queue.close()

    # -- watchdog ---------------------------------------------------------------------------

    def _sample(self) -> None:
        """From the watchdog thread: capture the loop's stack if a step is running long."""
        current = self._current
        if current is None:
            return
        caught = self._caught
        if (caught is not None and caught[0] is current) or (
            perf_counter() - current[0] <= self.threshold
        ):
            return
        frame = sys._current_frames().get(self._loop_thread)
        if frame is not None:
            self._caught = (current, "".join(traceback.format_stack(frame)))


@contextmanager
def watch_loop(
    threshold: float,
    *,
    on_slow_step: Callable[[SlowStep], None] | None = None,
    sample_interval: float | None = None,
) -> Iterator[LoopWatch]:
    """Attach a :class:`LoopWatch` to the running trio loop for the ``with`` block.

    Must be entered on the event-loop thread. A daemon watchdog thread checks every
    ``sample_interval`` seconds (default: a quarter of the threshold) for a step
    that is running long and captures where it is.
    """
    watch = LoopWatch(threshold, on_slow_step=on_slow_step)
    interval = sample_interval if sample_interval is not None else threshold / 4
    stopped = threading.Event()

    def watchdog() -> None:
        while not stopped.wait(interval):
            watch._sample()

    thread = threading.Thread(target=watchdog, name="stoat-ferret loop watchdog", daemon=True)
    trio.lowlevel.add_instrument(watch)
    # We are inside a task step already: time the rest of it too.
    watch.before_task_step(trio.lowlevel.current_task())
    thread.start()
    try:
        yield watch
    finally:
        stopped.set()
        trio.lowlevel.remove_instrument(watch)
        # And the step we are leaving in, up to here.
        watch.after_task_step(trio.lowlevel.current_task())
        thread.join()
        watch.close()
