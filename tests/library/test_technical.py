"""The library keeps each video's technical metadata, and re-probes rows an older version wrote."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import trio

from stoat_ferret.library import schema
from stoat_ferret.library.models import TECHNICAL_VERSION
from stoat_ferret.library.store import ProbedFile, open_library
from stoat_ferret.probe.parse import ProbeResult, parse_probe_output
from stoat_ferret.probe.run import probe_arguments
from stoat_ferret.scan.plan import FoundFile, plan_scan

from ..support.results import counts


def probe(path: Path) -> ProbeResult:
    output = subprocess.run(
        probe_arguments("ffprobe", str(path)), capture_output=True, check=True
    ).stdout
    return parse_probe_output(str(path), output, file_size=path.stat().st_size)


def make_v1_library(path: Path, filenames: list[str]) -> None:
    """A library as 0.10.0 wrote it: schema version 1, a row per name, no technical metadata."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.executescript(f"BEGIN;\n{schema.MIGRATIONS[0]}\nPRAGMA user_version = 1;\nCOMMIT;")
        for n, name in enumerate(filenames):
            conn.execute(
                "INSERT INTO videos (id, path, directory, filename, duration_frames, "
                "duration_seconds, frame_rate_numerator, frame_rate_denominator, width, height, "
                "video_codec, container, file_size, file_mtime_ns, created_at, updated_at, "
                "probed_at) VALUES (?, ?, '/media', ?, 30, 1.001, 30000, 1001, 64, 48, 'h264', "
                "'mov', 100, 5, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', "
                "'2026-01-01T00:00:00.000Z')",
                (f"id-{n}", f"/media/{name}", name),
            )
    finally:
        conn.close()


def column(path: Path, sql: str) -> list[object]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute(sql)]
    finally:
        conn.close()


async def test_a_version_1_library_is_migrated_and_its_rows_probed_again(tmp_path: Path) -> None:
    """Old rows get a natural sort key and a frame rate, and are stale until probed again."""
    db = tmp_path / "library.db"
    names = ["clip_10.mp4", "Clip_2.mp4", "clip_1.mp4"]
    await trio.to_thread.run_sync(make_v1_library, db, names)
    async with open_library(db) as library:
        known = await library.known_files("/media", recursive=True)
        old = await library.get_video("id-0")
    assert {path: file.stale for path, file in known.items()} == {
        "/media/clip_10.mp4": True,
        "/media/Clip_2.mp4": True,
        "/media/clip_1.mp4": True,
    }
    assert old is not None
    assert (old.technical, old.start_timecode, old.fingerprint) == (None, None, None)
    ordered = await trio.to_thread.run_sync(
        column, db, "SELECT filename FROM videos ORDER BY filename_key"
    )
    assert ordered == ["clip_1.mp4", "Clip_2.mp4", "clip_10.mp4"]
    rates = await trio.to_thread.run_sync(column, db, "SELECT frame_rate FROM videos")
    assert rates == [30000 / 1001] * 3

    # Unchanged on disk, each stale row is still planned for probing, once.
    found = [FoundFile(path, 100, 5) for path in known]
    plan = plan_scan(found, known, force=False)
    assert (len(plan.to_probe), plan.unchanged) == (3, ())


async def test_probed_files_keep_their_whole_technical_metadata(
    tmp_path: Path, corpus: dict[str, Path]
) -> None:
    """What the probe found comes back exactly: in brief on every row, in full for one video."""
    result = await trio.to_thread.run_sync(probe, corpus["camera.mov"])
    async with open_library(tmp_path / "library.db") as library:
        assert counts(await library.save_probed([ProbedFile("/media/A001.mov", 7, result)])) == (
            1,
            0,
        )
        known = await library.known_files("/media", recursive=True)
        [listed], _ = await library.list_videos(limit=10, offset=0)
        video = await library.get_video(listed.id)
    assert known["/media/A001.mov"].stale is False
    assert listed.technical is None
    assert video is not None
    assert video.technical is not None
    assert (video.technical.container, video.technical.streams) == (
        result.container,
        result.streams,
    )
    main = result.video
    assert main is not None
    assert (video.start_timecode, video.end_timecode) == (
        result.start_timecode,
        result.end_timecode,
    )
    assert (video.rotation, video.display_width, video.display_height) == (
        main.rotation,
        main.display_width,
        main.display_height,
    )
    assert (video.pixel_format, video.bit_depth, video.field_order) == (
        main.pixel_format,
        main.bit_depth,
        main.field_order,
    )
    assert (video.audio_channels, video.audio_layout) == (2, "stereo")
    rows = await trio.to_thread.run_sync(
        column, tmp_path / "library.db", "SELECT technical_version FROM videos"
    )
    assert rows == [TECHNICAL_VERSION]


async def test_an_unreadable_stored_form_is_shown_without_technical_metadata(
    tmp_path: Path, corpus: dict[str, Path]
) -> None:
    """A stored form this version cannot read leaves the video listed, its details null."""
    result = await trio.to_thread.run_sync(probe, corpus["camera.mov"])
    db = tmp_path / "library.db"
    async with open_library(db) as library:
        await library.save_probed([ProbedFile("/media/A001.mov", 7, result)])
        [listed], _ = await library.list_videos(limit=10, offset=0)

        def spoil() -> None:
            conn = sqlite3.connect(db, isolation_level=None)
            try:
                conn.execute("UPDATE videos SET technical = '{\"version\": 99}'")
            finally:
                conn.close()

        await trio.to_thread.run_sync(spoil)
        video = await library.get_video(listed.id)
    assert video is not None
    assert (video.technical, video.start_timecode) == (None, "01:00:00;00")
