"""Fixtures shared by the whole suite."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import httpx
import hypothesis
import pytest
import trio

from stoat_ferret.api import create_app
from stoat_ferret.server import serve_service
from stoat_ferret.service import Service, open_service
from stoat_ferret.settings import Settings

from .support.media import SAMPLES, make_corpus, make_distinct_clips, make_sample

# The runtime guard (every async test fails if a task step blocks the event loop) and the
# leak checks (child processes, file descriptors, SQLite files) apply to the whole suite.
pytest_plugins = ["tests.support.loop_guard", "tests.support.leak_check"]

# Property tests judge results, not speed: on a machine shared with other test runs an
# example may take any time, so neither a per-example deadline nor the slow-generation
# health check may fail a test.
hypothesis.settings.register_profile(
    "stoat",
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)
hypothesis.settings.load_profile("stoat")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what imports and collection made, as ``serve`` freezes what start-up made.

    Otherwise every full garbage-collector pass walks the test run's whole heap (pytest,
    Playwright, every collected test) in some unlucky task step, and on a busy machine that
    alone can hold the loop past the loop guard's limit.
    """
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One generated file per container/codec pair in ``SAMPLES`` (made once per session)."""
    directory = tmp_path_factory.mktemp("samples")
    return {name: make_sample(directory, name) for name in SAMPLES}


@pytest.fixture(scope="session")
def distinct_clips(
    tmp_path_factory: pytest.TempPathFactory, samples: dict[str, Path]
) -> list[Path]:
    """Six small MP4 videos that differ in content, so each has its own fingerprint."""
    return make_distinct_clips(tmp_path_factory.mktemp("distinct"), samples["h264_aac.mp4"], 6)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One generated file per container family and metadata field in ``CORPUS`` (once a session)."""
    return make_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    """An allowed scan root for this test; empty to begin with."""
    root = tmp_path / "media"
    root.mkdir()
    return root


@pytest.fixture
def make_settings(tmp_path: Path, media_root: Path) -> Callable[..., Settings]:
    """Settings for a server of this test's own: its own database, port 0, ``media_root``."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_path": tmp_path / "data" / "library.db",
            "thumbnail_dir": tmp_path / "data" / "thumbnails",
            "api_port": 0,
            "allowed_scan_roots": (media_root,),
            "probe_concurrency": 2,
            "probe_timeout": 20.0,
            "shutdown_grace": 5.0,
            # Most tests watch one scan job alone; the thumbnail tests turn this on.
            "thumbnails_after_scan": False,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@attrs.frozen
class LiveServer:
    """The real app, served by hypercorn on a loopback port, and the service behind it."""

    url: str
    service: Service

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http") + "/ws"

    def client(self) -> httpx.AsyncClient:
        # Plain HTTP on loopback: verify=False spares loading the CA bundle, which blocks
        # the event loop for long enough under load to trip the loop guard.
        return httpx.AsyncClient(base_url=self.url, timeout=30.0, verify=False)


async def start_live_server(settings: Settings, *, guard: bool = True) -> AsyncIterator[LiveServer]:
    """Serve ``settings``' service until the generator is closed; then check it left no job.

    ``guard=False`` serves the app without its request guard, to show what the guard stops.
    """
    async with open_service(settings) as service:
        async with trio.open_nursery() as nursery:
            stop = trio.Event()
            app = create_app(service, guard=guard)
            url = await nursery.start(partial(serve_service, service, stop=stop, app=app))
            try:
                yield LiveServer(url, service)
            finally:
                stop.set()
        # The server has stopped, so the runner has interrupted every job it held.
        assert service.runner.live_count == 0, "jobs were still live after shutdown"


@pytest.fixture
async def live_server(settings: Settings) -> AsyncIterator[LiveServer]:
    """The app served for this test on 127.0.0.1 with a port of its own."""
    async for server in start_live_server(settings):
        yield server


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with live_server.client() as http:
        yield http
