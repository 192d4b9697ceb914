"""The detail view at /videos/{id}: facts, player, path, folder link, history, going back."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, Response, Route, expect

from ..support.media import copy_as
from .conftest import GuiServer, screenshot
from .helpers import (
    fill_library,
    make_media,
    scan,
    settle_thumbnails,
    videos,
    wait_until_live,
)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_media(tmp_path_factory.mktemp("player-media"))


def facts(page: Page, group: str) -> dict[str, str]:
    """The label -> value pairs of one group of facts on the detail view."""
    section = page.locator(f'#video-facts [data-group="{group}"]')
    labels = section.locator("dt").all_inner_texts()
    values = section.locator("dd").all_inner_texts()
    return dict(zip(labels, values, strict=True))


@pytest.fixture(scope="session")
def conform(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A camera-like clip: drop-frame timecode, interlaced, HDR10 tags, two audio streams."""
    target = tmp_path_factory.mktemp("conform") / "A001_C002.mov"
    command = [
        *("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"),
        *("-f", "lavfi", "-i", "testsrc=size=160x120:rate=30000/1001:duration=1.001"),
        *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1"),
        *("-f", "lavfi", "-i", "anullsrc=channel_layout=5.1:sample_rate=48000"),
        *("-map", "0:v", "-map", "1:a", "-map", "2:a", "-t", "1.001"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le"),
        *("-flags", "+ildct+ilme", "-top", "1", "-x264-params", "tff=1"),
        *("-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc"),
        *("-color_range", "tv"),
        *("-c:a:0", "aac", "-ac:a:0", "2", "-c:a:1", "pcm_s24le"),
        *("-timecode", "00:59:59;28", "-metadata:s:a:1", "language=fra"),
        *("-metadata", "make=Example", "-metadata", "model=Cam 1"),
        *("-metadata", "creation_time=2026-01-02T03:04:05Z"),
        str(target),
    ]
    subprocess.run(command, check=True, capture_output=True)
    return target


def open_detail(page: Page, server: GuiServer, name: str) -> dict[str, Any]:
    """From the library, open ``name``'s detail view with the keyboard; its video."""
    [video] = [v for v in videos(server) if v["filename"] == name]
    link = page.get_by_role("link", name=name, exact=True)
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/videos/{video['id']}$"))
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    return video


def test_an_h264_video_plays_in_the_detail_view(
    page: Page, server: GuiServer, media: dict[str, Path]
) -> None:
    """Enter on a card opens its detail view; the player plays it, fed by 206 range answers."""
    copy_as(media["play.mp4"], server.media_root / "play.mp4")
    scan(server)
    settle_thumbnails(server)
    streamed: list[Response] = []
    page.on("response", lambda answer: streamed.append(answer) if "/stream" in answer.url else None)
    page.goto("/library")
    wait_until_live(page)

    video = open_detail(page, server, "play.mp4")

    expect(page.get_by_role("heading", name="play.mp4", level=1)).to_be_focused()
    assert facts(page, "picture")["Stored size"] == "320\N{MULTIPLICATION SIGN}180"
    assert facts(page, "picture")["Codec"] == "h264, Constrained Baseline"
    assert facts(page, "rate")["Rate"] == "25 fps"
    assert facts(page, "timecode")["Duration"] == "00:00:04:00"
    assert facts(page, "timecode")["Frames"] == str(video["duration_frames"])
    assert facts(page, "audio")["Codec"] == "aac, LC"
    assert facts(page, "container")["Size"] == f"{video['file_size'] / 1000:.1f} kB"
    assert facts(page, "container")["Format"] == f"QuickTime / MOV ({video['container']})"
    # A file without colour tags has no colour group.
    expect(page.locator('#video-facts [data-group="colour"]')).to_have_count(0)
    expect(page.locator('#video-facts [data-group="streams"] tbody tr')).to_have_count(2)
    expect(page.locator("#video-path")).to_have_text(video["path"])
    folder = str(Path(video["path"]).parent)
    expect(page.get_by_role("link", name=folder, exact=True)).to_have_attribute(
        "href", f"/library?{urlencode({'folder': folder})}"
    )
    player = page.locator("#player")
    expect(player).to_have_attribute("src", f"/api/v1/videos/{video['id']}/stream")
    expect(page.locator("#player-message")).to_be_hidden()

    page.evaluate(
        "() => { const p = document.getElementById('player'); p.muted = true; p.play(); }"
    )

    page.wait_for_function("() => document.getElementById('player').currentTime > 0.5")
    assert page.evaluate("() => document.getElementById('player').error") is None
    assert streamed
    assert [answer.status for answer in streamed] == [206] * len(streamed)
    assert streamed[0].headers["content-type"] == "video/mp4"
    page.evaluate("() => document.getElementById('player').pause()")
    screenshot(page, "detail")


def test_range_requests_from_the_page_get_206_and_416(
    page: Page, server: GuiServer, media: dict[str, Path]
) -> None:
    """The page's own origin asks for a range and gets 206; past the end it gets 416."""
    copy_as(media["play.mp4"], server.media_root / "play.mp4")
    scan(server)
    [video] = videos(server)
    page.goto("/library")
    url = f"/api/v1/videos/{video['id']}/stream"

    part = page.request.get(url, headers={"Range": "bytes=10-19"})
    past = page.request.get(url, headers={"Range": f"bytes={video['file_size']}-"})

    assert part.status == 206
    assert part.headers["content-range"] == f"bytes 10-19/{video['file_size']}"
    assert part.body() == media["play.mp4"].read_bytes()[10:20]
    assert past.status == 416
    assert (
        past.json()["detail"]["code"] == server.vocabulary()["error_codes"]["RANGE_NOT_SATISFIABLE"]
    )


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("prores.mov", "its video is Apple ProRes (prores), which browsers do not decode"),
        ("mpeg2.mkv", "its video is MPEG-2 (mpeg2video), which browsers do not decode"),
        ("mpeg4_mp3.avi", "its container (avi) is not one a browser plays"),
    ],
)
def test_a_video_the_browser_cannot_decode_says_so(
    page: Page,
    server: GuiServer,
    media: dict[str, Path],
    samples: dict[str, Path],
    name: str,
    reason: str,
) -> None:
    """ProRes, MPEG-2 and AVI: a plain message instead of a player, and no stream requested."""
    source = media.get(name) or samples[name]
    copy_as(source, server.media_root / name)
    scan(server)
    requested: list[str] = []
    page.on(
        "request",
        lambda request: requested.append(request.url) if "/stream" in request.url else None,
    )
    page.goto("/library")
    wait_until_live(page)

    open_detail(page, server, name)

    message = page.locator("#player-message")
    expect(message).to_have_text(
        f"This browser cannot play this file: {reason}. Open it in a player or editor that can."
    )
    expect(page.locator("#player")).to_be_hidden()
    expect(page.locator("#player")).to_have_attribute("data-state", "unsupported")
    assert requested == []
    if name == "prores.mov":
        screenshot(page, "detail-cannot-play")


