"""The web GUI in a real browser against the real server: library, scans, jobs, live events."""

from __future__ import annotations

import math
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import APIResponse, Locator, Page, Route, expect

from ..support.media import copy_as
from .conftest import GuiServer, screenshot
from .helpers import wait_for_job

#: A file name that is markup, an entity and quotes all at once (no "/": it is a name).
HOSTILE = "<img src=x onerror=alert(1)> & \"quoted\" 'name'.webm"
#: Samples a scan finds quickly; with "stuck.mp4" under a hanging prober, the scan stops at 4/5.
FOUR = ["h264_aac.mp4", "vp9_opus.webm", "h264_vorbis.mkv", "mpeg4_mp3.avi"]
#: The sign the page writes picture sizes with (64 by 48) and puts on the close button.
TIMES = "\N{MULTIPLICATION SIGN}"


def reference_timecode(video: dict[str, Any]) -> str:
    """HH:MM:SS:FF at the nominal integer rate, written independently of the page's code."""
    rate = math.floor(video["frame_rate_numerator"] / video["frame_rate_denominator"] + 0.5)
    frames = video["duration_frames"]
    seconds, ff = divmod(frames, rate)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{ff:02d}"


def wait_until_live(page: Page) -> None:
    """The page has its vocabulary, an open event stream and the state loaded over HTTP."""
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")


def job_id_in(page: Page) -> str:
    match = re.search(r"/scan\?job=([0-9a-f]+)$", page.url)
    assert match is not None, page.url
    return match.group(1)


def start_scan_in_dialog(page: Page, path: Path) -> str:
    """Open the dialog from the header, scan ``path``; the new job's id."""
    page.get_by_role("button", name="Scan a folder…").click()
    page.get_by_label("Folder to scan").fill(str(path))
    page.get_by_role("button", name="Start scan").click()
    expect(page).to_have_url(re.compile(r"/scan\?job=[0-9a-f]+$"))
    return job_id_in(page)


def counts(page: Page) -> dict[str, str]:
    keys = ["new", "updated", "unchanged", "errors", "missing", "reappeared"]
    return {key: page.locator(f"#count-{key}").inner_text() for key in keys}


def bar(page: Page) -> Locator:
    return page.get_by_role("progressbar", name="Scan progress")


def put_four_and_stuck(server: GuiServer, samples: dict[str, Path]) -> None:
    for name in FOUR:
        copy_as(samples[name], server.media_root / name)
    copy_as(samples["h264_aac.mp4"], server.media_root / "stuck.mp4")


