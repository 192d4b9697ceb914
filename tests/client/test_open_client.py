"""open_client's options (token, headers, timeout, transport), /info, thumbnails, job prefixes.

What the server receives is read off the wire by a recording TCP proxy between the
client and the real server.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import trio
import trio.testing

import stoat_ferret
from stoat_ferret.client import (
    AmbiguousJobId,
    Check,
    Client,
    ConnectionFailed,
    ErrorCode,
    JobKind,
    JobStatus,
    NotFound,
    ServerInfo,
    ThumbnailResult,
    open_client,
)
from stoat_ferret.events.hub import EventHub

from ..conftest import LiveServer
from ..support.media import copy_as
from .proxy import TcpProxy, open_proxy, request_heads

TOKEN = "s3cret-Token_0.9~"


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[Client]:
    async with open_client(live_server.url) as client:
        yield client


@pytest.fixture
async def recording_proxy(live_server: LiveServer) -> AsyncIterator[TcpProxy]:
    async with open_proxy(live_server.url, record=True) as proxy:
        yield proxy


async def subscriber_count_becomes(hub: EventHub, count: int) -> None:
    """Wait until the server holds ``count`` /ws subscriptions."""
    with trio.fail_after(10):
        while len(hub.subscribers) != count:
            await trio.testing.wait_all_tasks_blocked()


def received(proxy: TcpProxy) -> list[tuple[str, dict[str, str]]]:
    """Every request head the server was sent through ``proxy``."""
    assert proxy.sent is not None
    return [head for sent in proxy.sent.values() for head in request_heads(bytes(sent))]


def raw_sent(proxy: TcpProxy) -> bytes:
    assert proxy.sent is not None
    return b"".join(bytes(sent) for sent in proxy.sent.values())


async def use_http_and_events(client: Client, hub: EventHub) -> None:
    """Two HTTP requests and one event-stream handshake."""
    assert await client.live()
    await client.list_jobs()
    async with client.events():
        await subscriber_count_becomes(hub, 1)


# -- token and headers ------------------------------------------------------------------------


async def test_the_token_goes_with_every_request_and_the_websocket_handshake(
    live_server: LiveServer, recording_proxy: TcpProxy
) -> None:
    """token= is sent as a bearer token on each HTTP request and on the /ws upgrade."""
    async with open_client(
        recording_proxy.url("http"), token=TOKEN, headers={"X-Request-Source": "tests"}
    ) as client:
        await use_http_and_events(client, live_server.service.hub)

    heads = received(recording_proxy)
    lines = [re.sub(r"\?\S*", "", line) for line, _ in heads]
    assert lines == [
        "GET /health/live HTTP/1.1",
        "GET /api/v1/jobs HTTP/1.1",
        "GET /ws HTTP/1.1",
    ]
    for _, headers in heads:
        assert headers["authorization"] == f"Bearer {TOKEN}"
        assert headers["x-request-source"] == "tests"
    ws_headers = heads[2][1]
    assert ws_headers["upgrade"].lower() == "websocket"
    assert ws_headers["host"] == f"127.0.0.1:{recording_proxy.port}"
    # Sent once per request, never twice.
    assert raw_sent(recording_proxy).lower().count(b"\r\nauthorization:") == 3


async def test_without_a_token_no_authorization_is_sent(
    live_server: LiveServer, recording_proxy: TcpProxy
) -> None:
    """Without token= (or an Authorization header), no request carries Authorization."""
    async with open_client(recording_proxy.url("http")) as client:
        await use_http_and_events(client, live_server.service.hub)

    heads = received(recording_proxy)
    assert len(heads) == 3
    assert all("authorization" not in headers for _, headers in heads)


async def test_the_token_replaces_an_authorization_header(
    live_server: LiveServer, recording_proxy: TcpProxy
) -> None:
    """An Authorization in headers= gives way to token=: each request carries the token only."""
    async with open_client(
        recording_proxy.url("http"), token=TOKEN, headers={"authorization": "Basic eDp5"}
    ) as client:
        await use_http_and_events(client, live_server.service.hub)

    sent = raw_sent(recording_proxy)
    assert b"Basic eDp5" not in sent
    assert sent.lower().count(b"\r\nauthorization: bearer " + TOKEN.lower().encode()) == 3


@pytest.mark.parametrize("token", ["", "two words", "line\nbreak", "caf\u00e9"])
async def test_a_token_that_cannot_be_sent_is_refused_up_front(token: str) -> None:
    """A token that is empty or not one word of printable ASCII raises ValueError at once."""
    with pytest.raises(ValueError, match="printable ASCII"):
        async with open_client("http://127.0.0.1:9", token=token):
            pytest.fail("open_client accepted the token")


# -- timeout, transport -----------------------------------------------------------------------


async def test_an_httpx_timeout_bounds_each_phase_on_its_own(live_server: LiveServer) -> None:
    """An httpx.Timeout is applied as given: its short read limit fires, its others do not."""
    async with open_proxy(live_server.url) as proxy:
        proxy.hold()  # connections are accepted, and never answered
        timeout = httpx.Timeout(10.0, read=0.2)
        async with open_client(proxy.url("http"), timeout=timeout) as client:
            with trio.fail_after(5), pytest.raises(ConnectionFailed) as failed:
                await client.live()

    assert isinstance(failed.value.__cause__, httpx.ReadTimeout)


async def test_a_number_is_the_timeout_of_every_phase(live_server: LiveServer) -> None:
    """timeout=0.2 limits reading to 0.2 s too."""
    async with open_proxy(live_server.url) as proxy:
        proxy.hold()
        async with open_client(proxy.url("http"), timeout=0.2) as client:
            with trio.fail_after(5), pytest.raises(ConnectionFailed) as failed:
                await client.live()

    assert isinstance(failed.value.__cause__, httpx.ReadTimeout)


async def test_request_timeout_still_works_and_warns(live_server: LiveServer) -> None:
    """The former request_timeout= works, with a DeprecationWarning pointing at the caller."""
    with pytest.warns(DeprecationWarning, match=r"use timeout=") as warned:
        async with open_client(live_server.url, request_timeout=5.0) as client:
            assert await client.live()
    assert warned[0].filename == __file__


@pytest.fixture
def canned_transport() -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport that answers /health/ready with checks as objects, recording each request."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {
            "status": "degraded",
            "checks": {
                "database": {"status": "ok", "latency_ms": 0.4, "mode": "wal"},
                "ffprobe": {"status": "ok", "version": "5.1.6"},
                "ffmpeg": {"status": "error", "reason": "/usr/bin/ffmpeg not found"},
            },
        }
        return httpx.Response(503, json=body)

    return httpx.MockTransport(answer), seen


async def test_a_transport_is_used_for_http(
    canned_transport: tuple[httpx.MockTransport, list[httpx.Request]],
) -> None:
    """transport= carries the HTTP requests (token included); readiness objects are read."""
    transport, seen = canned_transport
    async with open_client("http://stoat.test", token=TOKEN, transport=transport) as client:
        readiness = await client.ready()

    assert [(r.method, str(r.url)) for r in seen] == [("GET", "http://stoat.test/health/ready")]
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert readiness.ok is False
    assert readiness.checks == {
        "database": Check(status="ok", latency_ms=0.4),
        "ffprobe": Check(status="ok", version="5.1.6"),
        "ffmpeg": Check(status="error", reason="/usr/bin/ffmpeg not found"),
    }
    assert readiness.checks["database"].extra == {"mode": "wal"}
    assert [check.describe() for check in readiness.checks.values()] == [
        "ok (0.4 ms)",
        "ok (5.1.6)",
        "/usr/bin/ffmpeg not found",
    ]


def test_readiness_checks_as_strings_are_read_too() -> None:
    """Checks given as bare strings are "ok" or the reason something is wrong."""
    assert Check.from_json("ok") == Check(status="ok")
    assert Check.from_json("ok").to_json() == {"status": "ok"}
    failed = Check.from_json("/x/ffprobe not found")
    assert (failed.ok, failed.status, failed.reason) == (False, "error", "/x/ffprobe not found")
    assert failed.describe() == "/x/ffprobe not found"


# -- info, thumbnails -------------------------------------------------------------------------


@pytest.fixture
def real_root(media_root: Path) -> str:
    """The media root as the server reports it: fully resolved."""
    return os.path.realpath(media_root)


async def test_info_gives_the_version_roots_and_vocabulary(
    client: Client, live_server: LiveServer, real_root: str
) -> None:
    """info() returns the server's version, allowed roots and every protocol word."""
    info = await client.info()

    assert isinstance(info, ServerInfo)
    assert info.version == stoat_ferret.__version__
    assert info.allowed_scan_roots == (real_root,)
    assert info.protocol["error_codes"] == {code.name: str(code) for code in ErrorCode}
    assert info.protocol["job_kinds"] == [str(kind) for kind in JobKind]
    async with live_server.client() as http:
        assert info.to_json() == (await http.get("/api/v1/info")).json()


