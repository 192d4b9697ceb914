"""The media workers' line protocol: encoding, decoding and refusing malformed lines."""

from __future__ import annotations

import json

import pytest

from stoat_ferret.workers.protocol import (
    MAX_LINE_BYTES,
    Fault,
    Op,
    ProtocolError,
    Request,
    Response,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
)

from ..support.media import HOSTILE_NAMES


def test_request_is_one_line_with_id_op_and_arguments() -> None:
    """A request is one JSON object ending in a newline: id, op and its arguments side by side."""
    line = encode_request(Request(7, Op.PROBE, {"path": "/media/a.mp4"}))
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert json.loads(line) == {"id": 7, "op": "probe", "path": "/media/a.mp4"}


@pytest.mark.parametrize("name", [*HOSTILE_NAMES, "bad-\udcff-bytes.mp4", "tab\there.mkv"])
def test_any_file_name_round_trips_in_one_line(name: str) -> None:
    """Newlines, quotes, non-ASCII and undecodable bytes in a path survive exactly, in one line."""
    line = encode_request(Request(1, Op.PROBE, {"path": "/media/" + name}))
    assert line.count(b"\n") == 1
    assert line.isascii()
    assert decode_request(line) == Request(1, "probe", {"path": "/media/" + name})


def test_arguments_may_not_shadow_id_or_op() -> None:
    """An argument named 'id' or 'op' is refused rather than silently overwriting the header."""
    with pytest.raises(ProtocolError, match="'id' or 'op'"):
        encode_request(Request(1, Op.PROBE, {"op": "crash"}))


def test_success_and_error_responses_round_trip() -> None:
    """Both kinds of response decode to what was encoded; ok follows from the error."""
    done = Response(3, result={"width": 320, "height": 240})
    failed = Response(4, error=Fault("invalid_data", "Invalid data found when processing input"))
    assert decode_response(encode_response(done)) == done
    assert decode_response(encode_response(failed)) == failed
    assert done.ok
    assert not failed.ok
    assert json.loads(encode_response(failed)) == {
        "id": 4,
        "ok": False,
        "error": {"kind": "invalid_data", "reason": "Invalid data found when processing input"},
    }


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"not json\n", "not a JSON line"),
        (b"[1, 2]\n", "must hold a JSON object"),
        (b'{"ok": true, "result": {}}\n', "integer 'id'"),
        (b'{"id": true, "ok": true, "result": {}}\n', "integer 'id'"),
        (b'{"id": 1, "ok": "yes"}\n', "'ok': true or false"),
        (b'{"id": 1, "ok": true, "result": []}\n', "object 'result'"),
        (b'{"id": 1, "ok": false}\n', "object 'error'"),
        (b'{"id": 1, "ok": false, "error": {"kind": 1, "reason": "x"}}\n', "string 'kind'"),
        (b"\xff\xfe\n", "not a JSON line"),
    ],
)
def test_malformed_responses_are_refused(line: bytes, message: str) -> None:
    """Every malformed response raises ProtocolError saying what is wrong."""
    with pytest.raises(ProtocolError, match=message):
        decode_response(line)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"op": "probe"}\n', "integer 'id'"),
        (b'{"id": 1}\n', "string 'op'"),
        (b'{"id": 1, "op": 5}\n', "string 'op'"),
    ],
)
def test_malformed_requests_are_refused(line: bytes, message: str) -> None:
    """A request without an integer id or a string op raises ProtocolError."""
    with pytest.raises(ProtocolError, match=message):
        decode_request(line)


def test_overlong_line_is_refused_before_parsing() -> None:
    """A line over MAX_LINE_BYTES is refused by its length, not parsed."""
    with pytest.raises(ProtocolError, match="over the limit"):
        decode_response(b" " * (MAX_LINE_BYTES + 1))
