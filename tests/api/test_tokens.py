"""The API token: bearer header for programs, a log-in link and cookie for the browser."""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import SimpleCookie

import httpx
import pytest

from stoat_ferret.settings import Settings

from ..conftest import LiveServer, start_live_server
from ..support.raw_http import authority, exchange, request_bytes, websocket_upgrade

TOKEN = "test-token-0123456789abcdef"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(api_token=TOKEN)


def assert_unauthorized(response: httpx.Response, settings: Settings) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer realm="stoat-ferret"'
    assert response.json()["detail"]["code"] == "UNAUTHORIZED"
    assert "set-cookie" not in response.headers
    # Nothing about the library: not its place, its roots, its version or its contents.
    for secret in (str(settings.database_path.parent), *map(str, settings.allowed_scan_roots)):
        assert secret not in response.text
    assert set(response.json()) == {"detail"}
    assert set(response.json()["detail"]) == {"code", "message"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/info"),
        ("GET", "/api/v1/videos"),
        ("GET", "/api/v1/jobs"),
        ("POST", "/api/v1/videos/thumbnails"),
        ("DELETE", "/api/v1/videos/some-id"),
        ("GET", "/"),
        ("GET", "/assets/app.css"),
        ("GET", "/docs"),
        ("GET", "/openapi.json"),
        ("GET", "/metrics"),
        ("GET", "/health/ready"),
        ("GET", "/nope"),
    ],
)
async def test_without_the_token_nothing_is_answered(
    client: httpx.AsyncClient, settings: Settings, method: str, path: str
) -> None:
    """Every route answers 401 UNAUTHORIZED without the token, or with a wrong one."""
    assert_unauthorized(await client.request(method, path), settings)
    wrong = {"Authorization": f"Bearer {TOKEN[:-1]}x"}
    assert_unauthorized(await client.request(method, path, headers=wrong), settings)
    basic = {"Authorization": f"Basic {TOKEN}"}
    assert_unauthorized(await client.request(method, path, headers=basic), settings)


async def test_the_bearer_token_opens_the_api(client: httpx.AsyncClient) -> None:
    """With Authorization: Bearer <token>, requests are answered as usual."""
    info = await client.get("/api/v1/info", headers=BEARER)
    job = await client.post("/api/v1/videos/thumbnails", json={}, headers=BEARER)
    lower = await client.get("/api/v1/info", headers={"Authorization": f"bearer {TOKEN}"})
    assert (info.status_code, job.status_code, lower.status_code) == (200, 202, 200)


async def test_without_a_token_configured_the_api_is_open(
    make_settings: Callable[..., Settings],
) -> None:
    """On loopback with no token set, requests need none (the token is what shuts them out)."""
    async for server in start_live_server(make_settings()):
        async with server.client() as http:
            response = await http.get("/api/v1/info")
    assert response.status_code == 200


async def test_liveness_needs_no_token(client: httpx.AsyncClient) -> None:
    """/health/live answers without the token: it says nothing but that the process is up."""
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.fixture
async def browser_cookie(client: httpx.AsyncClient) -> tuple[str, str]:
    """The session cookie the log-in link sets: ``(name, value)``; ``client`` keeps none."""
    response = await client.get("/library", params={"token": TOKEN, "view": "grid"})
    assert response.status_code == 303
    client.cookies.clear()
    cookie = SimpleCookie(response.headers["set-cookie"])
    [(name, morsel)] = cookie.items()
    return name, morsel.value


async def test_the_log_in_link_sets_a_strict_cookie_and_drops_the_token(
    live_server: LiveServer, client: httpx.AsyncClient
) -> None:
    """?token= answers 303 to the same URL without the token, setting an HttpOnly Strict cookie."""
    response = await client.get("/library", params={"token": TOKEN, "view": "grid"})
    assert response.status_code == 303
    assert response.headers["location"] == "/library?view=grid"
    assert response.headers["cache-control"] == "no-store"
    assert response.content == b""
    raw = response.headers["set-cookie"]
    port = live_server.url.rsplit(":", 1)[1]
    [(name, morsel)] = SimpleCookie(raw).items()
    assert name == f"stoat_ferret_session_{port}"
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Strict"
    assert morsel["path"] == "/"
    assert TOKEN not in raw
    client.cookies.clear()


async def test_the_cookie_opens_the_page_the_api_and_the_event_stream(
    live_server: LiveServer, client: httpx.AsyncClient, browser_cookie: tuple[str, str]
) -> None:
    """With the cookie the page, its API calls and /ws work; without it /ws is refused."""
    name, value = browser_cookie
    jar = {"Cookie": f"{name}={value}"}
    page = await client.get("/library", headers=jar)
    info = await client.get("/api/v1/info", headers=jar)
    bare = await client.get("/api/v1/info")
    assert (page.status_code, info.status_code, bare.status_code) == (200, 200, 401)
    opened = await websocket_upgrade(live_server.url, extra=[("Cookie", f"{name}={value}")])
    bearer = await websocket_upgrade(
        live_server.url, extra=[("Authorization", BEARER["Authorization"])]
    )
    refused = await websocket_upgrade(live_server.url)
    assert (opened.status, bearer.status, refused.status) == (101, 101, 401)
    assert b'"UNAUTHORIZED"' in refused.body


async def test_the_cookie_is_not_the_token(
    client: httpx.AsyncClient, browser_cookie: tuple[str, str], settings: Settings
) -> None:
    """The cookie's value does not work as a bearer token, nor the token as a cookie value."""
    name, value = browser_cookie
    as_bearer = await client.get("/api/v1/info", headers={"Authorization": f"Bearer {value}"})
    as_cookie = await client.get("/api/v1/info", headers={"Cookie": f"{name}={TOKEN}"})
    assert_unauthorized(as_bearer, settings)
    assert_unauthorized(as_cookie, settings)


async def test_a_wrong_log_in_link_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """?token= with a wrong token is 401 and sets no cookie."""
    response = await client.get("/", params={"token": "not-the-token-at-all"})
    assert_unauthorized(response, settings)


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("//evil.example/?token=" + TOKEN, "/evil.example/"),
        ("/\\evil.example?token=" + TOKEN, "/evil.example"),
        ("/?token=" + TOKEN, "/"),
        ("/jobs?a=1&token=" + TOKEN + "&b=2", "/jobs?a=1&b=2"),
    ],
)
async def test_the_log_in_redirect_stays_on_this_server(
    live_server: LiveServer, target: str, location: str
) -> None:
    """The log-in redirect is always a path on this server, never //elsewhere."""
    request = request_bytes("GET", target, [("Host", authority(live_server.url))])
    response = await exchange(live_server.url, request)
    assert response.status == 303
    assert response.headers["location"] == [location]
