"""The web GUI: one static page and its assets, served from inside the package.

The page routes itself (``/library``, ``/jobs``, ``/scan``); each of those paths
answers with the same ``index.html`` so that a reload or a link lands on its view.
Assets live under ``/assets/`` (the application's own ``/static/`` rule points at
a folder this package does not have). None of these routes is part of the API, so
they are hidden from the OpenAPI document.
"""

from __future__ import annotations

from pathlib import Path

import trio
from quart import Blueprint, Response, send_from_directory
from quart_schema import hide

#: The page and its assets, shipped as package data (see pyproject.toml).
WEB_DIR = Path(__file__).resolve().parent.parent.parent / "web"
ASSETS_DIR = WEB_DIR / "assets"

#: Paths the page shows a view for.
VIEW_PATHS = ("/", "/library", "/jobs", "/scan")

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
async def page() -> Response:
    """The single page, for every path it has a view for."""
    body = await trio.Path(WEB_DIR / "index.html").read_bytes()
    response = Response(body, content_type="text/html; charset=utf-8")
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
