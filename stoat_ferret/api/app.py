"""Builds the Quart-Trio application around a running :class:`~stoat_ferret.service.Service`."""

from __future__ import annotations

from typing import Any, NoReturn
from urllib.parse import urlsplit

import trio
from quart import Response
from quart.json.provider import DefaultJSONProvider, JSONProvider
from quart_schema import QuartSchema, document_response
from quart_trio import QuartTrio

from .. import __version__, wirejson
from ..metrics import CONTENT_TYPE
from ..service import Service
from . import docs
from .access import AccessPolicy
from .bodies import INLINE_JSON_BYTES, BadRequestBody, load_json
from .context import SERVICE_KEY, current_service
from .errors import InvalidJson, install_error_handlers
from .guard import MAX_BODY, RequestGuard
from .http_metrics import install_http_metrics
from .openapi import OpenAPIGenerator, PlainText, serve_document_once
from .routes import folders, health, info, jobs, library, stream, videos, watches, web, ws
from .turns import TURNS_KEY, PageTurns, TakingTurns

#: The library's pages: served in turn (turns.py).
PAGE_PATHS = (
    "/api/v1/videos",
    "/api/v1/videos/search",
    "/api/v1/videos/duplicates",
    "/api/v1/folders",
)


class WireJSONProvider(DefaultJSONProvider):
    """Quart's JSON provider, encoding with :mod:`stoat_ferret.wirejson` (orjson).

    Answers are compact with sorted keys, as Quart's own; what JSON has no form for
    goes through the ``default`` of the provider it replaces (Quart-Schema's, which
    knows pydantic's types).
    """

    def __init__(self, app: QuartTrio, *, replacing: JSONProvider) -> None:
        super().__init__(app)
        self.default = getattr(replacing, "default", self.default)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs.keys() - {"default", "separators"}:
            # Indented or otherwise shaped output (debug mode): Quart's own encoder.
            return super().dumps(obj, **kwargs)
        return wirejson.dumps_text(obj, default=kwargs.get("default", self.default))

    def response(self, *args: Any, **kwargs: Any) -> Response:
        body = wirejson.dumps(self._prepare_response_obj(args, kwargs), default=self.default)
        return Response(body + b"\n", mimetype=self.mimetype)


def create_app(service: Service, *, guard: bool = True) -> QuartTrio:
    """The application; it serves ``service`` and never outlives it.

    ``guard=False`` leaves out the request guard (Host, Origin and token checks, and
    the headers every response gets): only for tests that show what it stops.
    """
    # No default static folder: the page's files are served by the web blueprint.
    app = QuartTrio("stoat_ferret", static_folder=None)
    app.extensions[SERVICE_KEY] = service
    turns = app.extensions[TURNS_KEY] = PageTurns()
    # Room for 10,000 video ids (guard.MAX_BODY); anything larger is no request of ours.
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    # "/a//b" is not found, rather than redirected to a URL built from the Host header.
    app.url_map.merge_slashes = False

    class Request(app.request_class):  # type: ignore[name-defined,misc]
        async def get_json(
            self, force: bool = False, silent: bool = False, cache: bool = True
        ) -> Any:
            """Quart's, reading the body through :func:`~.bodies.load_json`.

            A body of more than :data:`~.bodies.INLINE_JSON_BYTES` (a long list of ids)
            is parsed and checked in a worker thread, off the event loop.
            """
            if cache and self._cached_json[silent] is not Ellipsis:
                return self._cached_json[silent]
            if not (force or self.is_json):
                return None
            raw = await self.get_data(cache=cache, as_text=False)
            try:
                if len(raw) > INLINE_JSON_BYTES:
                    result = await trio.to_thread.run_sync(load_json, raw)
                else:
                    result = load_json(raw)
            except BadRequestBody:
                raise
            except ValueError as error:
                result = None if silent else self.on_json_loading_failed(error)
            if cache:
                self._cached_json[silent] = result
            return result

        def on_json_loading_failed(self, error: Exception) -> NoReturn:
            raise InvalidJson(f"the request body is not valid JSON: {error}")

    app.request_class = Request

    QuartSchema(
        app,
        info={"title": "stoat-ferret", "version": __version__},
        # The docs page is our own (docs.py), under a strict content security policy.
        swagger_ui_path=None,
        redoc_ui_path=None,
        scalar_ui_path=None,
        openapi_provider_class=OpenAPIGenerator,
    )
    app.json = WireJSONProvider(app, replacing=app.json)
    serve_document_once(app)
    install_error_handlers(app)
    install_http_metrics(app, service.metrics)
    for module in (health, info, videos, folders, stream, library, jobs, watches, ws, web, docs):
        app.register_blueprint(module.blueprint)

    @app.get("/metrics")
    @document_response(PlainText, 200)
    async def metrics() -> Response:
        """Prometheus text exposition of the service's metrics, process metrics included."""
        return Response(current_service().metrics.render(), content_type=CONTENT_TYPE)

    @app.after_request
    async def location_is_a_path(response: Response) -> Response:
        """Werkzeug builds redirect URLs from the Host header: keep their path alone."""
        location = response.headers.get("Location")
        if location is not None:
            target = urlsplit(location)
            if target.scheme or target.netloc:
                path = "/" + target.path.lstrip("/\\")
                response.headers["Location"] = path + (f"?{target.query}" if target.query else "")
        return response

    # The library's pages take turns at the event loop (turns.py).
    app.asgi_app = TakingTurns(app.asgi_app, turns, PAGE_PATHS)  # type: ignore[method-assign,assignment]
    if guard:
        # Replacing asgi_app is Quart's documented way to add ASGI middleware; mypy sees
        # a method assigned, and Quart's TypedDict scopes where the guard reads plain dicts.
        app.asgi_app = RequestGuard(  # type: ignore[method-assign,assignment]
            app.asgi_app,
            AccessPolicy.from_settings(service.settings),
            max_body=app.config["MAX_CONTENT_LENGTH"],
        )
    return app
