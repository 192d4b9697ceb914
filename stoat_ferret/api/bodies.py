"""Reading JSON request bodies without letting odd input reach the code behind them.

A body must be UTF-8, nest no deeper than :data:`MAX_JSON_DEPTH`, and hold only text
that can be written back out (no lone surrogates such as ``"\\ud800"``): each of these
would otherwise surface later as a 500 (a ``RecursionError``, a ``UnicodeDecodeError``,
a ``UnicodeEncodeError`` deep in SQLite or a file name). Such bodies are refused
with 400 ``BAD_REQUEST`` before any route sees them; a body that is not JSON at all
stays the caller's to report (``ValueError``).
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from ..errors import ServiceError
from ..protocol import ErrorCode

#: Bodies up to this many bytes are parsed on the event loop (well under a millisecond);
#: larger ones, up to the guard's 512 KiB, in a worker thread.
INLINE_JSON_BYTES = 16 * 1024

#: Deepest nesting of arrays and objects a request body may have.
MAX_JSON_DEPTH = 32

#: JSON strings (with their escapes), so brackets inside them are not counted.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


class BadRequestBody(ServiceError):
    """The request body cannot be taken as JSON text."""

    code: ClassVar[ErrorCode] = ErrorCode.BAD_REQUEST
    http_status: ClassVar[int] = 400


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of ``[`` and ``{`` in ``raw``, outside strings."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def load_json(raw: bytes) -> Any:
    """Parse a request body; :class:`BadRequestBody` or ``ValueError`` (not JSON) if unfit."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequestBody(
            f"the request body is not UTF-8 text (byte {exc.start} cannot be decoded)"
        ) from None
    if nesting_depth(raw) > MAX_JSON_DEPTH:
        raise BadRequestBody(f"the request body nests deeper than {MAX_JSON_DEPTH} levels")
    value = json.loads(text)
    _check_text(value)
    return value


def _check_text(value: Any) -> None:
    if isinstance(value, str):
        _check_string(value)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_string(key)
            _check_text(item)


def _check_string(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadRequestBody(
            f"the request body holds a lone surrogate (\\u{ord(text[exc.start]):04x}), "
            "which is not text; a file name that is not valid UTF-8 cannot be named in JSON"
        ) from None
