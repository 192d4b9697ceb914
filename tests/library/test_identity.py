"""The store keeps a video's identity across moves, its thumbnail across unchanged re-probes."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio

from stoat_ferret.library.models import SavedFiles, Video, VideoMove
from stoat_ferret.library.store import FingerprintedFile, Library, ProbedFile, open_library

from .test_store import probe_result

FP_A = "1000000:" + "a" * 32
FP_B = "1000000:" + "b" * 32
MTIME = 1_700_000_000_000_000_000


def probed(
    path: str, fingerprint: str | None, *, mtime_ns: int = MTIME, size: int = 1_000_000
) -> ProbedFile:
    return ProbedFile(path, mtime_ns, probe_result(file_size=size), fingerprint)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "library.db"


@pytest.fixture
async def library(db: Path) -> AsyncIterator[Library]:
    async with open_library(db) as lib:
        yield lib


def execute(db: Path, sql: str, *args: object) -> None:
    """Change the database behind the store's back (synchronous: run in a thread)."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute(sql, args)
    finally:
        conn.close()


async def by_path(library: Library) -> dict[str, Video]:
    videos, _ = await library.list_videos(limit=100, offset=0)
    return {video.path: video for video in videos}


async def stored(library: Library, path: str, fingerprint: str | None, **kw: int) -> str:
    """Store one probed file; its new id."""
    saved = await library.save_probed([probed(path, fingerprint, **kw)])
    (video_id,) = saved.added
    return video_id


async def with_thumbnail(library: Library, path: str, fingerprint: str | None, **kw: int) -> str:
    video_id = await stored(library, path, fingerprint, **kw)
    assert await library.set_thumbnail(video_id, f"/thumbs/{video_id}.jpg")
    return video_id


# -- moves -------------------------------------------------------------------------------------


async def test_a_new_path_with_a_missing_videos_fingerprint_is_that_video_moved(
    library: Library,
) -> None:
    """Same id, thumbnail and created_at; new path, folder and name; no longer missing."""
    video_id = await with_thumbnail(library, "/m/old/clip.mp4", FP_A)
    [before] = (await by_path(library)).values()
    assert await library.set_missing(["/m/old/clip.mp4"], missing=True) == [video_id]

    saved = await library.save_probed(
        [probed("/m/new/renamed.mp4", FP_A, mtime_ns=MTIME + 5 * 10**9)]
    )

    assert saved == SavedFiles(
        moved=(VideoMove(video_id, "/m/old/clip.mp4", "/m/new/renamed.mp4"),)
    )
    after = await library.get_video(video_id)
    assert after is not None
    assert (after.path, after.directory, after.filename) == (
        "/m/new/renamed.mp4",
        "/m/new",
        "renamed.mp4",
    )
    assert (after.thumbnail_path, after.created_at) == (before.thumbnail_path, before.created_at)
    assert (after.missing, after.missing_since, after.fingerprint) == (False, None, FP_A)
    assert after.modified_at > before.modified_at
    assert await library.count_videos() == 1
    # The search index follows the path: the new name is found, the old one is not.
    assert [v.id for v in (await library.search_videos("renamed", limit=5)).videos] == [video_id]
    assert (await library.search_videos("clip", limit=5)).total == 0
    known = await library.known_files("/m", recursive=True)
    assert sorted(known) == ["/m/new/renamed.mp4"]


async def test_a_copy_of_a_present_video_is_a_new_video(library: Library) -> None:
    """Both paths present: the second is added with its own id and the same fingerprint."""
    original = await stored(library, "/m/a.mp4", FP_A)

    saved = await library.save_probed([probed("/m/copy/a.mp4", FP_A)])

    (copy,) = saved.added
    assert (saved.updated, saved.moved, copy != original) == ((), (), True)
    videos = await by_path(library)
    assert {path: (v.id, v.fingerprint) for path, v in videos.items()} == {
        "/m/a.mp4": (original, FP_A),
        "/m/copy/a.mp4": (copy, FP_A),
    }


async def test_a_file_without_a_fingerprint_is_never_a_move(library: Library) -> None:
    """A new file whose fingerprint is unknown is added, even beside missing videos."""
    await stored(library, "/m/a.mp4", None)
    await library.set_missing(["/m/a.mp4"], missing=True)

    saved = await library.save_probed([probed("/m/b.mp4", None)])

    assert (len(saved.added), saved.moved) == (1, ())


