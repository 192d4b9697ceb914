"""``GET /api/v1/videos/{id}/stream``: the file for a player, with byte ranges, kept in bounds."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from stoat_ferret.api.routes import stream as stream_route
from stoat_ferret.playback import content_type, resolve_range
from stoat_ferret.playback.files import read_at
from stoat_ferret.playback.ranges import ByteRange, RangeNotSatisfiable

from ..conftest import LiveServer
from ..support.media import copy_as


async def scan_one(
    live_server: LiveServer, client: httpx.AsyncClient, media_root: Path, source: Path, name: str
) -> dict[str, Any]:
    """Copy ``source`` into the root as ``name``, scan it; its video."""
    copy_as(source, media_root / name)
    response = await client.post("/api/v1/videos/scan", json={"path": str(media_root)})
    assert response.status_code == 202, response.text
    with trio.fail_after(30):
        job = await live_server.service.runner.wait(response.json()["job_id"])
    assert job.status == "complete"
    videos = (await client.get("/api/v1/videos")).json()["videos"]
    [video] = [v for v in videos if v["filename"] == name]
    return dict(video)


@pytest.fixture
async def clip(
    live_server: LiveServer, client: httpx.AsyncClient, media_root: Path, samples: dict[str, Path]
) -> dict[str, Any]:
    """An H.264/AAC MP4 in the library."""
    return await scan_one(live_server, client, media_root, samples["h264_aac.mp4"], "clip.mp4")


async def test_whole_file_is_served_with_its_type_and_validators(
    client: httpx.AsyncClient, clip: dict[str, Any], samples: dict[str, Path]
) -> None:
    """Without a Range the file comes whole, 200, as video/mp4, offering byte ranges."""
    data = samples["h264_aac.mp4"].read_bytes()

    response = await client.get(f"/api/v1/videos/{clip['id']}/stream")

    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"].startswith('"')
    assert "last-modified" in response.headers
    assert "content-range" not in response.headers


async def test_a_range_is_answered_206_with_its_bytes(
    client: httpx.AsyncClient, clip: dict[str, Any], samples: dict[str, Path]
) -> None:
    """bytes=a-b, open-ended and suffix ranges each get exactly those bytes and Content-Range."""
    data = samples["h264_aac.mp4"].read_bytes()
    size = len(data)
    url = f"/api/v1/videos/{clip['id']}/stream"
    cases = {
        "bytes=0-99": (0, 100),
        "bytes=100-": (100, size),
        "bytes=-50": (size - 50, size),
        f"bytes={size - 10}-{size + 1000}": (size - 10, size),
        f"bytes=-{size * 2}": (0, size),
    }
    for header, (start, stop) in cases.items():
        response = await client.get(url, headers={"Range": header})
        assert response.status_code == 206, header
        assert response.content == data[start:stop], header
        assert response.headers["content-range"] == f"bytes {start}-{stop - 1}/{size}", header
        assert response.headers["content-length"] == str(stop - start), header
        assert response.headers["content-type"] == "video/mp4"


async def test_a_range_past_the_end_is_416_with_the_envelope(
    client: httpx.AsyncClient, clip: dict[str, Any]
) -> None:
    """A range from the end on: 416 RANGE_NOT_SATISFIABLE, Content-Range bytes */size."""
    size = clip["file_size"]

    response = await client.get(
        f"/api/v1/videos/{clip['id']}/stream", headers={"Range": f"bytes={size}-"}
    )

    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"
    assert response.json() == {
        "detail": {
            "code": "RANGE_NOT_SATISFIABLE",
            "message": f"the requested range is outside the file, which is {size} bytes long",
        }
    }


@pytest.mark.parametrize("header", ["bytes=abc", "lines=0-5", "bytes=0-1,5-6", "bytes=5-2"])
async def test_a_range_the_server_cannot_use_is_ignored(
    client: httpx.AsyncClient, clip: dict[str, Any], header: str
) -> None:
    """Malformed, other units and several ranges: the whole file, 200, as RFC 9110 allows."""
    response = await client.get(f"/api/v1/videos/{clip['id']}/stream", headers={"Range": header})

    assert response.status_code == 200
    assert len(response.content) == clip["file_size"]


async def test_if_range_and_if_none_match_follow_the_etag(
    client: httpx.AsyncClient, clip: dict[str, Any]
) -> None:
    """If-Range with the current ETag keeps the range, a stale one gets it all; a match is 304."""
    url = f"/api/v1/videos/{clip['id']}/stream"
    etag = (await client.head(url)).headers["etag"]

    current = await client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    stale = await client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"0-0-0"'})
    unchanged = await client.get(url, headers={"If-None-Match": etag})

    assert (current.status_code, len(current.content)) == (206, 10)
    assert (stale.status_code, len(stale.content)) == (200, clip["file_size"])
    assert (unchanged.status_code, unchanged.content) == (304, b"")


async def test_head_gives_the_headers_without_the_body(
    client: httpx.AsyncClient, clip: dict[str, Any]
) -> None:
    """HEAD answers the length, type and range support of the file, and no body."""
    response = await client.head(f"/api/v1/videos/{clip['id']}/stream")

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(clip["file_size"])
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["accept-ranges"] == "bytes"


async def test_unknown_video_and_vanished_file_are_404(
    client: httpx.AsyncClient, clip: dict[str, Any], media_root: Path
) -> None:
    """An unknown id, and a file deleted since its scan, are 404 NOT_FOUND saying which."""
    unknown = await client.get("/api/v1/videos/no-such-id/stream")
    (media_root / "clip.mp4").unlink()
    gone = await client.get(f"/api/v1/videos/{clip['id']}/stream")

    assert unknown.status_code == 404
    assert unknown.json()["detail"] == {
        "code": "NOT_FOUND",
        "message": "no video with id 'no-such-id'",
    }
    assert gone.status_code == 404
    assert gone.json()["detail"] == {
        "code": "NOT_FOUND",
        "message": f"the file is not there any more: {clip['path']}",
    }


async def test_a_file_replaced_by_a_folder_is_not_served(
    client: httpx.AsyncClient, clip: dict[str, Any], media_root: Path
) -> None:
    """A path that is now a directory is refused as not a regular file."""
    (media_root / "clip.mp4").unlink()
    (media_root / "clip.mp4").mkdir()

    response = await client.get(f"/api/v1/videos/{clip['id']}/stream")

    assert response.status_code == 404
    assert response.json()["detail"]["code"] == "NOT_FOUND"
    assert "clip.mp4" in response.json()["detail"]["message"]


async def test_a_folder_swapped_for_a_symlink_out_of_the_root_is_refused(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    media_root: Path,
    samples: dict[str, Path],
    tmp_path: Path,
) -> None:
    """A scanned folder replaced by a symlink to outside the roots: 403, no byte served."""
    (media_root / "shoot").mkdir()
    video = await scan_one(
        live_server, client, media_root / "shoot", samples["h264_aac.mp4"], "take.mp4"
    )
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "take.mp4").write_bytes(b"not for the page")
    shutil.rmtree(media_root / "shoot")
    os.symlink(secret, media_root / "shoot")

    response = await client.get(f"/api/v1/videos/{video['id']}/stream")

    assert response.status_code == 403
    assert response.json()["detail"] == {
        "code": "PATH_NOT_ALLOWED",
        "message": f"the file is outside the allowed scan roots now: {video['path']}",
    }
    assert b"not for the page" not in response.content


async def test_a_file_swapped_for_a_symlink_is_refused(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    clip: dict[str, Any],
    media_root: Path,
    tmp_path: Path,
) -> None:
    """The file itself replaced by a symlink leading out of the roots: 403."""
    outside = tmp_path / "elsewhere.mp4"
    outside.write_bytes(b"private")
    (media_root / "clip.mp4").unlink()
    os.symlink(outside, media_root / "clip.mp4")

    response = await client.get(f"/api/v1/videos/{clip['id']}/stream")

    assert response.status_code == 403
    assert response.json()["detail"]["code"] == "PATH_NOT_ALLOWED"


async def test_a_file_is_read_in_chunks_off_the_event_loop(
    client: httpx.AsyncClient,
    clip: dict[str, Any],
    samples: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every chunk is read in a worker thread, never on the event loop's; bytes arrive intact."""
    reads: list[tuple[int, int]] = []
    loop_thread = threading.get_ident()

    def recording_read(fd: int, offset: int, count: int) -> bytes:
        reads.append((threading.get_ident(), offset))
        return read_at(fd, offset, count)

    monkeypatch.setattr(stream_route, "CHUNK_SIZE", 1000)
    monkeypatch.setattr(stream_route, "read_at", recording_read)
    data = samples["h264_aac.mp4"].read_bytes()

    async with client.stream(
        "GET", f"/api/v1/videos/{clip['id']}/stream", headers={"Range": "bytes=500-"}
    ) as response:
        received = b"".join([chunk async for chunk in response.aiter_bytes()])

    assert response.status_code == 206
    assert received == data[500:]
    assert [offset for _, offset in reads] == list(range(500, len(data), 1000))
    assert all(thread != loop_thread for thread, _ in reads)


