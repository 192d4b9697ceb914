"""Browser-test fixtures: the real server as a child process, Chromium driven by Playwright.

Playwright's API is not trio, so these tests are plain synchronous pytest tests:
the server runs as ``python -m stoat_ferret serve`` (real ffprobe and ffmpeg,
its own database, port 0) and the page runs in Debian's Chromium.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, expect, sync_playwright

from ..support.prober import make_prober

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Screenshots of each run (gitignored); good ones are copied to docs/images by hand.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LISTENING = re.compile(r"serving the library at .* on (http://\S+)")
#: How long a page may take to reach an expected state before the test fails.
EXPECT_TIMEOUT_MS = 10_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "prober(mode): run the server with tests/support/fake_prober.py in this mode"
    )
    config.addinivalue_line("markers", "server_env(**env): extra environment for the server")


@attrs.define
class GuiServer:
    """A ``stoat-ferret serve`` child process and what a test needs to drive it."""

    url: str
    media_root: Path
    process: subprocess.Popen[bytes]
    log: list[str]

    def get(self, path: str, **params: Any) -> Any:
        """GET ``path`` from the API (bypassing the page); the JSON body."""
        response = httpx.get(f"{self.url}{path}", params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: Any) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", json=body, timeout=15)

    def vocabulary(self) -> dict[str, Any]:
        """The server's own protocol words, from /api/v1/info."""
        protocol: dict[str, Any] = self.get("/api/v1/info")["protocol"]
        return protocol


def _read_stderr(
    process: subprocess.Popen[bytes], log: list[str], url: list[str], ready: threading.Event
) -> None:
    assert process.stderr is not None
    for raw in process.stderr:
        line = raw.decode(errors="replace")
        log.append(line)
        match = LISTENING.search(line)
        if match and not ready.is_set():
            url.append(match.group(1))
            ready.set()
    # Exited before (or after) it listened: nobody should wait any longer.
    ready.set()


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[GuiServer]:
    """The service, served by the CLI on a port of its own, stopped with SIGTERM afterwards."""
    media_root = tmp_path / "media"
    media_root.mkdir()
    env = dict(os.environ)
    env.update(
        {
            "STOAT_DATABASE_PATH": str(tmp_path / "data" / "library.db"),
            "STOAT_THUMBNAIL_DIR": str(tmp_path / "data" / "thumbnails"),
            "STOAT_ALLOWED_SCAN_ROOTS": json.dumps([str(media_root)]),
            "STOAT_API_PORT": "0",
            "STOAT_PROBE_CONCURRENCY": "2",
            "STOAT_SHUTDOWN_GRACE": "5",
            "STOAT_LOG_LEVEL": "INFO",
        }
    )
    extra_env = request.node.get_closest_marker("server_env")
    if extra_env is not None:
        env.update(extra_env.kwargs)
    marker = request.node.get_closest_marker("prober")
    if marker is not None:
        env["STOAT_FFPROBE_PATH"] = str(make_prober(tmp_path / "bin", marker.args[0]).path)
    process = subprocess.Popen(
        [sys.executable, "-m", "stoat_ferret", "serve"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    log: list[str] = []
    url: list[str] = []
    ready = threading.Event()
    reader = threading.Thread(target=_read_stderr, args=(process, log, url, ready), daemon=True)
    reader.start()
    try:
        ready.wait(timeout=30)
        if not url:
            raise RuntimeError("the server did not start:\n" + "".join(log))
        yield GuiServer(url[0], media_root, process, log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            returncode = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        finally:
            reader.join(timeout=10)
            assert process.stderr is not None
            process.stderr.close()
    assert returncode == 0, "the server did not stop cleanly:\n" + "".join(log)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, for the whole session."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run tools/bootstrap.sh (it installs Debian's chromium)"
        )
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def _is_failed_request(message: ConsoleMessage) -> bool:
    # Chromium logs every 4xx answer to the console; the tests that cause one check it.
    return message.text.startswith("Failed to load resource: the server responded with a status")


@pytest.fixture
def page(browser: Browser, server: GuiServer) -> Iterator[Page]:
    """A fresh tab on ``server``; fails the test on any script error, console error or alert."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not _is_failed_request(message):
            problems.append(f"console error: {message.text}")

    def on_dialog(dialog: Dialog) -> None:
        problems.append(f"the page opened a {dialog.type} dialog: {dialog.message}")
        dialog.dismiss()

    tab.on("pageerror", lambda error: problems.append(f"uncaught error: {error}"))
    tab.on("console", on_console)
    tab.on("dialog", on_dialog)
    try:
        yield tab
    finally:
        # Route handlers still running (an image on its way) must not outlive the test.
        tab.unroute_all(behavior="ignoreErrors")
        context.close()
    assert problems == []


def screenshot(page: Page, name: str) -> None:
    """Save what the page shows as test-artifacts/<name>.png."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
