"""Fixtures shared by the scan tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import trio

from stoat_ferret.service import Service, open_service
from stoat_ferret.settings import Settings


@pytest.fixture
async def open_test_service(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[Callable[..., Any]]:
    """Opens services on this test's database; all are closed when the test ends."""
    async with trio.open_nursery() as nursery:
        stops: list[trio.Event] = []

        async def opener(**overrides: Any) -> Service:
            ready: list[Service] = []
            stop = trio.Event()
            stops.append(stop)

            async def hold(task_status: trio.TaskStatus[None]) -> None:
                async with open_service(make_settings(**overrides)) as service:
                    ready.append(service)
                    task_status.started()
                    await stop.wait()

            await nursery.start(hold)
            return ready[0]

        yield opener
        for stop in stops:
            stop.set()
