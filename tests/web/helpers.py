"""Helpers the browser tests share: media made for them, jobs waited on, pages checked."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from ..support.media import copy_as, ffmpeg_generate
from .conftest import GuiServer

#: Longest a test waits for a job to end.
JOB_DEADLINE_S = 60.0


def wait_until_live(page: Page) -> None:
    """The page has its vocabulary, an open event stream and the state loaded over HTTP."""
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")


def wait_for_job(server: GuiServer, job_id: str) -> dict[str, Any]:
    """Poll the server until job ``job_id`` has ended (the server is another process)."""
    terminal = set(server.vocabulary()["terminal_statuses"])
    deadline = time.monotonic() + JOB_DEADLINE_S
    while True:
        job: dict[str, Any] = server.get(f"/api/v1/jobs/{job_id}")
        if job["status"] in terminal:
            return job
        assert time.monotonic() < deadline, f"job {job_id} did not end: {job}"
        time.sleep(0.05)


def scan(server: GuiServer, path: Path | None = None, **options: Any) -> dict[str, Any]:
    """Scan ``path`` (the media root by default) to its end; the ended job."""
    answer = server.post("/api/v1/videos/scan", {"path": str(path or server.media_root), **options})
    assert answer.status_code == 202, answer.text
    return wait_for_job(server, answer.json()["job_id"])


def settle_thumbnails(server: GuiServer) -> None:
    """Wait for every thumbnails job the scans queued to end."""
    for job in server.get("/api/v1/jobs", limit=100)["jobs"]:
        if job["kind"] == "thumbnails":
            wait_for_job(server, job["job_id"])


def videos(server: GuiServer) -> list[dict[str, Any]]:
    """The whole library, in the API's order."""
    found: list[dict[str, Any]] = server.get("/api/v1/videos", limit=500)["videos"]
    return found


def fill_library(server: GuiServer, source: Path, count: int, *, folder: str = "") -> list[Path]:
    """``count`` copies of ``source`` named clip_01… in the media root (or a folder in it)."""
    target = server.media_root / folder if folder else server.media_root
    target.mkdir(parents=True, exist_ok=True)
    return [copy_as(source, target / f"clip_{n:02d}{source.suffix}") for n in range(1, count + 1)]


def horizontal_overflow(page: Page) -> list[str]:
    """Elements wider than the viewport, or that scroll sideways: empty when none does."""
    found: list[str] = page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const out = [];
          if (document.documentElement.scrollWidth > width) {
            out.push(`page ${document.documentElement.scrollWidth} > ${width}`);
          }
          for (const node of document.querySelectorAll('body *')) {
            if (node.getClientRects().length === 0) continue;
            const box = node.getBoundingClientRect();
            if (box.right > width + 0.5 || box.left < -0.5) {
              const style = getComputedStyle(node);
              if (style.position === 'absolute' && box.width <= 1) continue;
              out.push(`${node.tagName.toLowerCase()}#${node.id}.${node.className}: ` +
                       `${Math.round(box.left)}..${Math.round(box.right)} of ${width}`);
            }
          }
          return out.slice(0, 10);
        }"""
    )
    return found


def make_media(directory: Path) -> dict[str, Path]:
    """Files for the player: one Chromium plays, and ones it cannot decode."""
    directory.mkdir(parents=True, exist_ok=True)
    return {
        "play.mp4": ffmpeg_generate(
            directory / "play.mp4",
            rate="25",
            size="320x180",
            seconds=4.0,
            output_args=[
                *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
                *("-c:a", "aac", "-movflags", "+faststart"),
            ],
        ),
        "prores.mov": ffmpeg_generate(
            directory / "prores.mov",
            seconds=0.5,
            audio=False,
            output_args=["-c:v", "prores_ks", "-profile:v", "0"],
        ),
        "mpeg2.mkv": ffmpeg_generate(
            directory / "mpeg2.mkv",
            seconds=0.5,
            audio=False,
            output_args=["-c:v", "mpeg2video"],
        ),
    }
