"""The jobs panel: a job's errors opened later, filters in the URL, finished jobs cleared."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from ..support.media import copy_as
from .conftest import GuiServer, screenshot
from .helpers import scan, settle_thumbnails, wait_until_live


def test_a_jobs_errors_open_from_the_panel(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """A scan's "1 error" opens a dialog with the file and the reason, long after the scan."""
    copy_as(samples["h264_aac.mp4"], server.media_root / "good.mp4")
    (server.media_root / "empty.mp4").write_bytes(b"")
    job = scan(server)
    settle_thumbnails(server)
    page.goto("/jobs")
    wait_until_live(page)
    row = page.locator(f'#jobs-body tr[data-job-id="{job["job_id"]}"]')

    row.get_by_role("button", name=f"Show the 1 error of {job['kind']} job {job['job_id']}").click()

    dialog = page.get_by_role("dialog", name=f"1 error of {job['kind']} job")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#errors-list .path")).to_have_text(
        [str(server.media_root / "empty.mp4")]
    )
    expect(dialog.locator("#errors-list .reason")).to_have_text(["the file is empty (0 bytes)"])
    screenshot(page, "jobs-errors")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(row.locator(".show-errors")).to_be_focused()


def test_filters_live_in_the_url(page: Page, server: GuiServer, samples: dict[str, Path]) -> None:
    """Kind and status filters narrow the rows, go into the address and come back on reload."""
    copy_as(samples["h264_aac.mp4"], server.media_root / "one.mp4")
    scan_job = scan(server)
    settle_thumbnails(server)
    vocabulary = server.vocabulary()
    thumbnails = vocabulary["job_kind_names"]["THUMBNAILS"]
    page.goto("/jobs")
    wait_until_live(page)
    rows = page.locator("#jobs-body tr")
    expect(rows).to_have_count(2)

    page.get_by_label("Kind").select_option(thumbnails)

    expect(page).to_have_url(re.compile(rf"/jobs\?kind={thumbnails}$"))
    expect(rows).to_have_count(1)
    expect(rows.locator(".kind")).to_have_text([thumbnails])
    page.reload()
    wait_until_live(page)
    expect(rows.locator(".kind")).to_have_text([thumbnails])
    expect(page.get_by_label("Kind")).to_have_value(thumbnails)

    page.get_by_label("Kind").select_option("")
    page.get_by_label("Status").select_option(vocabulary["job_status_names"]["FAILED"])
    expect(rows).to_have_count(0)
    expect(page.locator("#jobs-none-match")).to_contain_text("None of the jobs loaded matches")
    page.get_by_label("Status").select_option(scan_job["status"])
    expect(rows).to_have_count(2)


def test_finished_jobs_can_be_cleared_and_stay_cleared(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """Clear finished jobs empties the list (still after a reload); new jobs show; undo works."""
    copy_as(samples["h264_aac.mp4"], server.media_root / "one.mp4")
    scan(server)
    settle_thumbnails(server)
    page.goto("/jobs")
    wait_until_live(page)
    rows = page.locator("#jobs-body tr")
    expect(rows).to_have_count(2)

    page.get_by_role("button", name="Clear finished jobs").click()

    expect(rows).to_have_count(0)
    expect(page.locator("#jobs-none-match")).to_contain_text("Finished jobs were cleared")
    page.reload()
    wait_until_live(page)
    expect(page.locator("#jobs-none-match")).to_be_visible()
    expect(rows).to_have_count(0)
    assert server.get("/api/v1/jobs")["total"] == 2

    later = scan(server)
    expect(page.locator(f'#jobs-body tr[data-job-id="{later["job_id"]}"]')).to_be_visible()
    expect(rows).to_have_count(1)
    page.get_by_role("button", name="Show cleared jobs (2)").click()
    expect(rows).to_have_count(3)
