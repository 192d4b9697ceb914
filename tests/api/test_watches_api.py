"""/api/v1/watches: the resource, and every refusal, on the real app."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from stoat_ferret.api import schemas
from stoat_ferret.protocol import ErrorCode, WatchChange, WatchState

from .test_openapi import resolve


async def add(client: httpx.AsyncClient, path: Path | str, **body: Any) -> httpx.Response:
    return await client.post("/api/v1/watches", json={"path": str(path), **body})


def refusal(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["detail"]["code"]


async def watches(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/watches")
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.json()["watches"]
    return found


async def test_a_watch_is_added_shown_listed_and_removed(
    client: httpx.AsyncClient, media_root: Path, real_root: str
) -> None:
    """POST 201 with the watch; GET one and the list show it; DELETE 204; then 404."""
    (media_root / "incoming").mkdir()

    response = await add(client, media_root / "incoming")

    assert response.status_code == 201
    watch = response.json()
    assert set(watch) == set(schemas.Watch.model_fields)
    assert watch["path"] == os.path.join(real_root, "incoming")
    assert (watch["poll"], watch["state"], watch["reason"]) == (False, WatchState.ACTIVE, None)
    shown = (await client.get(f"/api/v1/watches/{watch['id']}")).json()
    assert {k: shown[k] for k in ("id", "path", "poll", "created_at")} == {
        k: watch[k] for k in ("id", "path", "poll", "created_at")
    }
    assert [w["id"] for w in await watches(client)] == [watch["id"]]

    removed = await client.delete(f"/api/v1/watches/{watch['id']}")

    assert (removed.status_code, removed.content) == (204, b"")
    assert await watches(client) == []
    missing = await client.get(f"/api/v1/watches/{watch['id']}")
    assert refusal(missing) == (404, ErrorCode.NOT_FOUND)


async def test_a_polled_watch_says_so(client: httpx.AsyncClient, media_root: Path) -> None:
    """``poll: true``: the watch is polled, and its reason says it was asked for."""
    response = await add(client, media_root, poll=True)
    assert response.status_code == 201
    watch = response.json()
    assert (watch["poll"], watch["state"]) == (True, WatchState.POLLING)
    assert "asked for" in watch["reason"]


async def test_a_folder_outside_the_allowed_roots_is_403(
    client: httpx.AsyncClient, media_root: Path, tmp_path: Path
) -> None:
    """Outside the roots, directly, through ``..`` or through a symlink: 403 PATH_NOT_ALLOWED."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (media_root / "link").symlink_to(outside)
    for path in (outside, f"{media_root}/../outside", media_root / "link", "/"):
        assert refusal(await add(client, path)) == (403, ErrorCode.PATH_NOT_ALLOWED), path
    assert await watches(client) == []


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda root: root / "clip.mp4", "not a directory"),
        (lambda root: root / "nothing-here", "no such directory"),
        (lambda root: "relative/folder", "must be absolute"),
        (lambda root: "", "empty"),
        (lambda root: f"{root}/a\x00b", "NUL"),
    ],
    ids=["a-file", "missing", "relative", "empty", "nul"],
)
async def test_a_path_that_is_not_a_readable_folder_is_400(
    client: httpx.AsyncClient, media_root: Path, make: Any, words: str
) -> None:
    """A file, a missing folder, a relative or empty path, a NUL: 400 INVALID_PATH."""
    (media_root / "clip.mp4").write_bytes(b"not really")
    response = await add(client, make(media_root))
    assert refusal(response) == (400, ErrorCode.INVALID_PATH)
    assert words in response.json()["detail"]["message"]
    assert await watches(client) == []


