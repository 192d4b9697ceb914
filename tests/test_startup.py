"""``stoat-ferret serve`` refusing to start says why in one line, with the right exit status."""

from __future__ import annotations

import gc
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx
import pytest
import trio

from stoat_ferret.library.schema import SCHEMA_VERSION
from stoat_ferret.server import GC_YOUNG_THRESHOLD, serve
from stoat_ferret.settings import Settings

from .conftest import start_live_server
from .support.media import copy_as
from .support.prober import FakeProber, make_prober
from .support.waiting import wait_for_spawns

SERVE = [sys.executable, "-m", "stoat_ferret", "serve"]
TOKEN = "start-up-token-0123456789"


def env_for(database: Path, media_root: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("STOAT_API_TOKEN", None)
    env.update(
        {
            "STOAT_DATABASE_PATH": str(database),
            "STOAT_THUMBNAIL_DIR": str(database.parent / "thumbnails"),
            "STOAT_ALLOWED_SCAN_ROOTS": json.dumps([str(media_root)]),
            "STOAT_API_PORT": "0",
            "STOAT_SHUTDOWN_GRACE": "5",
        }
    )
    env.update(extra)
    return env


async def refused(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run a serve command that must not start: its exit status and its stderr."""
    with trio.fail_after(60):
        done = await trio.run_process(
            command, env=env, stdin=subprocess.DEVNULL, capture_stderr=True, check=False
        )
    return done.returncode, done.stderr.decode()


async def test_binding_beyond_loopback_without_a_token_exits_2(
    tmp_path: Path, media_root: Path
) -> None:
    """serve --host 0.0.0.0 with no token exits 2 with one line saying why and how to fix it."""
    env = env_for(tmp_path / "data" / "library.db", media_root)
    status, stderr = await refused([*SERVE, "--host", "0.0.0.0"], env)
    assert status == 2
    assert stderr == (
        "stoat-ferret: refusing to serve on 0.0.0.0 without an API token: anyone who can "
        "reach that address could read and change the library. Set STOAT_API_TOKEN or pass "
        "--token-file PATH (see docs/security.md)\n"
    )
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the token file {path}: No such file or directory"),
        ("short\n", "invalid setting: STOAT_API_TOKEN must be at least 16 characters"),
        ("two words here, long enough", "invalid setting: STOAT_API_TOKEN must be printable ASCII"),
    ],
)
async def test_an_unusable_token_file_exits_2(
    tmp_path: Path, media_root: Path, content: str | None, message: str
) -> None:
    """A token file that is missing or holds an unusable token exits 2 in one line."""
    path = tmp_path / "token"
    if content is not None:
        path.write_text(content)
    env = env_for(tmp_path / "data" / "library.db", media_root)
    status, stderr = await refused([*SERVE, "--token-file", str(path)], env)
    assert status == 2
    assert stderr.startswith("stoat-ferret: " + message.format(path=path))
    assert stderr.count("\n") == 1


@pytest.fixture
def prober(tmp_path: Path) -> FakeProber:
    return make_prober(tmp_path / "bin", "hang-on=hang")


@pytest.fixture
def hanging_settings(make_settings: Callable[..., Settings], prober: FakeProber) -> Settings:
    return make_settings(ffprobe_path=str(prober.path))


async def test_a_second_server_on_the_same_library_exits_1_and_touches_nothing(
    hanging_settings: Settings, media_root: Path, samples: dict[str, Path], prober: FakeProber
) -> None:
    """A second server on a library in use exits 1 naming the holder; the first's scan runs on."""
    copy_as(samples["h264_aac.mp4"], media_root / "hang_one.mp4")
    database = hanging_settings.database_path
    async for server in start_live_server(hanging_settings):
        async with server.client() as http:
            response = await http.post("/api/v1/videos/scan", json={"path": str(media_root)})
            job_id = response.json()["job_id"]
            await wait_for_spawns(prober, 1)
            status, stderr = await refused(SERVE, env_for(database, media_root))
            job = (await http.get(f"/api/v1/jobs/{job_id}")).json()
        stored = await trio.to_thread.run_sync(_stored_status, database, job_id)
        assert status == 1
        assert stderr == (
            f"stoat-ferret: cannot serve: the library at {database} is in use by process "
            f"{os.getpid()}\n"
        )
        assert job["status"] == "running"
        assert stored == "running"


def _stored_status(database: Path, job_id: str) -> str:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        (status,) = conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
    finally:
        conn.close()
    return str(status)


def _foreign_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.commit()
    finally:
        conn.close()


def _newer_library(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p: p.write_bytes(b"these are somebody's notes, not a database\n" * 20),
            "{db} is not a stoat-ferret library (not an SQLite database)",
        ),
        (_foreign_database, "{db} is a database of another program, not a stoat-ferret library"),
        (
            _newer_library,
            f"database schema version {SCHEMA_VERSION + 1} is newer than this program's "
            f"{SCHEMA_VERSION}; upgrade stoat-ferret to open it",
        ),
    ],
)
async def test_a_file_that_is_not_our_library_is_refused_untouched(
    tmp_path: Path, media_root: Path, make: Callable[[Path], None], message: str
) -> None:
    """A database path naming a file that is not a stoat-ferret library: exit 1, one line."""
    database = tmp_path / "data" / "library.db"
    database.parent.mkdir()
    make(database)
    before = database.read_bytes()
    status, stderr = await refused(SERVE, env_for(database, media_root))
    assert status == 1
    assert stderr == f"stoat-ferret: cannot serve: {message.format(db=database)}\n"
    assert database.read_bytes() == before


