"""The inotify watch limit for real, and trees with unreadable folders, in processes of their own.

The watch limit is set in a user namespace made for the test (``unshare --user``), where
``/proc/sys/user/max_inotify_watches`` applies to that namespace alone: the machine's limit,
shared with everything else running, is never touched. Unreadable folders need a user
the permissions apply to, so that test runs the watcher as ``nobody``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trio

PROBE = Path(__file__).with_name("probe.py")
NOBODY = 65534


def _can_unshare() -> bool:
    try:
        done = subprocess.run(
            ["unshare", "--user", "--map-root-user", "true"], capture_output=True, check=False
        )
    except OSError:
        return False
    return done.returncode == 0


needs_userns = pytest.mark.skipif(
    not _can_unshare(), reason="needs user namespaces (unshare --user --map-root-user)"
)
needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv"
)


async def run_probe(prefix: list[str], scenario: str, root: Path, *extra: str) -> list[Any]:
    """Run the probe script; the JSON lines it printed."""
    argv = [*prefix, sys.executable, str(PROBE), scenario, str(root), *extra]
    with trio.fail_after(60):
        done = await trio.run_process(argv, capture_stdout=True, capture_stderr=True, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return [json.loads(line) for line in done.stdout.decode().splitlines()]


def settled(lines: list[Any]) -> set[str]:
    return {p for line in lines if "batch" in line for p in line["batch"]["settled"]}


@needs_userns
async def test_the_watch_limit_at_start_falls_back_to_polling(tmp_path: Path) -> None:
    """Five directories, a limit of three: polling, saying so, and files are still seen."""
    root = tmp_path / "tree"
    for name in ("a", "b", "c", "d"):
        (root / name).mkdir(parents=True)
    lines = await run_probe(["unshare", "--user", "--map-root-user"], "limit-start", root, "3")
    assert lines[0] == {"status": "polling", "reason": "the inotify watch limit (3) was reached"}
    assert str(root / "new.mp4") in settled(lines)


@needs_userns
async def test_the_watch_limit_reached_later_falls_back_to_polling(tmp_path: Path) -> None:
    """Watched with one watch to spare, then three new folders: polling, with a rescan."""
    root = tmp_path / "tree"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
    lines = await run_probe(["unshare", "--user", "--map-root-user"], "limit-runtime", root, "4")
    assert lines[0] == {"status": "active", "reason": None}
    reason = "not every folder could be watched through inotify (watch limit: 4)"
    assert lines[1] == {"status": "polling", "reason": reason}
    batches = [line["batch"] for line in lines if "batch" in line]
    assert batches[0]["rescan"] == [str(root)]
    assert str(root / "n3" / "late.mp4") in settled(lines)


@pytest.fixture
def shared_tree() -> Iterator[Path]:
    """A tree ``nobody`` can write in, with two folders it cannot read, early in each walk."""
    top = Path(tempfile.mkdtemp(prefix="stoat-watch-"))
    try:
        top.chmod(0o755)
        root = top / "tree"
        for name in ("a", "aa_locked", "b", "c/deep", "c/aa_locked", "c/z"):
            (root / name).mkdir(parents=True)
        for directory in [root, *root.rglob("*")]:
            os.chown(directory, NOBODY, NOBODY)
        for locked in (root / "aa_locked", root / "c" / "aa_locked"):
            os.chown(locked, 0, 0)
            locked.chmod(0o700)
        yield root
    finally:
        shutil.rmtree(top)


@needs_root
async def test_unreadable_folders_leave_the_rest_watched_through_inotify(
    shared_tree: Path,
) -> None:
    """Folders the user cannot read are skipped; every other folder is watched, actively."""
    setpriv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    lines = await run_probe(setpriv, "unreadable", shared_tree)
    assert lines[0] == {"status": "active", "reason": None}
    assert lines[-1] == {"status": "active", "reason": None}
    readable = ["", "a", "b", "c", "c/deep", "c/z"]
    assert settled(lines) == {str(shared_tree / d / "x.mp4") for d in readable}