def test_content_types_by_extension_and_container() -> None:
    """Extensions name the type; an unknown one falls back to the container, then to bytes."""
    assert content_type("/m/a.MP4") == "video/mp4"
    assert content_type("/m/a.mov") == "video/quicktime"
    assert content_type("/m/a.mkv") == "video/x-matroska"
    assert content_type("/m/a.webm") == "video/webm"
    assert content_type("/m/a.mts") == "video/mp2t"
    assert content_type("/m/a.mpg") == "video/mpeg"
    assert content_type("/m/a.mxf") == "application/mxf"
    assert content_type("/m/a.clip", "matroska,webm") == "video/webm"
    assert content_type("/m/a.clip", "mov,mp4,m4a,3gp,3g2,mj2") == "video/mp4"
    assert content_type("/m/a.clip", "mystery") == "application/octet-stream"


def test_resolve_range_edges() -> None:
    """Ranges are clamped to the file; none, several or malformed mean the whole file."""
    assert resolve_range(None, 100) is None
    assert resolve_range("bytes=0-0", 100) == ByteRange(0, 1, 100)
    assert resolve_range("bytes=99-", 100) == ByteRange(99, 100, 100)
    assert resolve_range("bytes=-1", 100) == ByteRange(99, 100, 100)
    assert resolve_range("bytes=0-1,3-4", 100) is None
    assert resolve_range("bytes=x-", 100) is None
    with pytest.raises(RangeNotSatisfiable):
        resolve_range("bytes=100-", 100)
    with pytest.raises(RangeNotSatisfiable):
        resolve_range("bytes=-5", 0)
