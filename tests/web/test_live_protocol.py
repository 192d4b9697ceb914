"""The page's protocol: words from /api/v1/info only, and a /ws client that resumes and resyncs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from playwright.sync_api import Page, Request, Route, WebSocketRoute, expect

from ..support.media import copy_as
from .conftest import GuiServer
from .test_gui import counts, start_scan_in_dialog, wait_until_live

WS_URL = re.compile(r"/ws(\?.*)?$")


class Renamer:
    """Gives every status, job kind, event type and error code a new spelling on the wire.

    If the page spelled any of these words itself instead of taking them from
    /api/v1/info, it could not follow a scan through this: its dialog would wait
    for a word that never comes, as the earlier system's did.
    """

    def __init__(self, protocol: dict[str, Any]) -> None:
        self.words = {w: f"{w}-v2" for w in [*protocol["job_statuses"], *protocol["job_kinds"]]}
        self.events = {t: f"{t}-v2" for t in protocol["event_types"].values()}
        self.codes = {c: f"{c}-v2" for c in protocol["error_codes"].values()}
        self.back = {new: old for old, new in self.words.items()}

    def info(self, body: dict[str, Any]) -> dict[str, Any]:
        protocol = body["protocol"]
        for key in ("job_statuses", "terminal_statuses", "job_kinds"):
            protocol[key] = [self.words[word] for word in protocol[key]]
        protocol["event_types"] = {n: self.events[t] for n, t in protocol["event_types"].items()}
        protocol["error_codes"] = {n: self.codes[c] for n, c in protocol["error_codes"].items()}
        return body

    def error(self, body: Any) -> Any:
        """An error envelope with its code respelt."""
        detail = body.get("detail") if isinstance(body, dict) else None
        if isinstance(detail, dict) and detail.get("code") in self.codes:
            detail["code"] = self.codes[detail["code"]]
        return body

    def jobs(self, node: Any) -> Any:
        """Rename ``status`` and ``kind`` wherever a job (or part of one) carries them."""
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("status", "kind") and isinstance(value, str) and value in self.words:
                    node[key] = self.words[value]
                else:
                    self.jobs(value)
        elif isinstance(node, list):
            for item in node:
                self.jobs(item)
        return node

    def event(self, message: str | bytes) -> str:
        event = json.loads(message)
        event["type"] = self.events[event["type"]]
        self.jobs(event["payload"])
        return json.dumps(event)

    def query(self, url: str) -> str:
        """A request URL with any renamed word in its query turned back into the server's."""
        parts = urlsplit(url)
        pairs = [(k, self.back.get(v, v)) for k, v in parse_qsl(parts.query)]
        return urlunsplit(parts._replace(query=urlencode(pairs)))


