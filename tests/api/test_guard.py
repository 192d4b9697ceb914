"""The request guard against a browser's attacks: DNS rebinding, CSRF, cross-site WebSockets.

Each attack is shown failing against the real app, and (where the guard is what stops
it) succeeding against the same app served without its guard.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import partial
from pathlib import Path

import httpx
import pytest
import trio
import trio.testing

from stoat_ferret.api import create_app
from stoat_ferret.api.guard import DRAIN_BYTES, DRAIN_SECONDS, MAX_BODY
from stoat_ferret.server import serve_service
from stoat_ferret.service import open_service
from stoat_ferret.settings import Settings

from ..conftest import LiveServer, start_live_server
from ..support.media import copy_as
from ..support.prober import FakeProber
from ..support.raw_http import authority, exchange, request_bytes, websocket_upgrade
from ..support.waiting import wait_for_spawns

EVIL = "evil.example"
EVIL_ORIGIN = "http://evil.example"


@pytest.fixture
async def unguarded(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> AsyncIterator[LiveServer]:
    """The same app on another library of its own, served without the request guard."""
    other = make_settings(database_path=tmp_path / "data" / "unguarded.db")
    async for server in start_live_server(other, guard=False):
        yield server


def assert_refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["detail"]["code"] == code
    assert EVIL not in response.text
    assert all(EVIL not in value for value in response.headers.values())


# -- Host: DNS rebinding ------------------------------------------------------------------------

REBINDING_REQUESTS = [
    ("GET", "/api/v1/info", None),
    ("GET", "/api/v1/videos", None),
    ("POST", "/api/v1/videos/scan", {"path": "/"}),
    ("DELETE", "/api/v1/videos/some-id", None),
    ("POST", "/api/v1/jobs/some-id/cancel", None),
    ("GET", "/", None),
    ("GET", "/docs", None),
    ("GET", "/openapi.json", None),
    ("GET", "/metrics", None),
    ("GET", "/health/live", None),
    ("GET", "/no/such/page", None),
]


@pytest.mark.parametrize(("method", "path", "body"), REBINDING_REQUESTS)
async def test_a_foreign_host_is_refused_before_any_route(
    client: httpx.AsyncClient, method: str, path: str, body: object
) -> None:
    """Any request naming a host the server does not answer to is 421 HOST_NOT_ALLOWED."""
    response = await client.request(method, path, json=body, headers={"Host": EVIL})
    assert_refused(response, 421, "HOST_NOT_ALLOWED")


async def test_without_the_guard_a_rebinding_page_reads_and_writes(
    unguarded: LiveServer, media_root: Path
) -> None:
    """Without the guard, a request naming a foreign host reads the library and starts a scan."""
    async with unguarded.client() as http:
        info = await http.get("/api/v1/info", headers={"Host": EVIL})
        scan = await http.post(
            "/api/v1/videos/scan", json={"path": str(media_root)}, headers={"Host": EVIL}
        )
    assert info.status_code == 200
    assert scan.status_code == 202


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "[::1]", "LOCALHOST"])
async def test_loopback_names_are_answered_on_any_port(
    client: httpx.AsyncClient, name: str
) -> None:
    """Requests naming a loopback host, with or without a port, are answered."""
    for host in (name, f"{name}:1234"):
        response = await client.get("/api/v1/info", headers={"Host": host})
        assert response.status_code == 200, host


async def test_allowed_hosts_are_answered(
    make_settings: Callable[..., Settings],
) -> None:
    """A name in STOAT_ALLOWED_HOSTS is answered; a name that is not stays refused."""
    settings = make_settings(allowed_hosts=("media.example",))
    async for server in start_live_server(settings):
        async with server.client() as http:
            allowed = await http.get("/api/v1/info", headers={"Host": "media.example"})
            other = await http.get("/api/v1/info", headers={"Host": "other.example"})
    assert allowed.status_code == 200
    assert_refused(other, 421, "HOST_NOT_ALLOWED")


@pytest.mark.parametrize(
    "host_lines",
    [
        [],
        ["Host: 127.0.0.1:99999"],
        ["Host: user@127.0.0.1"],
        ["Host: localhost."],
        ["Host: [::1"],
    ],
)
async def test_a_missing_doubled_or_malformed_host_is_400(
    live_server: LiveServer, host_lines: list[str]
) -> None:
    """A request without exactly one well-formed Host header is 400 HOST_NOT_ALLOWED."""
    head = "GET /api/v1/info HTTP/1.1\r\n" + "".join(f"{line}\r\n" for line in host_lines)
    if not host_lines:
        head = "GET /api/v1/info HTTP/1.0\r\n"
    response = await exchange(live_server.url, (head + "Connection: close\r\n\r\n").encode())
    assert response.status == 400
    assert response.header("content-type") == "application/json"
    assert b'"HOST_NOT_ALLOWED"' in response.body


async def test_a_doubled_host_is_refused_by_the_http_layer(live_server: LiveServer) -> None:
    """Two Host headers never reach the app: the HTTP parser answers 400 with no body."""
    head = f"GET /api/v1/info HTTP/1.1\r\nHost: {EVIL}\r\nHost: 127.0.0.1\r\n"
    response = await exchange(live_server.url, (head + "Connection: close\r\n\r\n").encode())
    assert (response.status, response.body) == (400, b"")


async def test_a_websocket_upgrade_naming_a_foreign_host_is_refused(
    live_server: LiveServer, unguarded: LiveServer
) -> None:
    """A /ws upgrade naming a foreign host is 421 (not 101); without the guard it opens."""
    refused = await websocket_upgrade(live_server.url, host=EVIL)
    assert refused.status == 421
    assert b'"HOST_NOT_ALLOWED"' in refused.body
    opened = await websocket_upgrade(unguarded.url, host=EVIL)
    assert opened.status == 101


# -- Origin: cross-site WebSocket hijacking and CSRF ---------------------------------------------


@pytest.mark.parametrize("origin", [EVIL_ORIGIN, "null", "http://127.0.0.1:1", "file://"])
async def test_a_websocket_from_another_origin_is_refused(
    live_server: LiveServer, unguarded: LiveServer, origin: str
) -> None:
    """/ws from a page of another origin is 403 CROSS_SITE_REQUEST; unguarded, it opens."""
    refused = await websocket_upgrade(live_server.url, extra=[("Origin", origin)])
    assert refused.status == 403
    assert b'"CROSS_SITE_REQUEST"' in refused.body
    opened = await websocket_upgrade(unguarded.url, extra=[("Origin", origin)])
    assert opened.status == 101


async def test_a_websocket_from_the_page_itself_or_no_browser_opens(
    live_server: LiveServer,
) -> None:
    """/ws from the server's own origin, or with no Origin (CLI, client), opens (101)."""
    own = await websocket_upgrade(
        live_server.url, extra=[("Origin", f"http://{authority(live_server.url)}")]
    )
    bare = await websocket_upgrade(live_server.url)
    assert (own.status, bare.status) == (101, 101)


