"""The client's watched folders: its methods against the real server, and the Watch model."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stoat_ferret.client import (
    Client,
    InvalidPath,
    NotFound,
    PathNotAllowed,
    ProtocolError,
    Watch,
    WatchOverlap,
    WatchState,
    open_client,
)

from ..conftest import LiveServer


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[Client]:
    async with open_client(live_server.url) as client:
        yield client


@pytest.fixture
def real_root(media_root: Path) -> str:
    return os.path.realpath(media_root)


async def test_add_list_get_and_remove_a_watch(
    client: Client, media_root: Path, real_root: str
) -> None:
    """add_watch returns the typed watch; list and get show it; remove_watch ends it."""
    (media_root / "in").mkdir()

    watch = await client.add_watch(str(media_root / "in"))

    assert isinstance(watch, Watch)
    assert watch.path == f"{real_root}/in"
    assert (watch.poll, watch.state, watch.reason) == (False, WatchState.ACTIVE, None)
    assert watch.created_at.tzinfo is UTC
    assert [w.id for w in await client.list_watches()] == [watch.id]
    assert (await client.get_watch(watch.id)).path == watch.path

    await client.remove_watch(watch.id)

    assert await client.list_watches() == ()
    with pytest.raises(NotFound):
        await client.get_watch(watch.id)
    with pytest.raises(NotFound):
        await client.remove_watch(watch.id)


async def test_a_polled_watch(client: Client, media_root: Path) -> None:
    """``poll=True`` gives a polled watch with its reason."""
    watch = await client.add_watch(str(media_root), poll=True)
    assert (watch.poll, watch.state) == (True, WatchState.POLLING)
    assert watch.reason is not None


async def test_refusals_are_the_client_exceptions(
    client: Client, media_root: Path, tmp_path: Path
) -> None:
    """Outside the roots, a file, an overlap: each its own exception, naming the watch."""
    (media_root / "a" / "b").mkdir(parents=True)
    (media_root / "clip.mp4").write_bytes(b"x")
    with pytest.raises(PathNotAllowed):
        await client.add_watch(str(tmp_path))
    with pytest.raises(InvalidPath):
        await client.add_watch(str(media_root / "clip.mp4"))
    first = await client.add_watch(str(media_root / "a"))
    with pytest.raises(WatchOverlap) as caught:
        await client.add_watch(str(media_root / "a" / "b"))
    assert caught.value.watch_id == first.id


def test_a_watch_reads_and_writes_its_json_exactly() -> None:
    """from_json/to_json round trip, an unknown state kept as a string, a bad one refused."""
    data = {
        "id": "w1",
        "path": "/m/in",
        "poll": False,
        "state": "hibernating",
        "reason": "a newer server's state",
        "created_at": "2024-05-01T10:00:00.000Z",
        "last_change_at": None,
        "job_id": None,
        "added_later": 1,
    }
    watch = Watch.from_json(data)
    assert watch.state == "hibernating"
    assert watch.created_at == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert watch.extra == {"added_later": 1}
    assert watch.to_json() == data
    with pytest.raises(ProtocolError):
        Watch.from_json({**data, "created_at": 5})
