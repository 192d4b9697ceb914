"""The library's pages hold to their schema field by field.

List, search and duplicates are documented in the OpenAPI document but not validated on
the way out (they are encoded straight from the rows, see ``json_page``): these tests are
what holds them to ``VideoList``, ``SearchResult`` and ``DuplicateList``, and each video
in them to the one ``GET /api/v1/videos/{id}`` gives, which is validated.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pydantic
import trio

from stoat_ferret.api.browse_schemas import DuplicateList, SearchResult, VideoList
from stoat_ferret.api.schemas import Video
from stoat_ferret.scan.fingerprint import fingerprint_file

from ..conftest import LiveServer
from ..support.fingerprints import set_fingerprints
from ..support.media import copy_as
from .test_browse_api import browse_library  # noqa: F401  (a fixture)
from .test_videos_api import scan

#: Every field a video of a page has, no more.
VIDEO_FIELDS = set(Video.model_fields)


def _strictly(model: type[pydantic.BaseModel], body: dict[str, Any]) -> None:
    """``body`` validates as ``model``, and each video has exactly the schema's fields."""
    model.model_validate(body)
    videos = body.get("videos") or [v for g in body.get("groups", []) for v in g["videos"]]
    assert videos
    for video in videos:
        assert set(video) == VIDEO_FIELDS, set(video) ^ VIDEO_FIELDS


async def _detail(client: httpx.AsyncClient, video: dict[str, Any]) -> dict[str, Any]:
    """The video as its own (validated) answer gives it, without the technical metadata."""
    response = await client.get(f"/api/v1/videos/{video['id']}")
    assert response.status_code == 200, response.text
    detail: dict[str, Any] = response.json()
    detail.pop("technical")
    return detail


async def test_list_and_search_pages_hold_to_their_schemas(
    client: httpx.AsyncClient,
    browse_library: str,  # noqa: F811
) -> None:
    """Every sort's page and a search validate, and each video is what its own answer is."""
    for params in ({}, {"sort": "filename"}, {"sort": "duration", "order": "asc"}):
        response = await client.get("/api/v1/videos", params={"limit": 100, **params})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        _strictly(VideoList, body)
        assert len(body["videos"]) == 7
        for video in body["videos"]:
            assert video == await _detail(client, video)
    for text in ("clip", "c", "camera xdcam", "hdr10"):
        response = await client.get("/api/v1/videos/search", params={"q": text, "limit": 50})
        assert response.status_code == 200, response.text
        body = response.json()
        if body["videos"]:
            _strictly(SearchResult, body)
        for video in body["videos"]:
            assert video == await _detail(client, video)
    # A page in the middle, by cursor.
    first = (await client.get("/api/v1/videos", params={"limit": 3, "sort": "width"})).json()
    after = await client.get(
        "/api/v1/videos", params={"limit": 3, "sort": "width", "after": first["next"]}
    )
    _strictly(VideoList, after.json())


async def test_the_duplicates_page_holds_to_its_schema(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    media_root: Path,
    real_root: str,
) -> None:
    """A group of copies validates as DuplicateList; its videos are their own answers."""
    copies = [media_root / "a" / "take.mp4", media_root / "b" / "take ção.mp4"]
    for copy in copies:
        copy.parent.mkdir(exist_ok=True)
        copy_as(samples["h264_aac.mp4"], copy)
    await scan(live_server, client, media_root)
    fingerprint = await trio.to_thread.run_sync(fingerprint_file, str(copies[0]))
    await set_fingerprints(
        live_server.service.library.path,
        {os.path.join(real_root, c.relative_to(media_root)): str(fingerprint) for c in copies},
    )
    response = await client.get("/api/v1/videos/duplicates")
    assert response.status_code == 200, response.text
    body = response.json()
    _strictly(DuplicateList, body)
    [group] = body["groups"]
    assert [v["filename"] for v in group["videos"]] == ["take.mp4", "take ção.mp4"]
    for video in group["videos"]:
        assert video == await _detail(client, video)
