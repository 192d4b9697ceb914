"""What the client raises.

StoatFerretError
 ├── ConnectionFailed          the server could not be reached (names the URL)
 ├── ProtocolError             the server answered with something the client cannot read
 └── ApiError                  the server answered with an error envelope (code, message)
      ├── NotFound             NOT_FOUND: no such video, job or route
      ├── InvalidPath          INVALID_PATH: not a usable directory path
      ├── PathNotAllowed       PATH_NOT_ALLOWED: outside every allowed scan root
      ├── ScanInProgress       SCAN_IN_PROGRESS: an overlapping scan is live (.job_id)
      ├── AlreadyTerminal      ALREADY_TERMINAL: the job had already finished (.job_id, .status)
      ├── InvalidRequest       VALIDATION_ERROR, INVALID_JSON: the request was malformed
      └── ServerUnavailable    SHUTTING_DOWN, INTERNAL_ERROR and other 5xx answers
"""

from __future__ import annotations

from typing import Any


class StoatFerretError(Exception):
    """Base of everything the client raises."""


class ConnectionFailed(StoatFerretError):
    """The server at ``url`` could not be reached, or the connection broke."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach stoat-ferret at {url}: {reason}")
        self.url = url
        self.reason = reason


class ProtocolError(StoatFerretError):
    """The server's answer was not what the API promises."""


class ApiError(StoatFerretError):
    """The server refused the request; ``code`` is its stable error code."""

    def __init__(self, http_status: int, code: str, message: str, detail: dict[str, Any]) -> None:
        super().__init__(f"{code}: {message}")
        self.http_status = http_status
        self.code = code
        self.message = message
        self.detail = detail


class NotFound(ApiError):
    """No video or job has that id (or the URL names no route)."""


class InvalidPath(ApiError):
    """The scan path is not an absolute, existing, readable directory."""


class PathNotAllowed(ApiError):
    """The scan path resolves outside every allowed scan root."""


class ScanInProgress(ApiError):
    """A scan of the same or an overlapping directory is pending or running."""

    @property
    def job_id(self) -> str | None:
        job_id = self.detail.get("job_id")
        return job_id if isinstance(job_id, str) else None


class AlreadyTerminal(ApiError):
    """The job had finished before the request could change it."""

    @property
    def job_id(self) -> str | None:
        job_id = self.detail.get("job_id")
        return job_id if isinstance(job_id, str) else None

    @property
    def status(self) -> str | None:
        status = self.detail.get("status")
        return status if isinstance(status, str) else None


class InvalidRequest(ApiError):
    """The request did not match the API's schema."""


class ServerUnavailable(ApiError):
    """The server failed, or is shutting down and takes no new work."""


_BY_CODE: dict[str, type[ApiError]] = {
    "NOT_FOUND": NotFound,
    "INVALID_PATH": InvalidPath,
    "PATH_NOT_ALLOWED": PathNotAllowed,
    "SCAN_IN_PROGRESS": ScanInProgress,
    "ALREADY_TERMINAL": AlreadyTerminal,
    "VALIDATION_ERROR": InvalidRequest,
    "INVALID_JSON": InvalidRequest,
    "SHUTTING_DOWN": ServerUnavailable,
    "INTERNAL_ERROR": ServerUnavailable,
}


def error_from_response(http_status: int, body: Any) -> ApiError:
    """The exception for an error answer: by its code, else by its HTTP status."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, dict):
        detail = {"code": f"HTTP_{http_status}", "message": str(body)[:200] or "no details"}
    code = str(detail.get("code", f"HTTP_{http_status}"))
    message = str(detail.get("message", ""))
    cls = _BY_CODE.get(code)
    if cls is None:
        cls = ServerUnavailable if http_status >= 500 else ApiError
        if http_status == 404:
            cls = NotFound
    return cls(http_status, code, message, detail)
