"""run_tool: outcomes, and the whole process group killed on timeout and cancel."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
import trio
import trio.testing

from stoat_ferret.children import (
    NICE_CANNOT_RUN,
    ToolFailed,
    ToolMissing,
    ToolTimeout,
    run_tool,
    summarize_stderr,
)

from .support.prober import FakeProber, make_prober, process_exists, process_running

#: Real seconds another process may take to reach a state on a loaded machine (a bound).
WAIT_LIMIT = 20.0


def write_script(path: Path, text: str) -> str:
    path.write_text(text)
    path.chmod(0o755)
    return str(path)


def _poll(predicate: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_LIMIT
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


async def eventually(predicate: Callable[[], bool]) -> bool:
    """Whether ``predicate()``, about other processes, holds within WAIT_LIMIT real seconds.

    Polled in a worker thread on the real clock, so it works under a mock clock too.
    """
    return await trio.to_thread.run_sync(_poll, predicate)


async def wait_for_child(prober: FakeProber) -> tuple[int, int]:
    """The pids of the forking wrapper and of its background child, once both run."""
    assert await eventually(lambda: bool(prober.pids()) and bool(prober.child_pids()))
    [wrapper] = prober.pids()
    [child] = prober.child_pids()
    return wrapper, child


async def run_out_the_clock(mock_clock: trio.testing.MockClock, done: list[ToolTimeout]) -> None:
    """Move the manual clock on until the run in progress has given up.

    The run may not have started its clock yet when its processes are seen (they start
    while trio hands the new process back), so one jump could land before its deadline
    exists; each jump is followed by letting every task run until it waits again.
    """
    while not done:
        mock_clock.jump(30.0)
        await trio.testing.wait_all_tasks_blocked()


async def gone(pid: int) -> bool:
    """Whether ``pid`` stops running (it was sent SIGKILL) within WAIT_LIMIT seconds."""
    return await eventually(lambda: not process_running(pid))


async def test_output_of_a_clean_run_is_returned() -> None:
    """A program that exits 0 gives back what it printed on stdout."""
    assert await run_tool(["printf", "a\\nb"]) == b"a\nb"


async def test_a_failing_program_gives_its_last_complaint_and_status(tmp_path: Path) -> None:
    """A non-zero exit raises ToolFailed with stderr's last line, the status and stderr."""
    script = write_script(tmp_path / "moan", "#!/bin/sh\necho first >&2\necho last >&2\nexit 4\n")
    with pytest.raises(ToolFailed) as excinfo:
        await run_tool([script])
    assert (excinfo.value.reason, excinfo.value.returncode) == ("last", 4)
    assert excinfo.value.stderr == b"first\nlast\n"
    assert excinfo.value.program == script


async def test_a_silent_failure_names_the_status_under_the_label(tmp_path: Path) -> None:
    """A program that fails without a word is described by its label and exit status."""
    script = write_script(tmp_path / "mute", "#!/bin/sh\nexit 3\n")
    with pytest.raises(ToolFailed, match=r"^ffprobe exited with status 3$"):
        await run_tool([script], label="ffprobe")


@pytest.mark.parametrize("nice", [0, 10])
async def test_a_missing_program_is_told_apart(tmp_path: Path, nice: int) -> None:
    """A program that cannot be started raises ToolMissing, niced or not."""
    missing = str(tmp_path / "no-such-tool")
    with pytest.raises(ToolMissing) as excinfo:
        await run_tool([missing, "-version"], nice=nice)
    why = "No such file or directory" if nice == 0 else NICE_CANNOT_RUN[127]
    assert excinfo.value.reason == f"cannot run {missing!r}: {why}"


async def test_a_niced_child_runs_at_that_niceness() -> None:
    """``nice`` runs the program itself at the given niceness (nice execs in place)."""
    output = await run_tool(["sh", "-c", "cut -d' ' -f19 /proc/$$/stat"], nice=7)
    assert int(output) == os.nice(0) + 7