async def test_a_different_fingerprint_is_not_a_move(library: Library) -> None:
    """Only the same fingerprint makes a move; other content at a new path is new."""
    await stored(library, "/m/a.mp4", FP_A)
    await library.set_missing(["/m/a.mp4"], missing=True)

    saved = await library.save_probed([probed("/m/b.mp4", FP_B)])

    assert (len(saved.added), saved.moved) == (1, ())
    assert (await by_path(library))["/m/a.mp4"].missing


async def test_one_missing_video_is_claimed_once_in_a_batch(library: Library) -> None:
    """Two new copies of one missing video in a batch: the first is the move, the second new."""
    video_id = await stored(library, "/m/a.mp4", FP_A)
    await library.set_missing(["/m/a.mp4"], missing=True)

    saved = await library.save_probed([probed("/m/x/a.mp4", FP_A), probed("/m/y/a.mp4", FP_A)])

    assert saved.moved == (VideoMove(video_id, "/m/a.mp4", "/m/x/a.mp4"),)
    assert len(saved.added) == 1
    assert (await by_path(library))["/m/x/a.mp4"].id == video_id


async def set_missing_since(db: Path, path: str, when: str) -> None:
    await trio.to_thread.run_sync(
        execute, db, "UPDATE videos SET missing_since = ? WHERE path = ?", when, path
    )


async def test_of_several_missing_candidates_the_same_name_wins(library: Library, db: Path) -> None:
    """The candidate with the new file's name is chosen over one missing more recently."""
    same_name = await stored(library, "/m/card1/C0001.MP4", FP_A)
    await stored(library, "/m/card2/other.MP4", FP_A)
    await library.set_missing(["/m/card1/C0001.MP4", "/m/card2/other.MP4"], missing=True)
    await set_missing_since(db, "/m/card1/C0001.MP4", "2026-01-01T00:00:00.000Z")
    await set_missing_since(db, "/m/card2/other.MP4", "2026-06-01T00:00:00.000Z")

    saved = await library.save_probed([probed("/m/archive/C0001.MP4", FP_A)])

    assert saved.moved == (VideoMove(same_name, "/m/card1/C0001.MP4", "/m/archive/C0001.MP4"),)


async def test_of_candidates_alike_by_name_the_most_recently_missing_wins(
    library: Library, db: Path
) -> None:
    """Among candidates that all (or none) share the name, the one missing latest is chosen."""
    await stored(library, "/m/a/clip.mp4", FP_A)
    latest = await stored(library, "/m/b/clip.mp4", FP_A)
    await stored(library, "/m/c/clip.mp4", FP_A)
    await library.set_missing(["/m/a/clip.mp4", "/m/b/clip.mp4", "/m/c/clip.mp4"], missing=True)
    await set_missing_since(db, "/m/a/clip.mp4", "2026-01-01T00:00:00.000Z")
    await set_missing_since(db, "/m/b/clip.mp4", "2026-03-01T00:00:00.000Z")
    await set_missing_since(db, "/m/c/clip.mp4", "2026-02-01T00:00:00.000Z")

    saved = await library.save_probed([probed("/m/d/renamed.mp4", FP_A)])

    assert saved.moved == (VideoMove(latest, "/m/b/clip.mp4", "/m/d/renamed.mp4"),)


async def test_candidates_missing_at_the_same_moment_go_by_path(library: Library, db: Path) -> None:
    """Candidates alike in name and time are taken in path order, never by chance."""
    first = await stored(library, "/m/a/clip.mp4", FP_A)
    await stored(library, "/m/b/clip.mp4", FP_A)
    await library.set_missing(["/m/b/clip.mp4", "/m/a/clip.mp4"], missing=True)
    for path in ("/m/a/clip.mp4", "/m/b/clip.mp4"):
        await set_missing_since(db, path, "2026-01-01T00:00:00.000Z")

    saved = await library.save_probed([probed("/m/z/clip.mp4", FP_A)])

    assert saved.moved == (VideoMove(first, "/m/a/clip.mp4", "/m/z/clip.mp4"),)


# -- thumbnails across re-probes ---------------------------------------------------------------


async def thumbnail_after(library: Library, item: ProbedFile) -> str | None:
    saved = await library.save_probed([item])
    (video_id,) = saved.updated
    video = await library.get_video(video_id)
    assert video is not None
    return video.thumbnail_path


