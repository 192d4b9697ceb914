"""The pool against workers that misbehave: broken lines, wrong ids, silent deaths, no start."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest
import trio
import trio.testing

from stoat_ferret.workers.errors import WorkerCrashed, WorkerUnavailable
from stoat_ferret.workers.pool import open_worker_pool
from stoat_ferret.workers.process import LineReader
from stoat_ferret.workers.protocol import Op, ProtocolError

from ..support.prober import process_exists

FAKE_WORKER = Path(__file__).with_name("fake_worker.py")


MODES = ("garbage", "wrong-id", "dies", "mute", "endless", "quits")


@pytest.fixture
def fake_python(tmp_path: Path) -> dict[str, str]:
    """For each mode, an executable to pass as the pool's ``python``: the fake worker."""
    made = {}
    for mode in MODES:
        script = tmp_path / f"python-{mode}"
        command = [sys.executable, str(FAKE_WORKER), mode]
        script.write_text(f"#!/bin/sh\nexec {shlex.join(command)}\n")
        script.chmod(0o755)
        made[mode] = str(script)
    return made


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("garbage", "the media worker broke the protocol: not a JSON line: "),
        ("wrong-id", "the media worker answered out of turn"),
        ("dies", "the media worker exited with status 3 (boom)"),
        ("endless", "the media worker broke the protocol: a line longer than "),
        # Whether its death is seen on sending (then two more are tried) or on reading.
        ("quits", "the media worker exited with status 0"),
    ],
)
async def test_a_misbehaving_worker_fails_the_request_and_is_killed(
    mode: str, reason: str, fake_python: dict[str, str]
) -> None:
    """Whatever a worker does wrong mid-request fails that request, and the worker is gone."""
    async with open_worker_pool(size=1, python=fake_python[mode], prestart=True) as pool:
        [worker] = pool.idle_pids
        with pytest.raises(WorkerCrashed) as excinfo:
            await pool.call(Op.PROBE, {"path": "/media/a.mp4"}, subject="/media/a.mp4")
        assert excinfo.value.subject == "/media/a.mp4"
        assert excinfo.value.reason.startswith(reason)
        assert not process_exists(worker)
        assert pool.idle_pids == []


async def test_a_worker_that_never_greets_is_killed_after_the_start_timeout(
    fake_python: dict[str, str],
) -> None:
    """A worker silent at start-up is killed after start_timeout and the request says so."""
    async with open_worker_pool(size=1, python=fake_python["mute"], start_timeout=0.5) as pool:
        with pytest.raises(WorkerUnavailable) as excinfo:
            await pool.call(Op.PROBE, {"path": "/media/a.mp4"}, subject="/media/a.mp4")
        assert excinfo.value.reason == "the media worker did not start within 0.5s"
        assert (pool.stats.started, pool.stats.start_failures) == (0, 1)


async def test_line_reader_joins_chunks_and_stops_at_the_end() -> None:
    """Lines split across writes come out whole; a last line without newline is dropped at EOF."""
    send, receive = trio.testing.memory_stream_one_way_pair()
    lines = LineReader(receive, limit=100)
    await send.send_all(b'{"id": 1')
    await send.send_all(b'}\n{"id": 2}\n{"id"')
    assert await lines.readline() == b'{"id": 1}\n'
    assert await lines.readline() == b'{"id": 2}\n'
    await send.aclose()
    assert await lines.readline() is None


async def test_line_reader_refuses_an_overlong_line() -> None:
    """A line that grows past the limit raises ProtocolError instead of filling memory."""
    send, receive = trio.testing.memory_stream_one_way_pair()
    lines = LineReader(receive, limit=10)
    await send.send_all(b"0123456789ABCDEF")
    with pytest.raises(ProtocolError, match="longer than 10 bytes"):
        await lines.readline()
