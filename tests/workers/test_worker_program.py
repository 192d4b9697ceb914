"""The media worker as a program: ``python -m stoat_ferret.workers.libav`` on its own pipes."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import trio

from stoat_ferret.workers.libav import EXIT_MISSING, INSTALL_HINT
from stoat_ferret.workers.protocol import ErrorKind, Response, decode_response

from ..support.workers import TEST_OPS, requires_pyav, without_pyav


async def run_worker(
    requests: list[dict[str, Any]], *, env: dict[str, str] | None = None, raw: bytes = b""
) -> tuple[int, list[bytes], bytes]:
    """Run one worker over ``requests`` (then ``raw`` bytes), until stdin closes.

    Returns its exit status, its stdout split into lines, and its stderr.
    """
    payload = b"".join(json.dumps(r).encode() + b"\n" for r in requests) + raw
    done = await trio.run_process(
        [sys.executable, "-m", "stoat_ferret.workers.libav"],
        stdin=payload,
        capture_stdout=True,
        capture_stderr=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    return done.returncode, done.stdout.splitlines(keepends=True), done.stderr


def responses(lines: list[bytes]) -> list[Response]:
    return [decode_response(line) for line in lines]


@requires_pyav
async def test_greets_answers_in_order_and_exits_when_stdin_closes(
    samples: dict[str, Path],
) -> None:
    """The worker says it is ready, answers each request by id in turn, and exits 0 at EOF."""
    status, lines, _ = await run_worker(
        [
            {"id": 1, "op": "probe", "path": str(samples["h264_aac.mp4"])},
            {"id": 2, "op": "no-such-op"},
            {"id": 3, "op": "probe"},
        ]
    )
    hello, probed, unknown, malformed = responses(lines)
    assert status == 0
    assert hello.id == 0
    assert hello.result is not None
    assert hello.result["ready"] is True
    assert probed.id == 1
    assert probed.result is not None
    assert json.loads(probed.result["ffprobe_json"])["format"]["nb_streams"] == 2
    assert unknown.id == 2
    assert unknown.error is not None
    assert unknown.error.kind == ErrorKind.BAD_REQUEST
    assert unknown.error.reason == "unknown operation 'no-such-op'"
    assert malformed.id == 3
    assert malformed.error is not None
    assert malformed.error.reason == "'path' must be a non-empty string"


@requires_pyav
async def test_stdout_carries_only_protocol_lines() -> None:
    """Text written to file descriptor 1 or printed inside the worker goes to stderr instead."""
    status, lines, stderr = await run_worker(
        [{"id": 1, "op": "noise", "text": "written-to-fd-1\n"}], env=TEST_OPS
    )
    hello, noise = responses(lines)
    assert status == 0
    assert (hello.id, noise.id) == (0, 1)
    assert noise.result == {"written": 16}
    assert stderr.count(b"written-to-fd-1") == 2


@requires_pyav
async def test_test_operations_are_refused_without_the_switch() -> None:
    """A worker started without STOAT_WORKER_TEST_OPS=1 will not crash on request."""
    status, lines, _ = await run_worker([{"id": 1, "op": "crash"}])
    _, refused = responses(lines)
    assert status == 0
    assert refused.error is not None
    assert (refused.error.kind, refused.error.reason) == (
        "bad_request",
        "unknown operation 'crash'",
    )


@requires_pyav
async def test_a_line_that_is_not_a_request_ends_the_conversation() -> None:
    """An unreadable line gets one bad_request answer (id -1) and the worker exits."""
    status, lines, _ = await run_worker([], raw=b"this is not json\n{}\n")
    _, refused = responses(lines)
    assert status == 0
    assert refused.id == -1
    assert refused.error is not None
    assert refused.error.kind == ErrorKind.BAD_REQUEST
    assert len(lines) == 2


@requires_pyav
async def test_out_of_range_arguments_are_refused(samples: dict[str, Path], tmp_path: Path) -> None:
    """An odd width, a negative time or a strip of 0 frames is refused before any decoding."""
    source = str(samples["h264_aac.mp4"])
    target = str(tmp_path / "t.jpg")
    status, lines, _ = await run_worker(
        [
            {
                "id": 1,
                "op": "thumbnail",
                "source": source,
                "target": target,
                "at_seconds": 0,
                "width": 321,
            },
            {
                "id": 2,
                "op": "thumbnail",
                "source": source,
                "target": target,
                "at_seconds": -1,
                "width": 320,
            },
            {"id": 3, "op": "strip", "source": source, "target": target, "times": [], "width": 160},
            {
                "id": 4,
                "op": "strip",
                "source": source,
                "target": target,
                "times": [0.5, -1],
                "width": 160,
            },
            {
                "id": 5,
                "op": "strip",
                "source": source,
                "target": target,
                "times": [0.1] * 101,
                "width": 160,
            },
        ]
    )
    reasons = [r.error.reason for r in responses(lines)[1:] if r.error is not None]
    assert status == 0
    assert reasons == [
        "'width' must be even",
        "'at_seconds' must be a number, at least 0",
        "'times' must be a list of 1-100 numbers, each at least 0",
        "'times' must be a list of 1-100 numbers, each at least 0",
        "'times' must be a list of 1-100 numbers, each at least 0",
    ]
    assert not await trio.Path(tmp_path / "t.jpg").exists()


async def test_without_pyav_it_says_so_and_exits(tmp_path: Path) -> None:
    """Where PyAV cannot be imported, the only line is a 'missing' error naming the extra."""
    status, lines, stderr = await run_worker(
        [{"id": 1, "op": "probe", "path": "/x.mp4"}], env=without_pyav(tmp_path)
    )
    assert status == EXIT_MISSING
    [answer] = responses(lines)
    assert answer.id == 0
    assert answer.error is not None
    assert (answer.error.kind, answer.error.reason) == (ErrorKind.MISSING, INSTALL_HINT)
    assert "stoat-ferret[libav]" in INSTALL_HINT
    assert b"No module named 'av'" in stderr
