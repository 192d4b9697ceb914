"""OpenAPI generation: quart-schema's, made to match what the server really answers.

On top of quart-schema's document: responses with no body (204); query parameters
marked required when their model requires them; 422 on every operation that
validates a query string or a body, 413 on every one that takes a body; and on
every operation the refusals of the request guard (:mod:`.guard`), which runs before
any route: 400 and 421 (``Host``), 401 (token), 403 (cross-site).
"""

from __future__ import annotations

import json
from typing import Any

import trio
from quart import Quart, Response
from quart_schema import OpenAPIProvider, hide

from .guard import OPEN_PATHS
from .schemas import ErrorResponse

#: Answered by the request guard, on any route, before the route runs.
GUARD_RESPONSES = {
    400: "Bad request: the Host header is missing or malformed, or the body is unusable.",
    401: "A valid API token is required (when the server has one).",
    403: "Cross-site request refused.",
    421: "The Host header names a host this server does not answer to.",
}
ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorResponse"}


class NoContent:
    """Marks a documented response that has no body (204)."""


class PlainText:
    """Marks a documented response that is plain text (``/metrics``)."""


class Image:
    """Marks a documented response that is an image: a JPEG, or an SVG placeholder."""


class Export:
    """Marks a documented response that is an export: CSV, JSON or OpenTimelineIO JSON."""


class Jpeg:
    """Marks a documented response that is a JPEG picture."""


_BODIES: dict[type, dict[str, Any]] = {
    Export: {
        "description": "The videos, streamed, in the format asked for",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {}},
        },
    },
    PlainText: {
        "description": "Plain text",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
    Image: {
        "description": "An image",
        "content": {
            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
            "image/svg+xml": {"schema": {"type": "string"}},
        },
    },
    Jpeg: {
        "description": "A JPEG picture",
        "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
    },
}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


class OpenAPIGenerator(OpenAPIProvider):
    """quart-schema's generator, taught what the server answers beyond each route's own."""

    def build_response_object(
        self, model: Any, headers_model: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if model is NoContent:
            return {"description": "No content"}, {}
        if model in _BODIES:
            return _BODIES[model], {}
        result: tuple[dict[str, Any], dict[str, Any]] = super().build_response_object(
            model, headers_model
        )
        return result

    def build_querystring_parameters(
        self, model: Any
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        parameters, definitions = super().build_querystring_parameters(model)
        required = {name for name, field in model.model_fields.items() if field.is_required()}
        for parameter in parameters:
            if parameter["name"] in required:
                parameter["required"] = True
        return parameters, definitions

    def schema(self) -> dict[str, Any]:
        document: dict[str, Any] = super().schema()
        for path, operations in document["paths"].items():
            for operation in operations.values():
                responses = operation["responses"]
                validated = operation.get("requestBody") is not None or any(
                    p.get("in") == "query" for p in operation.get("parameters", ())
                )
                if validated:
                    responses.setdefault(422, _error_response("The request is not valid."))
                if operation.get("requestBody") is not None:
                    responses.setdefault(413, _error_response("The body is too large."))
                # quart-schema keys responses by int status; so do we, or keys would not sort.
                for status, description in GUARD_RESPONSES.items():
                    if status == 401 and path in OPEN_PATHS:
                        continue
                    responses.setdefault(status, _error_response(description))
        if document["paths"]:
            document["components"]["schemas"].setdefault("ErrorResponse", _error_schema())
        return document


def _error_schema() -> dict[str, Any]:
    schema: dict[str, Any] = ErrorResponse.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    return schema


def serve_document_once(app: Quart) -> None:
    """Answer ``/openapi.json`` with a document built once, in a worker thread.

    Building it walks every route and generates every model's JSON schema: tenths of a
    second of CPU, which on the event loop would stall every other request. The
    routes never change while the app runs, so it is built on first request and kept.
    """
    provider: OpenAPIProvider = app.extensions["QUART_SCHEMA"].openapi_provider
    built: list[bytes] = []
    building = trio.Lock()

    def build() -> bytes:
        return json.dumps(provider.schema(), sort_keys=True).encode()

    @hide
    async def openapi() -> Response:
        async with building:
            if not built:
                built.append(await trio.to_thread.run_sync(build))
        return Response(built[0], content_type="application/json")

    app.view_functions["openapi"] = openapi
