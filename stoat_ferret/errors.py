"""The one family of errors the service raises for callers to see.

ServiceError                   code, http_status, message, extra (fields for the envelope)
 └── every refusal the API can answer with: path, job, probe, library and request errors

Each subclass names its :class:`~stoat_ferret.protocol.ErrorCode` and HTTP status
once, as class attributes; :mod:`stoat_ferret.api.errors` turns any of them into the
error envelope in one place. Pure: imports only the protocol.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .protocol import ErrorCode


class ServiceError(Exception):
    """A refusal with a stable ``code``, the HTTP ``http_status`` it maps to, and a message.

    ``extra`` holds further fields for the envelope's ``detail`` (``job_id``, …);
    ``None`` values are left out.
    """

    code: ClassVar[ErrorCode] = ErrorCode.INTERNAL_ERROR
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = {k: v for k, v in extra.items() if v is not None}
