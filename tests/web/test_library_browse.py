"""Finding and acting on videos: numbered pages, searches with pages, layouts, selection, bulk."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from ..support.media import copy_as
from .conftest import GuiServer, screenshot
from .helpers import fill_library, scan, settle_thumbnails, videos, wait_for_job, wait_until_live

EN_DASH = "\N{EN DASH}"
QUOTED_CLIP = "\N{LEFT DOUBLE QUOTATION MARK}clip\N{RIGHT DOUBLE QUOTATION MARK}"


def test_numbered_pages(page: Page, server: GuiServer, samples: dict[str, Path]) -> None:
    """Pages are numbered links around the current one; the current one is marked."""
    fill_library(server, samples["h264_aac.mp4"], 30)
    scan(server)
    everything = videos(server)
    page.goto("/library?per=3")
    wait_until_live(page)
    pager = page.get_by_role("navigation", name="Pages")

    # Previous leads nowhere from page 1: it is not a link there.
    expect(pager.get_by_role("link")).to_have_text(["1", "2", "3", "10", "Next"])
    expect(pager.locator("#page-prev")).to_have_attribute("aria-disabled", "true")
    expect(pager.get_by_role("link", name="Page 1", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    pager.get_by_role("link", name="Page 10", exact=True).click()

    expect(page).to_have_url(re.compile(r"/library\?page=10&per=3$"))
    expect(page.locator("#library-summary")).to_have_text(f"Videos 28{EN_DASH}30 of 30")
    expect(page.locator("#video-grid .open")).to_have_text([v["filename"] for v in everything[27:]])
    expect(pager.get_by_role("link")).to_have_text(["Previous", "1", "8", "9", "10"])
    expect(pager.get_by_role("link", name="Page 10", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    pager.get_by_role("link", name="Previous").click()
    expect(page).to_have_url(re.compile(r"/library\?page=9&per=3$"))


def test_a_search_has_pages_and_a_total(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """Matches beyond the first page are a page away; the summary gives the total."""
    fill_library(server, samples["h264_aac.mp4"], 30)
    copy_as(samples["vp9_opus.webm"], server.media_root / "other.webm")
    scan(server)
    ranked = server.get("/api/v1/videos/search", q="clip", limit=100)["videos"]
    assert len(ranked) == 30
    page.goto("/library?per=12")
    wait_until_live(page)

    page.get_by_label("Search", exact=True).fill("clip")
    expect(page).to_have_url(re.compile(r"/library\?q=clip&per=12$"))
    expect(page.locator("#library-summary")).to_have_text(
        f"Matches 1{EN_DASH}12 of 30 for {QUOTED_CLIP}"
    )
    page.get_by_role("link", name="Page 2", exact=True).click()

    expect(page).to_have_url(re.compile(r"/library\?q=clip&page=2&per=12$"))
    expect(page.locator("#library-summary")).to_have_text(
        re.compile(rf"^Matches 13{EN_DASH}24 of 30 for ")
    )
    expect(page.locator("#video-grid .open")).to_have_text([v["filename"] for v in ranked[12:24]])
    page.reload()
    expect(page.locator("#video-grid .open")).to_have_text([v["filename"] for v in ranked[12:24]])
    expect(page.get_by_label("Search", exact=True)).to_have_value("clip")


def test_layout_and_density_are_remembered(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """List and Compact stay chosen across a reload; the list shows one row per video."""
    fill_library(server, samples["h264_aac.mp4"], 5)
    scan(server)
    settle_thumbnails(server)
    page.goto("/library")
    wait_until_live(page)
    expect(page.locator("#video-grid .card")).to_have_count(5)

    page.get_by_role("button", name="List").click()
    page.get_by_label("Density", exact=True).select_option("compact")

    rows = page.locator("#video-rows tr")
    expect(rows).to_have_count(5)
    expect(page.locator("#video-grid")).to_be_hidden()
    expect(page.get_by_role("button", name="List")).to_have_attribute("aria-pressed", "true")
    page.reload()
    wait_until_live(page)
    expect(rows).to_have_count(5)
    expect(page.locator("#videos")).to_have_attribute("data-density", "compact")
    expect(page.get_by_label("Density", exact=True)).to_have_value("compact")
    listed = [v["filename"] for v in server.get("/api/v1/videos")["videos"]]
    expect(rows.locator(".open")).to_have_text(listed)
    screenshot(page, "library-list-compact")

    # Enter on a row's name opens the video; Back returns to the list.
    rows.nth(2).locator(".open").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=listed[2], level=1)).to_be_visible()
    page.go_back()
    expect(rows.nth(2).locator(".open")).to_be_focused()
    page.get_by_role("button", name="Grid").click()
    page.get_by_label("Density", exact=True).select_option("comfortable")
    expect(page.locator("#video-grid .card")).to_have_count(5)


def test_keyboard_moves_selects_and_opens(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """Arrows move between cards, Space selects, Shift+Space a range, Ctrl+A all, Esc none."""
    fill_library(server, samples["h264_aac.mp4"], 6)
    scan(server)
    page.goto("/library")
    wait_until_live(page)
    links = page.locator("#video-grid .card .open")
    boxes = page.locator("#video-grid .card .pick")
    count = page.locator("#selection-count")

    links.first.focus()
    page.keyboard.press("ArrowRight")
    expect(links.nth(1)).to_be_focused()
    page.keyboard.press("Space")
    expect(count).to_have_text("1 video selected")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+Space")
    expect(count).to_have_text("3 videos selected")
    assert [box.is_checked() for box in boxes.all()] == [False, True, True, True, False, False]
    page.keyboard.press("End")
    expect(links.last).to_be_focused()
    page.keyboard.press("Control+a")
    expect(count).to_have_text("6 videos selected")
    page.keyboard.press("Escape")
    expect(page.locator("#selection-bar")).to_be_hidden()

    # The box itself: Tab reaches it, Enter and Space toggle it, with a visible focus ring.
    boxes.nth(4).focus()
    page.keyboard.press("Enter")
    expect(count).to_have_text("1 video selected")
    ring = page.evaluate(
        "() => getComputedStyle(document.activeElement.closest('.card')).outlineStyle"
    )
    assert ring == "solid"
    page.keyboard.press("Space")
    expect(page.locator("#selection-bar")).to_be_hidden()

    fourth = server.get("/api/v1/videos")["videos"][3]["filename"]
    links.nth(3).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=fourth, level=1)).to_be_focused()


def test_select_and_remove_entries(page: Page, server: GuiServer, samples: dict[str, Path]) -> None:
    """Click and shift-click select a range; Remove asks first, then deletes only the entries."""
    files = fill_library(server, samples["h264_aac.mp4"], 6)
    scan(server)
    page.goto("/library")
    wait_until_live(page)
    boxes = page.locator("#video-grid .card .pick")
    # The page shows the library in the API's order (newest first).
    shown = [v["path"] for v in videos(server)]
    assert sorted(shown) == [str(f) for f in files]

    boxes.nth(1).click()
    boxes.nth(3).click(modifiers=["Shift"])
    expect(page.locator("#selection-count")).to_have_text("3 videos selected")
    page.get_by_role("button", name="Remove from library…").click()

    dialog = page.get_by_role("dialog", name="Remove 3 videos from the library?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    expect(dialog.locator("#confirm-list li")).to_have_text(shown[1:4])
    screenshot(page, "library-remove-confirm")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert len(videos(server)) == 6

    page.get_by_role("button", name="Remove from library…").click()
    dialog.get_by_role("button", name="Remove").click()

    expect(page.locator("#bulk-status")).to_have_text("Removed 3 videos from the library.")
    kept = [shown[0], *shown[4:]]
    expect(page.locator("#video-grid .card .open")).to_have_text([Path(p).name for p in kept])
    assert [v["path"] for v in videos(server)] == kept
    assert all(f.exists() for f in files)
    expect(page.locator("#selection-count")).to_have_text("Nothing selected")


def test_remake_thumbnails_of_the_selection(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """Remake thumbnails asks for exactly the selected videos, forced."""
    fill_library(server, samples["h264_aac.mp4"], 4)
    scan(server)
    settle_thumbnails(server)
    page.goto("/library")
    wait_until_live(page)
    cards = page.locator("#video-grid .card")
    cards.nth(0).click(modifiers=["Control"])
    cards.nth(2).click(modifiers=["Control"])
    expect(page).to_have_url(re.compile(r"/library$"))

    page.get_by_role("button", name="Remake thumbnails").click()

    expect(page.locator("#bulk-status")).to_contain_text("Remaking 2 thumbnails")
    [job] = [j for j in server.get("/api/v1/jobs")["jobs"] if j["params"].get("force")]
    everything = videos(server)
    assert job["kind"] == server.vocabulary()["job_kind_names"]["THUMBNAILS"]
    assert job["params"] == {"video_ids": [everything[0]["id"], everything[2]["id"]], "force": True}
    assert wait_for_job(server, job["job_id"])["result"]["made"] == 2

    # The report's link opens Jobs showing thumbnail jobs only, this one among them.
    page.locator("#bulk-status").get_by_role("link", name="See it in Jobs").click()
    expect(page).to_have_url(re.compile(rf"/jobs\?kind={job['kind']}$"))
    thumbnail_jobs = server.get("/api/v1/jobs", kind=job["kind"])["jobs"]
    rows = page.locator("#jobs-body tr")
    expect(rows.locator(".kind")).to_have_text([job["kind"]] * len(thumbnail_jobs))
    expect(page.locator(f'#jobs-body tr[data-job-id="{job["job_id"]}"]')).to_have_count(1)


def select_two_scanned_folders(page: Page, server: GuiServer, clip: Path, *, each: int) -> None:
    """``each`` copies of ``clip`` in folders ``a`` and ``b``, scanned, all selected on the page."""
    fill_library(server, clip, each, folder="a")
    fill_library(server, clip, each, folder="b")
    scan(server)
    page.goto("/library")
    wait_until_live(page)
    page.locator("#video-grid .card .open").first.focus()
    page.keyboard.press("Control+a")
    expect(page.locator("#selection-count")).to_have_text(f"{2 * each} videos selected")


@pytest.mark.prober("hang-on=stuck")
def test_rescan_folders_of_the_selection(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """One scan per distinct folder, not recursive; a folder already being scanned says so."""
    select_two_scanned_folders(page, server, samples["h264_aac.mp4"], each=2)
    copy_as(samples["h264_aac.mp4"], server.media_root / "b" / "stuck.mp4")
    running = server.post(
        "/api/v1/videos/scan", {"path": str(server.media_root / "b"), "recursive": False}
    ).json()["job_id"]

    page.get_by_role("button", name="Rescan folders").click()

    status = page.locator("#bulk-status")
    expect(status).to_contain_text("Rescanning 1 folder.")
    expect(status).to_contain_text(f"A scan of {server.media_root / 'b'} is already running.")
    scans = [j for j in server.get("/api/v1/jobs")["jobs"] if j["job_id"] != running]
    new = [j for j in scans if j["params"].get("path") == str(server.media_root / "a")]
    assert len(new) == 1
    assert new[0]["params"]["recursive"] is False
    screenshot(page, "library-bulk-rescan")
    status.get_by_role("button", name="Show that scan").click()
    expect(page).to_have_url(re.compile(rf"/scan\?job={running}$"))
    page.get_by_role("button", name="Abort scan").click()
    expect(page.locator("#scan-result")).to_be_visible()


def test_rescans_of_several_folders_link_to_the_scans_in_jobs(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """With a scan started for each of two folders, the report links to Jobs showing scans."""
    select_two_scanned_folders(page, server, samples["h264_aac.mp4"], each=1)

    page.get_by_role("button", name="Rescan folders").click()

    status = page.locator("#bulk-status")
    expect(status).to_contain_text("Rescanning 2 folders.")
    status.get_by_role("link", name="See them in Jobs").click()
    scan_kind = server.vocabulary()["job_kind_names"]["SCAN"]
    expect(page).to_have_url(re.compile(rf"/jobs\?kind={scan_kind}$"))
    # The first scan and the two rescans; not the thumbnails job the first scan queued.
    assert server.get("/api/v1/jobs", kind=server.vocabulary()["job_kind_names"]["THUMBNAILS"])[
        "jobs"
    ]
    expect(page.locator("#jobs-body tr .kind")).to_have_text([scan_kind] * 3)


@pytest.mark.env(STOAT_THUMBNAILS_AFTER_SCAN="false")
def test_make_missing_thumbnails_shows_only_when_some_are_missing(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """The button is there while a video lacks a thumbnail, and goes once none does."""
    page.goto("/library")
    wait_until_live(page)
    button = page.get_by_role("button", name="Make missing thumbnails")
    expect(button).to_be_hidden()
    fill_library(server, samples["h264_aac.mp4"], 2)
    scan(server)
    page.reload()
    wait_until_live(page)

    expect(button).to_be_visible()
    button.click()

    expect(page.locator('#video-grid .card[data-thumbnail="made"]')).to_have_count(2)
    expect(button).to_be_hidden()
    assert server.get("/api/v1/library/summary")["without_thumbnail"] == 0