async def test_a_data_directory_that_cannot_be_made_is_one_line(
    tmp_path: Path, media_root: Path
) -> None:
    """A data directory below a regular file cannot be made: exit 1, one line."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    database = blocker / "data" / "library.db"
    status, stderr = await refused(SERVE, env_for(database, media_root))
    assert status == 1
    assert stderr == (
        f"stoat-ferret: cannot serve: cannot make the data directory {database.parent}: "
        "Not a directory\n"
    )


async def test_a_read_only_data_directory_is_one_line(tmp_path: Path, media_root: Path) -> None:
    """A data directory on a read-only file system: exit 1, one line.

    Permission bits do not stop root, so as root the server runs in a mount namespace
    of its own (``unshare``) with a read-only tmpfs as its data directory: the real
    EROFS, gone with the process. As another user, ``chmod 555`` is the real thing.
    """
    data = tmp_path / "data"
    data.mkdir()
    env = env_for(data / "library.db", media_root)
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("needs unshare(1) to mount a read-only file system as root")
        command = [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            'mount -t tmpfs -o ro,size=1m tmpfs "$0" && exec "$@"',
            str(data),
            *SERVE,
        ]
        expected = f"the data directory {data} is on a read-only file system"
    else:
        data.chmod(0o555)
        command = SERVE
        expected = f"the data directory {data} is not writable"
    status, stderr = await refused(command, env)
    if "unshare failed" in stderr or "mount:" in stderr:
        pytest.skip(f"cannot make a mount namespace here: {stderr.strip()}")
    assert status == 1
    assert stderr == f"stoat-ferret: cannot serve: {expected}\n"


async def test_missing_tools_are_a_one_line_warning_and_the_token_link_is_printed(
    tmp_path: Path, media_root: Path
) -> None:
    """Without ffprobe/ffmpeg the server still starts, warning once each; it prints its link."""
    env = env_for(
        tmp_path / "data" / "library.db",
        media_root,
        STOAT_FFPROBE_PATH=str(tmp_path / "no-ffprobe"),
        STOAT_FFMPEG_PATH="no-such-ffmpeg",
        STOAT_API_TOKEN=TOKEN,
    )
    process = await trio.lowlevel.open_process(
        SERVE, env=env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    log = bytearray()
    try:
        with trio.fail_after(30):
            async for chunk in process.stderr:
                log.extend(chunk)
                if b"to use the page in a browser" in log:
                    break
        lines = log.decode().splitlines()
        link = next(line for line in lines if "?token=" in line).split("open ", 1)[1].split()[0]
        async with httpx.AsyncClient(verify=False) as http:
            response = await http.get(link)
    finally:
        process.send_signal(signal.SIGTERM)
        with trio.fail_after(30):
            await process.wait()
        await process.stderr.aclose()
    warnings = [line for line in lines if " WARNING stoat_ferret.server: " in line]
    assert [w.split(": ", 1)[1] for w in warnings] == [
        f"{tmp_path / 'no-ffprobe'} not found; jobs that need it will fail until it is fixed",
        "no-such-ffmpeg not found on PATH; jobs that need it will fail until it is fixed",
    ]
    assert link.endswith(f"/?token={TOKEN}")
    assert link.startswith("http://127.0.0.1:")
    assert response.status_code == 303
    assert process.returncode == 0


async def test_serving_settles_the_garbage_collector(settings: Settings) -> None:
    """Once started, the server has frozen what start-up made and collects its youngest
    objects every GC_YOUNG_THRESHOLD allocations (docs/performance.md)."""
    before = gc.get_threshold()
    # The test run froze its own objects once collected (tests/conftest.py); thawing them
    # here would make the server's one full pass at start-up walk the whole test run.
    frozen_before = gc.get_freeze_count()
    try:
        async with trio.open_nursery() as nursery:
            stop = trio.Event()
            await nursery.start(partial(serve, settings, stop=stop))
            assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
            assert gc.get_freeze_count() > frozen_before
            stop.set()
    finally:
        gc.set_threshold(*before)
