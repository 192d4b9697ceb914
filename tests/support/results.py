"""Expected values shared by tests."""

from __future__ import annotations

from typing import Any

from stoat_ferret.library.models import SavedFiles


def scan_result(scanned: int, **counts: Any) -> dict[str, Any]:
    """A scan job's result with every count zero but ``scanned`` and ``counts``."""
    return {
        "scanned": scanned,
        "new": 0,
        "updated": 0,
        "skipped": 0,
        "unchanged": 0,
        "missing": 0,
        "reappeared": 0,
        "moved": 0,
        "ignored": {},
        "error_count": 0,
        "errors": [],
        **counts,
    }


def counts(saved: SavedFiles) -> tuple[int, int]:
    """How many videos a ``save_probed`` batch added and updated."""
    return len(saved.added), len(saved.updated)
