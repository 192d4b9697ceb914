"""The client's browsing: sorts and filters, cursors, folders, duplicates and exports."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import AsyncIterator
from fractions import Fraction
from pathlib import Path

import pytest
import trio

from stoat_ferret.client import (
    Client,
    ExportFormat,
    HdrFilter,
    InvalidRequest,
    NotFound,
    SortOrder,
    VideoSort,
    open_client,
)
from stoat_ferret.client.browse import filter_params

from ..conftest import LiveServer
from ..support.fingerprints import set_fingerprints
from ..support.media import copy_as

LAYOUT = {
    "a/clip_10.mp4": "h264_aac.mp4",
    "a/clip_2.webm": "vp9_opus.webm",
    "a/b/clip_1.mkv": "h264_vorbis.mkv",
    "c/take.mov": "mjpeg_pcm.mov",
}


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[Client]:
    async with open_client(live_server.url) as client:
        yield client


@pytest.fixture
async def library(client: Client, samples: dict[str, Path], media_root: Path) -> str:
    """``LAYOUT`` scanned; the media root as the server sees it."""
    for relative, sample in LAYOUT.items():
        (media_root / relative).parent.mkdir(parents=True, exist_ok=True)
        copy_as(samples[sample], media_root / relative)
    job = await client.scan(str(media_root))
    with trio.fail_after(30):
        await client.wait(job.job_id)
    return os.path.realpath(media_root)  # noqa: ASYNC240 - a tmp path, set-up only


def test_filters_become_query_parameters() -> None:
    """Booleans, fractions and enums are written the way the API reads them."""
    assert filter_params(
        {
            "missing": False,
            "frame_rate": Fraction(30000, 1001),
            "hdr": HdrFilter.HLG,
            "min_width": 5,
        }
    ) == {"missing": "false", "frame_rate": "30000/1001", "hdr": "HLG", "min_width": "5"}
    with pytest.raises(TypeError, match="colour"):
        filter_params({"colour": "red"})  # type: ignore[typeddict-unknown-key]


async def test_list_videos_sorts_and_filters(client: Client, library: str) -> None:
    """list_videos passes the sort, order and filters, and reads the answer's paging fields."""
    page = await client.list_videos(sort=VideoSort.FILENAME, folder=f"{library}/a")
    assert [v.filename for v in page.videos] == ["clip_1.mkv", "clip_2.webm", "clip_10.mp4"]
    assert (page.sort, page.order, page.total, page.total_exact, page.next) == (
        VideoSort.FILENAME,
        SortOrder.ASC,
        3,
        True,
        None,
    )
    flat = await client.list_videos(folder=f"{library}/a", recursive=False, video_codec="h264")
    assert [v.filename for v in flat.videos] == ["clip_10.mp4"]
    rate = await client.list_videos(frame_rate=Fraction(50))
    assert [v.filename for v in rate.videos] == ["take.mov"]
    with pytest.raises(InvalidRequest, match="'asc' or 'desc'"):
        await client.list_videos(order="sideways")


async def test_iter_videos_follows_the_cursor(client: Client, library: str) -> None:
    """iter_videos gives every video the filters keep, once, in the sort's order."""
    seen = [v.filename async for v in client.iter_videos(page_size=1, sort="path", order="desc")]
    assert seen == ["take.mov", "clip_2.webm", "clip_10.mp4", "clip_1.mkv"]
    first = await client.list_videos(limit=1, sort="path", order="desc")
    assert first.next is not None
    second = await client.list_videos(limit=1, after=first.next, sort="path", order="desc")
    assert [v.filename for v in second.videos] == ["clip_2.webm"]
    h264 = [v.filename async for v in client.iter_videos(page_size=1, video_codec="h264")]
    assert sorted(h264) == ["clip_1.mkv", "clip_10.mp4"]


async def test_search_takes_filters(client: Client, library: str) -> None:
    """search_videos narrows its matches by the filters."""
    found = await client.search_videos("clip", missing=False, max_width=80)
    assert sorted(v.filename for v in found.videos) == ["clip_10.mp4", "clip_2.webm"]
    assert (found.total, found.total_exact) == (2, True)


