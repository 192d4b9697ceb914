"""The library follows the library's change events: scans fill it, purges empty it, in place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from ..support.media import copy_as
from .conftest import GuiServer, screenshot
from .helpers import scan, videos, wait_for_job, wait_until_live


def card_names(page: Page) -> list[str]:
    return page.locator("#video-grid .card .open").all_text_contents()


@pytest.mark.prober("hang-on=stuck")
def test_a_running_scan_fills_the_empty_library(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """The empty-library note goes and cards come in while the scan is still running."""
    page.goto("/library")
    wait_until_live(page)
    expect(page.get_by_role("heading", name="Your library is empty")).to_be_visible()
    for n in range(1, 4):
        copy_as(samples["h264_aac.mp4"], server.media_root / f"clip_{n}.mp4")
    copy_as(samples["h264_aac.mp4"], server.media_root / "stuck.mp4")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    job_id = server.post("/api/v1/videos/scan", {"path": str(server.media_root)}).json()["job_id"]

    expect(page.locator("#video-grid .card")).to_have_count(3)
    expect(page.get_by_role("heading", name="Your library is empty")).to_be_hidden()
    assert server.get(f"/api/v1/jobs/{job_id}")["status"] == "running"
    assert sorted(card_names(page)) == ["clip_1.mp4", "clip_2.mp4", "clip_3.mp4"]
    # Each video was read by itself; the list was only counted (limit=1), never reloaded.
    lists = [url for url in requests if re.search(r"/api/v1/videos\?", url)]
    assert lists
    assert all("limit=1&" in url or url.endswith("limit=1") for url in lists), lists
    read = {url.rsplit("/", 1)[1] for url in requests if re.search(r"/videos/[0-9a-f-]{36}$", url)}
    assert read == {video["id"] for video in videos(server)}
    expect(page.locator("#folder-tree .folder-link").first).to_contain_text("3 videos")
    server.post(f"/api/v1/jobs/{job_id}/cancel", {})
    wait_for_job(server, job_id)


@pytest.mark.prober("hang-on=stuck")
def test_live_cards_keep_the_scroll_position(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """New videos after the reader's place are inserted; one above is offered, not forced in."""
    for n in range(1, 9):
        copy_as(samples["h264_aac.mp4"], server.media_root / f"m_{n}.mp4")
    scan(server)
    page.set_viewport_size({"width": 1280, "height": 420})
    page.goto("/library?sort=filename")
    wait_until_live(page)
    expect(page.locator("#video-grid .card")).to_have_count(8)
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    scrolled = page.evaluate("() => window.scrollY")
    assert scrolled > 0
    first_top = page.evaluate(
        "() => document.querySelector('#video-grid .card').getBoundingClientRect().top"
    )
    assert first_top < 0
    last_card = page.locator("#video-grid .card").last
    last_top = last_card.evaluate("(card) => card.getBoundingClientRect().top")
    for name in ("z_1.mp4", "z_2.mp4", "a_first.mp4"):
        copy_as(samples["h264_aac.mp4"], server.media_root / name)
    copy_as(samples["h264_aac.mp4"], server.media_root / "stuck.mp4")

    job_id = server.post("/api/v1/videos/scan", {"path": str(server.media_root)}).json()["job_id"]

    expected = [f"m_{n}.mp4" for n in range(1, 9)] + ["z_1.mp4", "z_2.mp4"]
    expect(page.locator("#video-grid .card .open")).to_have_text(expected)
    expect(page.locator("#live-notice")).to_have_text(
        re.compile(r"^\s*1 new or changed video not shown yet\.\s*Show\s*$")
    )
    assert page.evaluate("() => window.scrollY") == scrolled
    assert (
        page.locator("#video-grid .card")
        .nth(7)
        .evaluate("(card) => card.getBoundingClientRect().top")
        == last_top
    )
    assert server.get(f"/api/v1/jobs/{job_id}")["status"] == "running"
    screenshot(page, "library-live-notice")

    page.locator("#live-notice").get_by_role("button", name="Show").click()
    expect(page.locator("#video-grid .card .open")).to_have_text(["a_first.mp4", *expected])
    expect(page.locator("#live-notice")).to_be_hidden()
    server.post(f"/api/v1/jobs/{job_id}/cancel", {})
    wait_for_job(server, job_id)


