"""``/api/v1/videos``: listing, one video, deleting, searching, and submitting scans."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from stoat_ferret.api.guard import MAX_BODY
from stoat_ferret.settings import Settings
from stoat_ferret.timestamps import format_timestamp, utc_now

from ..conftest import LiveServer
from ..support.media import copy_as
from ..support.prober import FakeProber
from ..support.waiting import wait_for_spawns

CONTRACT_FIELDS = {
    "id",
    "path",
    "filename",
    "duration_frames",
    "frame_rate_numerator",
    "frame_rate_denominator",
    "width",
    "height",
    "video_codec",
    "audio_codec",
    "file_size",
    "thumbnail_path",
    "created_at",
    "updated_at",
}

#: Library layout for the search tests: path below the media root -> sample it copies.
SEARCH_LAYOUT = {
    "holiday/beach_58213.mp4": "h264_aac.mp4",
    "holiday/mountain_trip.mkv": "h264_vorbis.mkv",
    "office/standup_meeting.mp4": "h264_aac.mp4",
    "office/beach_offsite.webm": "vp9_opus.webm",
}


@pytest.fixture
def settings(make_settings: Callable[..., Settings], prober: FakeProber) -> Settings:
    return make_settings(ffprobe_path=str(prober.path))


async def scan(live_server: LiveServer, client: httpx.AsyncClient, path: Path) -> dict[str, Any]:
    """Scan ``path`` to completion; return the job's result as the API shows it."""
    response = await client.post("/api/v1/videos/scan", json={"path": str(path)})
    assert response.status_code == 202, response.text
    with trio.fail_after(30):
        job = await live_server.service.runner.wait(response.json()["job_id"])
    assert job.status == "complete"
    assert job.result is not None
    return job.result.to_wire()


@pytest.fixture
async def search_library(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    media_root: Path,
    real_root: str,
) -> Path:
    """The media root, scanned, holding ``SEARCH_LAYOUT``."""
    for relative, sample in SEARCH_LAYOUT.items():
        target = media_root / relative
        target.parent.mkdir(exist_ok=True)
        copy_as(samples[sample], target)
    result = await scan(live_server, client, media_root)
    assert result["new"] == len(SEARCH_LAYOUT)
    return Path(real_root)


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail"}
    detail: dict[str, Any] = body["detail"]
    assert detail["code"] == code
    assert isinstance(detail["message"], str)
    assert detail["message"]
    return detail


# -- listing, one video, deleting -----------------------------------------------------------


def newest_first(videos: list[dict[str, Any]]) -> list[str]:
    """File names in the default order: ``created_at`` descending, then path."""
    by_path = sorted(videos, key=lambda v: v["path"])
    return [v["filename"] for v in sorted(by_path, key=lambda v: v["created_at"], reverse=True)]


async def test_list_pages_through_the_library_newest_first(
    live_server: LiveServer, client: httpx.AsyncClient, samples: dict[str, Path], media_root: Path
) -> None:
    """Listing returns a page newest first (then by path), with the total, limit and offset."""
    for name, path in samples.items():
        copy_as(path, media_root / name)
    await scan(live_server, client, media_root)

    body = (await client.get("/api/v1/videos")).json()
    assert set(body) == {
        "videos",
        "total",
        "total_exact",
        "limit",
        "offset",
        "sort",
        "order",
        "next",
    }
    assert (body["sort"], body["order"], body["total_exact"]) == ("created", "desc", True)
    assert (body["total"], body["limit"], body["offset"]) == (len(samples), 20, 0)
    everything = [v["filename"] for v in body["videos"]]
    assert sorted(everything) == sorted(samples)
    assert everything == newest_first(body["videos"])

    pages = []
    for offset in range(0, len(samples), 4):
        page = (await client.get(f"/api/v1/videos?limit=4&offset={offset}")).json()
        assert (page["total"], page["limit"], page["offset"]) == (len(samples), 4, offset)
        pages.append([v["filename"] for v in page["videos"]])
    assert pages == [everything[:4], everything[4:]]

    past_the_end = (await client.get("/api/v1/videos?offset=100")).json()
    assert (past_the_end["videos"], past_the_end["total"]) == ([], len(samples))