def install(page: Page, renamer: Renamer) -> None:
    """Put ``renamer`` between the page and the server, for HTTP and for /ws."""

    def relay_http(route: Route) -> None:
        answer = route.fetch(url=renamer.query(route.request.url))
        if not answer.headers.get("content-type", "").startswith("application/json"):
            route.fulfill(response=answer)
            return
        body = answer.json()
        if urlsplit(route.request.url).path == "/api/v1/info":
            body = renamer.info(body)
        if answer.status >= 400:
            body = renamer.error(body)
        route.fulfill(response=answer, json=renamer.jobs(body))

    def relay_ws(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()
        server.on_message(lambda message: socket.send(renamer.event(message)))

    # Every JSON answer that can carry a protocol word; images pass untouched.
    page.route(re.compile(r"/api/v1/(info|jobs[/?]?.*|videos/scan)$"), relay_http)
    page.route_web_socket(WS_URL, relay_ws)


def test_every_status_and_event_word_comes_from_the_server(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """With every protocol word respelt on the wire, the page still follows a scan to its end."""
    for name in ("h264_aac.mp4", "vp9_opus.webm", "silent.m4v"):
        copy_as(samples[name], server.media_root / name)
    renamer = Renamer(server.vocabulary())
    install(page, renamer)
    page.goto("/library")
    wait_until_live(page)

    job_id = start_scan_in_dialog(page, server.media_root)

    expect(page.locator("#scan-result")).to_be_visible()
    job = server.get(f"/api/v1/jobs/{job_id}")
    assert job["status"] == "complete"
    expect(page.locator("#scan-outcome")).to_have_text(f"Scan {job['status']}-v2")
    expect(page.locator("#scan-status")).to_have_text(f"{job['status']}-v2")
    expect(page.get_by_role("progressbar", name="Scan progress")).to_have_attribute(
        "aria-valuenow", "100"
    )
    assert counts(page)["new"] == "3"
    page.keyboard.press("Escape")
    # scan_completed (respelt) made the grid load the new videos.
    expect(page.locator("#video-grid .card")).to_have_count(3)

    page.get_by_role("link", name="Jobs").click()
    row = page.locator(f'#jobs-body tr[data-job-id="{job_id}"]')
    expect(row.locator(".kind")).to_have_text(f"{job['kind']}-v2")
    expect(row.locator(".status")).to_have_text(f"{job['status']}-v2")
    expect(row.locator(".cancel")).to_be_hidden()
    # thumbnail_ready (respelt) reached the grid too.
    page.get_by_role("link", name="Library").click()
    expect(page.locator('#video-grid .card[data-thumbnail="made"]')).to_have_count(3)


@pytest.mark.prober("hang-on=stuck")
def test_error_codes_come_from_the_server(
    page: Page, server: GuiServer, samples: dict[str, Path]
) -> None:
    """With every error code respelt, a conflicting scan still offers the scan it conflicts with."""
    copy_as(samples["h264_aac.mp4"], server.media_root / "stuck.mp4")
    running = server.post("/api/v1/videos/scan", {"path": str(server.media_root)}).json()["job_id"]
    renamer = Renamer(server.vocabulary())
    install(page, renamer)
    page.goto("/scan")
    wait_until_live(page)

    page.get_by_role("button", name="Start scan").click()

    expect(page.locator("#scan-error-code")).to_have_text("SCAN_IN_PROGRESS-v2")
    page.get_by_role("button", name="Show that scan").click()
    expect(page).to_have_url(re.compile(rf"/scan\?job={running}$"))
    page.get_by_role("button", name="Abort scan").click()
    expect(page.locator("#scan-result")).to_be_visible()

    outside = str(server.media_root.parent)
    page.get_by_role("button", name="Scan another folder").click()
    page.get_by_label("Folder to scan").fill(outside)
    page.get_by_role("button", name="Start scan").click()
    expect(page.locator("#scan-error-code")).to_have_text("PATH_NOT_ALLOWED-v2")
    expect(page.get_by_label("Folder to scan")).to_have_attribute("aria-invalid", "true")


def test_a_server_without_a_needed_event_type_is_reported(page: Page, server: GuiServer) -> None:
    """If /api/v1/info lacks an event the page listens for, it says so instead of waiting."""

    def drop_progress(route: Route) -> None:
        answer = route.fetch()
        body = answer.json()
        del body["protocol"]["event_types"]["JOB_PROGRESS"]
        route.fulfill(response=answer, json=body)

    page.route("**/api/v1/info", drop_progress)
    page.goto("/library")

    expect(page.locator("body")).to_have_attribute("data-ready", "error")
    expect(page.get_by_role("alert")).to_have_text(
        "This page does not match the server (the server has no event types named JOB_PROGRESS)."
    )


def test_event_stream_resumes_after_a_drop_and_reloads_on_resync(
    page: Page, server: GuiServer
) -> None:
    """After a drop the page resumes with ?last_event_id=; only resync_required reloads state."""
    connections: list[WebSocketRoute] = []
    forwarded: list[int] = []

    def relay(socket: WebSocketRoute) -> None:
        upstream = socket.connect_to_server()

        def forward(message: str | bytes) -> None:
            socket.send(message)
            event_id = json.loads(message)["id"]
            if event_id is not None:
                forwarded.append(event_id)

        upstream.on_message(forward)
        connections.append(socket)

    def is_jobs_reload(request: Request) -> bool:
        return urlsplit(request.url).path == "/api/v1/jobs"

    page.route_web_socket(WS_URL, relay)
    page.goto("/library")
    wait_until_live(page)
    assert [urlsplit(socket.url).query for socket in connections] == [""]
    # A scan of the empty root: its last event is scan_completed, on which the grid reloads.
    with page.expect_request(re.compile(r"/api/v1/videos\?")):
        first = server.post("/api/v1/videos/scan", {"path": str(server.media_root)})
    last_seen = forwarded[-1]
    reloads: list[str] = []
    page.on(
        "request", lambda request: reloads.append(request.url) if is_jobs_reload(request) else None
    )

    connections[0].close()
    second = server.post("/api/v1/videos/scan", {"path": str(server.media_root)}).json()["job_id"]

    # The second scan's events reach the page through the resumed stream, not a reload.
    row = page.locator(f'#jobs-body tr[data-job-id="{second}"]')
    expect(row).to_have_attribute("data-outcome", "ok")
    expect(row.locator(".status")).to_have_text(server.get(f"/api/v1/jobs/{second}")["status"])
    assert first.status_code == 202
    assert [urlsplit(socket.url).query for socket in connections] == [
        "",
        f"last_event_id={last_seen}",
    ]
    assert reloads == []

    resync = server.vocabulary()["event_types"]["RESYNC_REQUIRED"]
    with (
        page.expect_request(is_jobs_reload),
        page.expect_request(re.compile(r"/api/v1/videos\?")),
    ):
        connections[1].send(
            json.dumps(
                {
                    "id": None,
                    "type": resync,
                    "payload": {"reason": f"events after id {last_seen} are no longer held"},
                    "correlation_id": None,
                    "timestamp": "2026-11-21T00:00:00.000Z",
                }
            )
        )
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
