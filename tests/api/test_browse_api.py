"""Browsing over HTTP: sorts, filters and cursors, folders, duplicates and exports."""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import opentimelineio as otio
import pytest
import trio

from stoat_ferret.api.export import CSV_COLUMNS
from stoat_ferret.scan.fingerprint import fingerprint_file
from stoat_ferret.timecode import Timecode

from ..conftest import LiveServer
from ..support.fingerprints import set_fingerprints
from ..support.media import copy_as
from .test_videos_api import assert_error, scan

#: Library layout: path below the media root -> the generated file it copies.
LAYOUT = {
    "shoot/clip_10.mp4": ("samples", "h264_aac.mp4"),
    "shoot/clip_2.webm": ("samples", "vp9_opus.webm"),
    "shoot/day2/clip_1.mkv": ("samples", "h264_vorbis.mkv"),
    "tapes/xdcam.mxf": ("corpus", "xdcam.mxf"),
    "tapes/camera.mov": ("corpus", "camera.mov"),
    "grade/hdr10.mkv": ("corpus", "hdr10.mkv"),
    "phone/vfr.mp4": ("corpus", "vfr.mp4"),
}


@pytest.fixture
async def browse_library(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    corpus: dict[str, Path],
    media_root: Path,
    real_root: str,
) -> str:
    """The media root, scanned, holding ``LAYOUT``; returns the root as the service sees it."""
    sources = {"samples": samples, "corpus": corpus}
    for relative, (kind, name) in LAYOUT.items():
        target = media_root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        copy_as(sources[kind][name], target)
    result = await scan(live_server, client, media_root)
    assert result["new"] == len(LAYOUT)
    return real_root


async def listed(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/videos", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def names(body: dict[str, Any]) -> list[str]:
    return [v["filename"] for v in body["videos"]]


async def test_sorts_and_orders(client: httpx.AsyncClient, browse_library: str) -> None:
    """sort and order set the list's order and come back in the answer."""
    by_name = await listed(client, sort="filename")
    assert names(by_name) == [
        "camera.mov",
        "clip_1.mkv",
        "clip_2.webm",
        "clip_10.mp4",
        "hdr10.mkv",
        "vfr.mp4",
        "xdcam.mxf",
    ]
    assert (by_name["sort"], by_name["order"]) == ("filename", "asc")
    backwards = await listed(client, sort="filename", order="desc")
    assert names(backwards) == names(by_name)[::-1]
    widest = await listed(client, sort="width")
    widths = [v["width"] for v in widest["videos"]]
    assert widths == sorted(widths, reverse=True)
    assert widest["order"] == "desc"
    slowest = await listed(client, sort="frame_rate", order="asc")
    rates = [
        Fraction(v["frame_rate_numerator"], v["frame_rate_denominator"]) for v in slowest["videos"]
    ]
    assert rates == sorted(rates)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"folder": "ROOT/shoot"}, {"clip_10.mp4", "clip_2.webm", "clip_1.mkv"}),
        ({"folder": "ROOT/shoot", "recursive": "false"}, {"clip_10.mp4", "clip_2.webm"}),
        ({"video_codec": "vp9"}, {"clip_2.webm"}),
        ({"audio_codec": "pcm_s24le"}, {"xdcam.mxf"}),
        ({"interlaced": "true"}, {"xdcam.mxf"}),
        ({"hdr": "true"}, {"hdr10.mkv"}),
        ({"hdr": "HDR10"}, {"hdr10.mkv"}),
        ({"hdr": "HLG"}, set()),
        ({"vfr": "true"}, {"vfr.mp4"}),
        ({"frame_rate": "30000/1001"}, {"clip_10.mp4", "camera.mov"}),
        ({"frame_rate": "25", "folder": "ROOT/shoot"}, {"clip_2.webm"}),
        ({"min_width": "90", "max_width": "100"}, {"clip_1.mkv"}),
        ({"missing": "true"}, set()),
        (
            {"video_codec": "h264", "folder": "ROOT/shoot", "min_duration": "0.9"},
            {"clip_10.mp4", "clip_1.mkv"},
        ),
    ],
)
async def test_filters(
    client: httpx.AsyncClient, browse_library: str, params: dict[str, str], expected: set[str]
) -> None:
    """Each filter, alone and combined, keeps the videos it names; total counts them exactly."""
    params = {k: v.replace("ROOT", browse_library) for k, v in params.items()}
    body = await listed(client, **params)
    assert set(names(body)) == expected
    assert (body["total"], body["total_exact"]) == (len(expected), True)