async def test_a_newly_scanned_video_is_listed_first(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    media_root: Path,
) -> None:
    """Without a sort, the video added last comes first, whatever its path."""
    (media_root / "a").mkdir()
    (media_root / "z").mkdir()
    copy_as(samples["h264_aac.mp4"], media_root / "z" / "older.mp4")
    await scan(live_server, client, media_root / "z")
    [older] = (await client.get("/api/v1/videos")).json()["videos"]
    # Timestamps are kept to the millisecond: let the clock pass the first video's.
    while format_timestamp(utc_now()) <= older["created_at"]:  # noqa: ASYNC110 - the clock
        await trio.sleep(0.001)
    copy_as(samples["h264_aac.mp4"], media_root / "a" / "newer.mp4")
    await scan(live_server, client, media_root / "a")

    body = (await client.get("/api/v1/videos")).json()
    assert [v["filename"] for v in body["videos"]] == ["newer.mp4", "older.mp4"]
    second_page = (await client.get("/api/v1/videos?limit=1&offset=1")).json()
    assert [v["filename"] for v in second_page["videos"]] == ["older.mp4"]


async def test_empty_library_lists_nothing(client: httpx.AsyncClient) -> None:
    """A fresh library lists no videos and a total of zero."""
    response = await client.get("/api/v1/videos")
    assert response.status_code == 200
    assert response.json() == {
        "videos": [],
        "total": 0,
        "total_exact": True,
        "limit": 20,
        "offset": 0,
        "sort": "created",
        "order": "desc",
        "next": None,
    }


async def test_video_fields_hold_what_ffprobe_found(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    media_root: Path,
    real_root: str,
) -> None:
    """A video carries the contract's fields, with exact values for a known sample."""
    target = copy_as(samples["h264_aac.mp4"], media_root / "clip.mp4")
    await scan(live_server, client, media_root)
    (listed,) = (await client.get("/api/v1/videos")).json()["videos"]

    response = await client.get(f"/api/v1/videos/{listed['id']}")
    assert response.status_code == 200
    video = response.json()
    # One video's answer is the list's entry plus its whole technical metadata.
    assert "technical" not in listed
    assert {key: value for key, value in video.items() if key != "technical"} == listed
    assert [stream["kind"] for stream in video["technical"]["streams"]] == ["video", "audio"]
    assert set(video) >= CONTRACT_FIELDS
    assert isinstance(video["id"], str)
    assert video["id"]
    expected = {
        "path": os.path.join(real_root, "clip.mp4"),
        "filename": "clip.mp4",
        "duration_frames": 30,
        "duration_seconds": 1.001,
        "frame_rate_numerator": 30000,
        "frame_rate_denominator": 1001,
        "width": 64,
        "height": 48,
        "video_codec": "h264",
        "audio_codec": "aac",
        "container": "mov,mp4,m4a,3gp,3g2,mj2",
        "file_size": target.stat().st_size,
        "thumbnail_path": None,
        "missing": False,
        "missing_since": None,
    }
    assert {key: video[key] for key in expected} == expected
    assert video["created_at"].endswith("Z")
    assert video["created_at"] == video["updated_at"] == video["probed_at"]


