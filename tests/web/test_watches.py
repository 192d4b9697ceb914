"""The watched-folders view at /watches: add a watch, see it work live, remove it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ..support.media import copy_as
from .conftest import GuiServer, screenshot
from .helpers import JOB_DEADLINE_S, videos, wait_for_job, wait_until_live


def until(read: Callable[[], Any], done: Callable[[Any], bool]) -> Any:
    """Call ``read`` until what it returns is ``done`` (the server is another process)."""
    deadline = time.monotonic() + JOB_DEADLINE_S
    while True:
        value = read()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"never got there: {value}"
        time.sleep(0.05)


def fact(page: Page, label: str) -> str:
    """The value beside ``label`` in the first watch shown."""
    item = page.locator("#watch-list li.watch-item").first
    labels = item.locator("dt").all_inner_texts()
    values = item.locator("dd").all_inner_texts()
    return dict(zip(labels, values, strict=True))[label]


@pytest.mark.env(STOAT_WATCH_SETTLE="0.3")
def test_a_watch_added_in_the_page_picks_up_a_copied_video_and_is_removed(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """Add a watch, copy a video in: its state, change, job and the video arrive; then remove."""
    words = server.vocabulary()
    incoming = server.media_root / "incoming"
    incoming.mkdir()
    page.goto("/library")
    wait_until_live(page)
    page.get_by_role("link", name="Watched folders").click()
    expect(page).to_have_url(re.compile(r"/watches$"))
    expect(page.get_by_role("heading", name="Watched folders", level=1)).to_be_focused()
    expect(page.locator("#watches-empty")).to_have_text("No folder is watched yet.")

    page.get_by_label("Folder to watch").fill(str(incoming))
    page.get_by_role("button", name="Watch folder").click()

    items = page.locator("#watch-list li.watch-item")
    expect(items).to_have_count(1)
    expect(items.first.locator("code.path")).to_have_text(str(incoming))
    expect(items.first.locator(".watch-state")).to_have_text(words["watch_state_names"]["ACTIVE"])
    expect(page.locator("#watch-status")).to_have_text(f"Watching {incoming}.")
    expect(page.locator("#watches-empty")).to_be_hidden()
    [watch] = server.get("/api/v1/watches")["watches"]
    # The first full scan of the folder is a watch job; its link comes by a watch_status event.
    expect(items.first.get_by_role("link", name=re.compile(r"^Job "))).to_be_visible()
    assert fact(page, "Last change") == "none yet"
    assert fact(page, "How") == "watched for changes"

    copy_as(samples["h264_aac.mp4"], incoming / "arrived.mp4")

    expect(items.first.locator("dd").nth(1)).not_to_have_text("none yet")
    until(lambda: videos(server), lambda found: [v["filename"] for v in found] == ["arrived.mp4"])
    watch = server.get(f"/api/v1/watches/{watch['id']}")
    job = wait_for_job(server, watch["job_id"])
    assert job["kind"] == words["job_kind_names"]["WATCH"]
    assert job["result"]["new"] == 1
    latest = server.get(f"/api/v1/watches/{watch['id']}")
    expect(items.first.locator("time").first).to_have_attribute(
        "datetime", latest["last_change_at"]
    )
    link = items.first.get_by_role("link", name=re.compile(r"^Job "))
    expect(link).to_have_attribute("href", f"/scan?job={latest['job_id']}")
    screenshot(page, "watches")

    # The job's link opens its result; the library (loaded afresh) holds the video.
    link.click()
    expect(page).to_have_url(re.compile(rf"/scan\?job={latest['job_id']}$"))
    expect(page.locator("#scan-result")).to_be_visible()
    page.goto("/library")
    wait_until_live(page)
    expect(page.locator("#video-grid .card .open")).to_have_text(["arrived.mp4"])
    page.goto("/watches")
    wait_until_live(page)
    expect(items).to_have_count(1)

    # Cancel leaves it; Stop watching removes it.
    stop = items.first.get_by_role("button", name="Stop watching…")
    stop.click()
    dialog = page.get_by_role("dialog", name="Stop watching this folder?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(stop).to_be_focused()
    assert len(server.get("/api/v1/watches")["watches"]) == 1
    stop.click()
    dialog.get_by_role("button", name="Stop watching").click()

    expect(items).to_have_count(0)
    expect(page.locator("#watch-status")).to_have_text(f"No longer watching {incoming}.")
    expect(page.locator("#watches-empty")).to_be_visible()
    assert server.get("/api/v1/watches")["watches"] == []


def test_a_refused_watch_shows_the_servers_message(page: Page, server: GuiServer) -> None:
    """Outside the roots, a file, an overlap: each refusal is shown with its message and code."""
    codes = server.vocabulary()["error_codes"]
    (server.media_root / "a" / "b").mkdir(parents=True)
    (server.media_root / "file.txt").write_text("not a folder")
    page.goto("/watches")
    wait_until_live(page)
    field = page.get_by_label("Folder to watch")
    error = page.locator("#watch-form-error")

    for path, code in [
        ("/", "PATH_NOT_ALLOWED"),
        (str(server.media_root / "file.txt"), "INVALID_PATH"),
    ]:
        answer = server.post("/api/v1/watches", {"path": path})
        field.fill(path)
        page.get_by_role("button", name="Watch folder").click()
        message = answer.json()["detail"]["message"]
        expect(error).to_have_text(f"{message} ({codes[code]})")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_be_focused()

    field.fill(str(server.media_root / "a"))
    page.get_by_role("button", name="Watch folder").click()
    expect(page.locator("#watch-list li.watch-item")).to_have_count(1)
    expect(error).to_be_hidden()
    field.fill(str(server.media_root / "a" / "b"))
    page.get_by_role("button", name="Watch folder").click()
    expect(error).to_contain_text(f"({codes['WATCH_OVERLAP']})")
    expect(page.locator("#watch-list li.watch-item")).to_have_count(1)
    field.fill("")
    expect(error).to_be_hidden()
    page.get_by_role("button", name="Watch folder").click()
    expect(error).to_have_text("Enter the absolute path of a folder to watch.")


def test_a_polled_watch_and_a_folder_gone_show_their_state_live(
    page: Page, server: GuiServer
) -> None:
    """The poll box makes a polled watch; a watched folder renamed away shows why, live."""
    states = server.vocabulary()["watch_state_names"]
    (server.media_root / "nfs").mkdir()
    (server.media_root / "card").mkdir()
    page.goto("/watches")
    wait_until_live(page)
    field = page.get_by_label("Folder to watch")

    field.fill(str(server.media_root / "nfs"))
    page.get_by_role("checkbox", name=re.compile(r"^Poll instead of watching")).check()
    page.get_by_role("button", name="Watch folder").click()
    polled = page.locator("#watch-list li.watch-item").first
    expect(polled.locator(".watch-state")).to_have_text(states["POLLING"])
    expect(polled.locator("dd").first).to_have_text("polled at an interval")
    expect(
        page.get_by_role("checkbox", name=re.compile(r"^Poll instead of watching"))
    ).not_to_be_checked()

    field.fill(str(server.media_root / "card"))
    page.get_by_role("button", name="Watch folder").click()
    card = page.locator("#watch-list li.watch-item").nth(1)
    expect(card.locator(".watch-state")).to_have_text(states["ACTIVE"])

    (server.media_root / "card").rename(server.media_root / "card-unplugged")

    expect(card.locator(".watch-state")).to_have_text(states["UNAVAILABLE"])
    watch = next(w for w in server.get("/api/v1/watches")["watches"] if w["path"].endswith("/card"))
    expect(card.locator(".watch-reason")).to_have_text(watch["reason"])
    assert watch["reason"]
    expect(card).to_have_attribute("data-unavailable", "")
