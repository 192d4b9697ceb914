"""The CLI's options: global ones before or after the command, the token, job id prefixes, help.

Commands run as real subprocesses against the live server (in this process), some through a
recording TCP proxy that shows what the server was sent.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio

from stoat_ferret.cli import build_parser
from stoat_ferret.client import Client, open_client

from ..client.proxy import TcpProxy, open_proxy, request_heads
from ..conftest import LiveServer
from ..support.media import copy_as

Completed = subprocess.CompletedProcess[bytes]
TOKEN = "tok-3nE_9~x"


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[Client]:
    async with open_client(live_server.url) as client:
        yield client


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def run_cli(*args: str, env: dict[str, str] | None = None) -> Completed:
    """Run ``stoat-ferret ARGS`` with STOAT_URL at a closed port unless ``env`` says otherwise."""
    base = {k: v for k, v in os.environ.items() if k not in {"STOAT_URL", "STOAT_TOKEN"}}
    with trio.fail_after(30):
        return await trio.run_process(
            [sys.executable, "-m", "stoat_ferret", *args],
            env={**base, "STOAT_URL": closed_port_url(), **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_stdout=True,
            capture_stderr=True,
            check=False,
        )


def lines(output: bytes) -> list[str]:
    return output.decode().splitlines()


# -- global options ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--url", "{url}", "health"], id="before"),
        pytest.param(["health", "--url", "{url}"], id="after"),
        pytest.param(["--url", "http://127.0.0.1:9", "health", "--url", "{url}"], id="after-wins"),
    ],
)
async def test_url_works_before_or_after_the_command(
    live_server: LiveServer, args: list[str]
) -> None:
    """--url reaches the server given either side of the command ($STOAT_URL is a dead port)."""
    done = await run_cli(*(arg.format(url=live_server.url) for arg in args))

    assert (done.returncode, done.stderr) == (0, b""), done
    assert lines(done.stdout)[0] == f"{live_server.url}: ok"


@pytest.mark.parametrize("args", [["--json", "jobs"], ["jobs", "--json"]], ids=["before", "after"])
async def test_json_works_before_or_after_the_command(
    live_server: LiveServer, args: list[str]
) -> None:
    """--json prints JSON given either side of the command."""
    done = await run_cli(*args, env={"STOAT_URL": live_server.url})

    assert (done.returncode, done.stderr) == (0, b""), done
    assert json.loads(done.stdout) == {"jobs": [], "total": 0}


async def test_stoat_url_is_the_default(live_server: LiveServer) -> None:
    """Without --url, the server at $STOAT_URL is used."""
    done = await run_cli("health", env={"STOAT_URL": live_server.url})
    assert (done.returncode, lines(done.stdout)[0]) == (0, f"{live_server.url}: ok"), done


# -- the token --------------------------------------------------------------------------------


@pytest.fixture
async def recording_proxy(live_server: LiveServer) -> AsyncIterator[TcpProxy]:
    async with open_proxy(live_server.url, record=True) as proxy:
        yield proxy


def authorizations(proxy: TcpProxy) -> list[tuple[str, str | None]]:
    """Each request's line (path without the query) and its Authorization header, if any."""
    assert proxy.sent is not None
    found = []
    for sent in proxy.sent.values():
        for line, headers in request_heads(bytes(sent)):
            method, target, _ = line.split(" ")
            found.append((f"{method} {target.split('?')[0]}", headers.get("authorization")))
    return found


@pytest.fixture
def clip_dir(media_root: Path, samples: dict[str, Path]) -> Path:
    directory = media_root / "clips"
    directory.mkdir()
    copy_as(samples["h264_aac.mp4"], directory / "clip.mp4")
    return directory


@pytest.mark.parametrize(
    ("before", "after", "env"),
    [
        pytest.param(["--token", TOKEN], [], {}, id="option-before"),
        pytest.param([], ["--token", TOKEN], {}, id="option-after"),
        pytest.param([], [], {"STOAT_TOKEN": TOKEN}, id="environment"),
        pytest.param(["--token", TOKEN], [], {"STOAT_TOKEN": "other"}, id="option-wins"),
    ],
)
async def test_the_token_is_sent_on_http_and_the_event_stream(
    recording_proxy: TcpProxy,
    clip_dir: Path,
    before: list[str],
    after: list[str],
    env: dict[str, str],
) -> None:
    """--token (else $STOAT_TOKEN) goes as a bearer token on every request, /ws included."""
    url = recording_proxy.url("http")
    done = await run_cli(*before, "--url", url, "scan", str(clip_dir), *after, env=env)

    assert (done.returncode, done.stderr) == (0, b""), done
    sent = authorizations(recording_proxy)
    assert ("GET /ws", f"Bearer {TOKEN}") in sent
    assert ("POST /api/v1/videos/scan", f"Bearer {TOKEN}") in sent
    assert all(authorization == f"Bearer {TOKEN}" for _, authorization in sent), sent