async def test_one_video_carries_the_technical_metadata_editors_conform_by(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    corpus: dict[str, Path],
    media_root: Path,
    real_root: str,
) -> None:
    """A camera MOV's timecode, rotation and streams come back in brief and in full."""
    copy_as(corpus["camera.mov"], media_root / "A001_C002.mov")
    await scan(live_server, client, media_root)
    (listed,) = (await client.get("/api/v1/videos")).json()["videos"]
    brief = {
        "start_timecode": "01:00:00;00",
        "rotation": 90,
        "field_order": "progressive",
        "interlaced": False,
        "pixel_format": "yuv420p",
        "bit_depth": 8,
        "hdr_format": None,
        "audio_channels": 2,
        "audio_layout": "stereo",
    }
    assert {key: listed[key] for key in brief} == brief
    assert (listed["display_width"], listed["display_height"]) == (
        listed["height"],
        listed["width"],
    )
    assert listed["directory"] == real_root

    detail = (await client.get(f"/api/v1/videos/{listed['id']}")).json()
    technical = detail["technical"]
    assert technical["container"]["start_timecode"] == "01:00:00;00"
    assert technical["container"]["format_name"] == "mov,mp4,m4a,3gp,3g2,mj2"
    kinds = [stream["kind"] for stream in technical["streams"]]
    assert kinds == ["video", "audio", "data"]
    video_stream = technical["streams"][0]
    assert (video_stream["r_frame_rate"], video_stream["rotation"]) == ("30000/1001", 90)
    assert technical["streams"][2]["timecode"] == "01:00:00;00"


async def test_silent_video_has_no_audio_codec(
    live_server: LiveServer, client: httpx.AsyncClient, samples: dict[str, Path], media_root: Path
) -> None:
    """A video without sound has audio_codec null."""
    copy_as(samples["silent.m4v"], media_root / "quiet.m4v")
    await scan(live_server, client, media_root)
    (video,) = (await client.get("/api/v1/videos")).json()["videos"]
    assert (video["filename"], video["audio_codec"], video["video_codec"]) == (
        "quiet.m4v",
        None,
        "h264",
    )
    assert (video["frame_rate_numerator"], video["frame_rate_denominator"]) == (60, 1)


async def test_unknown_video_is_not_found(client: httpx.AsyncClient) -> None:
    """GET of an id that is not in the library is 404 NOT_FOUND in the error envelope."""
    detail = assert_error(await client.get("/api/v1/videos/no-such-video"), 404, "NOT_FOUND")
    assert "no-such-video" in detail["message"]


async def test_delete_removes_the_video_everywhere(
    client: httpx.AsyncClient, search_library: Path
) -> None:
    """DELETE answers 204, then the video is gone from get, list and search; again is 404."""
    found = (await client.get("/api/v1/videos/search", params={"q": "beach"})).json()
    assert found["total"] == 2
    doomed = next(v for v in found["videos"] if v["filename"] == "beach_58213.mp4")

    response = await client.delete(f"/api/v1/videos/{doomed['id']}")
    assert response.status_code == 204
    assert response.content == b""

    assert_error(await client.get(f"/api/v1/videos/{doomed['id']}"), 404, "NOT_FOUND")
    listing = (await client.get("/api/v1/videos")).json()
    assert listing["total"] == len(SEARCH_LAYOUT) - 1
    assert doomed["id"] not in {v["id"] for v in listing["videos"]}
    after = (await client.get("/api/v1/videos/search", params={"q": "beach"})).json()
    assert [v["filename"] for v in after["videos"]] == ["beach_offsite.webm"]
    assert after["total"] == 1
    assert (search_library / "holiday" / "beach_58213.mp4").exists()

    assert_error(await client.delete(f"/api/v1/videos/{doomed['id']}"), 404, "NOT_FOUND")


