"""Where a scan may go. Synchronous: call through ``trio.to_thread.run_sync``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .errors import InvalidPath, PathNotAllowed
from .plan import is_within


def resolve_roots(roots: Sequence[Path]) -> tuple[str, ...]:
    """The allowed roots with ``~``, ``..`` and symlinks resolved."""
    return tuple(os.path.realpath(os.path.expanduser(str(r))) for r in roots)


def resolve_scan_path(raw: str, roots: Sequence[str], *, must_exist: bool = True) -> str:
    """Resolve ``raw`` and check it against the (resolved) allowed ``roots``.

    The check runs on the fully resolved path, so neither ``..`` nor a symlink can
    lead out of a root; it runs before anything inside the directory is read.
    Without ``must_exist``, a path where nothing is (yet) is accepted too (resolved as
    far as it exists).
    """
    if not raw or not raw.strip():
        raise InvalidPath("the path is empty")
    if "\x00" in raw:
        raise InvalidPath("the path contains a NUL byte")
    if not os.path.isabs(os.path.expanduser(raw)):
        raise InvalidPath(f"the path must be absolute: {raw!r}")
    resolved = os.path.realpath(os.path.expanduser(raw))
    if not _is_utf8(resolved):
        # Reached through a symlink: the library keeps paths as text, which this is not.
        raise InvalidPath(
            f"the directory's path is not valid UTF-8 and cannot be kept in the library: "
            f"{resolved.encode('utf-8', 'surrogateescape')!r}"
        )
    if not any(is_within(resolved, root) for root in roots):
        allowed = ", ".join(roots) or "(none configured)"
        raise PathNotAllowed(f"{raw!r} is outside the allowed scan roots: {allowed}")
    if not os.path.exists(resolved):
        if not must_exist:
            return resolved
        raise InvalidPath(f"no such directory: {raw!r}")
    if not os.path.isdir(resolved):
        raise InvalidPath(f"not a directory: {raw!r}")
    if not os.access(resolved, os.R_OK | os.X_OK):
        raise InvalidPath(f"the directory cannot be read: {raw!r}")
    return resolved


def _is_utf8(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