@pytest.fixture
def hanging_settings(make_settings: Callable[..., Settings], prober: FakeProber) -> Settings:
    return make_settings(ffprobe_path=str(prober.path))


async def _running_scan(
    http: httpx.AsyncClient, media_root: Path, sample: Path, prober: FakeProber, name: str
) -> str:
    directory = media_root / name
    directory.mkdir()
    copy_as(sample, directory / "hang_one.mp4")
    response = await http.post("/api/v1/videos/scan", json={"path": str(directory)})
    assert response.status_code == 202
    return str(response.json()["job_id"])


async def test_a_cross_site_form_cannot_cancel_a_job(
    hanging_settings: Settings,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    media_root: Path,
    samples: dict[str, Path],
    prober: FakeProber,
) -> None:
    """A cross-site form POST to cancel is 403 and the scan runs on; unguarded, it cancels."""
    form = {
        "Origin": EVIL_ORIGIN,
        "Content-Type": "application/x-www-form-urlencoded",
        "Sec-Fetch-Site": "cross-site",
    }
    async for server in start_live_server(hanging_settings):
        async with server.client() as http:
            job_id = await _running_scan(http, media_root, samples["h264_aac.mp4"], prober, "a")
            await wait_for_spawns(prober, 1)
            response = await http.post(
                f"/api/v1/jobs/{job_id}/cancel", content=b"x=1", headers=form
            )
            assert_refused(response, 403, "CROSS_SITE_REQUEST")
            job = (await http.get(f"/api/v1/jobs/{job_id}")).json()
            assert job["status"] == "running"

    unguarded_settings = make_settings(
        ffprobe_path=str(prober.path), database_path=tmp_path / "data" / "unguarded.db"
    )
    async for server in start_live_server(unguarded_settings, guard=False):
        async with server.client() as http:
            job_id = await _running_scan(http, media_root, samples["h264_aac.mp4"], prober, "b")
            await wait_for_spawns(prober, 2)
            response = await http.post(
                f"/api/v1/jobs/{job_id}/cancel", content=b"x=1", headers=form
            )
            assert response.status_code == 200
            assert response.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL_ORIGIN},
        {"Origin": "null"},
        {"Origin": "http://localhost:1"},
        {"Origin": f"{EVIL_ORIGIN}, http://127.0.0.1"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/videos/scan"),
        ("POST", "/api/v1/videos/thumbnails"),
        ("DELETE", "/api/v1/videos/some-id"),
        ("POST", "/api/v1/jobs/some-id/cancel"),
        ("PUT", "/api/v1/videos"),
        ("PATCH", "/api/v1/videos/some-id"),
    ],
)
async def test_state_changing_requests_from_another_site_are_refused(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    media_root: Path,
    method: str,
    path: str,
    headers: dict[str, str],
) -> None:
    """POST, PUT, PATCH and DELETE from another origin or site are 403 and change nothing."""
    body = {"path": str(media_root)} if path.endswith("/scan") else {}
    response = await client.request(method, path, json=body, headers=headers)
    assert_refused(response, 403, "CROSS_SITE_REQUEST")
    assert live_server.service.runner.live_count == 0
    jobs = (await client.get("/api/v1/jobs")).json()
    assert jobs["total"] == 0


