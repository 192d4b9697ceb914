"""The web GUI: one static page and its assets, served from inside the package.

The page routes itself (``/library``, ``/jobs``, ``/scan``, ``/videos/<id>``); each of
those paths answers with the same ``index.html`` so that a reload or a link lands on
its view. A browser that navigates to any other path outside the API gets the page
too, with status 404, and the page shows its "not found" view; API paths, assets and
clients that do not ask for HTML keep the JSON error envelope.
Assets live under ``/assets/`` (the application's own ``/static/`` rule points at
a folder this package does not have). None of these routes is part of the API, so
they are hidden from the OpenAPI document.
"""

from __future__ import annotations

from pathlib import Path

import trio
from quart import Blueprint, Response, request, send_from_directory
from quart_schema import hide
from werkzeug.exceptions import NotFound

from ...protocol import ErrorCode
from ..errors import envelope

#: The page and its assets, shipped as package data (see pyproject.toml).
WEB_DIR = Path(__file__).resolve().parent.parent.parent / "web"
ASSETS_DIR = WEB_DIR / "assets"

#: Paths the page shows a view for.
VIEW_PATHS = (
    "/",
    "/library",
    "/jobs",
    "/scan",
    "/videos/<video_id>",
    "/duplicates",
    "/watches",
)

#: Paths whose unknown addresses stay JSON errors even for a browser.
NOT_PAGE_PREFIXES = ("/api/", "/assets/", "/docs", "/health/", "/metrics", "/openapi", "/ws")

blueprint = Blueprint("web", __name__)


def content_security_policy() -> str:
    """Scripts, styles and images from this server only: no inline script or handler runs.

    ``'self'`` covers the page's own WebSocket URL (CSP level 3). The policy names no
    host: nothing a client sends in ``Host`` is ever written into a response.
    """
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _no_cache(response: Response) -> Response:
    # Revalidate every time (cheap, with the ETag): a new version of the service
    # must never run with last version's scripts.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@hide
async def page(**_view_args: str) -> Response:
    """The single page, for every path it has a view for."""
    return await _page_response(200)


async def _page_response(status: int) -> Response:
    body = await trio.Path(WEB_DIR / "index.html").read_bytes()
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["Referrer-Policy"] = "no-referrer"
    return _no_cache(response)


for _path in VIEW_PATHS:
    blueprint.add_url_rule(_path, view_func=page, methods=["GET"])


@blueprint.get("/assets/<path:filename>")
@hide
async def asset(filename: str) -> Response:
    """A script, stylesheet or image of the page; 404 for anything outside the folder."""
    response = await send_from_directory(ASSETS_DIR, filename)
    return _no_cache(response)


def _wants_page() -> bool:
    """A browser navigating to an address (not a script or a client asking for JSON)."""
    if request.method not in ("GET", "HEAD") or request.path.startswith(NOT_PAGE_PREFIXES):
        return False
    accepted = request.accept_mimetypes
    return accepted.quality("text/html") > accepted.quality("application/json")


@blueprint.app_errorhandler(NotFound)
async def not_found(error: NotFound) -> Response | tuple[Response, int]:
    """The page, with its "not found" view, for a browser; the JSON envelope for the rest."""
    if _wants_page():
        return await _page_response(404)
    return envelope(404, ErrorCode.NOT_FOUND, error.description or error.name)