async def test_timeout_kills_the_whole_group_of_a_forking_wrapper(
    tmp_path: Path, mock_clock: trio.testing.MockClock
) -> None:
    """On timeout the wrapper and the child it forked are both killed; the wrapper is reaped."""
    # The manual clock: the limit passes only once both processes surely run.
    prober = make_prober(tmp_path / "bin", "hang", fork_child=True)
    raised: list[ToolTimeout] = []

    async def run() -> None:
        with pytest.raises(ToolTimeout, match=r"^ffprobe took longer than 30s$") as excinfo:
            await run_tool([str(prober.path), "x.mp4"], timeout=30.0, label="ffprobe")
        raised.append(excinfo.value)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(run)
        wrapper, child = await wait_for_child(prober)
        assert (process_running(wrapper), process_running(child)) == (True, True)
        await run_out_the_clock(mock_clock, raised)

    assert [e.seconds for e in raised] == [30.0]
    assert not process_exists(wrapper)
    assert await gone(child)


async def test_cancel_kills_the_whole_group_of_a_forking_wrapper(tmp_path: Path) -> None:
    """Cancelling a run kills the wrapper and the child it forked, and reaps the wrapper."""
    prober = make_prober(tmp_path / "bin", "hang", fork_child=True)
    with trio.CancelScope() as scope:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(run_tool, [str(prober.path), "x.mp4"])
            wrapper, child = await wait_for_child(prober)
            assert (process_running(wrapper), process_running(child)) == (True, True)
            scope.cancel()
    assert scope.cancelled_caught
    assert not process_exists(wrapper)
    assert await gone(child)


async def test_a_child_holding_the_pipes_after_its_parent_exits_is_killed_on_timeout(
    tmp_path: Path, mock_clock: trio.testing.MockClock
) -> None:
    """A background child that outlives the program and holds its output dies on timeout."""
    pid_file = tmp_path / "child.pid"
    script = write_script(
        tmp_path / "leave-behind",
        f"#!/bin/sh\nsleep 3600 &\necho $! > {pid_file}.tmp\nmv {pid_file}.tmp {pid_file}\n"
        "echo done\nexit 0\n",
    )
    raised: list[ToolTimeout] = []

    async def run() -> None:
        with pytest.raises(ToolTimeout) as excinfo:
            await run_tool([script], timeout=30.0)
        raised.append(excinfo.value)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(run)
        assert await eventually(pid_file.exists)
        child = int(pid_file.read_text())
        # The script exits at once; its child still holds the pipes, so the run waits on.
        await run_out_the_clock(mock_clock, raised)

    assert len(raised) == 1
    assert await gone(child)


async def test_without_the_group_kill_the_forked_child_would_survive(tmp_path: Path) -> None:
    """Killing the wrapper alone, as trio's own cancel does, leaves its child running."""
    prober = make_prober(tmp_path / "bin", "hang", fork_child=True)

    async def kill_wrapper_only(process: trio.Process) -> None:
        process.kill()
        await trio.lowlevel.checkpoint()

    with trio.CancelScope() as scope:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(
                partial(
                    trio.run_process,
                    [str(prober.path), "x.mp4"],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    deliver_cancel=kill_wrapper_only,
                )
            )
            wrapper, child = await wait_for_child(prober)
            scope.cancel()
    try:
        assert not process_exists(wrapper)
        assert process_running(child)
    finally:
        os.kill(child, signal.SIGKILL)
    assert await gone(child)


def test_stderr_summary_is_the_last_meaningful_line_cut_short() -> None:
    """summarize_stderr keeps the last non-blank line, at most ``limit`` characters."""
    assert summarize_stderr(b"one\n  two  \n\n") == "two"
    assert summarize_stderr(b"") == ""
    assert summarize_stderr(b"x" * 500, limit=10) == "x" * 9 + "…"
