"""Sort, filters and the folder tree: controls that live in the address."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Route, expect

from ..support.media import copy_as
from .conftest import GuiServer, screenshot
from .helpers import horizontal_overflow, scan, wait_until_live

EN_DASH = "\N{EN DASH}"


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def names(page: Page) -> list[str]:
    return page.locator("#video-grid .card .open").all_text_contents()


def test_sort_control_orders_naturally_and_lives_in_the_address(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """Every sort the server has is offered; Name is natural order; reload and Back keep it."""
    for name in ("clip_10.mp4", "clip_2.mp4", "clip_1.mp4", "Clip_3.mp4"):
        copy_as(samples["h264_aac.mp4"], server.media_root / name)
    copy_as(samples["vp9_opus.webm"], server.media_root / "wide.webm")
    scan(server)
    page.goto("/library")
    wait_until_live(page)
    expect(page.locator("#video-grid .card")).to_have_count(5)
    sorts = list(server.vocabulary()["video_sorts"].values())
    options = page.locator("#sort option")
    assert [o.get_attribute("value") for o in options.all()] == sorts
    # The list's own order (newest first) turned round names its sort.
    expect(page.get_by_label("Sort", exact=True)).to_have_value("created")
    newest_first = page.locator("#video-grid .card .open").all_text_contents()
    page.get_by_label("Order", exact=True).select_option(label="Ascending")
    expect(page).to_have_url(re.compile(r"/library\?sort=created&order=asc$"))
    expect(page.locator("#video-grid .card .open")).to_have_text(newest_first[::-1])

    page.get_by_label("Sort", exact=True).select_option(label="Name")

    expect(page).to_have_url(re.compile(r"/library\?sort=filename$"))
    order = ["clip_1.mp4", "clip_2.mp4", "Clip_3.mp4", "clip_10.mp4", "wide.webm"]
    expect(page.locator("#video-grid .card .open")).to_have_text(order)
    expect(page.get_by_label("Order", exact=True)).to_have_value("asc")
    page.get_by_label("Order", exact=True).select_option(label="Descending")
    expect(page).to_have_url(re.compile(r"/library\?sort=filename&order=desc$"))
    expect(page.locator("#video-grid .card .open")).to_have_text(order[::-1])
    page.reload()
    wait_until_live(page)
    expect(page.locator("#video-grid .card .open")).to_have_text(order[::-1])
    expect(page.get_by_label("Sort", exact=True)).to_have_value("filename")

    page.get_by_label("Sort", exact=True).select_option(label="Width")
    expect(page).to_have_url(re.compile(r"/library\?sort=width$"))
    expect(page.locator("#video-grid .card .open").first).to_have_text("wide.webm")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/library\?sort=filename&order=desc$"))
    expect(page.locator("#video-grid .card .open")).to_have_text(order[::-1])
    expect(page.get_by_label("Order", exact=True)).to_have_value("desc")


def test_going_back_while_a_list_loads_shows_the_page_gone_back_to(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """Back while another sort's page is still on its way: that page, arriving late, does
    not replace the one the address names."""
    for name in ("clip_10.mp4", "clip_2.mp4", "clip_1.mp4"):
        copy_as(samples["h264_aac.mp4"], server.media_root / name)
    copy_as(samples["vp9_opus.webm"], server.media_root / "wide.webm")
    scan(server)
    page.goto("/library?sort=filename")
    wait_until_live(page)
    by_name = ["clip_1.mp4", "clip_2.mp4", "clip_10.mp4", "wide.webm"]
    expect(page.locator("#video-grid .card .open")).to_have_text(by_name)
    held: list[Route] = []
    page.route(re.compile(r"/api/v1/videos\?(.*&)?sort=width"), lambda route: held.append(route))
    with page.expect_request(re.compile(r"sort=width")):
        page.get_by_label("Sort", exact=True).select_option(label="Width")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/library\?sort=filename$"))
    # The width page's answer arrives now, late (if the page still waits for it).
    with contextlib.suppress(PlaywrightError):
        held[0].continue_()
    expect(page.locator("#view-library")).to_have_attribute("aria-busy", "false")
    page.wait_for_timeout(500)
    expect(page.locator("#video-grid .card .open")).to_have_text(by_name)
    expect(page.get_by_label("Sort", exact=True)).to_have_value("filename")


def test_filters_live_in_the_address_and_take_a_search_too(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """Codec, width, duration and missing filters narrow the list and a search; links keep them."""
    for name in ("h264_aac.mp4", "vp9_opus.webm", "h264_vorbis.mkv", "mjpeg_pcm.mov"):
        copy_as(samples[name], server.media_root / name)
    scan(server)
    page.goto("/library")
    wait_until_live(page)
    page.locator("#filters > summary").click()

    page.get_by_label("Video codec").fill("h264")
    page.get_by_label("Video codec").press("Enter")

    expect(page).to_have_url(re.compile(r"/library\?video_codec=h264$"))
    expect(page.locator("#video-grid .card")).to_have_count(2)
    assert sorted(names(page)) == ["h264_aac.mp4", "h264_vorbis.mkv"]
    expect(page.locator("#library-summary")).to_have_text(f"Videos 1{EN_DASH}2 of 2")
    expect(page.locator("#filter-count")).to_have_text("1")
    page.get_by_label("Width at least (px)").fill("90")
    page.get_by_label("Width at least (px)").press("Enter")
    expect(page).to_have_url(re.compile(r"/library\?video_codec=h264&min_width=90$"))
    expect(page.locator("#video-grid .card .open")).to_have_text(["h264_vorbis.mkv"])

    page.get_by_label("Search", exact=True).fill("h264")
    expect(page).to_have_url(re.compile(r"/library\?q=h264&video_codec=h264&min_width=90$"))
    expect(page.locator("#library-summary")).to_have_text(
        "1 match for \N{LEFT DOUBLE QUOTATION MARK}h264\N{RIGHT DOUBLE QUOTATION MARK}"
    )
    expect(page.locator("#video-grid .card .open")).to_have_text(["h264_vorbis.mkv"])
    # A search orders its matches itself: the sort control is greyed out and says how.
    expect(page.locator("#sort")).to_be_disabled()
    expect(page.locator("#sort")).to_have_attribute(
        "title", "A search lists the best matches first"
    )
    page.get_by_label("Search", exact=True).fill("h264 mk")
    expect(page).to_have_url(re.compile(r"/library\?q=h264\+mk&"))
    expect(page.locator("#sort")).to_have_attribute(
        "title", "A search with a word of one or two letters lists the newest matches first"
    )

    # A deep link shows the same view, its panel open on the filters it sets.
    page.goto("/library?max_duration=0.7&missing=false")
    wait_until_live(page)
    expect(page.locator("#video-grid .card .open")).to_have_text(["mjpeg_pcm.mov"])
    expect(page.get_by_label("Duration at most (s)")).to_have_value("0.7")
    expect(page.get_by_label("Missing files")).to_have_value("false")
    page.get_by_role("link", name="Clear filters").click()
    expect(page).to_have_url(re.compile(r"/library$"))
    expect(page.locator("#video-grid .card")).to_have_count(4)
    page.go_back()
    expect(page.locator("#video-grid .card .open")).to_have_text(["mjpeg_pcm.mov"])


def test_a_total_that_is_a_lower_bound_reads_at_least(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """When total_exact is false, the summary says "at least" and a next page is offered."""
    for n in range(1, 4):
        copy_as(samples["h264_aac.mp4"], server.media_root / f"clip_{n}.mp4")
    scan(server)

    def inexact(route: Route) -> None:
        answer = route.fetch()
        body = answer.json()
        body["total_exact"] = False
        route.fulfill(response=answer, body=json.dumps(body))

    page.route(re.compile(r"/api/v1/videos\?"), inexact)
    page.goto("/library?video_codec=h264&per=3")
    wait_until_live(page)

    expect(page.locator("#library-summary")).to_have_text(f"Videos 1{EN_DASH}3 of at least 3")
    expect(page.get_by_role("navigation", name="Pages").get_by_role("link")).to_have_text(
        ["1", "2", "Next"]
    )


def test_folder_tree_filters_by_folder_with_counts_and_keyboard(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """The tree opens a level at a time; choosing a folder lists exactly its videos."""
    for relative in ("a/one.mp4", "a/deep/two.mp4", "b/three.mp4", "b/four.mp4", "ab.mp4"):
        (server.media_root / relative).parent.mkdir(parents=True, exist_ok=True)
        copy_as(samples["h264_aac.mp4"], server.media_root / relative)
    scan(server)
    (server.media_root / "b" / "four.mp4").unlink()
    scan(server)
    page.goto("/library")
    wait_until_live(page)
    tree = page.get_by_role("navigation", name="Folders")
    top = tree.locator(".folder-node").first

    expect(top.locator(":scope > .folder-row .folder-link")).to_have_text(
        "media5 videos, 1 missing"
    )
    children = top.locator(":scope > .folder-children > li > .folder-row .folder-link")
    expect(children).to_have_text(["a2 videos", "b2 videos, 1 missing"])
    toggle_a = tree.get_by_role("button", name="Show the folders in a")
    toggle_a.focus()
    page.keyboard.press("Enter")
    expect(tree.get_by_role("button", name="Hide the folders in a")).to_have_attribute(
        "aria-expanded", "true"
    )
    expect(tree.locator('.folder-link[data-path$="/a/deep"]')).to_have_text("deep1 video")

    tree.locator('.folder-link[data-path$="/a"]').click()

    folder = str(server.media_root / "a")
    assert query_of(page) == {"folder": [folder]}
    expect(page.locator("#video-grid .card")).to_have_count(2)
    assert sorted(names(page)) == ["one.mp4", "two.mp4"]
    expect(tree.locator('.folder-link[data-path$="/a"]')).to_have_attribute("aria-current", "true")
    expect(page.locator("#library-summary")).to_have_text(f"Videos 1{EN_DASH}2 of 2")
    screenshot(page, "library-folders")
    page.go_back()
    expect(page.locator("#video-grid .card")).to_have_count(5)
    expect(tree.locator('[aria-current="true"]')).to_have_count(0)


def test_folder_tree_folds_behind_a_button_when_narrow(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """At 390 px the tree hides behind "Folders"; open, it fits; choosing a folder folds it."""
    long = "a folder with a rather long name for a narrow phone screen"
    (server.media_root / long).mkdir()
    copy_as(samples["h264_aac.mp4"], server.media_root / long / "clip.mp4")
    copy_as(samples["h264_aac.mp4"], server.media_root / "other.mp4")
    scan(server)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/library")
    wait_until_live(page)
    tree = page.get_by_role("navigation", name="Folders")
    expect(tree).to_be_hidden()
    button = page.get_by_role("button", name="Folders", exact=True)

    button.click()

    expect(button).to_have_attribute("aria-expanded", "true")
    expect(tree.locator(f'.folder-link[data-path$="/{long}"]')).to_be_visible()
    assert horizontal_overflow(page) == []
    screenshot(page, "library-folders-narrow")
    tree.locator(f'.folder-link[data-path$="/{long}"]').click()
    expect(page.locator("#video-grid .card .open")).to_have_text(["clip.mp4"])
    expect(tree).to_be_hidden()
    expect(page.get_by_role("button", name=f"Folders: {long}")).to_be_visible()
    assert horizontal_overflow(page) == []
