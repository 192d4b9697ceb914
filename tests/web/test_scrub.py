"""Scrubbing on the detail view: drag or arrow keys along the strip show a frame and seek."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ..support.media import copy_as
from .conftest import GuiServer, screenshot
from .helpers import JOB_DEADLINE_S, make_media, scan, settle_thumbnails, videos, wait_until_live


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_media(tmp_path_factory.mktemp("scrub-media"))


def with_strip(server: GuiServer) -> dict[str, Any]:
    """The library's one video, once its scrub strip is made."""
    deadline = time.monotonic() + JOB_DEADLINE_S
    while True:
        [video] = videos(server)
        if video["strip_frames"]:
            return video
        assert time.monotonic() < deadline, f"no strip was made: {video}"
        time.sleep(0.05)


def expected_text(video: dict[str, Any], index: int) -> str:
    """The slider's value text for frame ``index``, worked out as the docs say."""
    frames = video["strip_frames"]
    num, den = video["frame_rate_numerator"], video["frame_rate_denominator"]
    seconds = (index + 0.5) / frames * video["duration_seconds"]
    count = math.floor(seconds * num / den)
    rate = round(num / den)
    ff, whole = count % rate, count // rate
    timecode = f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}:{ff:02d}"
    return f"Frame {index + 1} of {frames}, at {timecode}"


def test_dragging_along_the_strip_shows_each_frame_and_seeks_the_player(
    page: Page, server: GuiServer, media: dict[str, Path]
) -> None:
    """The frame shown follows the pointer along the strip, and the player seeks with it."""
    copy_as(media["play.mp4"], server.media_root / "play.mp4")
    scan(server)
    settle_thumbnails(server)
    video = with_strip(server)
    frames = video["strip_frames"]
    page.goto(f"/videos/{video['id']}")
    wait_until_live(page)
    strip = page.get_by_role("slider", name="Scrub through the video")
    frame = page.locator("#scrub-frame")
    expect(strip).to_be_visible()
    expect(frame).to_have_attribute("data-frame", "0")
    expect(strip).to_have_attribute("aria-valuemax", str(frames))
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    page.locator("#video-scrub").scroll_into_view_if_needed()
    box = strip.bounding_box()
    picture = frame.bounding_box()
    assert box is not None
    assert picture is not None
    middle = box["y"] + box["height"] / 2

    def shot() -> bytes:
        return page.screenshot(clip=picture)

    def at(fraction: float) -> None:
        page.mouse.move(box["x"] + box["width"] * fraction, middle)

    at(0.02)
    page.mouse.down()
    expect(frame).to_have_attribute("data-frame", "0")
    first = shot()
    shown = []
    for fraction in (0.2, 0.55, 0.99):
        at(fraction)
        index = min(math.floor(fraction * frames), frames - 1)
        expect(frame).to_have_attribute("data-frame", str(index))
        expect(strip).to_have_attribute("aria-valuetext", expected_text(video, index))
        shown.append(shot())
        seconds = (index + 0.5) / frames * video["duration_seconds"]
        assert page.evaluate("() => document.getElementById('player').currentTime") == (
            pytest.approx(seconds, abs=1e-6)
        )
    page.mouse.up()
    # The picture changes with the frame: the test pattern's counter moves on.
    assert len({first, *shown}) == 4
    expect(strip).to_be_focused()
    screenshot(page, "detail-scrub")

    # The pointer no longer drags once released.
    at(0.3)
    expect(frame).to_have_attribute("data-frame", str(frames - 1))


def test_the_strip_is_keyboard_operable(
    page: Page, server: GuiServer, media: dict[str, Path]
) -> None:
    """Tab reaches the strip; arrows, Home and End move the frame shown and the player."""
    copy_as(media["play.mp4"], server.media_root / "play.mp4")
    scan(server)
    settle_thumbnails(server)
    video = with_strip(server)
    frames = video["strip_frames"]
    page.goto(f"/videos/{video['id']}")
    wait_until_live(page)
    strip = page.get_by_role("slider", name="Scrub through the video")
    frame = page.locator("#scrub-frame")
    expect(strip).to_be_visible()
    page.get_by_role("link", name="← Back to the library").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "scrub-strip":
            break
    expect(strip).to_be_focused()

    page.keyboard.press("ArrowRight")
    expect(frame).to_have_attribute("data-frame", "1")
    expect(strip).to_have_attribute("aria-valuenow", "2")
    page.keyboard.press("End")
    expect(frame).to_have_attribute("data-frame", str(frames - 1))
    expect(strip).to_have_attribute("aria-valuetext", expected_text(video, frames - 1))
    page.keyboard.press("ArrowLeft")
    expect(frame).to_have_attribute("data-frame", str(frames - 2))
    page.keyboard.press("Home")
    expect(frame).to_have_attribute("data-frame", "0")
    assert page.evaluate("() => document.getElementById('player').currentTime") == (
        pytest.approx(0.5 / frames * video["duration_seconds"], abs=1e-6)
    )


def test_a_file_the_browser_cannot_play_still_scrubs(
    page: Page, server: GuiServer, media: dict[str, Path]
) -> None:
    """ProRes: no player, but the strip shows its frames as the pointer moves."""
    copy_as(media["prores.mov"], server.media_root / "prores.mov")
    scan(server)
    settle_thumbnails(server)
    video = with_strip(server)
    page.goto(f"/videos/{video['id']}")
    wait_until_live(page)
    strip = page.get_by_role("slider", name="Scrub through the video")
    expect(strip).to_be_visible()
    expect(page.locator("#player")).to_have_attribute("data-state", "unsupported")
    strip.scroll_into_view_if_needed()
    box = strip.bounding_box()
    assert box is not None

    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.up()

    index = math.floor(0.8 * video["strip_frames"])
    expect(page.locator("#scrub-frame")).to_have_attribute("data-frame", str(index))
    assert page.evaluate("() => document.getElementById('player').currentTime") == 0


@pytest.mark.env(STOAT_THUMBNAILS_AFTER_SCAN="false")
def test_the_strip_appears_when_it_is_made(
    page: Page, server: GuiServer, media: dict[str, Path]
) -> None:
    """No strip yet: no scrubber; the thumbnails job makes one and it appears, no reload."""
    copy_as(media["play.mp4"], server.media_root / "play.mp4")
    scan(server)
    [video] = videos(server)
    assert video["strip_frames"] is None
    page.goto(f"/videos/{video['id']}")
    wait_until_live(page)
    expect(page.get_by_role("heading", name="play.mp4", level=1)).to_be_visible()
    expect(page.locator("#video-scrub")).to_be_hidden()

    answer = server.post("/api/v1/videos/thumbnails", {"video_ids": [video["id"]]})
    assert answer.status_code == 202, answer.text

    strip = page.get_by_role("slider", name="Scrub through the video")
    expect(strip).to_be_visible()
    made = with_strip(server)
    expect(strip).to_have_attribute("aria-valuemax", str(made["strip_frames"]))
    expect(page.locator("#scrub-frame")).to_have_attribute("data-frame", "0")