def test_a_file_gone_from_disk_is_reported_by_the_player(
    page: Page, server: GuiServer, media: dict[str, Path]
) -> None:
    """A playable file deleted since its scan: the media element fails, the server says why."""
    copy_as(media["play.mp4"], server.media_root / "play.mp4")
    scan(server)
    [video] = videos(server)
    (server.media_root / "play.mp4").unlink()
    page.goto(f"/videos/{video['id']}")
    wait_until_live(page)

    expect(page.locator("#player-message")).to_have_text(
        f"The file cannot be played: the file is not there any more: {video['path']}."
    )
    expect(page.locator("#player")).to_have_attribute("data-state", "error")


def test_every_technical_field_is_shown_as_the_api_gives_it(
    page: Page, server: GuiServer, conform: Path
) -> None:
    """Drop-frame timecode, interlacing, HDR colour, two audio streams: the exact texts shown."""
    copy_as(conform, server.media_root / "A001_C002.mov")
    scan(server)
    [video] = videos(server)
    detail = server.get(f"/api/v1/videos/{video['id']}")
    page.goto(f"/videos/{video['id']}")
    wait_until_live(page)
    expect(page.get_by_role("heading", name="A001_C002.mov", level=1)).to_be_visible()

    assert facts(page, "timecode") == {
        "In": "00:59:59;28",
        "Out": "01:00:00;28",
        "Counting": "drop-frame",
        "Duration": "00:00:01:00",
        "Frames": "30",
        "Seconds": f"{detail['duration_seconds']:.3f} s",
    }
    assert facts(page, "rate") == {
        "Rate": "29.97 fps (30000/1001)",
        "Variable frame rate": "no",
        "Scan": "interlaced, top field first",
    }
    assert facts(page, "picture") == {
        "Codec": "h264, High 10",
        "Stored size": "160\N{MULTIPLICATION SIGN}120",
        "Display size": "160\N{MULTIPLICATION SIGN}120",
        "Sample aspect ratio": "1:1",
        "Display aspect ratio": "4:3",
        "Rotation": "0°",
        "Pixel format": "yuv420p10le",
        "Bit depth": "10 bit",
        "Chroma subsampling": "4:2:0",
    }
    assert facts(page, "colour") == {
        "HDR": "HDR10",
        "Range": "limited",
        "Space": "bt2020nc",
        "Primaries": "bt2020",
        "Transfer": "smpte2084",
    }
    first, second = (s for s in detail["technical"]["streams"] if s["kind"] == "audio")
    expect(page.locator('#video-facts [data-group="audio"] h2')).to_have_text("Audio 1 of 2")
    assert facts(page, "audio") == {
        "Stream": "#1",
        "Codec": "aac, LC",
        "Layout": "stereo",
        "Channels": "2",
        "Sample rate": "48 kHz",
        "Sample format": "fltp",
        "Bit rate": f"{round(first['bit_rate'] / 1000)} kb/s",
    }
    assert second["bit_rate"] == 6_912_000
    assert facts(page, "audio-2") == {
        "Stream": "#2",
        "Codec": "pcm_s24le",
        "Layout": "5.1",
        "Channels": "6",
        "Sample rate": "48 kHz",
        "Bit depth": "24 bit",
        "Sample format": "s32",
        "Bit rate": "6.9 Mb/s",
        "Language": "fra",
    }
    container = detail["technical"]["container"]
    created = page.evaluate("(iso) => new Date(iso).toLocaleString()", container["creation_time"])
    assert facts(page, "container") == {
        "Format": "QuickTime / MOV (mov,mp4,m4a,3gp,3g2,mj2)",
        "Duration": f"{container['duration_seconds']:.3f} s",
        "Size": f"{video['file_size'] / 1000:.1f} kB",
        "Bit rate": f"{container['bit_rate'] / 1e6:.1f} Mb/s",
        "Start time": "0.000 s",
        "Created": created,
        "Make": "Example",
        "Model": "Cam 1",
        "Encoder": container["encoder"],
    }
    assert datetime.fromisoformat(container["creation_time"]) == datetime(
        2026, 1, 2, 3, 4, 5, tzinfo=UTC
    )
    assert container["encoder"].startswith("Lavf")
    rows = page.locator('#video-facts [data-group="streams"] tbody tr')
    expect(rows).to_have_count(4)
    cells = [rows.nth(n).locator("td").all_inner_texts() for n in range(4)]
    assert cells == [
        [
            "0",
            "video",
            "h264, High 10",
            "160\N{MULTIPLICATION SIGN}120 · 29.97 fps (30000/1001) · yuv420p10le · "
            "interlaced, top field first · HDR10",
        ],
        ["1", "audio", "aac, LC", "stereo · 48 kHz"],
        ["2", "audio", "pcm_s24le", "5.1 · 48 kHz · 24 bit · fra"],
        ["3", "data", "—", "tmcd · timecode 00:59:59;28 · eng"],
    ]
    screenshot(page, "detail-full-metadata")


