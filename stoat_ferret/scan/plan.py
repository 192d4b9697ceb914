"""Deciding what a scan must probe. Pure: no I/O here."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import attrs

from ..library.models import KnownFile


def is_within(path: str, root: str) -> bool:
    """Whether resolved ``path`` is ``root`` or lies below it (both already resolved)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


@attrs.frozen
class FoundFile:
    """A video file the walk found, with what change detection compares."""

    path: str
    size: int
    mtime_ns: int


@attrs.frozen
class ScanPlan:
    #: New files, and files whose size or mtime changed (all files, with ``force``).
    to_probe: tuple[FoundFile, ...]
    #: Files whose size and mtime match what the library holds.
    unchanged: tuple[FoundFile, ...]
    #: Unchanged files the library had marked missing: they are back.
    reappeared: tuple[str, ...]
    #: Library entries in the scanned area whose file is gone.
    missing: tuple[str, ...]
    #: Unchanged files stored without a content fingerprint (by an older version): they
    #: are fingerprinted, not probed.
    to_fingerprint: tuple[FoundFile, ...] = ()


def plan_scan(
    found: Sequence[FoundFile],
    known: Mapping[str, KnownFile],
    *,
    force: bool,
    unreadable: Sequence[str] = (),
) -> ScanPlan:
    """Split what the walk ``found`` against what the library ``known``."""
    to_probe: list[FoundFile] = []
    unchanged: list[FoundFile] = []
    reappeared: list[str] = []
    to_fingerprint: list[FoundFile] = []
    for item in found:
        before = known.get(item.path)
        if (
            before is not None
            and not force
            and not before.stale
            and before.file_size == item.size
            and before.mtime_ns == item.mtime_ns
        ):
            unchanged.append(item)
            if before.missing:
                reappeared.append(item.path)
            if before.fingerprint is None:
                to_fingerprint.append(item)
        else:
            to_probe.append(item)
    seen = {item.path for item in found}
    missing = [
        path
        for path, before in known.items()
        if path not in seen
        and not before.missing
        and not any(is_within(path, d) for d in unreadable)
    ]
    return ScanPlan(
        tuple(to_probe),
        tuple(unchanged),
        tuple(reappeared),
        tuple(sorted(missing)),
        tuple(to_fingerprint),
    )
