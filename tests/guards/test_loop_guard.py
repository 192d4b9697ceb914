"""The runtime guard catches blocking calls the static gate cannot see."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import trio

from stoat_ferret.loopwatch import LoopWatch, watch_loop

from ..support.loop_guard import BlockedEventLoop, check

REPO = Path(__file__).resolve().parents[2]


def wait_in_a_library(seconds: float) -> None:
    """Blocks inside the threading library: no lint rule knows ``Event.wait`` blocks."""
    threading.Event().wait(seconds)


@pytest.mark.blocks_loop
async def test_watch_catches_a_blocking_call_inside_a_library() -> None:
    """A step that blocks in library code fails the check, naming where it blocked."""
    with watch_loop(0.1) as watch:
        await trio.lowlevel.checkpoint()
        wait_in_a_library(0.3)
        await trio.lowlevel.checkpoint()

    with pytest.raises(BlockedEventLoop, match=r"held the event loop for \d+") as caught:
        check(watch)
    assert watch.slow_count == 1
    assert watch.longest >= 0.3
    assert "wait_in_a_library" in str(caught.value)


@pytest.mark.blocks_loop
async def test_watch_lets_awaiting_and_threads_pass() -> None:
    """Waiting on trio, or blocking in a worker thread, is no violation."""
    with watch_loop(0.1) as watch:
        await trio.sleep(0.3)
        await trio.to_thread.run_sync(wait_in_a_library, 0.3)

    check(watch)
    assert watch.slow_count == 0
    assert watch.longest < 0.1


@pytest.mark.blocks_loop
async def test_the_longest_step_is_kept_below_the_threshold_too() -> None:
    """Each step longer than the longest so far becomes the longest, whether or not it is
    slow; a shorter one after it changes nothing."""

    async def blocks_for(seconds: float) -> None:
        await trio.lowlevel.checkpoint()
        wait_in_a_library(seconds)
        await trio.lowlevel.checkpoint()

    with watch_loop(1.0) as watch:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(blocks_for, 0.03, name="thirty")
        first = watch.longest
        async with trio.open_nursery() as nursery:
            nursery.start_soon(blocks_for, 0.08, name="eighty")
        async with trio.open_nursery() as nursery:
            nursery.start_soon(blocks_for, 0.04, name="forty")

    assert 0.03 <= first < 0.08
    assert 0.08 <= watch.longest < 1.0
    assert watch.longest_task == "eighty"
    assert watch.slow_count == 0


def test_plugin_fails_the_test_that_blocks_and_only_that_one(tmp_path: Path) -> None:
    """Run by pytest, an async test that blocks fails; one that awaits passes."""
    (tmp_path / "test_planted.py").write_text(
        textwrap.dedent(
            """
            import time
            import trio

            def helper_one_level_down():
                time.sleep(0.4)

            async def test_blocks():
                await trio.lowlevel.checkpoint()
                helper_one_level_down()

            async def test_awaits():
                await trio.sleep(0.4)
            """
        )
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\ntrio_mode = true\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "STOAT_TEST_STEP_LIMIT": "0.2"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.support.loop_guard", "-q", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 1 passed" in run.stdout
    assert "FAILED test_planted.py::test_blocks - " in run.stdout
    assert "time.sleep(0.4)" in run.stdout


def spin(seconds_of_cpu: float) -> None:
    """Burn this much CPU time of the calling thread, however long that takes."""
    end = time.thread_time() + seconds_of_cpu
    while time.thread_time() < end:
        pass


_HOG = """
import os, sys
os.sched_setaffinity(0, {int(sys.argv[1])})
print(flush=True)
while True:
    pass
"""


async def spin_watched(threshold: float) -> tuple[LoopWatch, float]:
    """Spin 60 ms of CPU in one task step under a watch; the watch and the step's wall time."""
    # The watchdog wakes rarely: each of its wake-ups takes the interpreter lock from the
    # spinning step, and a watchdog waiting for the busy CPU would hold the step up.
    with watch_loop(threshold, sample_interval=5.0) as watch:
        await trio.lowlevel.checkpoint()
        started = time.perf_counter()
        spin(0.06)
        wall = time.perf_counter() - started
        await trio.lowlevel.checkpoint()
    return watch, wall


@pytest.mark.skipif(not Path("/proc/thread-self/schedstat").exists(), reason="no schedstat")
def test_time_spent_waiting_for_a_cpu_is_not_the_steps() -> None:
    """A step slowed only by other processes taking the CPU counts its own time only.

    The loop thread and four busy processes share one CPU, so 60 ms of work takes far
    longer than that; the watch counts about the 60 ms, and reports the rest as waited.
    The kernel settles run-queue time at scheduling points, so the split between the two
    can be off by a scheduler slice or so (measured: 45 ms counted of 60 ms of work, with
    265 ms waited); what must hold is that the wait is left out and the work is not.
    """
    cpu = min(os.sched_getaffinity(0))
    allowed = os.sched_getaffinity(0)
    hogs = [
        subprocess.Popen([sys.executable, "-c", _HOG, str(cpu)], stdout=subprocess.PIPE)
        for _ in range(4)
    ]
    try:
        for process in hogs:
            assert process.stdout is not None
            process.stdout.readline()  # pinned and spinning
        os.sched_setaffinity(0, {cpu})
        watch, wall = trio.run(spin_watched, 0.01)
    finally:
        os.sched_setaffinity(0, allowed)
        for process in hogs:
            process.kill()
            process.wait()
            assert process.stdout is not None
            process.stdout.close()

    [step] = [s for s in watch.slow_steps if s.seconds + s.waited >= wall]
    assert wall > 0.2  # what a guard timing the wall clock would have blamed the step for
    assert step.waited > 0.1
    assert 0.02 <= step.seconds < 0.15