async def test_the_page_own_origin_and_plain_clients_may_change_things(
    live_server: LiveServer, client: httpx.AsyncClient
) -> None:
    """A scan POST from the page's own origin, and one with no Origin (CLI), are accepted."""
    own = {"Origin": f"http://{authority(live_server.url)}", "Sec-Fetch-Site": "same-origin"}
    first = await client.post("/api/v1/videos/thumbnails", json={}, headers=own)
    second = await client.post("/api/v1/videos/thumbnails", json={"force": True})
    assert (first.status_code, second.status_code) == (202, 202)


async def test_a_page_under_an_allowed_host_may_change_things(
    make_settings: Callable[..., Settings],
) -> None:
    """A page served under a name in STOAT_ALLOWED_HOSTS (a proxy) may POST; others may not."""
    settings = make_settings(allowed_hosts=("media.example",))
    async for server in start_live_server(settings):
        async with server.client() as http:
            proxied = await http.post(
                "/api/v1/videos/thumbnails",
                json={},
                headers={"Origin": "https://media.example", "Host": "127.0.0.1"},
            )
            foreign = await http.post(
                "/api/v1/videos/thumbnails",
                json={},
                headers={"Origin": "https://other.example", "Host": "127.0.0.1"},
            )
    assert proxied.status_code == 202
    assert_refused(foreign, 403, "CROSS_SITE_REQUEST")


async def test_another_site_may_link_to_the_page_but_not_embed_its_data(
    client: httpx.AsyncClient,
) -> None:
    """A cross-site navigation to the page is answered; a cross-site fetch or image is 403."""
    navigation = await client.get(
        "/library",
        headers={
            "Sec-Fetch-Site": "cross-site",
            "Sec-Fetch-Mode": "navigate",
            "Sec-Fetch-Dest": "document",
        },
    )
    image = await client.get(
        "/api/v1/videos/some-id/thumbnail",
        headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"},
    )
    fetch = await client.get(
        "/api/v1/videos", headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"}
    )
    assert navigation.status_code == 200
    assert_refused(image, 403, "CROSS_SITE_REQUEST")
    assert_refused(fetch, 403, "CROSS_SITE_REQUEST")


