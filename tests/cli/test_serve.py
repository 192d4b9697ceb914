"""``stoat-ferret serve`` as a real process: start-up, signals, restart after a crash."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import trio

from stoat_ferret.settings import describe_settings

from ..support.media import copy_as
from ..support.prober import FakeProber, make_prober, process_exists
from ..support.waiting import poll_until

LISTENING = re.compile(rb"serving the library at .* on (http://\S+)")


class ServerProcess:
    """A ``stoat-ferret serve`` child process and the URL it reported."""

    def __init__(self, process: trio.Process, url: str, stderr: bytearray) -> None:
        self.process = process
        self.url = url
        self.stderr = stderr


def server_env(tmp_path: Path, media_root: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "STOAT_DATABASE_PATH": str(tmp_path / "data" / "library.db"),
            "STOAT_ALLOWED_SCAN_ROOTS": json.dumps([str(media_root)]),
            "STOAT_API_PORT": "0",
            "STOAT_SHUTDOWN_GRACE": "5",
        }
    )
    env.update(extra)
    return env


async def start_server(nursery: trio.Nursery, env: dict[str, str]) -> ServerProcess:
    """Run the CLI and wait until it logs the URL it listens on."""
    process = await trio.lowlevel.open_process(
        [sys.executable, "-m", "stoat_ferret", "serve"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    stderr = bytearray()
    found = trio.Event()
    url: list[str] = []

    async def read_stderr() -> None:
        assert process.stderr is not None
        async for chunk in process.stderr:
            stderr.extend(chunk)
            match = LISTENING.search(stderr)
            if match and not found.is_set():
                url.append(match.group(1).decode())
                found.set()

    nursery.start_soon(read_stderr)
    with trio.fail_after(30):
        await found.wait()
    return ServerProcess(process, url[0], stderr)


@pytest.fixture
async def nursery_for_servers() -> AsyncIterator[trio.Nursery]:
    async with trio.open_nursery() as nursery:
        yield nursery
        nursery.cancel_scope.cancel()


async def start_hanging_scan(url: str, media_root: Path, prober: FakeProber) -> str:
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.post("/api/v1/videos/scan", json={"path": str(media_root)})
        assert response.status_code == 202, response.text
        job_id: str = response.json()["job_id"]
    with trio.fail_after(20):
        await poll_until(lambda: bool(prober.pids()))
    return job_id


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_signal_interrupts_running_job_and_exits_cleanly(
    signum: signal.Signals,
    tmp_path: Path,
    media_root: Path,
    samples: dict[str, Path],
    nursery_for_servers: trio.Nursery,
) -> None:
    """On SIGTERM/SIGINT the running scan ends ``interrupted``, its probes die, exit is 0."""
    copy_as(samples["h264_aac.mp4"], media_root / "stuck.mp4")
    prober = make_prober(tmp_path / "bin", "hang")
    env = server_env(tmp_path, media_root, STOAT_FFPROBE_PATH=str(prober.path))
    server = await start_server(nursery_for_servers, env)
    job_id = await start_hanging_scan(server.url, media_root, prober)

    server.process.send_signal(signum)
    with trio.fail_after(15):
        returncode = await server.process.wait()

    assert returncode == 0, server.stderr.decode(errors="replace")
    assert [pid for pid in prober.pids() if process_exists(pid)] == []
    restarted = await start_server(nursery_for_servers, env)
    async with httpx.AsyncClient(base_url=restarted.url) as client:
        job = (await client.get(f"/api/v1/jobs/{job_id}")).json()
    restarted.process.send_signal(signal.SIGTERM)
    with trio.fail_after(15):
        assert await restarted.process.wait() == 0
    assert job["status"] == "interrupted"
    assert job["error"] == "the server stopped before the job finished"
    # Recorded by the graceful shutdown itself, not by the restart's recovery pass.
    assert b"left unfinished" not in restarted.stderr


async def test_jobs_of_a_killed_server_are_interrupted_after_restart(
    tmp_path: Path,
    media_root: Path,
    samples: dict[str, Path],
    nursery_for_servers: trio.Nursery,
) -> None:
    """After SIGKILL mid-scan, the next start lists the job as ``interrupted``, and resumes it."""
    copy_as(samples["h264_aac.mp4"], media_root / "stuck.mp4")
    prober = make_prober(tmp_path / "bin", "hang")
    env = server_env(tmp_path, media_root, STOAT_FFPROBE_PATH=str(prober.path))
    server = await start_server(nursery_for_servers, env)
    job_id = await start_hanging_scan(server.url, media_root, prober)

    server.process.kill()
    await server.process.wait()
    # A SIGKILLed server cannot reap its children; they are the test's to clean up.
    for pid in prober.pids():
        if process_exists(pid):
            os.kill(pid, signal.SIGKILL)

    restarted = await start_server(nursery_for_servers, env)
    async with httpx.AsyncClient(base_url=restarted.url) as client:
        history = (await client.get("/api/v1/jobs")).json()
    restarted.process.send_signal(signal.SIGINT)
    with trio.fail_after(15):
        assert await restarted.process.wait() == 0

    resumed, killed = history["jobs"]
    assert (killed["job_id"], killed["status"]) == (job_id, "interrupted")
    assert (resumed["kind"], resumed["params"]["resumed_from"]) == ("scan", job_id)
    assert b"marked 1 job(s) left unfinished" in restarted.stderr


async def test_invalid_setting_exits_with_a_message_naming_the_variable(tmp_path: Path) -> None:
    """An unusable STOAT_* value stops start-up with exit 2 and one line naming the variable."""
    env = server_env(tmp_path, tmp_path, STOAT_LOG_LEVEL="loud")
    done = await trio.run_process(
        [sys.executable, "-m", "stoat_ferret", "serve"],
        env=env,
        capture_stdout=True,
        capture_stderr=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.decode() == (
        "stoat-ferret: invalid setting: STOAT_LOG_LEVEL must be one of CRITICAL, ERROR, "
        "WARNING, INFO, DEBUG, got 'loud'\n"
    )


async def test_a_bare_path_is_a_scan_root(
    tmp_path: Path, media_root: Path, nursery_for_servers: trio.Nursery
) -> None:
    """STOAT_ALLOWED_SCAN_ROOTS may be one directory path, not only a JSON list."""
    env = server_env(tmp_path, media_root, STOAT_ALLOWED_SCAN_ROOTS=str(media_root))
    server = await start_server(nursery_for_servers, env)
    async with httpx.AsyncClient(base_url=server.url) as client:
        info = (await client.get("/api/v1/info")).json()
    server.process.send_signal(signal.SIGTERM)
    with trio.fail_after(15):
        assert await server.process.wait() == 0
    assert info["allowed_scan_roots"] == [str(await trio.Path(media_root).resolve())]


async def test_serve_help_lists_every_setting_with_its_default() -> None:
    """``serve --help`` names every STOAT_* variable with its default and what it does."""
    done = await trio.run_process(
        [sys.executable, "-m", "stoat_ferret", "serve", "--help"],
        capture_stdout=True,
        capture_stderr=True,
    )
    text = done.stdout.decode()
    for setting in describe_settings():
        assert f"  {setting.variable}  (default: {setting.default})\n" in text
        assert setting.help.split()[0] in text
    listed = re.findall(r"^  (STOAT_\w+)  \(default: ", text, flags=re.MULTILINE)
    assert listed == [setting.variable for setting in describe_settings()]
