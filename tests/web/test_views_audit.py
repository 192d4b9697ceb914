"""Every view, light and dark, wide and narrow: no horizontal overflow, no serious axe finding.

axe-core (shipped inside axe-playwright-python, so it runs offline) audits each
view; any violation of impact "serious" or "critical" fails the test. Each view is
also photographed, into test-artifacts/ (the docs' screenshots come from there).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from ..support.media import copy_as
from .conftest import ARTIFACTS, EXPECT_TIMEOUT_MS, GuiServer
from .helpers import horizontal_overflow, scan, settle_thumbnails, videos, wait_until_live

SIZES = {"wide": {"width": 1280, "height": 800}, "narrow": {"width": 390, "height": 844}}
SCHEMES = ("light", "dark")
BLOCKING_IMPACTS = {"serious", "critical"}
AXE = Axe()


@contextmanager
def open_tab(browser: Browser, server: GuiServer, *, size: str, scheme: str) -> Iterator[Page]:
    """A tab of its own size and colour scheme; fails on any script or console error."""
    context = browser.new_context(
        base_url=server.url,
        viewport=SIZES[size],
        color_scheme=scheme,  # type: ignore[arg-type]
    )
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console error: {message.text}")

    tab.on("pageerror", lambda error: problems.append(f"uncaught error: {error}"))
    tab.on("console", on_console)
    try:
        yield tab
    finally:
        context.close()
    assert problems == [], "\n".join(problems)


def audit(page: Page, name: str) -> list[str]:
    """axe's serious and critical findings on what the page shows now, as readable lines."""
    results = AXE.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING_IMPACTS:
            targets = [", ".join(node["target"]) for node in violation["nodes"]][:5]
            found.append(f"{name}: {violation['id']} ({violation['impact']}): {targets}")
    return found


def check(page: Page, name: str, *, size: str, scheme: str) -> list[str]:
    """Audit, look for overflow, photograph; the problems found."""
    problems = audit(page, name)
    overflow = horizontal_overflow(page)
    if overflow:
        problems.append(f"{name}: wider than the window: {overflow}")
    page.screenshot(path=str(ARTIFACTS / f"view-{name}-{size}-{scheme}.png"))
    return problems


def library_views(server: GuiServer) -> dict[str, Any]:
    """A library with videos in two folders, a scan with an error, thumbnails made."""
    return {"videos": videos(server), "jobs": server.get("/api/v1/jobs", limit=50)["jobs"]}


@pytest.fixture
def filled(server: GuiServer, samples: dict[str, Path]) -> dict[str, Any]:
    for name in ("h264_aac.mp4", "vp9_opus.webm", "h264_vorbis.mkv", "mjpeg_pcm.mov"):
        copy_as(samples[name], server.media_root / name)
    (server.media_root / "a long folder name for a narrow screen").mkdir()
    for name in ("mpeg4_mp3.avi", "silent.m4v"):
        copy_as(samples[name], server.media_root / "a long folder name for a narrow screen" / name)
    (server.media_root / "empty.mp4").write_bytes(b"")
    scan(server)
    settle_thumbnails(server)
    return library_views(server)


Step = Callable[[Page], None]