@pytest.fixture
def two_videos(media_root: Path, samples: dict[str, Path]) -> None:
    for name in ("one.mp4", "two.mp4"):
        copy_as(samples["h264_aac.mp4"], media_root / name)


@pytest.mark.usefixtures("two_videos")
async def test_make_thumbnails_starts_a_thumbnails_job(client: Client, media_root: Path) -> None:
    """make_thumbnails() makes them for every video without one; with ids and force, again."""
    scan = await client.scan(str(media_root))
    await client.wait(scan.job_id)
    videos = (await client.list_videos()).videos

    started = await client.make_thumbnails()
    assert started.kind is JobKind.THUMBNAILS
    with trio.fail_after(30):
        every = await client.wait(started.job_id)
    assert every.status is JobStatus.COMPLETE
    assert every.result == ThumbnailResult(total=2, made=2, strips=2)
    assert every.thumbnail_result == every.result
    assert every.scan_result is None
    assert all(v.thumbnail_path for v in (await client.list_videos()).videos)

    again = await client.make_thumbnails([videos[0].id], force=True)
    with trio.fail_after(30):
        one = await client.wait(again.job_id)
    assert (one.status, one.params["video_ids"], one.result) == (
        JobStatus.COMPLETE,
        [videos[0].id],
        ThumbnailResult(total=1, made=1, strips=1),
    )

    with pytest.raises(TypeError):
        await client.make_thumbnails(videos[0].id)


