"""What the client raises.

StoatFerretError
 ├── ConnectionFailed            the server could not be reached (names the URL)
 ├── ProtocolError               the server answered with something the client cannot read
 ├── AmbiguousJobId              a job id prefix matched more than one job (.prefix, .matches)
 └── ApiError                    the server refused the request (.http_status, .code, .message)
      ├── InvalidRequest         BAD_REQUEST, INVALID_JSON, VALIDATION_ERROR, METHOD_NOT_ALLOWED,
      │                          PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, RANGE_NOT_SATISFIABLE
      ├── NotFound               NOT_FOUND: no such video, job or route
      ├── AccessDenied           who may ask
      │    ├── Unauthorized      UNAUTHORIZED: no token, or the wrong one
      │    └── Forbidden         HOST_NOT_ALLOWED, CROSS_SITE_REQUEST: not from where it came
      ├── PathRefused            a scan or watch path the server will not read
      │    ├── InvalidPath       INVALID_PATH: not an absolute, existing, readable directory
      │    └── PathNotAllowed    PATH_NOT_ALLOWED: outside every allowed scan root
      ├── Conflict               the request clashes with a job or a watch
      │    ├── ScanInProgress    SCAN_IN_PROGRESS: an overlapping scan is live (.job_id)
      │    ├── WatchOverlap      WATCH_OVERLAP: an overlapping folder is watched (.watch_id)
      │    └── AlreadyTerminal   ALREADY_TERMINAL: the job had already finished (.job_id, .status)
      ├── TooManyJobs            TOO_MANY_JOBS: the queue of pending jobs is full
      ├── MediaUnreadable        PROBE_FAILED: a media file could not be read
      └── ServerUnavailable      SHUTTING_DOWN, TOOL_UNAVAILABLE, INTERNAL_ERROR, any other 5xx
           └── LibraryUnavailable  LIBRARY_UNAVAILABLE, STORAGE_FULL: the library cannot be written

An answer whose code this client does not know is mapped by its HTTP status instead
(:func:`error_from_response`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ..protocol import ErrorCode


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


class AmbiguousJobId(StoatFerretError):
    """A job id prefix matched more than one job; ``matches`` holds (some of) their ids."""

    def __init__(self, prefix: str, matches: Sequence[str], total: int) -> None:
        shown = ", ".join(matches)
        more = f" and {total - len(matches)} more" if total > len(matches) else ""
        super().__init__(f"job id prefix {prefix!r} matches {total} jobs: {shown}{more}")
        self.prefix = prefix
        self.matches = tuple(matches)
        self.total = total


class ApiError(StoatFerretError):
    """The server refused the request.

    ``code`` is its stable error code: an :class:`~stoat_ferret.protocol.ErrorCode`
    member, or the plain string of a code this client does not know (``HTTP_<status>``
    for an answer without the error envelope).
    """

    #: The codes this class stands for; each code belongs to exactly one class.
    codes: ClassVar[frozenset[ErrorCode]] = frozenset()

    def __init__(
        self, http_status: int, code: ErrorCode | str, message: str, detail: dict[str, Any]
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.http_status = http_status
        self.code = code
        self.message = message
        self.detail = detail

    def _detail_str(self, name: str) -> str | None:
        value = self.detail.get(name)
        return value if isinstance(value, str) else None


class InvalidRequest(ApiError):
    """The request itself was malformed: its body, its parameters, its method or its range."""

    codes = frozenset(
        {
            ErrorCode.BAD_REQUEST,
            ErrorCode.INVALID_JSON,
            ErrorCode.VALIDATION_ERROR,
            ErrorCode.METHOD_NOT_ALLOWED,
            ErrorCode.PAYLOAD_TOO_LARGE,
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            ErrorCode.RANGE_NOT_SATISFIABLE,
        }
    )


class NotFound(ApiError):
    """No video or job has that id (or the URL names no route)."""

    codes = frozenset({ErrorCode.NOT_FOUND})


class AccessDenied(ApiError):
    """The server will not answer this client."""


class Unauthorized(AccessDenied):
    """The server wants a token (``open_client(token=...)``), or a different one."""

    codes = frozenset({ErrorCode.UNAUTHORIZED})


class Forbidden(AccessDenied):
    """Refused for where the request came from: its ``Host`` or its ``Origin``."""

    codes = frozenset({ErrorCode.HOST_NOT_ALLOWED, ErrorCode.CROSS_SITE_REQUEST})


class PathRefused(ApiError):
    """A scan or watch path the server will not read."""


class InvalidPath(PathRefused):
    """The path is not an absolute, existing, readable directory."""

    codes = frozenset({ErrorCode.INVALID_PATH})


class PathNotAllowed(PathRefused):
    """The path resolves outside every allowed scan root."""

    codes = frozenset({ErrorCode.PATH_NOT_ALLOWED})


class Conflict(ApiError):
    """The request clashes with a job or a watch as they stand."""


class ScanInProgress(Conflict):
    """A scan of the same or an overlapping directory is pending or running."""

    codes = frozenset({ErrorCode.SCAN_IN_PROGRESS})

    @property
    def job_id(self) -> str | None:
        return self._detail_str("job_id")


class WatchOverlap(Conflict):
    """A watched folder already covers the folder, or lies inside it."""

    codes = frozenset({ErrorCode.WATCH_OVERLAP})

    @property
    def watch_id(self) -> str | None:
        return self._detail_str("watch_id")


class AlreadyTerminal(Conflict):
    """The job had finished before the request could change it."""

    codes = frozenset({ErrorCode.ALREADY_TERMINAL})

    @property
    def job_id(self) -> str | None:
        return self._detail_str("job_id")

    @property
    def status(self) -> str | None:
        return self._detail_str("status")


class TooManyJobs(ApiError):
    """The server holds as many pending jobs as it takes; try again once some have run."""

    codes = frozenset({ErrorCode.TOO_MANY_JOBS})


class MediaUnreadable(ApiError):
    """The server could not read a media file the request named."""

    codes = frozenset({ErrorCode.PROBE_FAILED})


class ServerUnavailable(ApiError):
    """The server failed, lacks a program it needs, or is shutting down."""

    codes = frozenset(
        {ErrorCode.SHUTTING_DOWN, ErrorCode.TOOL_UNAVAILABLE, ErrorCode.INTERNAL_ERROR}
    )


class LibraryUnavailable(ServerUnavailable):
    """The library's database cannot be used or written (gone, read-only, or the disk is full)."""

    codes = frozenset({ErrorCode.LIBRARY_UNAVAILABLE, ErrorCode.STORAGE_FULL})