@pytest.mark.parametrize(
    ("second", "relation"),
    [("a", "watched already"), ("", "holds the watched folder"), ("a/b", "lies inside")],
    ids=["same", "parent", "child"],
)
async def test_a_folder_overlapping_a_watch_is_409_naming_it(
    client: httpx.AsyncClient, media_root: Path, second: str, relation: str
) -> None:
    """The same folder, its parent or a child of a watched one: 409 WATCH_OVERLAP with its id."""
    (media_root / "a" / "b").mkdir(parents=True)
    first = (await add(client, media_root / "a")).json()

    response = await add(client, media_root / second)

    assert refusal(response) == (409, ErrorCode.WATCH_OVERLAP)
    detail = response.json()["detail"]
    assert detail["watch_id"] == first["id"]
    assert relation in detail["message"]
    assert [w["id"] for w in await watches(client)] == [first["id"]]


async def test_the_same_folder_through_a_symlink_overlaps_too(
    client: httpx.AsyncClient, media_root: Path
) -> None:
    """A symlink to a watched folder names the same folder: 409."""
    (media_root / "a").mkdir()
    (media_root / "alias").symlink_to(media_root / "a")
    first = (await add(client, media_root / "a")).json()
    response = await add(client, media_root / "alias")
    assert refusal(response) == (409, ErrorCode.WATCH_OVERLAP)
    assert response.json()["detail"]["watch_id"] == first["id"]


@pytest.mark.parametrize(
    "body",
    [{}, {"path": 1}, {"path": "/x", "poll": "yes"}, {"path": "/x", "recursive": True}, []],
    ids=["no-path", "path-not-a-string", "poll-not-a-boolean", "unknown-field", "not-an-object"],
)
async def test_a_malformed_body_is_422(client: httpx.AsyncClient, body: Any) -> None:
    """A body that is not ``{path, poll?}``: 422 VALIDATION_ERROR."""
    response = await client.post("/api/v1/watches", json=body)
    assert refusal(response) == (422, ErrorCode.VALIDATION_ERROR)


async def test_an_unknown_watch_is_404(client: httpx.AsyncClient) -> None:
    """GET and DELETE of an id no watch has: 404 NOT_FOUND."""
    for method in ("GET", "DELETE"):
        response = await client.request(method, "/api/v1/watches/no-such-watch")
        assert refusal(response) == (404, ErrorCode.NOT_FOUND), method


async def test_a_removed_watch_can_be_added_again(
    client: httpx.AsyncClient, media_root: Path
) -> None:
    """After DELETE the folder is free: watching it again is a new watch."""
    first = (await add(client, media_root)).json()
    assert (await client.delete(f"/api/v1/watches/{first['id']}")).status_code == 204
    again = await add(client, media_root)
    assert again.status_code == 201
    assert again.json()["id"] != first["id"]


async def test_info_lists_the_watch_vocabulary(client: httpx.AsyncClient) -> None:
    """/api/v1/info carries every watch state and watch_status change, as spelled on the wire."""
    protocol = (await client.get("/api/v1/info")).json()["protocol"]
    assert protocol["watch_states"] == [str(s) for s in WatchState]
    assert protocol["watch_state_names"] == {s.name: str(s) for s in WatchState}
    assert protocol["watch_changes"] == {c.name: str(c) for c in WatchChange}
    assert "WATCH" in protocol["job_kind_names"]


async def test_openapi_documents_the_watch_and_its_refusals(client: httpx.AsyncClient) -> None:
    """/openapi.json: the watch object, the request body, POST's error statuses, watch jobs."""
    document = (await client.get("/openapi.json")).json()
    post = document["paths"]["/api/v1/watches"]["post"]
    assert {"201", "400", "403", "409", "422"} <= set(post["responses"])
    created = resolve(document, post["responses"]["201"]["content"]["application/json"]["schema"])
    assert set(created["properties"]) == set(schemas.Watch.model_fields)
    body = resolve(document, post["requestBody"]["content"]["application/json"]["schema"])
    assert set(body["properties"]) == {"path", "poll"}
    assert (body["required"], body["additionalProperties"]) == (["path"], False)
    watch_job = resolve(document, {"$ref": "#/components/schemas/WatchJob"})
    result = watch_job["properties"]["result"]["anyOf"]
    assert {"$ref": "#/components/schemas/ScanResult"} in result
