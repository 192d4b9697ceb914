"""Expected values shared by tests."""

from __future__ import annotations

from typing import Any


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
        "error_count": 0,
        "errors": [],
        **counts,
    }
