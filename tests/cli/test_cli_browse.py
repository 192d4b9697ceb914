"""The CLI's browsing: sorted and filtered ``videos``, ``folders``, ``duplicates``, ``export``."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import opentimelineio as otio
import pytest
import trio

from stoat_ferret.client import Client, open_client

from ..conftest import LiveServer
from ..support.fingerprints import set_fingerprints
from ..support.media import copy_as
from .test_cli_commands import cells, lines, stoat

LAYOUT = {
    "shoot/clip_10.mp4": "h264_aac.mp4",
    "shoot/clip_2.webm": "vp9_opus.webm",
    "shoot/day2/clip_1.mkv": "h264_vorbis.mkv",
    "other/take.mov": "mjpeg_pcm.mov",
}


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[Client]:
    async with open_client(live_server.url) as client:
        yield client


@pytest.fixture
async def library(client: Client, samples: dict[str, Path], media_root: Path) -> str:
    for relative, sample in LAYOUT.items():
        (media_root / relative).parent.mkdir(parents=True, exist_ok=True)
        copy_as(samples[sample], media_root / relative)
    job = await client.scan(str(media_root))
    with trio.fail_after(30):
        await client.wait(job.job_id)
    return os.path.realpath(media_root)  # noqa: ASYNC240 - a tmp path, set-up only


async def test_videos_sorts_filters_and_pages_by_cursor(
    live_server: LiveServer, library: str
) -> None:
    """--sort, --order and the filters shape the list; 'more:' gives the next page's cursor."""
    done = await stoat(
        live_server.url, "videos", "--sort", "filename", "--folder", f"{library}/shoot"
    )
    assert (done.returncode, done.stderr) == (0, b""), done
    _, *rows, count = lines(done.stdout)
    assert [cells(row)[-1] for row in rows] == [
        f"{library}/shoot/day2/clip_1.mkv",
        f"{library}/shoot/clip_2.webm",
        f"{library}/shoot/clip_10.mp4",
    ]
    assert count == "3 of 3 videos"
    first = await stoat(
        live_server.url, "videos", "--sort", "path", "--order", "desc", "--limit", "2"
    )
    *_, count, more = lines(first.stdout)
    assert count == "2 of 4 videos"
    assert more.startswith("more: --after ")
    cursor = more.removeprefix("more: --after ")
    rest = await stoat(
        live_server.url,
        "videos",
        "--sort",
        "path",
        "--order",
        "desc",
        "--limit",
        "2",
        "--after",
        cursor,
    )
    _, *rest_rows, rest_count = lines(rest.stdout)
    assert [cells(row)[-1] for row in rest_rows] == [
        f"{library}/shoot/clip_10.mp4",
        f"{library}/other/take.mov",
    ]
    assert rest_count == "2 of 4 videos"
    flat = await stoat(
        live_server.url, "videos", "--json", "--folder", f"{library}/shoot", "--flat",
        "--video-codec", "h264", "--missing", "false",
    )  # fmt: skip
    assert [v["filename"] for v in json.loads(flat.stdout)["videos"]] == ["clip_10.mp4"]


async def test_videos_refuses_bad_filter_values(live_server: LiveServer) -> None:
    """A value the command line cannot read is a usage error naming what it takes."""
    done = await stoat(live_server.url, "videos", "--missing", "perhaps")
    assert done.returncode == 2
    assert "must be true or false" in done.stderr.decode()
    sort = await stoat(live_server.url, "videos", "--sort", "colour")
    assert sort.returncode == 2
    assert "filename" in sort.stderr.decode()


async def test_folders_lists_the_tree(live_server: LiveServer, library: str) -> None:
    """``folders`` shows the top folder; ``folders PARENT`` the folders below it."""
    top = await stoat(live_server.url, "folders")
    assert (top.returncode, top.stderr) == (0, b""), top
    assert lines(top.stdout) == [
        "VIDEOS  HERE  MISSING  FOLDERS  PATH",
        f"     4     0        0        2  {library}",
    ]
    below = await stoat(live_server.url, "folders", library)
    assert lines(below.stdout) == [
        f"{library}: 4 videos (0 here, 0 missing)",
        "VIDEOS  HERE  MISSING  FOLDERS  PATH",
        f"     1     1        0        0  {library}/other",
        f"     3     2        0        1  {library}/shoot",
    ]


async def test_duplicates_lists_groups(live_server: LiveServer, library: str) -> None:
    """``duplicates`` prints each group's copies with the file's size."""
    await set_fingerprints(
        live_server.service.library.path,
        {os.path.join(library, r): "35500:00ff" for r in ("shoot/clip_10.mp4", "other/take.mov")},
    )
    done = await stoat(live_server.url, "duplicates")
    assert (done.returncode, done.stderr) == (0, b""), done
    assert lines(done.stdout)[1:] == [
        f"  {library}/other/take.mov",
        f"  {library}/shoot/clip_10.mp4",
        "1 of 1 groups of duplicates",
    ]
    assert lines(done.stdout)[0].startswith("2 copies of ")


async def test_export_writes_each_format(
    live_server: LiveServer, library: str, tmp_path: Path
) -> None:
    """``export`` writes CSV to standard output and OTIO to a file that reads back."""
    to_stdout = await stoat(live_server.url, "export", "--format", "csv", "--sort", "filename")
    assert to_stdout.returncode == 0, to_stdout
    rows = list(csv.DictReader(io.StringIO(to_stdout.stdout.decode(), newline="")))
    assert [r["filename"] for r in rows] == ["clip_1.mkv", "clip_2.webm", "clip_10.mp4", "take.mov"]
    target = tmp_path / "bin.otio"
    to_file = await stoat(
        live_server.url,
        "export",
        "--format",
        "otio",
        "--folder",
        f"{library}/other",
        "-o",
        str(target),
    )
    assert (to_file.returncode, to_file.stdout) == (0, b""), to_file
    assert to_file.stderr.decode().startswith("stoat-ferret: wrote ")
    bin_ = otio.adapters.read_from_string(await trio.Path(target).read_text(), "otio_json")
    assert [clip.name for clip in bin_] == ["take.mov"]
