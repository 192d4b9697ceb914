"""Builds the Quart-Trio application around a running :class:`~stoat_ferret.service.Service`."""

from __future__ import annotations

from typing import NoReturn

from quart import Response, send_from_directory
from quart_schema import QuartSchema, hide
from quart_trio import QuartTrio
from swagger_ui_bundle import swagger_ui_path

from .. import __version__
from ..metrics import CONTENT_TYPE
from ..service import Service
from .context import SERVICE_KEY, current_service
from .errors import InvalidJson, install_error_handlers
from .http_metrics import install_http_metrics
from .openapi import OpenAPIGenerator
from .routes import health, info, jobs, library, stream, videos, web, ws


def create_app(service: Service) -> QuartTrio:
    """The application; it serves ``service`` and never outlives it."""
    # No default static folder: the page's files are served by the web blueprint.
    app = QuartTrio("stoat_ferret", static_folder=None)
    app.extensions[SERVICE_KEY] = service
    # Scan requests are tiny; anything large is not a scan request.
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024

    class Request(app.request_class):  # type: ignore[name-defined,misc]
        def on_json_loading_failed(self, error: Exception) -> NoReturn:
            raise InvalidJson(f"the request body is not valid JSON: {error}")

    app.request_class = Request

    # The docs page loads Swagger UI from the package, so it works with no internet access.
    @app.get("/docs/assets/<path:filename>")
    @hide
    async def docs_assets(filename: str) -> Response:
        return await send_from_directory(str(swagger_ui_path), filename)

    app.config["QUART_SCHEMA_SWAGGER_JS_URL"] = "/docs/assets/swagger-ui-bundle.js"
    app.config["QUART_SCHEMA_SWAGGER_CSS_URL"] = "/docs/assets/swagger-ui.css"
    QuartSchema(
        app,
        info={"title": "stoat-ferret", "version": __version__},
        redoc_ui_path=None,
        scalar_ui_path=None,
        openapi_provider_class=OpenAPIGenerator,
    )
    install_error_handlers(app)
    install_http_metrics(app, service.metrics)
    for module in (health, info, videos, stream, library, jobs, ws, web):
        app.register_blueprint(module.blueprint)

    @app.get("/metrics")
    async def metrics() -> Response:
        """Prometheus text exposition of the service's metrics, process metrics included."""
        return Response(current_service().metrics.render(), content_type=CONTENT_TYPE)

    return app