async def test_a_cursor_pages_through_the_whole_list(
    client: httpx.AsyncClient, browse_library: str
) -> None:
    """Following next two at a time visits every video once, in the list's order."""
    whole = names(await listed(client, sort="duration"))
    seen: list[str] = []
    params: dict[str, Any] = {"sort": "duration", "limit": 2}
    while True:
        body = (await client.get("/api/v1/videos", params=params)).json()
        seen += names(body)
        if body["next"] is None:
            break
        params["after"] = body["next"]
    assert seen == whole


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        (
            {"sort": "colour"},
            "sort",
            "'path', 'filename', 'duration', 'size', 'width', 'frame_rate', 'created' or "
            "'modified'",
        ),
        ({"order": "up"}, "order", "'asc' or 'desc'"),
        ({"hdr": "maybe"}, "hdr", "'true', 'false', 'HDR10' or 'HLG'"),
        ({"frame_rate": "fast"}, "frame_rate", "30000/1001"),
        ({"frame_rate": "25/0"}, "frame_rate", "more than 0"),
        ({"folder": "relative/path"}, "folder", "absolute"),
        ({"min_width": "-1"}, "min_width", "greater than or equal to 0"),
        ({"missing": "perhaps"}, "missing", "boolean"),
        ({"after": "not-a-cursor"}, "after", "not a cursor"),
        ({"after": "x", "offset": "5"}, "after or offset", "not both"),
    ],
)
async def test_bad_values_are_422_naming_what_is_allowed(
    client: httpx.AsyncClient, params: dict[str, str], field: str, words: str
) -> None:
    """An unknown sort, order or filter value is 422 VALIDATION_ERROR naming the allowed ones."""
    for path in ("/api/v1/videos", "/api/v1/videos/search?q=a", "/api/v1/videos/export?format=csv"):
        if ("after" in params and "export" in path) or ("after" in params and "search" in path):
            continue
        if path.endswith("search?q=a") and field in ("sort", "order"):
            continue
        detail = assert_error(await client.get(path, params=params), 422, "VALIDATION_ERROR")
        assert field in detail["message"]
        assert words in detail["message"]


async def test_a_cursor_of_another_sort_is_422(
    client: httpx.AsyncClient, browse_library: str
) -> None:
    """A cursor handed to a list of another sort or direction is refused, saying which it fits."""
    body = await listed(client, sort="size", limit=1)
    response = await client.get(
        "/api/v1/videos", params={"sort": "size", "order": "asc", "after": body["next"]}
    )
    detail = assert_error(response, 422, "VALIDATION_ERROR")
    assert "sort=size&order=desc" in detail["message"]


async def test_search_takes_filters_and_offset(
    client: httpx.AsyncClient, browse_library: str
) -> None:
    """Search keeps the matches the filters keep, and pages by offset."""
    found = (
        await client.get("/api/v1/videos/search", params={"q": "clip", "video_codec": "h264"})
    ).json()
    assert {v["filename"] for v in found["videos"]} == {"clip_10.mp4", "clip_1.mkv"}
    assert (found["total"], found["total_exact"], found["offset"]) == (2, True, 0)
    second = (
        await client.get("/api/v1/videos/search", params={"q": "clip", "limit": 1, "offset": 1})
    ).json()
    whole = (await client.get("/api/v1/videos/search", params={"q": "clip"})).json()
    assert second["videos"] == whole["videos"][1:2]


async def test_folders_form_a_tree_with_counts(
    client: httpx.AsyncClient, browse_library: str
) -> None:
    """The top folder holds everything; each folder below counts its videos and subfolders."""
    top = (await client.get("/api/v1/folders")).json()
    assert top["parent"] is None
    [root] = top["folders"]
    assert (root["path"], root["videos"], root["direct_videos"], root["folders"]) == (
        browse_library,
        len(LAYOUT),
        0,
        4,
    )
    below = (await client.get("/api/v1/folders", params={"parent": browse_library})).json()
    assert below["parent"] == root
    got = {
        f["name"]: (f["videos"], f["direct_videos"], f["missing"], f["folders"])
        for f in below["folders"]
    }
    assert got == {
        "grade": (1, 1, 0, 0),
        "phone": (1, 1, 0, 0),
        "shoot": (3, 2, 0, 1),
        "tapes": (2, 2, 0, 0),
    }
    shoot = os.path.join(browse_library, "shoot")
    assert [f["path"] for f in below["folders"]][2] == shoot
    detail = assert_error(
        await client.get("/api/v1/folders", params={"parent": "x"}), 422, "VALIDATION_ERROR"
    )
    assert "parent" in detail["message"]


