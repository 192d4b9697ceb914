"""Bit depth and chroma subsampling from pixel format names, checked against ffprobe's own table."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from stoat_ferret.probe.pixfmt import PixelFormat, describe_pixel_format

_SUBSAMPLING = {(0, 0): "4:4:4", (1, 0): "4:2:2", (1, 1): "4:2:0", (0, 1): "4:4:0",
                (2, 0): "4:1:1", (2, 2): "4:1:0"}  # fmt: skip


@pytest.fixture(scope="module")
def ffmpeg_formats() -> list[dict[str, Any]]:
    """Every pixel format the installed FFmpeg knows, with its components and subsampling."""
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_pixel_formats", "-of", "json"],
        capture_output=True,
        check=True,
    )
    formats: list[dict[str, Any]] = json.loads(done.stdout)["pixel_formats"]
    return formats


def expected(fmt: dict[str, Any]) -> PixelFormat:
    """What ffprobe's table says: one depth shared by all components, and J:a:b for Y'CbCr."""
    flags = fmt["flags"]
    if flags["hwaccel"]:
        return PixelFormat(None, None)
    depths = {c["bit_depth"] for c in fmt.get("components", [])}
    depth = depths.pop() if len(depths) == 1 else None
    if flags["rgb"] or flags["palette"] or flags["bitstream"]:
        return PixelFormat(depth, None)
    if fmt["nb_components"] <= 2:
        return PixelFormat(depth, "4:0:0")
    shift = (fmt.get("log2_chroma_w") or 0, fmt.get("log2_chroma_h") or 0)
    return PixelFormat(depth, _SUBSAMPLING[shift])


def test_every_ffmpeg_pixel_format(ffmpeg_formats: list[dict[str, Any]]) -> None:
    """Every pixel format of the installed FFmpeg reads as ffprobe's own table describes it."""
    wrong = {
        f["name"]: (describe_pixel_format(f["name"]), expected(f))
        for f in ffmpeg_formats
        if describe_pixel_format(f["name"]) != expected(f)
    }
    assert wrong == {}
    assert len(ffmpeg_formats) > 150


@pytest.mark.parametrize(
    ("name", "depth", "subsampling"),
    [
        ("yuv420p", 8, "4:2:0"),
        ("yuvj422p", 8, "4:2:2"),
        ("yuv422p10le", 10, "4:2:2"),
        ("yuv444p12be", 12, "4:4:4"),
        ("yuva444p16le", 16, "4:4:4"),
        ("yuv411p", 8, "4:1:1"),
        ("p010le", 10, "4:2:0"),
        ("nv12", 8, "4:2:0"),
        ("gray10le", 10, "4:0:0"),
        ("rgb48le", 16, None),
        ("gbrp12le", 12, None),
        ("bgra", 8, None),
        ("YUV420P10LE", 10, "4:2:0"),
        # Formats newer FFmpegs add follow the same grammar.
        ("p012le", 12, "4:2:0"),
        ("xv36le", 12, "4:4:4"),
    ],
)
def test_formats_editors_meet(name: str, depth: int, subsampling: str | None) -> None:
    """Common camera and editing formats are read right, in any case."""
    assert describe_pixel_format(name) == PixelFormat(depth, subsampling)


@pytest.mark.parametrize(
    "name", ["", "vaapi", "cuda", "rgb565le", "bayer_rggb16le", "yuv423p", "yuv420x"]
)
def test_names_that_say_nothing_give_none(name: str) -> None:
    """Hardware surfaces, mixed-depth and unknown names give None, not a guess."""
    assert describe_pixel_format(name) == PixelFormat(None, None)


def test_a_depth_it_cannot_read_leaves_the_subsampling() -> None:
    """A planar name with an unreadable depth still says its subsampling."""
    assert describe_pixel_format("yuv420p999") == PixelFormat(None, "4:2:0")