async def test_folders(client: Client, library: str) -> None:
    """folders() gives the top folder; folders(parent) the folders below it, with counts."""
    top = await client.folders()
    assert top.parent is None
    assert [(f.path, f.videos, f.folders) for f in top.folders] == [(library, 4, 2)]
    below = await client.folders(library)
    assert below.parent is not None
    assert below.parent.videos == 4
    assert [(f.name, f.videos, f.direct_videos, f.folders) for f in below.folders] == [
        ("a", 3, 2, 1),
        ("c", 1, 1, 0),
    ]


async def test_duplicates(live_server: LiveServer, client: Client, library: str) -> None:
    """duplicates() reads the groups of copies."""
    assert (await client.duplicates()).groups == ()
    await set_fingerprints(
        live_server.service.library.path,
        {os.path.join(library, r): "7:0123" for r in ("a/clip_10.mp4", "c/take.mov")},
    )
    page = await client.duplicates(limit=5)
    assert (page.total, page.limit, page.offset) == (1, 5, 0)
    [group] = page.groups
    assert (group.fingerprint, [v.filename for v in group.videos]) == (
        "7:0123",
        ["clip_10.mp4", "take.mov"],
    )


async def test_one_videos_copies_and_jobs(
    live_server: LiveServer, client: Client, library: str
) -> None:
    """video_copies() lists the other copies of a file; video_jobs() the jobs that covered it."""
    await set_fingerprints(
        live_server.service.library.path,
        {os.path.join(library, r): "7:0123" for r in ("a/clip_10.mp4", "c/take.mov")},
    )
    videos = {v.filename: v async for v in client.iter_videos()}
    copies = await client.video_copies(videos["clip_10.mp4"].id)
    assert [v.filename for v in copies] == ["take.mov"]
    assert await client.video_copies(videos["clip_1.mkv"].id) == ()
    [scan] = (await client.list_jobs()).jobs
    assert [j.job_id for j in await client.video_jobs(videos["take.mov"].id)] == [scan.job_id]
    assert await client.video_jobs(videos["take.mov"].id, limit=1) == (scan,)


async def test_export_to_a_file_and_to_a_stream(
    client: Client, library: str, tmp_path: Path
) -> None:
    """export() writes the server's export to a path or a binary stream, byte for byte."""
    target = tmp_path / "videos.csv"
    written = await client.export(ExportFormat.CSV, target, folder=f"{library}/a")
    data = await trio.Path(target).read_bytes()
    assert written == len(data)
    rows = list(csv.DictReader(io.StringIO(data.decode(), newline="")))
    assert [r["filename"] for r in rows] == ["clip_1.mkv", "clip_10.mp4", "clip_2.webm"]
    stream = io.BytesIO()
    await client.export("json", stream, sort=VideoSort.SIZE, order="asc", hdr=False)
    assert stream.getvalue().startswith(b"[\n{")
    with pytest.raises(InvalidRequest, match="'csv', 'json' or 'otio'"):
        await client.export("xml", io.BytesIO())


async def test_export_of_named_videos(client: Client, library: str) -> None:
    """export(video_ids=...) writes just those videos, in path order; an unknown id is NotFound."""
    everything = {v.filename: v.id for v in (await client.list_videos(limit=100)).videos}
    stream = io.BytesIO()
    ids = [everything["take.mov"], everything["clip_10.mp4"]]
    written = await client.export("csv", stream, video_ids=ids)
    assert written == len(stream.getvalue())
    rows = list(csv.DictReader(io.StringIO(stream.getvalue().decode(), newline="")))
    assert [r["filename"] for r in rows] == ["clip_10.mp4", "take.mov"]
    with pytest.raises(NotFound, match="'nope'"):
        await client.export("csv", io.BytesIO(), video_ids=[*ids, "nope"])
    with pytest.raises(ValueError, match="not both"):
        await client.export("csv", io.BytesIO(), video_ids=ids, missing=False)
