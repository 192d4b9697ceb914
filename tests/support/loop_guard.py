"""The runtime guard: an async test fails if any task step blocks the event loop.

Each async test runs with a :class:`~stoat_ferret.loopwatch.LoopWatch` attached to
its trio run. When the test body is over, any task step that held the loop
longer than the limit fails the test, with the stack the watchdog caught while
the step was running long. This catches what the static gate cannot: a blocking
call one level down in our code, or inside a library.

The limit is ``STOAT_TEST_STEP_LIMIT`` seconds (default 0.25; docs/development.md
says why). ``--loop-report`` lists the longest step of each test.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Awaitable, Callable, Generator
from typing import Any

import pytest

from stoat_ferret.loopwatch import LoopWatch, watch_loop

DEFAULT_LIMIT = 0.25

_longest: list[tuple[float, str, str]] = []


def step_limit() -> float:
    return float(os.environ.get("STOAT_TEST_STEP_LIMIT", DEFAULT_LIMIT))


class BlockedEventLoop(AssertionError):
    """A task step held the event loop longer than the limit."""


def check(watch: LoopWatch) -> None:
    """Raise :class:`BlockedEventLoop` describing every slow step ``watch`` saw."""
    if watch.slow_steps:
        report = "\n\n".join(step.describe() for step in watch.slow_steps)
        raise BlockedEventLoop(
            f"{watch.slow_count} task step(s) held the event loop longer than "
            f"{watch.threshold * 1000:.0f} ms:\n\n{report}"
        )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--loop-report",
        action="store_true",
        help="list the longest event-loop task step seen in each async test",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "blocks_loop: the test blocks the event loop on purpose (to show a guard catching "
        "it) and checks the outcome itself; the runtime guard leaves it alone",
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Wrap each async test so its trio run is watched while the test body runs.

    A fixture cannot do this: pytest-trio runs only the async fixtures a test
    names. Wrapping the test function (before pytest-trio's own hook wrapper
    wraps it in turn) covers the test body and every task that runs meanwhile,
    the served app and its job runner included.
    """
    original = getattr(item, "obj", None)
    if (
        original is not None
        and inspect.iscoroutinefunction(original)
        and item.get_closest_marker("blocks_loop") is None
    ):
        item.obj = _guarded(item, original)  # type: ignore[attr-defined]
    return (yield)


def _guarded(item: pytest.Item, original: Callable[..., Awaitable[None]]) -> Any:
    report = item.config.getoption("--loop-report")

    @functools.wraps(original)
    async def guarded(**kwargs: Any) -> None:
        with watch_loop(step_limit()) as watch:
            await original(**kwargs)
        if report:
            _longest.append((watch.longest, watch.longest_task, item.nodeid))
        check(watch)

    return guarded


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _longest:
        return
    terminalreporter.section("longest event-loop task steps")
    for seconds, task, test in sorted(_longest, reverse=True)[:25]:
        terminalreporter.write_line(f"{seconds * 1000:8.1f} ms  {task}  ({test})")
