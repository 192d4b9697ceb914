"""In a real browser: the API docs under their CSP, and the page behind a token."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from ..support.media import copy_as
from .conftest import GuiServer
from .test_gui import start_scan_in_dialog, wait_until_live

TOKEN = "browser-token-0123456789abcdef"


def test_the_api_docs_work_under_their_content_security_policy(
    page: Page, server: GuiServer
) -> None:
    """Swagger UI renders every operation with no CSP violation (any would be a console error)."""
    page.goto("/docs")
    expect(page.locator("#operations-videos-post_scan")).to_be_visible()
    expect(page.locator("#operations-jobs-post_cancel_job")).to_be_visible()
    policy = httpx.get(f"{server.url}/docs", timeout=10).headers["content-security-policy"]
    assert "script-src 'self'" in policy


@pytest.mark.env(STOAT_API_TOKEN=TOKEN)
def test_the_log_in_link_opens_the_page_and_its_event_stream(
    page: Page, server: GuiServer, samples: dict[str, object]
) -> None:
    """The printed link logs the browser in: the page, its API calls and /ws all work."""
    link = next(line for line in server.log if "?token=" in line)
    assert f"/?token={TOKEN}" in link
    page.goto(f"/library?token={TOKEN}")
    expect(page).to_have_url(re.compile(r"/library$"))
    wait_until_live(page)
    # The cookie is HttpOnly: no script on the page can read it.
    assert page.evaluate("document.cookie") == ""
    copy_as(samples["h264_aac.mp4"], server.media_root / "clip.mp4")  # type: ignore[arg-type]
    start_scan_in_dialog(page, server.media_root)
    expect(page.locator("#scan-status")).to_have_text("complete")


@pytest.mark.env(STOAT_API_TOKEN=TOKEN)
def test_without_the_link_the_page_is_refused(page: Page, server: GuiServer) -> None:
    """Opening the page without logging in answers 401, and the page does not load."""
    response = page.goto("/library")
    assert response is not None
    assert response.status == 401
    expect(page.locator("#connection")).to_have_count(0)