# -- nothing from Host is reflected ------------------------------------------------------------


async def test_nothing_from_host_reaches_a_response_even_unguarded(
    unguarded: LiveServer,
) -> None:
    """Even without the guard, no header or page of any response carries the Host sent."""
    paths = ["/", "/library", "/docs", "/api//v1/videos", "/assets//app.css", "/nope", "/ws"]
    async with unguarded.client() as http:
        for path in paths:
            response = await http.get(path, headers={"Host": EVIL})
            assert response.status_code in (200, 400, 404), path
            assert "location" not in response.headers, path
            assert all(EVIL not in value for value in response.headers.values()), path
            assert EVIL not in response.text, path


async def test_the_page_policy_names_no_host(client: httpx.AsyncClient) -> None:
    """The page's Content-Security-Policy is the same whatever Host the request names."""
    policies = set()
    for host in ("localhost", "127.0.0.1:8000", "[::1]:9"):
        response = await client.get("/", headers={"Host": host})
        assert response.status_code == 200
        policies.add(response.headers["content-security-policy"])
    [policy] = policies
    assert "connect-src 'self';" in policy
    assert "localhost" not in policy
    assert "127.0.0.1" not in policy


# -- headers on every response ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/api/v1/info", {}, 200),
        ("GET", "/api/v1/videos/nope", {}, 404),
        ("PUT", "/api/v1/videos", {}, 405),
        ("GET", "/api/v1/videos?limit=0", {}, 422),
        ("GET", "/", {}, 200),
        ("GET", "/assets/app.css", {}, 200),
        ("GET", "/docs", {}, 200),
        ("GET", "/openapi.json", {}, 200),
        ("GET", "/metrics", {}, 200),
        ("GET", "/health/ready", {}, 200),
        ("GET", "/api/v1/videos/x/thumbnail", {}, 404),
        ("GET", "/api/v1/info", {"Host": EVIL}, 421),
        ("POST", "/api/v1/videos/thumbnails", {"Origin": EVIL_ORIGIN}, 403),
    ],
)
async def test_every_response_forbids_sniffing_and_framing(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], status: int
) -> None:
    """Every response, refusals and errors included, has nosniff and X-Frame-Options DENY."""
    response = await client.request(method, path, headers=headers)
    assert response.status_code == status
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