def test_purge_missing_asks_then_the_grid_follows(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """Purge shows only with missing entries, says how many and where, and removes just those."""
    for relative in ("a/one.mp4", "a/two.mp4", "b/three.mp4", "b/four.mp4"):
        (server.media_root / relative).parent.mkdir(parents=True, exist_ok=True)
        copy_as(samples["h264_aac.mp4"], server.media_root / relative)
    scan(server)
    page.goto("/library")
    wait_until_live(page)
    purge = page.get_by_role("button", name="Purge missing entries…")
    expect(page.locator("#video-grid .card")).to_have_count(4)
    expect(purge).to_be_hidden()
    (server.media_root / "a" / "two.mp4").unlink()
    (server.media_root / "b" / "four.mp4").unlink()
    scan(server)
    expect(page.locator("#video-grid .card-missing")).to_have_count(2)
    expect(purge).to_be_visible()

    folder = str(server.media_root / "a")
    page.locator(f'#folder-tree .folder-link[data-path="{folder}"]').click()
    expect(page.locator("#video-grid .card")).to_have_count(2)
    purge.click()
    dialog = page.get_by_role("dialog", name="Purge 1 missing entry?")
    expect(dialog).to_contain_text(f"in {folder} and the folders below it")
    screenshot(page, "library-purge-confirm")
    dialog.get_by_role("button", name="Purge").click()

    expect(page.locator("#video-grid .card .open")).to_have_text(["one.mp4"])
    expect(page.locator("#purge-status")).to_have_text("Removed 1 missing entry.")
    expect(purge).to_be_hidden()
    assert sorted(v["filename"] for v in videos(server)) == ["four.mp4", "one.mp4", "three.mp4"]

    page.get_by_role("link", name="Show every folder").click()
    expect(page.locator("#video-grid .card")).to_have_count(3)
    purge.click()
    dialog = page.get_by_role("dialog", name="Purge 1 missing entry?")
    expect(dialog).to_contain_text("in the whole library")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert len(videos(server)) == 3


def test_the_page_orders_videos_as_the_api_does(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """The order live updates place cards by is the API's, for every sort and direction."""
    for name in samples:
        copy_as(samples[name], server.media_root / name)
        copy_as(samples[name], server.media_root / f"Copy_10 {name}")
        copy_as(samples[name], server.media_root / f"copy_9 {name}")
    scan(server)
    page.goto("/library")
    wait_until_live(page)

    mismatches = page.evaluate(
        """async () => {
          const { comparator } = await import('/assets/js/browse-state.js');
          const protocol = (await (await fetch('/api/v1/info')).json()).protocol;
          const words = {
            sort: protocol.video_sorts,
            sortDefaults: protocol.video_sort_defaults,
            order: protocol.sort_orders,
          };
          const wrong = [];
          for (const sort of Object.values(words.sort)) {
            for (const order of Object.values(words.order)) {
              const url = `/api/v1/videos?limit=500&sort=${sort}&order=${order}`;
              const listed = (await (await fetch(url)).json()).videos;
              const state = { sort, order, filters: {}, folder: '', q: '' };
              const mine = [...listed].reverse().sort(comparator(state, words));
              if (mine.map((v) => v.id).join() !== listed.map((v) => v.id).join()) {
                wrong.push(`${sort} ${order}: ${mine.map((v) => v.filename)}`);
              }
            }
          }
          return wrong;
        }"""
    )

    assert mismatches == []


def test_a_video_moved_into_the_folder_shown_joins_it(
    page: Page, server: GuiServer, distinct_clips: list[Path]
) -> None:
    """A file moved into the folder on screen joins its grid, and the tree's counts follow."""
    for folder, clip, name in (("a", 0, "moved.mp4"), ("b", 1, "stays.mp4")):
        (server.media_root / folder).mkdir()
        copy_as(distinct_clips[clip], server.media_root / folder / name)
    scan(server)
    [moved] = [v for v in videos(server) if v["filename"] == "moved.mp4"]
    folder_b = server.media_root / "b"
    page.goto(f"/library?folder={folder_b}")
    wait_until_live(page)
    expect(page.locator("#video-grid .card .open")).to_have_text(["stays.mp4"])
    tree = page.get_by_role("navigation", name="Folders")
    expect(tree.locator(f'.folder-link[data-path="{folder_b}"]')).to_have_text("b1 video")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    (server.media_root / "a" / "moved.mp4").rename(folder_b / "moved.mp4")
    result = scan(server)["result"]

    assert result["moved"] == 1
    expect(page.locator("#video-grid .card")).to_have_count(2)
    card = page.locator(f'#video-grid .card[data-video-id="{moved["id"]}"]')
    expect(card.locator(".open")).to_have_attribute("title", str(folder_b / "moved.mp4"))
    expect(tree.locator(f'.folder-link[data-path="{folder_b}"]')).to_have_text("b2 videos")
    expect(tree.locator(f'.folder-link[data-path="{server.media_root / "a"}"]')).to_have_count(0)
    lists = [url for url in requests if re.search(r"/api/v1/videos\?", url)]
    assert all("limit=1&" in url for url in lists), lists