def test_first_run_shows_an_empty_state_that_leads_to_a_scan(page: Page, server: GuiServer) -> None:
    """An empty library says so, lists the allowed roots, and its button opens the scan form."""
    page.goto("/")
    wait_until_live(page)

    expect(page.get_by_role("heading", name="Your library is empty")).to_be_visible()
    expect(page.locator("#empty-roots li")).to_have_text([str(server.media_root)])
    expect(page.locator("#video-grid")).to_be_hidden()
    screenshot(page, "library-empty")

    page.get_by_role("button", name="Scan your first folder…").click()
    expect(page.get_by_role("dialog", name="Scan a folder")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/scan$"))
    path = page.get_by_label("Folder to scan")
    expect(path).to_be_focused()
    expect(path).to_have_value(str(server.media_root))
    expect(page.get_by_role("button", name=f"Use {server.media_root}")).to_be_visible()
    expect(page.get_by_label("Include subfolders")).to_be_checked()
    expect(page.get_by_label("Probe every file again, even unchanged ones")).not_to_be_checked()
    screenshot(page, "scan-dialog-form")


def test_scan_reaches_100_percent_and_fills_the_grid_with_thumbnails(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """A scan ends at 100% with its counts and failures; the grid shows every video's details."""
    for name, sample in samples.items():
        copy_as(sample, server.media_root / name)
    (server.media_root / "holiday").mkdir()
    copy_as(samples["vp9_opus.webm"], server.media_root / "holiday" / HOSTILE)
    (server.media_root / "holiday" / "empty.mp4").write_bytes(b"")
    page.goto("/library")
    wait_until_live(page)

    job_id = start_scan_in_dialog(page, server.media_root)

    expect(page.locator("#scan-result")).to_be_visible()
    expect(bar(page)).to_have_attribute("aria-valuenow", "100")
    job = server.get(f"/api/v1/jobs/{job_id}")
    assert job["status"] == "complete"
    expect(page.locator("#scan-outcome")).to_have_text(f"Scan {job['status']}")
    expect(page.locator("#scan-outcome")).to_be_focused()
    expect(page.locator("#scan-percent")).to_have_text("100%")
    expect(page.locator("#scan-count")).to_have_text("8 of 8 files")
    assert counts(page) == {
        "new": "7",
        "updated": "0",
        "unchanged": "0",
        "errors": "1",
        "missing": "0",
        "reappeared": "0",
    }
    expect(page.locator("#scan-failure-list .path")).to_have_text(
        [str(server.media_root / "holiday" / "empty.mp4")]
    )
    expect(page.locator("#scan-failure-list .reason")).to_have_text(["the file is empty (0 bytes)"])
    expect(page.locator("#scan-abort")).to_be_hidden()
    screenshot(page, "scan-dialog-complete")

    page.keyboard.press("Escape")
    expect(page.locator("#scan-dialog")).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/library$"))
    expect(page.get_by_role("button", name="Scan a folder…")).to_be_focused()

    videos = server.get("/api/v1/videos", limit=50)["videos"]
    assert sorted(v["filename"] for v in videos) == sorted([*samples, HOSTILE])
    cards = page.locator("#video-grid .card")
    expect(page.locator("#library-summary")).to_have_text("Videos 1\N{EN DASH}7 of 7")
    expect(cards.locator(".name")).to_have_text([v["filename"] for v in videos])
    expect(cards.locator(".duration")).to_have_text([reference_timecode(v) for v in videos])
    expect(cards.locator(".codecs")).to_have_text(
        [f"{v['video_codec']} / {v['audio_codec'] or 'no audio'}" for v in videos]
    )
    expect(cards.locator(".resolution")).to_have_text(
        [re.compile(rf"^{v['width']}{TIMES}{v['height']} · ") for v in videos]
    )
    # The hostile name is text: no element was made from it.
    expect(cards.locator(".name a")).to_have_count(7)
    expect(cards.locator(".name a *")).to_have_count(0)
    expect(cards.locator("img")).to_have_count(7)

    # Every thumbnail gets made (by the job the scan queued), and the page shows the JPEG.
    expect(page.locator('#video-grid .card[data-thumbnail="made"]')).to_have_count(7)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#video-grid img')]"
        ".every((img) => img.complete && img.naturalWidth > 0)"
    )
    for image in cards.locator("img").all():
        source = image.get_attribute("src")
        assert source is not None
        answer = page.request.get(source)
        assert answer.headers["content-type"] == "image/jpeg"
        assert "x-thumbnail" not in answer.headers
    screenshot(page, "library")


def test_a_thumbnail_made_again_is_swapped_in_live(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """thumbnail_ready swaps one card's image in place; the list is not fetched again."""
    copy_as(samples["h264_aac.mp4"], server.media_root / "one.mp4")
    page.goto("/library")
    wait_until_live(page)
    start_scan_in_dialog(page, server.media_root)
    expect(page.locator("#scan-outcome")).to_be_visible()
    page.keyboard.press("Escape")
    card = page.locator("#video-grid .card")
    expect(card).to_have_attribute("data-thumbnail", "made")
    [video] = server.get("/api/v1/videos")["videos"]
    # The thumbnails job the scan queued has ended: none of its events is still on the way.
    [queued] = [job for job in server.get("/api/v1/jobs")["jobs"] if job["kind"] == "thumbnails"]
    row = page.locator(f'#jobs-body tr[data-job-id="{queued["job_id"]}"]')
    expect(row.locator(".status")).to_have_text("complete")
    before = card.locator("img").get_attribute("src")
    list_requests: list[str] = []
    page.on(
        "request",
        lambda request: (
            list_requests.append(request.url) if "/api/v1/videos?" in request.url else None
        ),
    )

    answer = server.post("/api/v1/videos/thumbnails", {"video_ids": [video["id"]], "force": True})
    assert answer.status_code == 202

    expect(card.locator("img")).not_to_have_attribute("src", before or "")
    expect(card.locator("img")).to_have_attribute(
        "src", re.compile(rf"^/api/v1/videos/{video['id']}/thumbnail\?v=ready-\d+$")
    )
    assert list_requests == []


def test_a_thumbnail_made_while_the_list_loads_is_not_lost(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """A list answer read before a thumbnail_ready event arrives after it: the event still wins.

    This is the race that once made the test above time out under load: the grid
    reloads when a scan completes, the queued thumbnails job finishes while that
    answer is on its way, and the answer (read before the thumbnail was recorded)
    used to overwrite the card the event had already updated. Here the answer is
    held back on purpose until the event has been handled.
    """
    copy_as(samples["h264_aac.mp4"], server.media_root / "one.mp4")
    assert server.post("/api/v1/videos/scan", {"path": str(server.media_root)}).status_code == 202
    held: list[tuple[Route, APIResponse]] = []

    def hold(route: Route) -> None:
        # Read the answer now, hand it over later.
        held.append((route, route.fetch()))

    [video] = wait_for_videos(server, 1)
    queued = [j for j in server.get("/api/v1/jobs")["jobs"] if j["kind"] == "thumbnails"]
    for job in queued:
        wait_for_job(server, job["job_id"])
    page.route(re.compile(r"/api/v1/videos\?"), hold)
    page.goto("/library")
    wait_until_live(page)
    page.wait_for_function("() => document.getElementById('view-library').ariaBusy === 'true'")
    # The page marks itself busy as it sends the request; the handler holding the answer
    # runs only while this thread is inside a Playwright call, and fetches first.
    deadline = time.monotonic() + 15
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(20)
    assert len(held) == 1

    remade = server.post("/api/v1/videos/thumbnails", {"video_ids": [video["id"]], "force": True})
    row = page.locator(f'#jobs-body tr[data-job-id="{remade.json()["job_id"]}"]')
    expect(row).to_have_attribute("data-outcome", "ok")
    route, answer = held.pop()
    route.fulfill(response=answer)

    card = page.locator("#video-grid .card")
    expect(card).to_have_count(1)
    expect(card.locator("img")).to_have_attribute(
        "src", re.compile(rf"^/api/v1/videos/{video['id']}/thumbnail\?v=ready-\d+$")
    )


def test_a_file_gone_since_the_last_scan_is_marked_missing(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """After a rescan without it, a file's card says since when it is missing; the rest do not."""
    kept = copy_as(samples["h264_aac.mp4"], server.media_root / "kept.mp4")
    assert server.post("/api/v1/videos/scan", {"path": str(server.media_root)}).status_code == 202
    page.goto("/library")
    wait_until_live(page)
    cards = page.locator("#video-grid .card")
    expect(cards.locator(".name")).to_have_text([kept.name])
    # Added later, so listed first (the library is newest first).
    gone = copy_as(samples["vp9_opus.webm"], server.media_root / "gone.webm")
    assert server.post("/api/v1/videos/scan", {"path": str(server.media_root)}).status_code == 202
    expect(cards.locator(".name")).to_have_text([gone.name, kept.name])

    gone.unlink()
    assert server.post("/api/v1/videos/scan", {"path": str(server.media_root)}).status_code == 202

    expect(cards.first).to_have_class("card card-missing")
    [missing] = [v for v in server.get("/api/v1/videos")["videos"] if v["missing"]]
    assert missing["filename"] == gone.name
    since = page.evaluate("(iso) => new Date(iso).toLocaleString()", missing["missing_since"])
    expect(cards.first.locator(".missing")).to_have_text(f"Missing since {since}")
    expect(cards.last).to_have_class("card")
    expect(cards.last.locator(".missing")).to_be_hidden()


@pytest.mark.prober("hang-on=stuck")
def test_abort_shows_the_cancelled_state_with_what_was_kept(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """Abort mid-scan: the dialog ends cancelled with the kept counts, and the grid shows them."""
    put_four_and_stuck(server, samples)
    page.goto("/library")
    wait_until_live(page)

    job_id = start_scan_in_dialog(page, server.media_root)

    progress = bar(page)
    expect(page.locator("#scan-count")).to_have_text("4 of 5 files")
    expect(progress).to_have_attribute("aria-valuenow", "80")
    expect(progress).to_have_attribute("aria-valuemin", "0")
    expect(progress).to_have_attribute("aria-valuemax", "100")
    expect(progress).to_have_attribute("aria-valuetext", "80%, 4 of 5 files")
    expect(page.locator("#scan-percent")).to_have_text("80%")
    current = page.locator("#scan-current").inner_text()
    assert current in {str(server.media_root / name) for name in FOUR}
    abort = page.get_by_role("button", name="Abort scan")
    expect(abort).to_be_enabled()
    screenshot(page, "scan-dialog-progress")

    abort.click()

    expect(page.locator("#scan-result")).to_be_visible()
    job = server.get(f"/api/v1/jobs/{job_id}")
    assert job["status"] == "cancelled"
    expect(page.locator("#scan-outcome")).to_have_text(f"Scan {job['status']}")
    expect(page.locator("#scan-reason")).to_have_text(job["error"])
    expect(page.locator("#scan-kept")).to_be_visible()
    assert counts(page) == {
        "new": "4",
        "updated": "0",
        "unchanged": "0",
        "errors": "0",
        "missing": "0",
        "reappeared": "0",
    }
    assert (job["result"]["new"], job["result"]["error_count"]) == (4, 0)
    expect(progress).to_have_attribute("aria-valuenow", "80")
    expect(page.locator("#scan-abort")).to_be_hidden()
    screenshot(page, "scan-dialog-cancelled")

    page.get_by_role("button", name="Close", exact=True).click()
    # The kept videos, in the library's order (newest first).
    kept = [v["filename"] for v in server.get("/api/v1/videos")["videos"]]
    assert sorted(kept) == sorted(FOUR)
    expect(page.locator("#video-grid .card .name")).to_have_text(kept)


def test_api_errors_are_shown_with_their_message(page: Page, server: GuiServer) -> None:
    """PATH_NOT_ALLOWED and INVALID_PATH appear with the server's message; no job is made."""
    page.goto("/scan")
    wait_until_live(page)
    path = page.get_by_label("Folder to scan")
    error = page.locator("#scan-error")

    outside = server.media_root.parent
    path.fill(str(outside))
    page.get_by_role("button", name="Start scan").click()

    refused = server.post("/api/v1/videos/scan", {"path": str(outside)})
    assert refused.status_code == 403
    expect(page.locator("#scan-error-code")).to_have_text("PATH_NOT_ALLOWED")
    expect(page.locator("#scan-error-message")).to_have_text(refused.json()["detail"]["message"])
    expect(error).to_be_visible()
    expect(path).to_have_attribute("aria-invalid", "true")
    expect(path).to_be_focused()
    screenshot(page, "scan-dialog-error")

    absent = server.media_root / "no such folder"
    path.fill(str(absent))
    expect(error).to_be_hidden()
    page.get_by_role("button", name="Start scan").click()

    invalid = server.post("/api/v1/videos/scan", {"path": str(absent)})
    assert invalid.status_code == 400
    expect(page.locator("#scan-error-code")).to_have_text("INVALID_PATH")
    expect(page.locator("#scan-error-message")).to_have_text(invalid.json()["detail"]["message"])
    expect(page).to_have_url(re.compile(r"/scan$"))
    assert server.get("/api/v1/jobs")["total"] == 0


@pytest.mark.prober("hang-on=stuck")
def test_reload_during_a_scan_picks_its_progress_up_again(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """A running scan is found again after SCAN_IN_PROGRESS, after a reload, and from the header."""
    put_four_and_stuck(server, samples)
    started = server.post("/api/v1/videos/scan", {"path": str(server.media_root)})
    assert started.status_code == 202
    job_id = started.json()["job_id"]

    page.goto("/scan")
    wait_until_live(page)
    page.get_by_role("button", name="Start scan").click()
    conflict = server.post("/api/v1/videos/scan", {"path": str(server.media_root)})
    assert conflict.status_code == 409
    expect(page.locator("#scan-error-code")).to_have_text("SCAN_IN_PROGRESS")
    expect(page.locator("#scan-error-message")).to_have_text(conflict.json()["detail"]["message"])
    page.get_by_role("button", name="Show that scan").click()
    expect(page).to_have_url(re.compile(rf"/scan\?job={job_id}$"))
    expect(page.locator("#scan-count")).to_have_text("4 of 5 files")

    page.reload()

    expect(page).to_have_url(re.compile(rf"/scan\?job={job_id}$"))
    expect(page.get_by_role("dialog", name="Scanning")).to_be_visible()
    expect(bar(page)).to_have_attribute("aria-valuenow", "80")
    expect(page.locator("#scan-count")).to_have_text("4 of 5 files")
    expect(page.locator("#scan-abort")).to_be_enabled()

    page.get_by_role("button", name="Hide").click()
    expect(page).to_have_url(re.compile(r"/library$"))
    pill = page.locator("#active-scan")
    expect(pill).to_have_text("Scan 80%")
    page.reload()
    wait_until_live(page)
    expect(pill).to_have_text("Scan 80%")
    pill.click()
    expect(page).to_have_url(re.compile(rf"/scan\?job={job_id}$"))
    expect(bar(page)).to_have_attribute("aria-valuenow", "80")

    page.get_by_role("button", name="Abort scan").click()
    expect(page.locator("#scan-result")).to_be_visible()
    ended = server.get(f"/api/v1/jobs/{job_id}")
    assert ended["status"] == "cancelled"
    expect(page.locator("#scan-outcome")).to_have_text(f"Scan {ended['status']}")
    expect(pill).to_be_hidden()


@pytest.mark.prober("hang-on=stuck")
def test_jobs_panel_is_live_and_cancels_a_running_job(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """/jobs lists a running scan with its progress live; its Cancel button ends it."""
    put_four_and_stuck(server, samples)
    page.goto("/jobs")
    wait_until_live(page)
    expect(page.locator("#jobs-empty")).to_be_visible()
    expect(page.get_by_role("link", name="Jobs")).to_have_attribute("aria-current", "page")

    job_id = server.post("/api/v1/videos/scan", {"path": str(server.media_root)}).json()["job_id"]

    row = page.locator(f'#jobs-body tr[data-job-id="{job_id}"]')
    expect(row.locator(".progress-text")).to_have_text("80% (4/5)")
    running = server.get(f"/api/v1/jobs/{job_id}")
    expect(row.locator(".kind")).to_have_text(running["kind"])
    expect(row.locator(".status")).to_have_text(running["status"])
    expect(row.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "80")
    expect(row.locator(".target")).to_have_text(str(server.media_root))
    screenshot(page, "jobs")

    row.get_by_role("button", name=f"Cancel {running['kind']} job {job_id}").click()

    expect(row.locator(".cancel")).to_be_hidden()
    ended = server.get(f"/api/v1/jobs/{job_id}")
    assert ended["status"] == "cancelled"
    expect(row.locator(".status")).to_have_text(ended["status"])
    expect(row.locator(".outcome")).to_have_text(ended["error"])
    expect(row.locator(".cancel")).to_be_hidden()
    # The four videos the scan stored before the cancel get their thumbnails job.
    jobs = server.get("/api/v1/jobs")["jobs"]
    assert [j["kind"] for j in jobs] == ["thumbnails", "scan"]
    expect(page.locator(f'#jobs-body tr[data-job-id="{jobs[0]["job_id"]}"]')).to_be_visible()
    expect(page.locator("#jobs-body tr")).to_have_count(2)


def test_search_paging_and_deep_links(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """Pages and searches live in the URL: reloading or linking to one shows the same videos."""
    for name, sample in samples.items():
        copy_as(sample, server.media_root / name)
    (server.media_root / "holiday").mkdir()
    copy_as(samples["h264_aac.mp4"], server.media_root / "holiday" / "Beach_2019.mp4")
    assert server.post("/api/v1/videos/scan", {"path": str(server.media_root)}).status_code == 202
    names = page.locator("#video-grid .card .name")

    page.goto("/library?per=3")
    wait_until_live(page)
    # The grid reloads when the scan completes, if it had not before the page loaded.
    expect(page.locator("#library-summary")).to_have_text("Videos 1\N{EN DASH}3 of 7")
    everything = server.get("/api/v1/videos", limit=50)["videos"]
    expect(names).to_have_text([v["filename"] for v in everything[:3]])
    expect(page.locator("#page-status")).to_have_text("Page 1 of 3")
    expect(page.locator("#page-prev")).to_have_attribute("aria-disabled", "true")

    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"/library\?page=2&per=3$"))
    expect(names).to_have_text([v["filename"] for v in everything[3:6]])
    page.reload()
    expect(page.locator("#library-summary")).to_have_text("Videos 4\N{EN DASH}6 of 7")
    expect(names).to_have_text([v["filename"] for v in everything[3:6]])
    page.go_back()
    expect(page).to_have_url(re.compile(r"/library\?per=3$"))
    expect(names).to_have_text([v["filename"] for v in everything[:3]])

    page.get_by_label("Search", exact=True).fill("beach")
    expect(page).to_have_url(re.compile(r"/library\?q=beach&per=3$"))
    expect(names).to_have_text(["Beach_2019.mp4"])
    expect(page.locator("#library-summary")).to_have_text("1 match for “beach”")
    expect(page.locator("#pager")).to_be_hidden()

    page.goto("/library?q=vp9")
    expect(page.get_by_label("Search", exact=True)).to_have_value("vp9")
    found = server.get("/api/v1/videos/search", q="vp9")["videos"]
    assert [v["filename"] for v in found] == ["vp9_opus.webm"]
    expect(names).to_have_text(["vp9_opus.webm"])

    page.get_by_label("Search", exact=True).fill("zzzz")
    expect(page.locator("#library-nomatch")).to_have_text("No videos match “zzzz”.")
    expect(names).to_have_count(0)

    page.goto("/jobs")
    expect(page.get_by_role("heading", name="Jobs", level=1)).to_be_visible()
    expect(page.locator("#view-library")).to_be_hidden()


def test_dialog_is_keyboard_operable(page: Page, server: GuiServer) -> None:
    """Enter opens the dialog, Tab and Shift+Tab stay inside it, Esc closes it, focus returns."""
    page.goto("/library")
    wait_until_live(page)
    opener = page.get_by_role("button", name="Scan a folder…")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Scan a folder")
    expect(dialog).to_be_visible()
    expect(page.get_by_label("Folder to scan")).to_be_focused()

    def focused() -> str:
        return str(
            page.evaluate(
                "() => document.getElementById('scan-dialog').contains(document.activeElement)"
                " ? (document.activeElement.id || document.activeElement.textContent.trim())"
                " : 'OUTSIDE: ' + document.activeElement.outerHTML"
            )
        )

    cycle = []
    for _ in range(8):
        page.keyboard.press("Tab")
        cycle.append(focused())
    assert cycle == [
        str(server.media_root),
        "scan-recursive",
        "scan-force",
        "Cancel",
        "scan-start",
        TIMES,
        "scan-path",
        str(server.media_root),
    ]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused() == TIMES
    page.keyboard.press("Shift+Tab")
    assert focused() == "scan-start"

    page.keyboard.press("Escape")
    expect(page.locator("#scan-dialog")).to_be_hidden()
    expect(opener).to_be_focused()
    expect(page).to_have_url(re.compile(r"/library$"))

    # Opened by a link, with nothing focused before: focus goes to the button that opens it.
    page.goto("/scan")
    expect(page.get_by_label("Folder to scan")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#scan-dialog")).to_be_hidden()
    expect(opener).to_be_focused()
    expect(page).to_have_url(re.compile(r"/library$"))


def wait_for_videos(server: GuiServer, count: int) -> list[dict[str, Any]]:
    """The library once the scan under way has ended with ``count`` videos."""
    for job in server.get("/api/v1/jobs")["jobs"]:
        wait_for_job(server, job["job_id"])
    found: list[dict[str, Any]] = server.get("/api/v1/videos")["videos"]
    assert len(found) == count
    return found
