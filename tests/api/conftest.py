"""Fixtures shared by the API tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..support.prober import FakeProber, make_prober


@pytest.fixture
def prober(tmp_path: Path) -> FakeProber:
    """ffprobe that hangs on files named *hang* and is the real one for the rest."""
    return make_prober(tmp_path / "bin", "hang-on=hang")


@pytest.fixture
def real_root(media_root: Path) -> str:
    """The media root as the service reports it: fully resolved."""
    return os.path.realpath(media_root)