# -- search ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("beach", {"beach_58213.mp4", "beach_offsite.webm"}, id="filename-word"),
        pytest.param("BEACH", {"beach_58213.mp4", "beach_offsite.webm"}, id="any-case"),
        pytest.param("holiday", {"beach_58213.mp4", "mountain_trip.mkv"}, id="directory-word"),
        pytest.param("moun", {"mountain_trip.mkv"}, id="prefix"),
        pytest.param("stand meet", {"standup_meeting.mp4"}, id="two-prefixes"),
        pytest.param("beach holiday", {"beach_58213.mp4"}, id="every-word-must-match"),
        pytest.param("beach 5821", {"beach_58213.mp4"}, id="number-prefix"),
        pytest.param("office beach", {"beach_offsite.webm"}, id="directory-and-name"),
        pytest.param("beach volcano", set(), id="one-word-unmatched"),
        pytest.param("webm", {"beach_offsite.webm"}, id="extension"),
        pytest.param("zebra", set(), id="no-match"),
    ],
)
async def test_search(
    client: httpx.AsyncClient, search_library: Path, query: str, expected: set[str]
) -> None:
    """Search matches every word as a prefix of a word in the file name or its path."""
    response = await client.get("/api/v1/videos/search", params={"q": query})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"videos", "total", "total_exact", "query", "limit", "offset"}
    assert body["query"] == query
    assert {v["filename"] for v in body["videos"]} == expected
    assert body["total"] == len(expected)
    for video in body["videos"]:
        assert set(video) >= CONTRACT_FIELDS


async def test_search_limit_keeps_the_full_total(
    client: httpx.AsyncClient, search_library: Path
) -> None:
    """Search's limit cuts the page, not the total."""
    body = (await client.get("/api/v1/videos/search", params={"q": "beach", "limit": 1})).json()
    assert len(body["videos"]) == 1
    assert body["videos"][0]["filename"] in {"beach_58213.mp4", "beach_offsite.webm"}
    assert body["total"] == 2


# -- submitting scans -----------------------------------------------------------------------


async def test_scan_is_accepted_with_a_job_id(
    live_server: LiveServer, client: httpx.AsyncClient, media_root: Path, real_root: str
) -> None:
    """A scan of an allowed directory is 202 with the new job's id, and nothing else."""
    response = await client.post(
        "/api/v1/videos/scan", json={"path": str(media_root), "recursive": False, "force": True}
    )
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"job_id"}
    with trio.fail_after(30):
        job = await live_server.service.runner.wait(body["job_id"])
    assert job.status == "complete"
    assert job.params == {"path": real_root, "recursive": False, "force": True}


