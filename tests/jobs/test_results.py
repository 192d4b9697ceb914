"""Job results: typed values, their JSON form, the capped error list, reading them back."""

from __future__ import annotations

from stoat_ferret.jobs.results import (
    MAX_REPORTED_ERRORS,
    CappedErrors,
    FileError,
    OpaqueResult,
    ScanResult,
    ThumbnailResult,
    VideoError,
    load_result,
)
from stoat_ferret.protocol import JobKind


def test_the_error_list_keeps_the_first_ones_and_counts_them_all() -> None:
    """Past MAX_REPORTED_ERRORS errors are counted but no longer kept."""
    errors: CappedErrors[FileError] = CappedErrors()
    for i in range(MAX_REPORTED_ERRORS + 7):
        errors = errors.add(FileError(f"/m/{i}.mp4", "bad"))
    assert errors.count == MAX_REPORTED_ERRORS + 7
    assert len(errors.items) == MAX_REPORTED_ERRORS
    assert errors.items[-1] == FileError(f"/m/{MAX_REPORTED_ERRORS - 1}.mp4", "bad")


def test_a_scan_result_keeps_the_original_apis_skipped() -> None:
    """The wire form has both ``skipped`` (the original's name) and ``unchanged``."""
    wire = ScanResult(scanned=5, unchanged=3).to_wire()
    assert list(wire) == [
        "scanned",
        "new",
        "updated",
        "skipped",
        "unchanged",
        "missing",
        "reappeared",
        "moved",
        "ignored",
        "error_count",
        "errors",
    ]
    assert (wire["skipped"], wire["unchanged"]) == (3, 3)


def test_a_scan_result_stored_before_moves_and_ignored_files_reads_as_none_of_them() -> None:
    """History written without ``moved`` and ``ignored`` reads back with 0 and {} for them."""
    wire = ScanResult(scanned=4, new=1, moved=2, ignored={".txt": 1}).to_wire()
    older = {key: value for key, value in wire.items() if key not in {"moved", "ignored"}}
    assert load_result(JobKind.SCAN, older) == ScanResult(scanned=4, new=1)
    # Typed, not opaque: served with every field the scan result schema documents.
    assert load_result(JobKind.SCAN, older).to_wire() == wire | {"moved": 0, "ignored": {}}


def test_results_are_read_back_by_their_jobs_kind() -> None:
    """load_result gives each kind's typed result from its JSON form."""
    scan = ScanResult(
        scanned=2,
        new=2,
        moved=1,
        ignored={"": 1, ".txt": 4},
        errors=CappedErrors((FileError("/a", "x"),), 3),
    )
    thumbs = ThumbnailResult(total=1, errors=CappedErrors((VideoError("v", "/b", "y"),), 1))
    assert load_result(JobKind.SCAN, scan.to_wire()) == scan
    assert load_result(JobKind.THUMBNAILS, thumbs.to_wire()) == thumbs


def test_results_that_cannot_be_typed_are_kept_untouched() -> None:
    """An unknown kind, or JSON that does not fit the kind, reads back as it was stored."""
    assert load_result("watch", {"applied": 1}) == OpaqueResult({"applied": 1})
    assert load_result(JobKind.SCAN, {"scanned": 1}) == OpaqueResult({"scanned": 1})
    bad_ignored = ScanResult(scanned=1).to_wire() | {"ignored": [".txt"]}
    assert load_result(JobKind.SCAN, bad_ignored) == OpaqueResult(bad_ignored)
    assert OpaqueResult({"applied": 1}).to_wire() == {"applied": 1}
