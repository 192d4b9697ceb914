"""Expected client values, built from the shared expected wire values."""

from __future__ import annotations

from typing import Any

from stoat_ferret.client import ScanResult

from ..support.results import scan_result


def expected_scan(scanned: int, **counts: Any) -> ScanResult:
    """The ScanResult the client reads from a scan result with these counts."""
    return ScanResult.from_json(scan_result(scanned, **counts))
