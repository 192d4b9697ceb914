"""Hover scrubbing: the pointer's place along a card picks the scrub strip's frame shown."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from ..support.media import ffmpeg_generate
from .conftest import GuiServer, screenshot
from .helpers import wait_until_live


def scrub_state(page: Page) -> dict[str, str | None]:
    """The frame the card's thumbnail shows now, and how its strip is drawn."""
    state: dict[str, str | None] = page.evaluate(
        """() => {
          const thumb = document.querySelector('#video-grid .card .thumb');
          const layer = thumb.querySelector('.card-scrub');
          return {
            frame: thumb.dataset.scrubFrame ?? null,
            position: layer && !layer.hidden ? layer.style.backgroundPosition : null,
            image: layer && !layer.hidden ? layer.style.backgroundImage : null,
          };
        }"""
    )
    return state


def test_hovering_a_card_scrubs_through_its_strip(page: Page, server: GuiServer) -> None:
    """A strip made while the page is open scrubs at once; the frame follows the pointer."""
    ffmpeg_generate(server.media_root / "pattern.mp4", size="320x180", seconds=4.0)
    page.goto("/library")
    wait_until_live(page)
    server.post("/api/v1/videos/scan", {"path": str(server.media_root)})

    card = page.locator("#video-grid .card")
    expect(card).to_have_count(1)
    # The card came live from video_added; its strip from thumbnail_ready.
    expect(card).to_have_attribute("data-strip-frames", re.compile(r"^[1-9]\d*$"))
    frames = int(card.get_attribute("data-strip-frames") or "0")
    [video] = server.get("/api/v1/videos")["videos"]
    assert frames == video["strip_frames"]
    thumb = card.locator(".thumb")
    box = thumb.bounding_box()
    assert box is not None

    page.mouse.move(box["x"] + 1, box["y"] + box["height"] / 2)
    expect(thumb).to_have_attribute("data-scrub-frame", "0")
    page.wait_for_function("() => document.querySelector('.thumb .card-scrub:not([hidden])')")
    first = scrub_state(page)
    page.mouse.move(box["x"] + box["width"] - 1, box["y"] + box["height"] / 2)
    expect(thumb).to_have_attribute("data-scrub-frame", str(frames - 1))
    last = scrub_state(page)
    page.mouse.move(box["x"] + box["width"] * 0.5 + 1, box["y"] + box["height"] / 2)
    expect(thumb).to_have_attribute("data-scrub-frame", str(frames // 2))
    screenshot(page, "library-hover-scrub")

    assert first["position"] == "0px 0px"
    assert last["position"] != first["position"]
    width = page.locator(".thumb .card-scrub").evaluate("(layer) => parseFloat(layer.style.width)")
    assert last["position"] is not None
    x, y = last["position"].split()
    assert y == "0px"
    assert abs(float(x.removesuffix("px")) + (frames - 1) * width) < 0.01
    assert first["image"] is not None
    assert f"/api/v1/videos/{video['id']}/strip?v=" in first["image"]

    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] + 200)
    expect(thumb).not_to_have_attribute("data-scrub-frame", re.compile(".*"))
    assert scrub_state(page)["position"] is None