async def test_the_docs_run_under_a_strict_policy(client: httpx.AsyncClient) -> None:
    """/docs and its files carry a CSP allowing only this server's scripts, and no framing."""
    for path in ("/docs", "/docs/start.js", "/docs/assets/swagger-ui-bundle.js"):
        response = await client.get(path)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["default-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy


async def test_method_not_allowed_says_what_is(client: httpx.AsyncClient) -> None:
    """405 carries an Allow header listing the methods the path does answer to."""
    response = await client.put("/api/v1/videos/some-id")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD, OPTIONS"
    cancel = await client.get("/api/v1/jobs/some-id/cancel")
    assert cancel.status_code == 405
    assert cancel.headers["allow"] == "OPTIONS, POST"


async def test_guard_checks_every_request_before_quart(live_server: LiveServer) -> None:
    """A foreign Host with a body too large for any route is refused for its Host first."""
    request = request_bytes(
        "POST",
        "/api/v1/videos/scan",
        [("Host", EVIL), ("Content-Type", "application/json")],
        b"[" * 70_000,
    )
    response = await exchange(live_server.url, request)
    assert response.status == 421
    assert b'"HOST_NOT_ALLOWED"' in response.body


# -- request bodies -----------------------------------------------------------------------------


async def test_a_late_body_is_waited_for_and_the_connection_stays_usable(
    live_server: LiveServer,
) -> None:
    """A body sent after a pause is read before any answer; the next request is then answered."""
    body = b'{"path": "", "recursive": true}'
    host = authority(live_server.url)
    head = (
        f"TRACE /api/v1/videos/scan HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    stream = await trio.open_tcp_stream(*_address(live_server.url))
    async with stream:
        with trio.fail_after(15):
            await stream.send_all(head.encode())
            await trio.testing.wait_all_tasks_blocked()
            await stream.send_all(body)
            first = await _read_response(stream)
            await stream.send_all(f"GET /health/live HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            second = await _read_response(stream)
    assert first.startswith(b"HTTP/1.1 405 ")
    assert second.startswith(b"HTTP/1.1 200 ")
    assert second.endswith(b'{"status":"ok"}\n')


def _address(url: str) -> tuple[str, int]:
    host, port = authority(url).rsplit(":", 1)
    return host, int(port)


async def _read_response(stream: trio.SocketStream) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += await stream.receive_some(65536)
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
    while len(data.split(b"\r\n\r\n", 1)[1]) < length:
        data += await stream.receive_some(65536)
    return data


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
async def test_a_body_over_the_limit_is_read_then_413_on_a_usable_connection(
    live_server: LiveServer, chunked: bool
) -> None:
    """A body over 512 KiB is 413 PAYLOAD_TOO_LARGE, its length declared or not.

    It is read to its end first (4 MiB here, more than the sockets between client and
    server hold), so a client that sends all of it before reading gets the answer, not a
    broken pipe, and the connection serves the next request.
    """
    body = b"[" + b"0," * (DRAIN_BYTES // 4) + b"0]"
    assert MAX_BODY < len(body) < DRAIN_BYTES
    host = authority(live_server.url)
    head = f"POST /api/v1/videos/scan HTTP/1.1\r\nHost: {host}\r\n"
    head += "Content-Type: application/json\r\n"
    if chunked:
        head += "Transfer-Encoding: chunked\r\n\r\n"
        step = 65536
        payload = b"".join(
            f"{len(body[i : i + step]):x}\r\n".encode() + body[i : i + step] + b"\r\n"
            for i in range(0, len(body), step)
        )
        payload += b"0\r\n\r\n"
    else:
        head += f"Content-Length: {len(body)}\r\n\r\n"
        payload = body
    stream = await trio.open_tcp_stream(*_address(live_server.url))
    async with stream:
        with trio.fail_after(30):
            await stream.send_all(head.encode() + payload)
            first = await _read_response(stream)
            await stream.send_all(f"GET /health/live HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            second = await _read_response(stream)
    assert first.startswith(b"HTTP/1.1 413 ")
    assert b'"PAYLOAD_TOO_LARGE"' in first
    assert second.startswith(b"HTTP/1.1 200 ")


async def test_a_body_declared_past_what_is_read_is_refused_before_it_comes(
    live_server: LiveServer,
) -> None:
    """A Content-Length over DRAIN_BYTES is 413 at once, without waiting for the body."""
    head = (
        f"POST /api/v1/videos/scan HTTP/1.1\r\nHost: {authority(live_server.url)}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {DRAIN_BYTES + 1}\r\n\r\n"
    )
    stream = await trio.open_tcp_stream(*_address(live_server.url))
    async with stream:
        # Waiting for the body would take DRAIN_SECONDS.
        with trio.fail_after(DRAIN_SECONDS / 2):
            await stream.send_all(head.encode())
            response = await _read_response(stream)
    assert response.startswith(b"HTTP/1.1 413 ")


async def test_a_trailing_slash_redirect_names_no_host(settings: Settings) -> None:
    """Should a route ever end in a slash, its redirect is a path: no Host comes back."""
    async with open_service(settings) as service, trio.open_nursery() as nursery:
        app = create_app(service, guard=False)

        async def folder() -> str:
            return "folder"

        app.add_url_rule("/folder/", "folder", folder)
        stop = trio.Event()
        url = await nursery.start(partial(serve_service, service, stop=stop, app=app))
        try:
            async with httpx.AsyncClient(base_url=url, verify=False) as http:
                response = await http.get("/folder?x=1", headers={"Host": EVIL})
        finally:
            stop.set()
    assert response.status_code == 308
    assert response.headers["location"] == "/folder/?x=1"