# -- job id prefixes --------------------------------------------------------------------------

IDS = ["a1b2" + "0" * 28, "a1b3" + "1" * 28, "c3d4" + "2" * 28]


@pytest.fixture
def chosen_job_ids(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Scans get the ids in IDS, in order, so prefixes can be shared on purpose."""
    ids = iter(IDS)
    monkeypatch.setattr("stoat_ferret.scan.job.new_job_id", lambda: next(ids))
    return IDS


@pytest.fixture
async def three_jobs(
    client: Client, chosen_job_ids: list[str], media_root: Path, samples: dict[str, Path]
) -> list[str]:
    copy_as(samples["h264_aac.mp4"], media_root / "clip.mp4")
    for expected in chosen_job_ids:
        job = await client.scan(str(media_root))
        assert job.job_id == expected
        with trio.fail_after(30):
            await client.wait(job.job_id)
    return chosen_job_ids


async def test_resolve_job_id_by_whole_id_or_unique_prefix(
    client: Client, three_jobs: list[str]
) -> None:
    """A whole id, or a start no other id shares, resolves to that job's id."""
    first, second, third = three_jobs
    assert await client.resolve_job_id(second) == second
    assert await client.resolve_job_id("a1b2") == first
    assert await client.resolve_job_id("c") == third


async def test_an_ambiguous_prefix_names_the_matches(client: Client, three_jobs: list[str]) -> None:
    """A start that several ids share raises AmbiguousJobId naming them, newest first."""
    first, second, _ = three_jobs
    with pytest.raises(AmbiguousJobId) as raised:
        await client.resolve_job_id("a1b")
    assert (raised.value.prefix, raised.value.matches, raised.value.total) == (
        "a1b",
        (second, first),
        2,
    )
    assert str(raised.value) == f"job id prefix 'a1b' matches 2 jobs: {second}, {first}"


async def test_an_unknown_prefix_raises_not_found(client: Client, three_jobs: list[str]) -> None:
    """A start no id has (wildcards included, taken as themselves) raises NotFound."""
    for prefix in ["e", "a1b2x", "%", "a_b", "a1b2" + "0" * 29]:
        with pytest.raises(NotFound) as raised:
            await client.resolve_job_id(prefix)
        assert raised.value.message == f"no job with id {prefix!r}"


async def test_an_empty_prefix_is_refused(client: Client) -> None:
    """resolve_job_id("") raises ValueError without asking the server."""
    with pytest.raises(ValueError, match="empty"):
        await client.resolve_job_id("")


async def test_list_jobs_filters_by_id_prefix(client: Client, three_jobs: list[str]) -> None:
    """list_jobs(id_prefix=...) keeps exactly the jobs whose id starts with it."""
    first, second, third = three_jobs
    page = await client.list_jobs(id_prefix="a1")
    assert ([job.job_id for job in page.jobs], page.total) == ([second, first], 2)
    assert [job.job_id for job in (await client.list_jobs(id_prefix=third)).jobs] == [third]
