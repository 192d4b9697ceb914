"""The media workers' wire protocol: one JSON object per line, each way. Pure.

The pool writes requests to a worker's stdin and reads responses from its stdout::

    request   {"id": 7, "op": "probe", "path": "/media/a.mp4"}
    response  {"id": 7, "ok": true, "result": {...}}
              {"id": 7, "ok": false, "error": {"kind": "invalid_data", "reason": "..."}}

A worker answers each request before it reads the next, so a response always belongs
to the one request in flight. When it is ready to work, a worker says so once with
the response ``{"id": 0, "ok": true, "result": {"ready": true, ...}}`` (or with an
error of kind ``missing`` when it cannot do its work at all, and exits). Its stdout
carries nothing but these lines: the worker moves everything else (FFmpeg's log,
stray prints) to stderr before it reads its first request.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from typing import Any

import attrs

#: The id of the worker's greeting; requests are numbered from 1.
HELLO_ID = 0
#: A response line longer than this is refused (a worker gone wrong), not buffered forever.
MAX_LINE_BYTES = 64 * 1024 * 1024
#: Workers read this environment variable; "1" lets them obey the test-only operations.
TEST_OPS_ENV = "STOAT_WORKER_TEST_OPS"
#: With the test-only operations on, a worker asked to read a file whose name holds this
#: variable's value dies at once (SIGABRT), as it would crashing inside FFmpeg on it.
CRASH_ON_ENV = "STOAT_WORKER_CRASH_ON"
#: With the test-only operations on, a worker asked to read a file whose name holds this
#: variable's value writes a few bytes to the request's target (if it has one) and then
#: never answers, as a worker stuck inside FFmpeg halfway through a picture would.
HANG_ON_ENV = "STOAT_WORKER_HANG_ON"


class Op(enum.StrEnum):
    """What a request asks a worker to do."""

    #: Describe a file as ``ffprobe -show_format -show_streams`` would. Args: ``path``.
    #: Result: ``{"ffprobe_json": "<JSON text>"}``.
    PROBE = "probe"
    #: One frame as a JPEG. Args: ``source``, ``target``, ``at_seconds``, ``width``.
    #: Result: ``{"width", "height", "at_seconds"}`` of the picture written to ``target``.
    THUMBNAIL = "thumbnail"
    #: A scrub strip: the first frame at or after each of ``times`` (seconds from the
    #: start), each ``width`` wide with an even height by the display aspect, side by
    #: side in one JPEG. Args: ``source``, ``target``, ``times``, ``width`` (of each
    #: frame). Result: ``{"width", "height", "frames"}``.
    STRIP = "strip"
    # Test-only operations, obeyed only by a worker started with TEST_OPS_ENV=1:
    #: Die at once, as a worker crashing inside FFmpeg would: SIGABRT, or SIGSEGV with
    #: ``{"how": "segfault"}``.
    CRASH = "crash"
    #: Never answer (SIGTERM ignored), as a worker stuck inside FFmpeg would.
    HANG = "hang"
    #: Hold ``bytes`` of memory for the request, then answer.
    ALLOCATE = "allocate"
    #: Start a grandchild process (``sleep``) in the worker's process group, then never answer.
    SPAWN = "spawn"
    #: Write ``text`` to file descriptor 1 from C-level code's point of view, then answer.
    NOISE = "noise"


TEST_OPS = frozenset({Op.CRASH, Op.HANG, Op.ALLOCATE, Op.SPAWN, Op.NOISE})


class ErrorKind(enum.StrEnum):
    """Why a worker could not do what a request asked."""

    #: FFmpeg could not read the file (not media, truncated, unknown format, …).
    INVALID_DATA = "invalid_data"
    #: The file could not be opened (missing, a directory, no permission).
    OS_ERROR = "os_error"
    #: The file could be read but gave no picture to take.
    NO_PICTURE = "no_picture"
    #: The request ran out of memory under the worker's limit.
    MEMORY = "memory"
    #: The worker cannot work at all here (PyAV is not installed).
    MISSING = "missing"
    #: The request was malformed or named an operation this worker does not obey.
    BAD_REQUEST = "bad_request"
    #: Anything else (a defect in the worker).
    INTERNAL = "internal"


class ProtocolError(ValueError):
    """A line that is not a well-formed request or response."""


@attrs.frozen
class Fault:
    """The error half of a response."""

    kind: str
    reason: str


@attrs.frozen
class Request:
    id: int
    op: str
    args: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Response:
    id: int
    result: Mapping[str, Any] | None = None
    error: Fault | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _line(payload: Mapping[str, Any]) -> bytes:
    # ASCII escapes keep any file name (newlines, lone surrogates from undecodable bytes)
    # inside one line and round-trip it exactly.
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n"


def encode_request(request: Request) -> bytes:
    if "id" in request.args or "op" in request.args:
        raise ProtocolError("request arguments may not be named 'id' or 'op'")
    return _line({"id": request.id, "op": request.op, **request.args})


def decode_request(line: bytes) -> Request:
    data = _object(line)
    request_id, op = data.pop("id", None), data.pop("op", None)
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        raise ProtocolError("a request needs an integer 'id'")
    if not isinstance(op, str):
        raise ProtocolError("a request needs a string 'op'")
    return Request(request_id, op, data)


def encode_response(response: Response) -> bytes:
    if response.error is None:
        return _line({"id": response.id, "ok": True, "result": dict(response.result or {})})
    error = {"kind": response.error.kind, "reason": response.error.reason}
    return _line({"id": response.id, "ok": False, "error": error})


def decode_response(line: bytes) -> Response:
    data = _object(line)
    response_id, ok = data.get("id"), data.get("ok")
    if not isinstance(response_id, int) or isinstance(response_id, bool):
        raise ProtocolError("a response needs an integer 'id'")
    if ok is True:
        result = data.get("result")
        if not isinstance(result, dict):
            raise ProtocolError("a successful response needs an object 'result'")
        return Response(response_id, result=result)
    if ok is False:
        error = data.get("error")
        if not isinstance(error, dict):
            raise ProtocolError("a failed response needs an object 'error'")
        kind, reason = error.get("kind"), error.get("reason")
        if not isinstance(kind, str) or not isinstance(reason, str):
            raise ProtocolError("an error needs string 'kind' and 'reason'")
        return Response(response_id, error=Fault(kind, reason))
    raise ProtocolError("a response needs 'ok': true or false")


def _object(line: bytes) -> dict[str, Any]:
    if len(line) > MAX_LINE_BYTES:
        raise ProtocolError(f"a line of {len(line)} bytes is over the limit")
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"not a JSON line: {exc}") from exc
    if not isinstance(data, dict):
        raise ProtocolError("a line must hold a JSON object")
    return data
