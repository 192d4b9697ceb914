"""Deciding what a scan probes, what it skips and what it marks missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stoat_ferret.library.models import KnownFile
from stoat_ferret.scan.paths import resolve_roots
from stoat_ferret.scan.plan import FoundFile, ScanPlan, plan_scan
from stoat_ferret.scan.walk import walk_directory

from .test_walk import make_too_long_directory, touch

MTIME = 1_700_000_000_000_000_000


def found(path: str, size: int = 100, mtime_ns: int = MTIME) -> FoundFile:
    return FoundFile(path, size, mtime_ns)


FINGERPRINT = "100:" + "ab" * 16


def known(
    path: str,
    size: int = 100,
    mtime_ns: int = MTIME,
    *,
    missing: bool = False,
    fingerprint: str | None = FINGERPRINT,
) -> KnownFile:
    return KnownFile(path, size, mtime_ns, missing, fingerprint=fingerprint)


def library_of(*files: KnownFile) -> dict[str, KnownFile]:
    return {f.path: f for f in files}


def test_nothing_known_probes_everything() -> None:
    """On a first scan every file found is probed, in the order found."""
    files = [found("/m/b.mp4"), found("/m/a.mp4")]
    assert plan_scan(files, {}, force=False) == ScanPlan(
        to_probe=tuple(files), unchanged=(), reappeared=(), missing=()
    )


def test_unchanged_files_are_skipped() -> None:
    """A file with the same size and mtime as the library's is not probed again."""
    files = [found("/m/a.mp4")]
    assert plan_scan(files, library_of(known("/m/a.mp4")), force=False) == ScanPlan(
        to_probe=(), unchanged=tuple(files), reappeared=(), missing=()
    )


def test_changed_size_or_mtime_is_probed() -> None:
    """A file whose size or mtime differs from the library's is probed again."""
    files = [found("/m/size.mp4", size=101), found("/m/mtime.mp4", mtime_ns=MTIME + 1)]
    library = library_of(known("/m/size.mp4"), known("/m/mtime.mp4"))
    plan = plan_scan(files, library, force=False)
    assert plan.to_probe == tuple(files)
    assert (plan.unchanged, plan.reappeared, plan.missing) == ((), (), ())


def test_mixed_new_changed_and_unchanged() -> None:
    """New and changed files are probed, unchanged ones are skipped, each in found order."""
    new, changed, same = found("/m/new.mp4"), found("/m/changed.mp4", size=5), found("/m/same.mp4")
    library = library_of(known("/m/changed.mp4"), known("/m/same.mp4"))
    plan = plan_scan([new, changed, same], library, force=False)
    assert (plan.to_probe, plan.unchanged) == ((new, changed), (same,))


def test_force_probes_everything() -> None:
    """With force, unchanged files are probed too (a missing one comes back through the probe)."""
    files = [found("/m/a.mp4"), found("/m/b.mp4")]
    library = library_of(known("/m/a.mp4"), known("/m/b.mp4", missing=True), known("/m/c.mp4"))
    assert plan_scan(files, library, force=True) == ScanPlan(
        to_probe=tuple(files), unchanged=(), reappeared=(), missing=("/m/c.mp4",)
    )


def test_gone_files_are_missing_sorted() -> None:
    """Known files the walk did not find are missing, in path order."""
    library = library_of(known("/m/z.mp4"), known("/m/a.mp4"), known("/m/kept.mp4"))
    plan = plan_scan([found("/m/kept.mp4")], library, force=False)
    assert plan.missing == ("/m/a.mp4", "/m/z.mp4")


def test_already_missing_files_are_not_missing_again() -> None:
    """A file the library already marks missing is not reported missing a second time."""
    library = library_of(known("/m/a.mp4", missing=True), known("/m/b.mp4"))
    assert plan_scan([], library, force=False).missing == ("/m/b.mp4",)


def test_unchanged_missing_file_reappears() -> None:
    """A missing file found again unchanged is skipped and listed as reappeared."""
    back = found("/m/back.mp4")
    library = library_of(known("/m/back.mp4", missing=True), known("/m/here.mp4"))
    assert plan_scan([back, found("/m/here.mp4")], library, force=False) == ScanPlan(
        to_probe=(), unchanged=(back, found("/m/here.mp4")), reappeared=("/m/back.mp4",), missing=()
    )


