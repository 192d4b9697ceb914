"""Library changes over HTTP and ``/ws``: moves seen live, removed entries, purging missing ones."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
import trio.testing
from trio_websocket import WebSocketConnection, open_websocket_url

from stoat_ferret.events.hub import EventHub
from stoat_ferret.protocol import EventType

from ..conftest import LiveServer
from ..support.media import copy_as


async def subscribed(hub: EventHub, count: int) -> None:
    """Wait until the hub has ``count`` subscribers (the server subscribes after the handshake)."""
    with trio.fail_after(5):
        while len(hub.subscribers) < count:
            await trio.testing.wait_all_tasks_blocked()


async def next_of(ws: WebSocketConnection, wanted: EventType) -> dict[str, Any]:
    """The next event of type ``wanted``; events of other types are passed over."""
    with trio.fail_after(30):
        while True:
            event = json.loads(await ws.get_message())
            if event["type"] == wanted:
                assert isinstance(event, dict)
                return event


async def scan(live_server: LiveServer, client: httpx.AsyncClient, path: Path) -> dict[str, Any]:
    response = await client.post("/api/v1/videos/scan", json={"path": str(path)})
    assert response.status_code == 202, response.text
    with trio.fail_after(60):
        job = await live_server.service.runner.wait(response.json()["job_id"])
    assert job.status == "complete"
    assert job.result is not None
    result: dict[str, Any] = job.result.to_wire()
    result["job_id"] = job.job_id
    return result


async def make_thumbnails(live_server: LiveServer, client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/videos/thumbnails", json={})
    assert response.status_code == 202, response.text
    with trio.fail_after(60):
        job = await live_server.service.runner.wait(response.json()["job_id"])
    assert job.status == "complete"


async def videos(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    body = (await client.get("/api/v1/videos", params={"limit": 500})).json()
    return {video["filename"]: video for video in body["videos"]}


@pytest.fixture
def root(media_root: Path) -> Path:
    return Path(os.path.realpath(media_root))


async def test_a_rename_is_a_video_moved_event_on_ws_with_both_paths(
    live_server: LiveServer, client: httpx.AsyncClient, root: Path, distinct_clips: list[Path]
) -> None:
    """A renamed file keeps its id, and /ws says where it went from and to."""
    copy_as(distinct_clips[0], root / "take1.mp4")
    await scan(live_server, client, root)
    [before] = (await videos(client)).values()
    (root / "take1.mp4").rename(root / "chosen-take.mp4")

    async with open_websocket_url(live_server.ws_url) as ws:
        await subscribed(live_server.service.hub, 1)
        result = await scan(live_server, client, root)
        event = await next_of(ws, EventType.VIDEO_MOVED)

    assert (result["moved"], result["new"], result["missing"]) == (1, 0, 0)
    assert event["payload"] == {
        "moves": [
            {
                "video_id": before["id"],
                "from_path": str(root / "take1.mp4"),
                "to_path": str(root / "chosen-take.mp4"),
            }
        ],
        "job_id": result["job_id"],
    }
    assert event["correlation_id"] == result["job_id"]
    after = (await client.get(f"/api/v1/videos/{before['id']}")).json()
    assert (after["path"], after["filename"], after["fingerprint"]) == (
        str(root / "chosen-take.mp4"),
        "chosen-take.mp4",
        before["fingerprint"],
    )


async def test_deleting_a_video_is_a_video_removed_event(
    live_server: LiveServer, client: httpx.AsyncClient, root: Path, distinct_clips: list[Path]
) -> None:
    """DELETE publishes video_removed naming the video, with no job."""
    copy_as(distinct_clips[0], root / "clip.mp4")
    await scan(live_server, client, root)
    [video] = (await videos(client)).values()

    async with open_websocket_url(live_server.ws_url) as ws:
        await subscribed(live_server.service.hub, 1)
        assert (await client.delete(f"/api/v1/videos/{video['id']}")).status_code == 204
        event = await next_of(ws, EventType.VIDEO_REMOVED)

    assert event["payload"] == {"video_ids": [video["id"]], "job_id": None}
    assert event["correlation_id"] is None


# -- purge-missing ---------------------------------------------------------------------------------


@pytest.fixture
async def half_missing(
    live_server: LiveServer, client: httpx.AsyncClient, root: Path, distinct_clips: list[Path]
) -> dict[str, dict[str, Any]]:
    """Five videos with thumbnails, by file name; old/a, old/sub/b and c are missing now."""
    (root / "old" / "sub").mkdir(parents=True)
    (root / "kept").mkdir()
    names = ["old/a.mp4", "old/sub/b.mp4", "c.mp4", "kept/d.mp4", "old/e.mp4"]
    for name, clip in zip(names, distinct_clips, strict=False):
        copy_as(clip, root / name)
    await scan(live_server, client, root)
    await make_thumbnails(live_server, client)
    for name in names[:3]:
        (root / name).unlink()
    result = await scan(live_server, client, root)
    assert result["missing"] == 3
    return await videos(client)


async def thumbnail_exists(video: dict[str, Any]) -> bool:
    return await trio.Path(video["thumbnail_path"]).exists()


async def test_purge_missing_removes_every_missing_entry_and_its_thumbnail(
    live_server: LiveServer, client: httpx.AsyncClient, half_missing: dict[str, dict[str, Any]]
) -> None:
    """The missing entries go (ids in path order), with their thumbnails; /ws names them."""
    gone = [half_missing[name]["id"] for name in ("c.mp4", "a.mp4", "b.mp4")]
    assert all([await thumbnail_exists(half_missing[name]) for name in half_missing])

    async with open_websocket_url(live_server.ws_url) as ws:
        await subscribed(live_server.service.hub, 1)
        response = await client.post("/api/v1/videos/purge-missing", json={})
        event = await next_of(ws, EventType.VIDEO_REMOVED)

    assert response.status_code == 200
    assert response.json() == {"removed": 3, "video_ids": gone}
    assert event["payload"] == {"video_ids": gone, "job_id": None}
    assert sorted(await videos(client)) == ["d.mp4", "e.mp4"]
    for name, video in half_missing.items():
        assert await thumbnail_exists(video) == (name in {"d.mp4", "e.mp4"}), name
    again = await client.post("/api/v1/videos/purge-missing", json={})
    assert again.json() == {"removed": 0, "video_ids": []}


async def test_purge_missing_in_a_folder_keeps_to_it(
    client: httpx.AsyncClient, root: Path, half_missing: dict[str, dict[str, Any]]
) -> None:
    """With a folder, only missing entries in and below it go; a trailing slash is the same."""
    response = await client.post(
        "/api/v1/videos/purge-missing", json={"folder": str(root / "old") + "/"}
    )

    assert response.json() == {
        "removed": 2,
        "video_ids": [half_missing["a.mp4"]["id"], half_missing["b.mp4"]["id"]],
    }
    remaining = await videos(client)
    assert {name: video["missing"] for name, video in remaining.items()} == {
        "c.mp4": True,
        "d.mp4": False,
        "e.mp4": False,
    }


async def test_purge_missing_follows_a_symlinked_folder_to_the_library_paths(
    client: httpx.AsyncClient, root: Path, half_missing: dict[str, dict[str, Any]]
) -> None:
    """A folder named through a symlink means the folder the library knows the files by."""
    (root / "alias").symlink_to(root / "old", target_is_directory=True)

    response = await client.post(
        "/api/v1/videos/purge-missing", json={"folder": str(root / "alias")}
    )

    assert response.json()["removed"] == 2


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param({"folder": "relative/path"}, "absolute", id="relative"),
        pytest.param({"folder": ""}, "folder", id="empty"),
        pytest.param({"folder": "/m/\x00x"}, "absolute", id="nul"),
        pytest.param({"folder": 5}, "folder", id="number"),
        pytest.param({"folder": "/" + "a" * 5000}, "folder", id="too-long"),
        pytest.param({"everything": True}, "everything", id="unknown-field"),
        pytest.param(["/m"], "body", id="array"),
    ],
)
async def test_purge_missing_refuses_a_malformed_request_and_removes_nothing(
    client: httpx.AsyncClient,
    half_missing: dict[str, dict[str, Any]],
    body: Any,
    words: str,
) -> None:
    """A body that is not a purge request is 422 VALIDATION_ERROR naming the problem."""
    response = await client.post("/api/v1/videos/purge-missing", json=body)

    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail["code"] == "VALIDATION_ERROR"
    assert words in detail["message"]
    assert sorted(await videos(client)) == sorted(half_missing)


async def test_purge_missing_without_a_body_is_invalid_json(client: httpx.AsyncClient) -> None:
    """An empty body is not JSON: 422 INVALID_JSON (send {} to purge the whole library)."""
    response = await client.post(
        "/api/v1/videos/purge-missing", content=b"", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"]["code"] == "INVALID_JSON"