async def test_no_token_sends_no_authorization(recording_proxy: TcpProxy) -> None:
    """Without --token or $STOAT_TOKEN, no request carries Authorization."""
    done = await run_cli("jobs", "--url", recording_proxy.url("http"))

    assert done.returncode == 0, done
    assert authorizations(recording_proxy) == [("GET /api/v1/jobs", None)]


@pytest.mark.parametrize(
    ("args", "env", "complaint"),
    [
        (["--token", "two words"], {}, "--token: a token is one word of printable ASCII"),
        ([], {"STOAT_TOKEN": "caf\u00e9"}, "STOAT_TOKEN: a token is one word of printable ASCII"),
    ],
)
async def test_a_token_that_cannot_be_sent_is_a_usage_error(
    args: list[str], env: dict[str, str], complaint: str
) -> None:
    """A token that is not one word of printable ASCII: exit 2 before anything is sent."""
    done = await run_cli(*args, "health", env=env)

    assert (done.returncode, done.stdout) == (2, b""), done
    assert lines(done.stderr)[-1] == f"stoat-ferret: error: {complaint}"


# -- job id prefixes --------------------------------------------------------------------------

IDS = ["7f3a" + "0" * 28, "7f3b" + "1" * 28]


@pytest.fixture
async def two_jobs(client: Client, clip_dir: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Two finished scans whose ids share the prefix "7f3"."""
    ids = iter(IDS)
    monkeypatch.setattr("stoat_ferret.scan.job.new_job_id", lambda: next(ids))
    for expected in IDS:
        job = await client.scan(str(clip_dir))
        assert job.job_id == expected
        with trio.fail_after(30):
            await client.wait(job.job_id)
    return IDS


async def test_a_unique_prefix_names_the_job(live_server: LiveServer, two_jobs: list[str]) -> None:
    """``job PREFIX`` shows the one job whose id starts with it."""
    done = await run_cli("job", "7f3b", env={"STOAT_URL": live_server.url})

    assert (done.returncode, done.stderr) == (0, b""), done
    assert lines(done.stdout)[0] == f"job_id:       {two_jobs[1]}"


async def test_an_ambiguous_prefix_is_a_usage_error_naming_the_matches(
    live_server: LiveServer, two_jobs: list[str]
) -> None:
    """``job``/``cancel`` with a prefix several ids share: exit 2, naming them, newest first."""
    for command in ("job", "cancel"):
        done = await run_cli(command, "7f3", env={"STOAT_URL": live_server.url})

        assert (done.returncode, done.stdout) == (2, b""), done
        assert done.stderr.decode() == (
            f"stoat-ferret: job id prefix '7f3' matches 2 jobs: {two_jobs[1]}, {two_jobs[0]}\n"
        )


async def test_an_unknown_prefix_is_not_found(live_server: LiveServer, two_jobs: list[str]) -> None:
    """A prefix no id starts with: exit 1 with the server's NOT_FOUND."""
    done = await run_cli("cancel", "7f4", env={"STOAT_URL": live_server.url})

    assert (done.returncode, done.stdout) == (1, b""), done
    assert done.stderr.decode() == "stoat-ferret: no job with id '7f4' (NOT_FOUND)\n"


# -- help -------------------------------------------------------------------------------------


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_every_client_option_has_help_that_shows_its_default() -> None:
    """Each option of the main parser and the client commands says what it does and its default."""
    parser = build_parser()
    parsers = {"stoat-ferret": parser} | {
        name: sub for name, sub in subcommands(parser).items() if name != "serve"
    }
    for name, each in parsers.items():
        for action in each._actions:
            if not action.option_strings or action.dest in {"help", "version"}:
                continue
            text = each._get_formatter()._expand_help(action)
            assert action.help, (name, action.option_strings)
            assert "(default: " in text, (name, action.option_strings, text)
            assert "%(" not in text


def test_help_has_examples_and_exit_statuses() -> None:
    """--help of the command and of each client command ends with examples."""
    parser = build_parser()
    main_help = parser.format_help()
    assert "\nexamples:\n  stoat-ferret serve\n" in main_help
    assert "\nexit status:\n  0    " in main_help
    assert "  2    a usage error" in main_help
    for name, sub in subcommands(parser).items():
        if name != "serve":
            assert f"\nexamples:\n  stoat-ferret {name}" in sub.format_help(), name


async def test_help_after_a_command_is_shown_and_exits_0() -> None:
    """``stoat-ferret videos --help`` prints that command's help, with its options' defaults."""
    done = await run_cli("videos", "--help")

    assert (done.returncode, done.stderr) == (0, b""), done
    text = done.stdout.decode()
    assert text.startswith("usage: stoat-ferret videos [-h] [--url URL] [--token TOKEN] [--json]")
    assert "(default: 20)" in " ".join(text.split())