def test_changed_missing_file_is_probed_not_reappeared() -> None:
    """A missing file found again with other contents is probed (the probe clears missing)."""
    back = found("/m/back.mp4", size=1)
    plan = plan_scan([back], library_of(known("/m/back.mp4", missing=True)), force=False)
    assert (plan.to_probe, plan.reappeared, plan.missing) == ((back,), (), ())


def test_files_under_unreadable_directories_are_never_missing() -> None:
    """Known files below a directory the walk could not list are not missing; neighbours are."""
    library = library_of(
        known("/m/locked/a.mp4"),
        known("/m/locked/deep/b.mp4"),
        known("/m/locked2/c.mp4"),
        known("/m/d.mp4"),
    )
    plan = plan_scan([], library, force=False, unreadable=["/m/locked"])
    assert plan.missing == ("/m/d.mp4", "/m/locked2/c.mp4")


def test_unreadable_scan_root_marks_nothing_missing() -> None:
    """When the scanned directory itself cannot be listed, nothing in it is missing."""
    library = library_of(known("/m/a.mp4"), known("/m/sub/b.mp4"))
    assert plan_scan([], library, force=False, unreadable=["/m"]).missing == ()


def test_unchanged_files_stored_without_a_fingerprint_are_fingerprinted_not_probed() -> None:
    """An unchanged file an older version stored (no fingerprint) is to be fingerprinted only."""
    files = [found("/m/a.mp4"), found("/m/b.mp4"), found("/m/c.mp4", size=7)]
    library = library_of(
        known("/m/a.mp4", fingerprint=None),
        known("/m/b.mp4"),
        known("/m/c.mp4", fingerprint=None),
    )
    assert plan_scan(files, library, force=False) == ScanPlan(
        to_probe=(files[2],),
        unchanged=(files[0], files[1]),
        reappeared=(),
        missing=(),
        to_fingerprint=(files[0],),
    )
    # Probed files are fingerprinted as they are probed: none is listed twice.
    assert plan_scan(files, library, force=True).to_fingerprint == ()


def test_walk_then_plan_keeps_files_behind_an_unlistable_directory(media_root: Path) -> None:
    """End to end: a known file inside a directory the walk cannot list is not marked missing."""
    root = os.path.realpath(media_root)
    deepest = make_too_long_directory(root)
    kept = touch(os.path.join(root, "kept.mp4"))
    library = library_of(
        known(os.path.join(deepest, "hidden.mp4")),
        known(kept, size=5, mtime_ns=os.stat(kept).st_mtime_ns),
        known(os.path.join(root, "deleted.mp4")),
    )
    walked = walk_directory(root, recursive=True, allowed_roots=resolve_roots([Path(root)]))
    plan = plan_scan(walked.files, library, force=False, unreadable=walked.unreadable)
    assert plan.missing == (os.path.join(root, "deleted.mp4"),)
    assert [f.path for f in plan.unchanged] == [kept]
    assert plan.to_probe == ()


def test_walk_then_plan_keeps_files_that_exist_but_cannot_be_read(media_root: Path) -> None:
    """A known file in a listable but unenterable (0o444) directory is not missing (root: skip)."""
    root = os.path.realpath(media_root)
    closed = os.path.join(root, "closed")
    inside = touch(os.path.join(closed, "inside.mp4"))
    os.chmod(closed, 0o444)
    try:
        if os.access(closed, os.X_OK):
            pytest.skip("running as root: chmod 444 does not deny entering the directory")
        walked = walk_directory(root, recursive=True, allowed_roots=resolve_roots([Path(root)]))
        # The walk saw the file's name but could not stat it: it exists, it is not gone.
        assert walked.errors == ((inside, "cannot read file: Permission denied"),)
        plan = plan_scan(
            walked.files, library_of(known(inside)), force=False, unreadable=walked.unreadable
        )
        assert plan.missing == ()
    finally:
        os.chmod(closed, 0o755)
