"""Readiness and writes over HTTP when the database is deleted, replaced, full or read-only."""

from __future__ import annotations

from pathlib import Path

import httpx
import trio

from ..conftest import LiveServer
from ..support.library_faults import fill, make_read_only, make_room


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def assert_not_ready(client: httpx.AsyncClient, reason_start: str) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    database = body["checks"]["database"]
    assert database["status"] == "error"
    assert database["reason"].startswith(reason_start)
    assert (body["checks"]["ffprobe"]["status"], body["checks"]["ffmpeg"]["status"]) == ("ok", "ok")


async def test_a_deleted_database_is_not_ready_and_refuses_writes(
    live_server: LiveServer, client: httpx.AsyncClient, media_root: Path
) -> None:
    """After rm library.db*: readiness 503 saying so; scans and deletes 503 LIBRARY_UNAVAILABLE."""
    database = live_server.service.settings.database_path
    await trio.to_thread.run_sync(_remove_database, database)
    await assert_not_ready(client, f"the database file {database} was deleted")
    for response in (
        await client.post("/api/v1/videos/scan", json={"path": str(media_root)}),
        await client.post("/api/v1/videos/thumbnails", json={}),
        await client.delete("/api/v1/videos/some-id"),
    ):
        assert response.status_code == 503, response.text
        detail = response.json()["detail"]
        assert detail["code"] == "LIBRARY_UNAVAILABLE"
        assert detail["message"].startswith(f"the database file {database} was deleted")
    assert live_server.service.runner.live_count == 0


async def test_a_full_database_answers_storage_full_then_recovers(
    live_server: LiveServer, client: httpx.AsyncClient
) -> None:
    """With no room left: readiness 503 and writes 503 STORAGE_FULL; with room, both recover."""
    library = live_server.service.library
    await fill(library)
    await assert_not_ready(client, f"the library at {library.path} cannot grow")
    response = await client.post("/api/v1/videos/thumbnails", json={})
    assert response.status_code == 503
    assert response.json()["detail"]["code"] == "STORAGE_FULL"
    listing = await client.get("/api/v1/videos")
    assert listing.status_code == 200

    await make_room(library)
    accepted = await client.post("/api/v1/videos/thumbnails", json={})
    assert accepted.status_code == 202
    with trio.fail_after(30):
        await live_server.service.runner.wait(accepted.json()["job_id"])
    ready = await client.get("/health/ready")
    assert ready.status_code == 200


async def test_a_read_only_database_answers_library_unavailable(
    live_server: LiveServer, client: httpx.AsyncClient
) -> None:
    """Writes to a read-only database answer 503 LIBRARY_UNAVAILABLE; readiness then says so."""
    library = live_server.service.library
    await make_read_only(library)
    response = await client.post("/api/v1/videos/thumbnails", json={})
    assert response.status_code == 503
    detail = response.json()["detail"]
    assert detail["code"] == "LIBRARY_UNAVAILABLE"
    assert detail["message"].startswith(f"the library at {library.path} is read-only")
    await assert_not_ready(client, f"the library at {library.path} is read-only")
    await make_read_only(library, read_only=False)
