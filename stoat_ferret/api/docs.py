"""``/docs``: Swagger UI for ``/openapi.json``, served from the package under a strict CSP.

quart-schema's own page starts Swagger UI with an inline script, which a policy
without ``'unsafe-inline'`` would block; this page loads the same bundle and starts
it from a script file of its own, so the policy allows scripts from this server only.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from quart import Blueprint, Response, send_from_directory
from quart_schema import hide

blueprint = Blueprint("docs", __name__)


def _swagger_ui_files() -> Path:
    """Swagger UI 5 (it reads OpenAPI 3.1), as shipped in swagger-ui-py, not imported."""
    spec = find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


SWAGGER_UI_FILES = _swagger_ui_files()

#: Swagger UI's scripts, styles and images from this server; nothing inline, no framing.
DOCS_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>stoat-ferret API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/start.js"></script>
</body>
</html>
"""

START_SCRIPT = """"use strict";
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis],
  showExtensions: true,
  showCommonExtensions: true,
});
"""


def _protected(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@blueprint.get("/docs")
@hide
async def page() -> Response:
    """The API's interactive documentation."""
    return _protected(Response(PAGE, content_type="text/html; charset=utf-8"))


@blueprint.get("/docs/start.js")
@hide
async def start_script() -> Response:
    return _protected(Response(START_SCRIPT, content_type="text/javascript; charset=utf-8"))


@blueprint.get("/docs/assets/<path:filename>")
@hide
async def asset(filename: str) -> Response:
    """Swagger UI's own files, from the package, so the page works with no internet access."""
    return _protected(await send_from_directory(SWAGGER_UI_FILES, filename))