def views(server: GuiServer, filled: dict[str, Any]) -> dict[str, Step]:
    """Each view or dialog, by name: how to get the page to show it."""
    [clip] = [v for v in filled["videos"] if v["filename"] == "h264_aac.mp4"]
    [scanned] = [j for j in filled["jobs"] if "path" in j["params"]]

    def library(page: Page) -> None:
        page.goto("/library")
        wait_until_live(page)
        expect(page.locator('#video-grid .card[data-thumbnail="made"]')).to_have_count(6)
        page.wait_for_function(
            "() => [...document.querySelectorAll('#video-grid img')]"
            ".every((img) => img.complete && img.naturalWidth > 0)"
        )

    def selection(page: Page) -> None:
        library(page)
        boxes = page.locator("#video-grid .card .pick")
        boxes.nth(0).check()
        boxes.nth(1).check()
        expect(page.locator("#selection-count")).to_have_text("2 videos selected")

    def library_list(page: Page) -> None:
        library(page)
        page.get_by_role("button", name="List").click()
        expect(page.locator("#video-rows tr")).to_have_count(6)

    def confirm(page: Page) -> None:
        selection(page)
        page.get_by_role("button", name="Remove from library…").click()
        expect(page.get_by_role("dialog")).to_be_visible()

    def filters(page: Page) -> None:
        folder = str(server.media_root / "a long folder name for a narrow screen")
        page.goto(f"/library?folder={folder}&video_codec=mpeg4&sort=filename")
        wait_until_live(page)
        expect(page.locator("#video-grid .card")).to_have_count(1)
        # Narrow, the tree is behind its button: open it to see it audited too.
        if page.locator("#folders-toggle").is_visible():
            page.locator("#folders-toggle").click()
        expect(page.locator(f'#folder-tree .folder-link[data-path="{folder}"]')).to_be_visible()

    def duplicates(page: Page) -> None:
        page.goto("/duplicates")
        wait_until_live(page)
        expect(page.locator("#dupes-empty")).to_be_visible()

    def detail(page: Page) -> None:
        page.goto(f"/videos/{clip['id']}")
        wait_until_live(page)
        expect(page.locator("#video-jobs")).to_be_visible()
        page.wait_for_function("() => document.getElementById('player').readyState >= 2")

    def jobs(page: Page) -> None:
        page.goto("/jobs")
        wait_until_live(page)
        expect(page.locator("#jobs-body tr")).to_have_count(2)

    def errors(page: Page) -> None:
        jobs(page)
        page.locator(f'#jobs-body tr[data-job-id="{scanned["job_id"]}"] .show-errors').click()
        expect(page.get_by_role("dialog")).to_be_visible()

    def scan_form(page: Page) -> None:
        page.goto("/scan")
        wait_until_live(page)
        expect(page.get_by_role("dialog", name="Scan a folder")).to_be_visible()

    def scan_result(page: Page) -> None:
        page.goto(f"/scan?job={scanned['job_id']}")
        wait_until_live(page)
        expect(page.locator("#scan-result")).to_be_visible()

    def not_found(page: Page) -> None:
        page.goto("/no/such/page")
        wait_until_live(page)
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()

    def watches(page: Page) -> None:
        if not server.get("/api/v1/watches")["watches"]:
            folder = server.media_root / "a long folder name for a narrow screen"
            assert server.post("/api/v1/watches", {"path": str(folder)}).status_code == 201
            (server.media_root / "network share").mkdir()
            polled = {"path": str(server.media_root / "network share"), "poll": True}
            assert server.post("/api/v1/watches", polled).status_code == 201
        page.goto("/watches")
        wait_until_live(page)
        expect(page.locator("#watch-list li.watch-item")).to_have_count(2)

    return {
        "library": library,
        "library-selection": selection,
        "library-list": library_list,
        "remove-confirm": confirm,
        "library-filters": filters,
        "duplicates": duplicates,
        "detail": detail,
        "jobs": jobs,
        "job-errors": errors,
        "scan-form": scan_form,
        "scan-result": scan_result,
        "not-found": not_found,
        "watches": watches,
    }


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("size", list(SIZES))
def test_every_view_fits_and_passes_the_audit(
    browser: Browser, server: GuiServer, filled: dict[str, Any], size: str, scheme: str
) -> None:
    """No view overflows sideways, and axe finds nothing serious or critical, in either scheme."""
    problems: list[str] = []
    for name, show_view in views(server, filled).items():
        with open_tab(browser, server, size=size, scheme=scheme) as page:
            show_view(page)
            problems += check(page, name, size=size, scheme=scheme)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_empty_library_fits_and_passes_the_audit(
    browser: Browser, server: GuiServer, scheme: str
) -> None:
    """The first-run view, narrow and wide, in both schemes."""
    problems: list[str] = []
    for size in SIZES:
        with open_tab(browser, server, size=size, scheme=scheme) as page:
            page.goto("/library")
            wait_until_live(page)
            expect(page.get_by_role("heading", name="Your library is empty")).to_be_visible()
            problems += check(page, "library-empty", size=size, scheme=scheme)
    assert problems == [], "\n".join(problems)


def test_the_audit_catches_what_it_looks_for(browser: Browser, server: GuiServer) -> None:
    """A control without a name and unreadable text are reported: the audit is not a no-op."""
    with open_tab(browser, server, size="wide", scheme="light") as page:
        page.goto("/library")
        wait_until_live(page)
        page.evaluate(
            """() => {
              const button = document.createElement('button');
              button.id = 'nameless';
              document.querySelector('main').append(button);
              const faint = document.createElement('p');
              faint.textContent = 'faint';
              faint.style.color = '#f4f4f4';
              document.querySelector('main').append(faint);
              const wide = document.createElement('div');
              wide.style.width = '3000px';
              wide.textContent = 'wide';
              document.querySelector('main').append(wide);
            }"""
        )
        found = audit(page, "planted")
        assert any(re.search(r"button-name \(critical\)", line) for line in found), found
        assert any(re.search(r"color-contrast \(serious\)", line) for line in found), found
        assert horizontal_overflow(page) != []