async def test_a_re_probe_with_the_same_fingerprint_keeps_the_thumbnail(library: Library) -> None:
    """Same content (even touched: a new mtime) keeps the thumbnail; changed content loses it."""
    video_id = await with_thumbnail(library, "/m/a.mp4", FP_A)
    thumbnail = f"/thumbs/{video_id}.jpg"

    assert await thumbnail_after(library, probed("/m/a.mp4", FP_A, mtime_ns=MTIME + 9)) == thumbnail
    assert await thumbnail_after(library, probed("/m/a.mp4", FP_B)) is None


async def test_a_re_probe_without_a_fingerprint_loses_the_thumbnail(library: Library) -> None:
    """A new probe whose fingerprint is unknown cannot show the content is the same."""
    await with_thumbnail(library, "/m/a.mp4", FP_A)

    assert await thumbnail_after(library, probed("/m/a.mp4", None)) is None
    assert (await by_path(library))["/m/a.mp4"].fingerprint is None


@pytest.mark.parametrize(
    ("mtime_ns", "size", "kept"),
    [
        pytest.param(MTIME, 1_000_000, True, id="same-size-and-mtime"),
        pytest.param(MTIME + 1, 1_000_000, False, id="new-mtime"),
        pytest.param(MTIME, 999, False, id="new-size"),
    ],
)
async def test_a_video_stored_without_a_fingerprint_keeps_its_thumbnail_if_unchanged(
    library: Library, mtime_ns: int, size: int, kept: bool
) -> None:
    """Stored before fingerprints: size and mtime decide, as they decide what a scan skips."""
    video_id = await with_thumbnail(library, "/m/a.mp4", None)

    thumbnail = await thumbnail_after(
        library, probed("/m/a.mp4", FP_A, mtime_ns=mtime_ns, size=size)
    )

    assert thumbnail == (f"/thumbs/{video_id}.jpg" if kept else None)
    assert (await by_path(library))["/m/a.mp4"].fingerprint == FP_A


# -- fingerprints of unchanged files, purging ----------------------------------------------------


async def test_set_fingerprints_records_only_files_still_as_recorded(library: Library) -> None:
    """A fingerprint read at another size or mtime than the library's is not recorded."""
    await stored(library, "/m/a.mp4", None)
    await stored(library, "/m/b.mp4", None)
    await stored(library, "/m/c.mp4", None)

    changed = await library.set_fingerprints(
        [
            FingerprintedFile("/m/a.mp4", 1_000_000, MTIME, FP_A),
            FingerprintedFile("/m/b.mp4", 1_000_000, MTIME + 1, FP_B),
            FingerprintedFile("/m/c.mp4", 5, MTIME, FP_B),
            FingerprintedFile("/m/gone.mp4", 1_000_000, MTIME, FP_B),
        ]
    )

    assert changed == 1
    assert {p: v.fingerprint for p, v in (await by_path(library)).items()} == {
        "/m/a.mp4": FP_A,
        "/m/b.mp4": None,
        "/m/c.mp4": None,
    }
    assert await library.set_fingerprints([]) == 0


async def test_purge_missing_removes_missing_entries_in_path_order(library: Library) -> None:
    """Every missing entry goes (ids by path); present ones stay."""
    ids = {p: await stored(library, p, None) for p in ("/m/z.mp4", "/m/b/a.mp4", "/n/c.mp4")}
    await stored(library, "/m/present.mp4", None)
    await library.set_missing(list(ids), missing=True)

    assert await library.purge_missing() == [ids["/m/b/a.mp4"], ids["/m/z.mp4"], ids["/n/c.mp4"]]

    assert sorted(await by_path(library)) == ["/m/present.mp4"]
    assert await library.purge_missing() == []


async def test_purge_missing_in_a_folder_keeps_to_that_folder_tree(library: Library) -> None:
    """A folder purge takes missing entries in and below it, none in look-alike folders."""
    paths = ["/m/a/x.mp4", "/m/a/sub/y.mp4", "/m/a-b/z.mp4", "/m/ab/w.mp4", "/m/a.mp4"]
    ids = {p: await stored(library, p, None) for p in paths}
    await library.set_missing(paths, missing=True)

    removed = await library.purge_missing("/m/a")

    assert removed == [ids["/m/a/sub/y.mp4"], ids["/m/a/x.mp4"]]
    assert sorted(await by_path(library)) == ["/m/a-b/z.mp4", "/m/a.mp4", "/m/ab/w.mp4"]
    assert await library.purge_missing("/m/a/") == []
