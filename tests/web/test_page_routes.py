"""Serving the page: every view path, the assets it loads, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from stoat_ferret import protocol
from stoat_ferret.api.routes.web import ASSETS_DIR, WEB_DIR

INDEX = (WEB_DIR / "index.html").read_bytes()
SCRIPTS = sorted((ASSETS_DIR / "js").glob("*.js"))
#: What Chromium sends when it navigates to an address.
BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)
ASSET_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
}


def referenced_assets() -> set[str]:
    """Asset paths index.html loads, plus every module its scripts import, transitively."""
    found = set(re.findall(rb'(?:src|href)="/assets/([^"]+)"', INDEX))
    paths = {name.decode() for name in found}
    pending = [p for p in paths if p.endswith(".js")]
    while pending:
        script = pending.pop()
        source = (ASSETS_DIR / script).read_text()
        for imported in re.findall(r'^import .* from "\./([\w-]+\.js)";$', source, re.MULTILINE):
            name = f"{Path(script).parent}/{imported}"
            if name not in paths:
                paths.add(name)
                pending.append(name)
    return paths


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/library",
        "/library?q=beach&page=2",
        "/library?sort=filename&video_codec=h264",
        "/jobs",
        "/scan",
        "/videos/some-id",
        "/duplicates",
        "/watches",
    ],
)
async def test_every_view_path_answers_with_the_page(client: httpx.AsyncClient, path: str) -> None:
    """A reload of any view's URL gets index.html, never cached stale, under a strict CSP."""
    response = await client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.content == INDEX
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-security-policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


async def test_every_asset_the_page_loads_is_served(client: httpx.AsyncClient) -> None:
    """index.html and its module graph load every asset file, each served as itself."""
    referenced = referenced_assets()
    on_disk = {str(p.relative_to(ASSETS_DIR)) for p in ASSETS_DIR.rglob("*") if p.is_file()}
    assert referenced == on_disk

    for name in sorted(referenced):
        response = await client.get(f"/assets/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"] == ASSET_TYPES[Path(name).suffix], name
        assert response.content == (ASSETS_DIR / name).read_bytes(), name
        assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    [
        "/assets/js/missing.js",
        "/assets/../index.html",
        "/assets/%2e%2e/%2e%2e/api/routes/web.py",
        "/library/extra",
        "/index.html",
    ],
)
async def test_nothing_else_is_served(client: httpx.AsyncClient, path: str) -> None:
    """Paths outside the views and the asset folder are the API's 404."""
    response = await client.get(path)

    assert response.status_code == 404
    assert response.json()["detail"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("path", ["/library/extra", "/index.html", "/videos", "/no/such/page"])
async def test_a_browser_gets_the_page_for_an_unknown_address(
    client: httpx.AsyncClient, path: str
) -> None:
    """Navigating to an unknown non-API path: 404 with the page (its not-found view), not JSON."""
    response = await client.get(path, headers={"Accept": BROWSER_ACCEPT})

    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.content == INDEX
    assert "content-security-policy" in response.headers


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nothing", "/api/v1/videos/x/y/z", "/assets/js/missing.js", "/health/nothing"],
)
async def test_api_and_asset_paths_keep_the_envelope_for_a_browser(
    client: httpx.AsyncClient, path: str
) -> None:
    """Under /api/, /assets/ and /health/ an unknown path is the JSON 404, even for a browser."""
    response = await client.get(path, headers={"Accept": BROWSER_ACCEPT})

    assert response.status_code == 404
    assert response.json()["detail"]["code"] == "NOT_FOUND"


async def test_page_routes_stay_out_of_the_openapi_document(client: httpx.AsyncClient) -> None:
    """The page is not part of the API, so /openapi.json does not list it."""
    paths = set((await client.get("/openapi.json")).json()["paths"])

    assert {p for p in paths if not p.startswith(("/api/", "/health/", "/metrics"))} == set()


def test_no_script_spells_a_protocol_word_itself() -> None:
    """No script holds a status, kind, event type, error code or watch state or change as a
    literal: all come from info."""
    vocabulary = [
        *protocol.JobStatus,
        *protocol.JobKind,
        *protocol.EventType,
        *protocol.ErrorCode,
        *protocol.WatchState,
        *protocol.WatchChange,
    ]
    words = {str(word) for word in vocabulary}
    assert {"complete", "scan", "job_progress", "NOT_FOUND", "SCAN_IN_PROGRESS"} <= words
    found = []
    for script in SCRIPTS:
        source = script.read_text()
        for word in sorted(words):
            if re.search(rf"""(["'`]){re.escape(word)}\1""", source):
                found.append(f"{script.name}: {word!r}")
    assert found == []
