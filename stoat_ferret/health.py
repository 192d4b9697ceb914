"""Readiness checks: can the service do its work (the database, and what reads media files)?"""

from __future__ import annotations

import os
import re
import shutil
import time
from typing import Any

import attrs
import trio

from .children import ToolError, run_tool
from .library.store import Library
from .probers import LibavProber, Prober, ToolProber

#: Seconds the database check may take before it counts as failed.
DATABASE_CHECK_TIMEOUT = 2.0
#: Seconds a check of an external program may take.
TOOL_CHECK_TIMEOUT = 5.0
#: Seconds a program check's answer is reused, so frequent readiness probes spawn little.
TOOL_CHECK_TTL = 10.0

_VERSION = re.compile(rb"\bversion\s+(\S+)")


@attrs.frozen(kw_only=True)
class Check:
    """The outcome of one readiness check, and what is worth knowing about it."""

    ok: bool
    #: What is wrong, when it is not ok.
    reason: str | None = None
    #: How long the database took to answer.
    latency_ms: float | None = None
    #: The program's version, as it reports it.
    version: str | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"status": "ok" if self.ok else "error"}
        if self.latency_ms is not None:
            wire["latency_ms"] = round(self.latency_ms, 3)
        if self.version is not None:
            wire["version"] = self.version
        if self.reason is not None:
            wire["reason"] = self.reason
        return wire


async def check_database(library: Library) -> Check:
    """Whether the library is fit for use, answering within :data:`DATABASE_CHECK_TIMEOUT`.

    Not fit: its file was deleted or replaced under the server, it cannot be written
    (disk full, read-only) or read. The reason says which; a fit one reports its latency.
    """
    started = time.perf_counter()
    try:
        with trio.fail_after(DATABASE_CHECK_TIMEOUT):
            problem = await library.check()
    # check awaits a worker thread before it can raise: both returns follow a checkpoint.
    except trio.TooSlowError:
        return Check(ok=False, reason=f"no answer within {DATABASE_CHECK_TIMEOUT:g}s")  # noqa: ASYNC910
    except Exception as exc:
        # Readiness reports any failure of the database; it never fails itself.
        return Check(ok=False, reason=f"error: {exc}")  # noqa: ASYNC910
    if problem is not None:
        return Check(ok=False, reason=problem.reason)
    return Check(ok=True, latency_ms=(time.perf_counter() - started) * 1000)


async def check_prober(prober: Prober, tools: ToolChecks) -> dict[str, Check]:
    """The checks of what reads media files: ``ffprobe`` and ``ffmpeg`` when they run per
    file; ``libav`` (the media workers, with PyAV's version) when the workers do it all."""
    if isinstance(prober, LibavProber):
        state = await prober.state()
        return {"libav": Check(ok=state.ready, reason=state.reason, version=state.version)}
    if isinstance(prober, ToolProber):
        return {
            "ffprobe": await tools.check(prober.ffprobe),
            "ffmpeg": await tools.check(prober.ffmpeg),
        }
    await trio.lowlevel.checkpoint()
    return {}


async def check_tool(program: str) -> Check:
    """Whether ``program -version`` runs cleanly within :data:`TOOL_CHECK_TIMEOUT`; its version."""
    if await trio.to_thread.run_sync(shutil.which, program) is None:
        return Check(
            ok=False, reason=f"{program} not found" + ("" if os.sep in program else " on PATH")
        )
    try:
        output = await run_tool(
            [program, "-version"], timeout=TOOL_CHECK_TIMEOUT, label=f"{program} -version"
        )
    except ToolError as exc:
        return Check(ok=False, reason=exc.reason)
    return Check(ok=True, version=tool_version(output))


def tool_version(output: bytes) -> str | None:
    """The version an ffmpeg-family program prints first (``ffprobe version 5.1.6-0 …``)."""
    first_line = output.split(b"\n", 1)[0]
    match = _VERSION.search(first_line)
    return match.group(1).decode("utf-8", "replace") if match else None


@attrs.define
class ToolChecks:
    """:func:`check_tool` answers, each reused for ``ttl`` seconds.

    With :meth:`keep_fresh` running, the programs are checked again in the background
    before their answers grow stale, so readiness answers from memory and never waits for
    a program to start: on a loaded machine ``ffprobe -version`` takes a few hundred
    milliseconds, once every ``ttl`` for whichever probe came then.
    """

    ttl: float = TOOL_CHECK_TTL
    #: Program -> (when it was checked, the answer).
    _answers: dict[str, tuple[float, Check]] = attrs.field(factory=dict)

    async def check(self, program: str) -> Check:
        now = trio.current_time()
        cached = self._answers.get(program)
        if cached is not None and now - cached[0] < self.ttl:
            await trio.lowlevel.checkpoint()
            return cached[1]
        answer = await check_tool(program)
        self._answers[program] = (now, answer)
        return answer

    async def keep_fresh(self) -> None:
        """Forever: every half ``ttl``, check each program checked so far again."""
        while True:
            await trio.sleep(self.ttl / 2)
            for program in list(self._answers):
                checked = trio.current_time()
                self._answers[program] = (checked, await check_tool(program))