def _classes(base: type[ApiError]) -> list[type[ApiError]]:
    found = [base]
    for sub in base.__subclasses__():
        found.extend(_classes(sub))
    return found


#: The class of each code, from the classes' own ``codes``.
BY_CODE: dict[ErrorCode, type[ApiError]] = {
    code: cls for cls in _classes(ApiError) for code in cls.codes
}

#: The class for an answer whose code is unknown here, by its HTTP status.
_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    401: Unauthorized,
    403: AccessDenied,
    404: NotFound,
    405: InvalidRequest,
    409: Conflict,
    413: InvalidRequest,
    415: InvalidRequest,
    416: InvalidRequest,
    422: InvalidRequest,
}


def error_from_response(http_status: int, body: Any) -> ApiError:
    """The exception for an error answer: by its code, else by its HTTP status."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, dict):
        detail = {"code": f"HTTP_{http_status}", "message": str(body)[:200] or "no details"}
    raw_code = str(detail.get("code", f"HTTP_{http_status}"))
    message = str(detail.get("message", ""))
    code: ErrorCode | str
    try:
        code = ErrorCode(raw_code)
    except ValueError:
        code = raw_code
    cls = BY_CODE.get(code) if isinstance(code, ErrorCode) else None
    if cls is None:
        cls = ServerUnavailable if http_status >= 500 else _BY_STATUS.get(http_status, ApiError)
    return cls(http_status, code, message, detail)