async def test_two_copies_of_one_file_are_one_duplicate_group(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    samples: dict[str, Path],
    media_root: Path,
    real_root: str,
) -> None:
    """Two copies of a file, fingerprinted, make one group; a different file is in none."""
    for relative in ("a/take.mp4", "b/take copy.mp4"):
        (media_root / relative).parent.mkdir(exist_ok=True)
        copy_as(samples["h264_aac.mp4"], media_root / relative)
    copy_as(samples["vp9_opus.webm"], media_root / "a" / "other.webm")
    await scan(live_server, client, media_root)
    # Fingerprints as a scan computes them, written into the library's own file.
    copies = [media_root / "a" / "take.mp4", media_root / "b" / "take copy.mp4"]
    paths = [*copies, media_root / "a" / "other.webm"]
    real = [os.path.join(real_root, p.relative_to(media_root)) for p in paths]
    computed = [await trio.to_thread.run_sync(fingerprint_file, str(p)) for p in paths]
    await set_fingerprints(
        live_server.service.library.path, {r: str(f) for r, f in zip(real, computed, strict=True)}
    )
    body = (await client.get("/api/v1/videos/duplicates")).json()
    assert (body["total"], body["limit"], body["offset"]) == (1, 20, 0)
    [group] = body["groups"]
    size = (await trio.Path(media_root / "a" / "take.mp4").stat()).st_size
    assert group["file_size"] == size
    assert group["fingerprint"] == str(computed[0]) == str(computed[1])
    assert [v["path"] for v in group["videos"]] == [
        os.path.join(real_root, "a", "take.mp4"),
        os.path.join(real_root, "b", "take copy.mp4"),
    ]


