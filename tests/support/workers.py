"""Helpers for the media-worker tests: the PyAV skip, process states, a PyAV stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest


def pyav_importable() -> bool:
    """Whether ``import av`` works here (the workers run this same Python)."""
    try:
        import av  # noqa: F401 - imported only to see whether it can be
    except ImportError:
        return False
    return True


#: PyAV is an optional extra; the tests that need it say so, and why they were skipped.
requires_pyav = pytest.mark.skipif(
    not pyav_importable(),
    reason="PyAV is not installed: install stoat-ferret[libav] (pip install -e '.[test,libav]')",
)

#: The environment a pool needs for its workers to obey the test-only operations.
TEST_OPS = {"STOAT_WORKER_TEST_OPS": "1"}


def process_gone(pid: int) -> bool:
    """Whether ``pid`` no longer runs: absent, or a zombie waiting for its new parent.

    A killed worker's grandchild is re-parented to init, which reaps it in its own
    time; as a zombie it is already dead.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            state = stat.read().rsplit(b")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == b"Z"


def address_space_limit(pid: int) -> int | None:
    """The soft RLIMIT_AS of ``pid`` in bytes, from /proc (None: unlimited)."""
    with open(f"/proc/{pid}/limits") as limits:
        for line in limits:
            if line.startswith("Max address space"):
                soft = line.split()[3]
                return None if soft == "unlimited" else int(soft)
    raise AssertionError("no address-space line in /proc/<pid>/limits")


def without_pyav(directory: Path) -> dict[str, str]:
    """Environment for a worker in which ``import av`` fails, as where PyAV is not installed."""
    package = directory / "av"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("raise ImportError(\"No module named 'av'\")\n")
    return {"PYTHONPATH": str(directory)}