@pytest.mark.parametrize(
    ("make_path", "status", "code", "words"),
    [
        pytest.param(lambda root, tmp: "media", 400, "INVALID_PATH", "absolute", id="relative"),
        pytest.param(lambda root, tmp: "", 400, "INVALID_PATH", "empty", id="empty"),
        pytest.param(
            lambda root, tmp: str(root / "nowhere"), 400, "INVALID_PATH", "no such", id="missing"
        ),
        pytest.param(
            lambda root, tmp: str(root / "file.mp4"), 400, "INVALID_PATH", "not a dir", id="file"
        ),
        pytest.param(
            lambda root, tmp: str(root) + "\x00/x", 400, "INVALID_PATH", "NUL", id="nul-byte"
        ),
        pytest.param(
            lambda root, tmp: str(tmp / "outside"),
            403,
            "PATH_NOT_ALLOWED",
            "outside",
            id="outside",
        ),
        pytest.param(lambda root, tmp: "/", 403, "PATH_NOT_ALLOWED", "outside", id="filesystem"),
        pytest.param(
            lambda root, tmp: str(root / ".." / "outside"),
            403,
            "PATH_NOT_ALLOWED",
            "outside",
            id="dotdot-escape",
        ),
        pytest.param(
            lambda root, tmp: str(root / "inside" / ".." / ".." / "outside"),
            403,
            "PATH_NOT_ALLOWED",
            "outside",
            id="nested-dotdot-escape",
        ),
        pytest.param(
            lambda root, tmp: str(root / "escape"),
            403,
            "PATH_NOT_ALLOWED",
            "outside",
            id="symlink-escape",
        ),
        pytest.param(
            lambda root, tmp: str(tmp / "outside" / "nowhere"),
            403,
            "PATH_NOT_ALLOWED",
            "outside",
            id="missing-outside",
        ),
    ],
)
async def test_scan_refuses_bad_paths(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    media_root: Path,
    tmp_path: Path,
    make_path: Callable[[Path, Path], str],
    status: int,
    code: str,
    words: str,
) -> None:
    """A path that is not an allowed directory is refused with its code, and no job starts."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (media_root / "inside").mkdir()
    (media_root / "file.mp4").write_bytes(b"not scanned")
    (media_root / "escape").symlink_to(outside, target_is_directory=True)
    response = await client.post(
        "/api/v1/videos/scan", json={"path": make_path(media_root, tmp_path)}
    )
    detail = assert_error(response, status, code)
    assert words in detail["message"]
    assert (await client.get("/api/v1/jobs")).json()["total"] == 0
    assert live_server.service.runner.live_count == 0


async def test_symlink_inside_the_root_is_scanned(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    media_root: Path,
    real_root: str,
) -> None:
    """A symlink to a directory that is itself under the root is allowed, as its target."""
    real = media_root / "real"
    real.mkdir()
    copy_as(samples["h264_aac.mp4"], real / "clip.mp4")
    (media_root / "alias").symlink_to(real, target_is_directory=True)
    response = await client.post("/api/v1/videos/scan", json={"path": str(media_root / "alias")})
    assert response.status_code == 202
    with trio.fail_after(30):
        job = await live_server.service.runner.wait(response.json()["job_id"])
    assert job.params["path"] == os.path.join(real_root, "real")
    assert job.result is not None
    assert job.result.to_wire()["new"] == 1


@pytest.mark.parametrize(
    ("body", "content_type", "code", "where"),
    [
        pytest.param(b"{", "application/json", "INVALID_JSON", "not valid JSON", id="bad-json"),
        pytest.param(b"", "application/json", "INVALID_JSON", "not valid JSON", id="empty-body"),
        pytest.param(b"{}", "application/json", "VALIDATION_ERROR", "path", id="missing-path"),
        pytest.param(
            {"path": "ROOT", "recursive": "yes"},
            "application/json",
            "VALIDATION_ERROR",
            "recursive",
            id="recursive-string",
        ),
        pytest.param(
            {"path": "ROOT", "force": 1},
            "application/json",
            "VALIDATION_ERROR",
            "force",
            id="force-number",
        ),
        pytest.param({"path": 5}, "application/json", "VALIDATION_ERROR", "path", id="path-int"),
        pytest.param(
            {"path": ["ROOT"]}, "application/json", "VALIDATION_ERROR", "path", id="path-list"
        ),
        pytest.param({"path": None}, "application/json", "VALIDATION_ERROR", "path", id="null"),
        pytest.param(["ROOT"], "application/json", "VALIDATION_ERROR", "body", id="array-body"),
        pytest.param("ROOT", "application/json", "VALIDATION_ERROR", "body", id="string-body"),
        pytest.param(
            {"path": "ROOT", "deep": True},
            "application/json",
            "VALIDATION_ERROR",
            "deep",
            id="unknown-field",
        ),
        pytest.param(
            {"path": "ROOT"}, "text/plain", "VALIDATION_ERROR", "body", id="text-content-type"
        ),
        pytest.param(
            {"path": "ROOT"},
            "application/x-www-form-urlencoded",
            "VALIDATION_ERROR",
            "body",
            id="form-content-type",
        ),
    ],
)
async def test_scan_rejects_malformed_bodies(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    media_root: Path,
    body: Any,
    content_type: str,
    code: str,
    where: str,
) -> None:
    """A body that is not a well-formed scan request is 422, and no job starts."""
    if not isinstance(body, bytes):
        body = json.dumps(body).replace("ROOT", str(media_root)).encode()
    response = await client.post(
        "/api/v1/videos/scan", content=body, headers={"content-type": content_type}
    )
    detail = assert_error(response, 422, code)
    assert where in detail["message"]
    assert live_server.service.runner.live_count == 0
    assert (await client.get("/api/v1/jobs")).json()["total"] == 0


async def test_oversized_scan_body_is_refused(client: httpx.AsyncClient, media_root: Path) -> None:
    """A scan body over 512 KiB is 413 PAYLOAD_TOO_LARGE, not read."""
    body = json.dumps({"path": str(media_root) + "/" + "a" * MAX_BODY})
    response = await client.post(
        "/api/v1/videos/scan", content=body, headers={"content-type": "application/json"}
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_overlapping_scans_conflict_while_one_runs(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    media_root: Path,
    prober: FakeProber,
) -> None:
    """While a scan runs, a scan of the same, a parent or a child directory is 409."""
    busy = media_root / "busy"
    (busy / "child").mkdir(parents=True)
    copy_as(samples["h264_aac.mp4"], busy / "hang.mp4")
    sibling = media_root / "busy-too"
    sibling.mkdir()
    first = await client.post("/api/v1/videos/scan", json={"path": str(busy)})
    assert first.status_code == 202
    job_id = first.json()["job_id"]
    await wait_for_spawns(prober, 1)
    assert (await client.get(f"/api/v1/jobs/{job_id}")).json()["status"] == "running"

    for path in (busy, str(busy) + "/", busy / "child", busy / "child" / "..", media_root):
        response = await client.post("/api/v1/videos/scan", json={"path": str(path)})
        detail = assert_error(response, 409, "SCAN_IN_PROGRESS")
        assert detail["job_id"] == job_id

    # A directory whose name merely starts with the busy one's does not overlap.
    response = await client.post("/api/v1/videos/scan", json={"path": str(sibling)})
    assert response.status_code == 202
    with trio.fail_after(30):
        assert (await live_server.service.runner.wait(response.json()["job_id"])).status == (
            "complete"
        )

    cancel = await client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert cancel.status_code == 200
    assert cancel.json()["status"] == "cancelled"
    # Refused scans leave no job behind: only the busy scan and the sibling's exist.
    assert (await client.get("/api/v1/jobs")).json()["total"] == 2


async def test_same_directory_can_be_scanned_again_once_finished(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    media_root: Path,
    prober: FakeProber,
) -> None:
    """Once a scan has finished (completed or cancelled), its directory can be scanned again."""
    copy_as(samples["h264_aac.mp4"], media_root / "hang.mp4")
    first = await client.post("/api/v1/videos/scan", json={"path": str(media_root)})
    assert first.status_code == 202
    await wait_for_spawns(prober, 1)
    cancel = await client.post(f"/api/v1/jobs/{first.json()['job_id']}/cancel")
    assert (cancel.status_code, cancel.json()["status"]) == (200, "cancelled")

    (media_root / "hang.mp4").rename(media_root / "clip.mp4")
    result = await scan(live_server, client, media_root)
    assert (result["scanned"], result["new"]) == (1, 1)
    again = await scan(live_server, client, media_root)
    assert (again["scanned"], again["new"], again["unchanged"]) == (1, 0, 1)


async def test_simultaneous_scans_of_one_directory_name_the_accepted_job(
    live_server: LiveServer, client: httpx.AsyncClient, samples: dict[str, Path], media_root: Path
) -> None:
    """Of scans submitted at once for one directory, one is accepted; each 409 names that job."""
    copy_as(samples["h264_aac.mp4"], media_root / "clip.mp4")
    responses: list[httpx.Response] = []

    async def submit() -> None:
        responses.append(await client.post("/api/v1/videos/scan", json={"path": str(media_root)}))

    async with trio.open_nursery() as nursery:
        for _ in range(8):
            nursery.start_soon(submit)

    accepted = [r.json()["job_id"] for r in responses if r.status_code == 202]
    assert len(accepted) == 1
    (job_id,) = accepted
    with trio.fail_after(30):
        assert (await live_server.service.runner.wait(job_id)).status == "complete"
    conflicts = [r for r in responses if r.status_code != 202]
    assert len(conflicts) == 7
    # The job a conflict names must be one a client can look up.
    assert [assert_error(r, 409, "SCAN_IN_PROGRESS")["job_id"] for r in conflicts] == [job_id] * 7