# -- export ----------------------------------------------------------------------------------


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exports read two videos at a time, so every export here spans several batches."""
    from stoat_ferret.api.routes import videos

    monkeypatch.setattr(videos, "EXPORT_BATCH", 2)


async def test_csv_export(
    client: httpx.AsyncClient, browse_library: str, small_batches: None
) -> None:
    """The CSV export has the documented columns and one row per video, in path order."""
    response = await client.get("/api/v1/videos/export", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="videos.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["path"] for r in rows] == sorted(r["path"] for r in rows)
    assert len(rows) == len(LAYOUT)
    camera = next(r for r in rows if r["filename"] == "camera.mov")
    assert (camera["frame_rate"], camera["start_timecode"], camera["rotation"]) == (
        "30000/1001",
        "01:00:00;00",
        "90",
    )
    assert (camera["missing"], camera["hdr_format"]) == ("false", "")


async def test_json_export_with_a_filter(
    client: httpx.AsyncClient, browse_library: str, small_batches: None
) -> None:
    """The JSON export is one array of videos, each with its technical metadata."""
    response = await client.get(
        "/api/v1/videos/export", params={"format": "json", "folder": f"{browse_library}/shoot"}
    )
    assert response.status_code == 200
    videos = json.loads(response.text)
    assert [v["filename"] for v in videos] == ["clip_10.mp4", "clip_2.webm", "clip_1.mkv"]
    one = (await client.get(f"/api/v1/videos/{videos[0]['id']}")).json()
    assert videos[0] == one
    assert [s["kind"] for s in videos[0]["technical"]["streams"]] == ["video", "audio"]
    empty = await client.get("/api/v1/videos/export", params={"format": "json", "hdr": "HLG"})
    assert json.loads(empty.text) == []


async def test_otio_export_reads_back_with_exact_rates_and_ranges(
    client: httpx.AsyncClient, browse_library: str, small_batches: None
) -> None:
    """The OpenTimelineIO bin reads back: a clip per video, at its rate, from its timecode."""
    response = await client.get("/api/v1/videos/export", params={"format": "otio"})
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="videos.otio"'
    bin_ = otio.adapters.read_from_string(response.text, "otio_json")
    assert isinstance(bin_, otio.schema.SerializableCollection)
    videos = {v["path"]: v for v in (await listed(client))["videos"]}
    clips = list(bin_)
    assert [c.media_reference.target_url for c in clips] == [
        Path(p).as_uri() for p in sorted(videos)
    ]
    for item in clips:
        video = videos[Path(item.media_reference.target_url.removeprefix("file://")).as_posix()]
        rate = Fraction(video["frame_rate_numerator"], video["frame_rate_denominator"])
        assert item.source_range.duration.rate == float(rate)
        assert item.source_range.duration.value == video["duration_frames"]
        assert item.media_reference.available_range == item.source_range
        assert item.metadata["stoat_ferret"]["id"] == video["id"]
    camera = next(c for c in clips if c.name == "camera.mov")
    start = Timecode.parse("01:00:00;00").to_frames(Fraction(30000, 1001))
    assert camera.source_range.start_time.value == start == 107892
    assert otio.opentime.to_timecode(camera.source_range.start_time, 30000 / 1001, True) == (
        "01:00:00;00"
    )


async def test_export_with_a_bad_format_is_422(client: httpx.AsyncClient) -> None:
    """An export format that does not exist is 422 naming the three that do."""
    detail = assert_error(
        await client.get("/api/v1/videos/export", params={"format": "xml"}), 422, "VALIDATION_ERROR"
    )
    assert "'csv', 'json' or 'otio'" in detail["message"]


# -- export of a selection -------------------------------------------------------------------


async def test_export_of_named_videos_in_path_order(
    client: httpx.AsyncClient, browse_library: str, small_batches: None
) -> None:
    """POST export answers the named videos only, once each, in path order, as an attachment."""
    everything = {v["path"]: v for v in (await listed(client))["videos"]}
    wanted = [f"{browse_library}/tapes/xdcam.mxf", f"{browse_library}/grade/hdr10.mkv"]
    wanted.append(f"{browse_library}/shoot/clip_10.mp4")
    ids = [everything[p]["id"] for p in wanted]

    response = await client.post(
        "/api/v1/videos/export", json={"format": "csv", "video_ids": [*ids, ids[0]]}
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="videos.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["path"] for r in rows] == sorted(wanted)
    as_json = await client.post("/api/v1/videos/export", json={"format": "json", "video_ids": ids})
    videos = json.loads(as_json.text)
    assert [v["path"] for v in videos] == sorted(wanted)
    assert videos[0] == (await client.get(f"/api/v1/videos/{videos[0]['id']}")).json()
    as_otio = await client.post("/api/v1/videos/export", json={"format": "otio", "video_ids": ids})
    assert as_otio.headers["content-disposition"] == 'attachment; filename="videos.otio"'
    # The bin is kept in a name: iterating a temporary one frees it under the iteration.
    bin_ = otio.adapters.read_from_string(as_otio.text, "otio_json")
    assert [clip.name for clip in bin_] == [Path(p).name for p in sorted(wanted)]


async def test_export_naming_unknown_videos_is_404_naming_them(
    client: httpx.AsyncClient, browse_library: str
) -> None:
    """Any id not in the library makes the export 404 NOT_FOUND, listing every unknown id."""
    known = (await listed(client))["videos"][0]["id"]
    response = await client.post(
        "/api/v1/videos/export",
        json={"format": "json", "video_ids": ["nope-1", known, "nope-2"]},
    )
    detail = assert_error(response, 404, "NOT_FOUND")
    assert detail["video_ids"] == ["nope-1", "nope-2"]
    assert "'nope-1', 'nope-2'" in detail["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"format": "csv", "video_ids": []},
        {"format": "xml", "video_ids": ["a"]},
        {"format": "csv"},
        {"format": "csv", "video_ids": "a"},
        {"format": "csv", "video_ids": [1]},
        {"format": "csv", "video_ids": [""]},
        {"format": "csv", "video_ids": ["a"], "folder": "/srv"},
        {"format": "csv", "video_ids": ["a"] * 10_001},
    ],
)
async def test_export_of_a_bad_selection_is_422(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    """No ids, too many, a wrong type, an unknown format or field: 422 VALIDATION_ERROR."""
    assert_error(await client.post("/api/v1/videos/export", json=body), 422, "VALIDATION_ERROR")


async def test_export_of_ten_thousand_ids_is_accepted(
    client: httpx.AsyncClient, browse_library: str
) -> None:
    """The limit itself passes: 10,000 ids of the library's own length (about 400 kB of
    JSON, over the 64 KiB bodies once were) reach the handler, which looks each one up."""
    known = (await listed(client))["videos"][0]["id"]
    unknown = [str(uuid.UUID(int=n)) for n in range(1, 10_000)]
    ids = [*unknown[:5_000], known, *unknown[5_000:]]
    body = json.dumps({"format": "csv", "video_ids": ids})
    assert len(body) > 390_000
    response = await client.post(
        "/api/v1/videos/export", content=body, headers={"content-type": "application/json"}
    )
    detail = assert_error(response, 404, "NOT_FOUND")
    assert detail["video_ids"] == unknown
