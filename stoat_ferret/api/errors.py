"""The error envelope, ``{"detail": {"code": ..., "message": ...}}``, for every failure."""

from __future__ import annotations

import logging
from typing import Any

from quart import Quart, Response, jsonify
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..errors import ServiceError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


class ApiError(Exception):
    """Raised by a route to answer with ``status`` and the error envelope."""

    def __init__(
        self, http_status: int, code: str, message: str, *, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.message = message
        self.extra = {k: v for k, v in (extra or {}).items() if v is not None}


def envelope(http_status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"detail": {"code": code, "message": message, **extra}}), http_status


def _validation_message(error: RequestSchemaValidationError) -> str:
    cause = error.validation_error
    errors = getattr(cause, "errors", None)
    if callable(errors):
        parts = []
        for item in errors():
            where = ".".join(str(p) for p in item.get("loc", ())) or "body"
            parts.append(f"{where}: {item.get('msg', 'invalid')}")
        if parts:
            return "; ".join(parts)
    return str(cause) or "the request does not match its schema"


def install_error_handlers(app: Quart) -> None:
    @app.errorhandler(ApiError)
    async def api_error(error: ApiError) -> tuple[Response, int]:
        return envelope(error.http_status, error.code, error.message, **error.extra)

    @app.errorhandler(ServiceError)
    async def service_error(error: ServiceError) -> tuple[Response, int]:
        return envelope(error.http_status, error.code, error.message, **error.extra)

    @app.errorhandler(RequestSchemaValidationError)
    async def schema_error(error: RequestSchemaValidationError) -> tuple[Response, int]:
        return envelope(422, "VALIDATION_ERROR", _validation_message(error))

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        response, status = envelope(
            status, _HTTP_CODES.get(status, f"HTTP_{status}"), error.description or error.name
        )
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return response, status

    @app.errorhandler(Exception)
    async def unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unhandled error", exc_info=error)
        return envelope(500, "INTERNAL_ERROR", "an unexpected error occurred; see the server log")
