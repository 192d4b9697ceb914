"""The error envelope, ``{"detail": {"code": ..., "message": ...}}``, for every failure.

Every refusal is a :class:`~stoat_ferret.errors.ServiceError` carrying its code and
status; this module turns it, and whatever the web framework raises, into the
envelope, in one place. Every ``code`` is an :class:`~stoat_ferret.protocol.ErrorCode`.
"""

from __future__ import annotations

import logging
from typing import Any

from quart import Quart, Response, jsonify
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..errors import ServiceError
from ..protocol import ErrorCode

log = logging.getLogger(__name__)

#: The code of each HTTP error the web framework itself raises.
HTTP_ERROR_CODES = {
    400: ErrorCode.BAD_REQUEST,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    416: ErrorCode.RANGE_NOT_SATISFIABLE,
}


class InvalidJson(ServiceError):
    """The request body is declared as JSON but cannot be parsed."""

    code = ErrorCode.INVALID_JSON
    http_status = 422


def http_error_code(status: int) -> ErrorCode:
    """The code for an HTTP error of the framework's: its own where it has one."""
    if status in HTTP_ERROR_CODES:
        return HTTP_ERROR_CODES[status]
    return ErrorCode.INTERNAL_ERROR if status >= 500 else ErrorCode.BAD_REQUEST


def envelope(http_status: int, code: ErrorCode, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"detail": {"code": str(code), "message": message, **extra}}), http_status


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
    @app.errorhandler(ServiceError)
    async def service_error(error: ServiceError) -> tuple[Response, int]:
        return envelope(error.http_status, error.code, error.message, **error.extra)

    @app.errorhandler(RequestSchemaValidationError)
    async def schema_error(error: RequestSchemaValidationError) -> tuple[Response, int]:
        return envelope(422, ErrorCode.VALIDATION_ERROR, _validation_message(error))

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        response, status = envelope(
            status, http_error_code(status), error.description or error.name
        )
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return response, status

    @app.errorhandler(Exception)
    async def unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unhandled error", exc_info=error)
        return envelope(
            500, ErrorCode.INTERNAL_ERROR, "an unexpected error occurred; see the server log"
        )
