"""Odd input is refused up front with 400 in the envelope, never a 500."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from stoat_ferret.api.bodies import (
    INLINE_JSON_BYTES,
    MAX_JSON_DEPTH,
    BadRequestBody,
    load_json,
    nesting_depth,
)

from ..conftest import LiveServer

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 5000 + b"]" * 5000, "nests deeper than 32 levels"),
        (b'{"path": ' + b"[" * 40 + b"]" * 40 + b"}", "nests deeper than 32 levels"),
        (b'{"a":' * 33 + b"1" + b"}" * 33, "nests deeper than 32 levels"),
        (b'{"path": "/media/\xff"}', "not UTF-8 text (byte 17 cannot be decoded)"),
        (b"\xfe\xff\x00{", "not UTF-8 text (byte 0 cannot be decoded)"),
        (b'{"path": "/x/\\ud800"}', "lone surrogate (\\ud800)"),
        (b'{"path": "/media/\\udcff"}', "lone surrogate (\\udcff)"),
        (b'{"\\udfff": 1}', "lone surrogate (\\udfff)"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/videos/scan", "/api/v1/videos/thumbnails"])
# Trailing white space past INLINE_JSON_BYTES sends the body to the worker-thread parse.
@pytest.mark.parametrize("padding", [0, INLINE_JSON_BYTES], ids=["inline", "in-a-thread"])
async def test_unusable_bodies_are_400(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    path: str,
    body: bytes,
    message: str,
    padding: int,
) -> None:
    """Deep nesting, bytes that are not UTF-8 and lone surrogates are 400 BAD_REQUEST,
    in a small body and in a large one alike."""
    body += b" " * padding
    response = await client.post(path, content=body, headers=JSON)
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert detail["code"] == "BAD_REQUEST"
    assert message in detail["message"]
    assert live_server.service.runner.live_count == 0


async def test_nesting_up_to_the_limit_reaches_validation(client: httpx.AsyncClient) -> None:
    """A body nested exactly to the limit is read, and then refused by its schema (422)."""
    body = b'{"path": ' + b"[" * (MAX_JSON_DEPTH - 1) + b"]" * (MAX_JSON_DEPTH - 1) + b"}"
    response = await client.post("/api/v1/videos/scan", content=body, headers=JSON)
    assert response.status_code == 422
    assert response.json()["detail"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("padding", [0, INLINE_JSON_BYTES], ids=["inline", "in-a-thread"])
async def test_a_body_that_is_not_json_is_422(client: httpx.AsyncClient, padding: int) -> None:
    """Text that is not JSON is 422 INVALID_JSON saying so, small or large."""
    body = b'{"video_ids": ["a", ' + b" " * padding + b"}"
    response = await client.post("/api/v1/videos/thumbnails", content=body, headers=JSON)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail["code"] == "INVALID_JSON"
    assert detail["message"].startswith("the request body is not valid JSON")


async def test_brackets_inside_strings_do_not_count(client: httpx.AsyncClient) -> None:
    """Brackets within a string are text, not nesting: the body is read as usual."""
    response = await client.post("/api/v1/videos/scan", json={"path": "[" * 100 + '\\"{' * 50})
    assert response.status_code == 400
    assert response.json()["detail"]["code"] == "INVALID_PATH"


async def test_a_symlink_to_a_directory_named_in_bytes_is_refused(
    live_server: LiveServer, client: httpx.AsyncClient, media_root: Path
) -> None:
    """Scanning a path that resolves to a directory whose name is not UTF-8 is 400 INVALID_PATH."""
    raw_dir = os.fsencode(media_root) + b"/caf\xe9"
    os.mkdir(raw_dir)
    (media_root / "link").symlink_to(os.fsdecode(raw_dir))
    response = await client.post("/api/v1/videos/scan", json={"path": str(media_root / "link")})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail["code"] == "INVALID_PATH"
    assert detail["message"].startswith("the directory's path is not valid UTF-8")
    assert "caf\\xe9" in detail["message"]
    assert live_server.service.runner.live_count == 0


def test_nesting_depth() -> None:
    """Depth counts arrays and objects, skipping brackets inside strings and escapes."""
    assert nesting_depth(b"1") == 0
    assert nesting_depth(b"[]") == 1
    assert nesting_depth(b'[{"a": [1, {"b": []}]}]') == 5
    assert nesting_depth(b'["[[[[", "\\"[[[["]') == 1
    assert nesting_depth(b"[][][]") == 1


def test_load_json_refusals() -> None:
    """load_json parses good bodies, refuses unusable ones, and leaves bad syntax to ValueError."""
    assert load_json(b'{"path": "/m\\u00e9dia"}') == {"path": "/média"}
    assert load_json(b'"\\ud83c\\udfac"') == "\U0001f3ac"
    with pytest.raises(BadRequestBody):
        load_json(b'"\\ud83c"')
    with pytest.raises(ValueError, match="Expecting property name"):
        load_json(b"{,}")
