"""The duplicates view, and exports of the view and of a selection as downloads."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, Route, expect

from ..support.media import copy_as
from .conftest import GuiServer, screenshot
from .helpers import scan, videos, wait_until_live


def test_duplicates_view_lists_groups_largest_first(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """Copies of one content form a group, largest file first; each copy opens its detail view."""
    big, small = sorted(
        (samples["h264_vorbis.mkv"], samples["mjpeg_pcm.mov"]),
        key=lambda path: -path.stat().st_size,
    )
    for folder in ("card", "backup"):
        (server.media_root / folder).mkdir()
        copy_as(big, server.media_root / folder / big.name)
        copy_as(small, server.media_root / folder / small.name)
    copy_as(small, server.media_root / f"copy of {small.name}")
    copy_as(samples["h264_aac.mp4"], server.media_root / "alone.mp4")
    scan(server)
    page.goto("/library")
    wait_until_live(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Duplicates").click()

    expect(page).to_have_url(re.compile(r"/duplicates$"))
    expect(page.get_by_role("heading", name="Duplicates", level=1)).to_be_focused()
    groups = page.locator("#dupes-groups > li")
    expect(groups).to_have_count(2)
    expect(groups.locator("h2")).to_have_text(
        [
            re.compile(rf"^2 copies of {re.escape(big.name)} · "),
            re.compile(rf"^3 copies of {re.escape(small.name)} · "),
        ]
    )
    root = server.media_root
    expect(groups.nth(1).get_by_role("link")).to_have_text(
        sorted(
            str(root / relative)
            for relative in (f"backup/{small.name}", f"card/{small.name}", f"copy of {small.name}")
        )
    )
    expect(page.locator("#dupes-summary")).to_have_text("2 groups of copies")
    screenshot(page, "duplicates")
    target = str(root / "card" / big.name)
    groups.first.get_by_role("link", name=target).click()
    expect(page.get_by_role("heading", name=big.name, level=1)).to_be_visible()
    page.go_back()
    expect(groups).to_have_count(2)


def test_export_of_the_view_downloads_its_filtered_videos(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """The view's CSV export carries its folder filter: the file lists exactly that folder."""
    for folder, name in (("a", "h264_aac.mp4"), ("a", "vp9_opus.webm"), ("b", "mjpeg_pcm.mov")):
        (server.media_root / folder).mkdir(exist_ok=True)
        copy_as(samples[name], server.media_root / folder / name)
    scan(server)
    folder = str(server.media_root / "a")
    page.goto(f"/library?folder={folder}&sort=filename")
    wait_until_live(page)
    expect(page.locator("#video-grid .card")).to_have_count(2)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export this view as CSV").click()

    download = download_info.value
    assert download.suggested_filename == "videos.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert [row["filename"] for row in rows] == ["h264_aac.mp4", "vp9_opus.webm"]
    assert {row["directory"] for row in rows} == {folder}


def test_export_of_a_selection_downloads_just_those(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """JSON and OTIO exports of two selected videos hold those two, in path order."""
    for name in ("h264_aac.mp4", "vp9_opus.webm", "mjpeg_pcm.mov", "h264_vorbis.mkv"):
        copy_as(samples[name], server.media_root / name)
    scan(server)
    page.goto("/library?sort=path")
    wait_until_live(page)
    boxes = page.locator("#video-grid .card .pick")
    expect(boxes).to_have_count(4)
    boxes.nth(3).check()
    boxes.nth(0).check()
    expect(page.locator("#selection-count")).to_have_text("2 videos selected")
    shown = [v for v in sorted(videos(server), key=lambda v: v["path"])]
    chosen = [shown[0], shown[3]]

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export the selection as JSON").click()

    download = download_info.value
    assert download.suggested_filename == "videos.json"
    exported = json.loads(Path(download.path()).read_text())
    assert [v["id"] for v in exported] == [v["id"] for v in chosen]
    assert "technical" in exported[0]
    expect(page.locator("#bulk-status")).to_have_text("Exported 2 videos as videos.json.")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export the selection as OTIO").click()
    assert download_info.value.suggested_filename == "videos.otio"
    document = json.loads(Path(download_info.value.path()).read_text())
    assert [clip["name"] for clip in document["children"]] == [v["filename"] for v in chosen]


def test_duplicates_are_paged_by_number(page: Page, server: GuiServer) -> None:
    """Past 20 groups the view has numbered pages; each asks the API for its own groups."""
    asked: list[str] = []

    def many(route: Route) -> None:
        asked.append(route.request.url)
        answer = route.fetch()
        body = answer.json()
        body["total"] = 45
        route.fulfill(response=answer, body=json.dumps(body))

    page.route(re.compile(r"/api/v1/videos/duplicates\?"), many)
    page.goto("/duplicates")
    wait_until_live(page)
    pager = page.get_by_role("navigation", name="Duplicate pages")
    expect(pager.get_by_role("link")).to_have_text(["1", "2", "3", "Next"])

    pager.get_by_role("link", name="Duplicates page 3").click()

    expect(page).to_have_url(re.compile(r"/duplicates\?page=3$"))
    expect(pager.get_by_role("link")).to_have_text(["Previous", "1", "2", "3"])
    # The library has no copies: only the total was made up.
    expect(page.locator("#dupes-summary")).to_have_text("No groups on this page; 45 in all")
    assert [parse_qs(urlsplit(url).query)["offset"] for url in asked] == [["0"], ["40"]]