def test_a_video_stored_without_technical_metadata_shows_its_own_fields(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """A video an older version stored (technical null) shows the video's own fields."""
    copy_as(samples["h264_aac.mp4"], server.media_root / "clip.mp4")
    scan(server)
    [video] = videos(server)
    older = {**server.get(f"/api/v1/videos/{video['id']}"), "technical": None}

    def fulfil(route: Route) -> None:
        route.fulfill(json=older)

    page.route(f"**/api/v1/videos/{video['id']}", fulfil)
    page.goto(f"/videos/{video['id']}")
    wait_until_live(page)
    expect(page.get_by_role("heading", name="clip.mp4", level=1)).to_be_visible()

    assert facts(page, "picture")["Codec"] == "h264"
    assert facts(page, "picture")["Stored size"] == "64\N{MULTIPLICATION SIGN}48"
    assert facts(page, "rate")["Rate"] == "29.97 fps (30000/1001)"
    assert facts(page, "audio") == {
        "Codec": "aac",
        "Layout": "mono",
        "Channels": "1",
        "Sample rate": "44.1 kHz",
    }
    assert facts(page, "container")["Format"] == video["container"]
    expect(page.locator('#video-facts [data-group="streams"]')).to_have_count(0)


def test_back_returns_to_the_same_page_and_place(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """From page 2, scrolled down, a video and back: same page, same scroll, focus on its card."""
    fill_library(server, samples["h264_aac.mp4"], 30)
    scan(server)
    page.set_viewport_size({"width": 1280, "height": 500})
    page.goto("/library?page=2&per=12")
    wait_until_live(page)
    names = page.locator("#video-grid .card .open")
    expect(names).to_have_count(12)
    last = names.last
    last.scroll_into_view_if_needed()
    scrolled = page.evaluate("() => window.scrollY")
    assert scrolled > 200
    name = last.inner_text()

    last.click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    assert page.evaluate("() => window.scrollY") == 0
    page.go_back()

    expect(page).to_have_url(re.compile(r"/library\?page=2&per=12$"))
    expect(page.get_by_role("link", name=name, exact=True)).to_be_focused()
    assert page.evaluate("() => window.scrollY") == scrolled

    # The view's own Back link does the same.
    page.get_by_role("link", name=name, exact=True).click()
    page.get_by_role("link", name="← Back to the library").click()
    expect(page).to_have_url(re.compile(r"/library\?page=2&per=12$"))
    expect(page.get_by_role("link", name=name, exact=True)).to_be_focused()
    assert page.evaluate("() => window.scrollY") == scrolled


def test_a_deep_link_and_its_folder_link(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """A /videos/{id} link opens by itself; its folder link lists that folder's videos."""
    fill_library(server, samples["h264_aac.mp4"], 2, folder="shoot/day1")
    copy_as(samples["vp9_opus.webm"], server.media_root / "elsewhere.webm")
    scan(server)
    settle_thumbnails(server)
    [video] = [v for v in videos(server) if v["filename"] == "clip_02.mp4"]

    page.goto(f"/videos/{video['id']}")
    wait_until_live(page)
    expect(page.get_by_role("heading", name="clip_02.mp4", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="← Back to the library")).to_have_attribute(
        "href", "/library"
    )
    history = page.locator("#video-job-list li")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("thumbnails")
    expect(history.last).to_contain_text("scan")

    folder = str(Path(video["path"]).parent)
    page.get_by_role("link", name=folder, exact=True).click()

    expect(page).to_have_url(re.compile(r"/library\?folder="))
    expect(page.locator("#folder-filter-path")).to_have_text(folder)
    # The folder's videos in the library's own order (newest first); which is newer varies.
    expect(page.locator("#video-grid .card")).to_have_count(2)
    assert sorted(page.locator("#video-grid .card .open").all_text_contents()) == [
        "clip_01.mp4",
        "clip_02.mp4",
    ]


def test_duplicates_and_job_history_link_to_their_views(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """A copied file lists its copy (a link to its view); each covering job links to itself."""
    (server.media_root / "backup").mkdir()
    copy_as(samples["h264_aac.mp4"], server.media_root / "take.mp4")
    copy_as(samples["h264_aac.mp4"], server.media_root / "backup" / "take copy.mp4")
    copy_as(samples["vp9_opus.webm"], server.media_root / "other.webm")
    first = scan(server)
    settle_thumbnails(server)
    by_name = {v["filename"]: v for v in videos(server)}
    take, copy = by_name["take.mp4"], by_name["take copy.mp4"]
    again = scan(server, server.media_root / "backup")
    [thumbnails] = [j for j in server.get("/api/v1/jobs")["jobs"] if j["kind"] == "thumbnails"]

    page.goto(f"/videos/{take['id']}")
    wait_until_live(page)

    copies = page.locator("#duplicate-list a")
    expect(copies).to_have_text([copy["path"]])
    expect(copies).to_have_attribute("href", f"/videos/{copy['id']}")
    history = page.locator("#video-job-list li")
    expect(history).to_have_count(2)
    assert history.evaluate_all("(items) => items.map((item) => item.dataset.jobId)") == [
        thumbnails["job_id"],
        first["job_id"],
    ]
    expect(history.first.get_by_role("link")).to_have_attribute(
        "href", f"/jobs?kind={thumbnails['kind']}"
    )
    expect(history.last.get_by_role("link")).to_have_text(f"{first['kind']} · {first['status']}")

    copies.first.click()
    expect(page).to_have_url(re.compile(rf"/videos/{copy['id']}$"))
    expect(page.get_by_role("heading", name="take copy.mp4", level=1)).to_be_focused()
    expect(page.locator("#duplicate-list a")).to_have_text([take["path"]])
    # The copy's folder was scanned again: that scan heads its history, then the first one.
    expect(history).to_have_count(3)
    assert history.evaluate_all("(items) => items.map((item) => item.dataset.jobId)") == [
        again["job_id"],
        thumbnails["job_id"],
        first["job_id"],
    ]
    history.first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/scan\?job={again['job_id']}$"))
    expect(page.locator("#scan-result")).to_be_visible()


def test_the_job_history_follows_new_jobs_live(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """A scan of the video's folder started elsewhere joins its history as it runs and ends."""
    (server.media_root / "day1").mkdir()
    (server.media_root / "day2").mkdir()
    copy_as(samples["h264_aac.mp4"], server.media_root / "day1" / "clip.mp4")
    first = scan(server)
    settle_thumbnails(server)
    [video] = videos(server)
    page.goto(f"/videos/{video['id']}")
    wait_until_live(page)
    history = page.locator("#video-job-list li")
    expect(history).to_have_count(2)

    elsewhere = scan(server, server.media_root / "day2")
    again = scan(server, server.media_root / "day1")

    expect(history).to_have_count(3)
    expect(history.first).to_have_attribute("data-job-id", again["job_id"])
    expect(history.first.get_by_role("link")).to_have_text(f"{again['kind']} · {again['status']}")
    expect(history.last).to_have_attribute("data-job-id", first["job_id"])
    expect(page.locator(f'#video-job-list li[data-job-id="{elsewhere["job_id"]}"]')).to_have_count(
        0
    )


def test_copy_path_puts_the_path_on_the_clipboard(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """Copy path writes the exact path to the clipboard and says so."""
    copy_as(samples["h264_aac.mp4"], server.media_root / "clip.mp4")
    scan(server)
    [video] = videos(server)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"/videos/{video['id']}")
    wait_until_live(page)

    page.get_by_role("button", name="Copy path").click()

    expect(page.locator("#copy-status")).to_have_text("Copied.")
    assert page.evaluate("() => navigator.clipboard.readText()") == video["path"]


def test_unknown_video_and_unknown_address_show_friendly_pages(
    page: Page, server: GuiServer
) -> None:
    """An unknown id says the video is not found; an unknown address gets the not-found view."""
    answer = page.goto("/videos/no-such-video")
    wait_until_live(page)
    assert answer is not None
    assert answer.status == 200
    expect(page.get_by_role("heading", name="Video not found", level=1)).to_be_visible()
    expect(page.locator("#video-error")).to_contain_text("There is no video no-such-video")

    missing = page.goto("/no/such/page?x=1")
    wait_until_live(page)
    assert missing is not None
    assert missing.status == 404
    expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
    expect(page.locator("#notfound-path")).to_have_text("/no/such/page")
    screenshot(page, "not-found")
    page.get_by_role("link", name="Go to the library").click()
    expect(page.get_by_role("heading", name="Library", level=1)).to_be_visible()


def test_an_unknown_scan_job_shows_the_error_not_loading(page: Page, server: GuiServer) -> None:
    """/scan?job=<unknown> says there is no such job, and nothing says Loading… any more."""
    page.goto("/scan?job=0123456789abcdef")
    wait_until_live(page)

    expect(page.locator("#scan-watch-error")).to_have_text("There is no job 0123456789abcdef.")
    expect(page.get_by_role("dialog", name="Scan not found")).to_be_visible()
    expect(page.get_by_text("Loading…")).to_have_count(0)
    expect(page.locator("#scan-bar")).to_be_hidden()
