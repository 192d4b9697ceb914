"""Judging pictures with the real ffmpeg: sizes, and whether two show the same frame."""

from __future__ import annotations

import re
from pathlib import Path

import trio

#: Two JPEGs of the same frame score above this PSNR (dB); neighbouring frames of the
#: test pattern score about 37, the right frame 42 to 53 (colour conversions differ).
SAME_FRAME_PSNR = 40.0


async def ffmpeg_output(*args: str) -> str:
    """Run ffmpeg with ``args``; what it wrote to stderr (where its filters report)."""
    done = await trio.run_process(
        ["ffmpeg", "-nostdin", "-hide_banner", *args],
        capture_stdout=True,
        capture_stderr=True,
    )
    return str(done.stderr.decode())


async def picture_size(path: Path) -> tuple[int, int]:
    """Width and height of a picture, as ffprobe reads them."""
    done = await trio.run_process(
        [
            *("ffprobe", "-v", "error", "-select_streams", "v:0"),
            *("-show_entries", "stream=width,height", "-of", "csv=p=0", f"file:{path}"),
        ],
        capture_stdout=True,
    )
    width, height = done.stdout.decode().strip().split(",")
    return int(width), int(height)


async def psnr(a: Path, b: Path, *, crop_b: str | None = None) -> float:
    """Peak signal-to-noise ratio between two pictures (``b`` cropped first if asked)."""
    graph = f"[1]{crop_b}[b];[0][b]psnr" if crop_b else "[0][1]psnr"
    log = await ffmpeg_output(
        "-i", f"file:{a}", "-i", f"file:{b}", "-lavfi", graph, "-f", "null", "-"
    )
    found = re.search(r"average:(inf|[0-9.]+)", log)
    assert found is not None, log
    return float(found.group(1))


async def psnr_of_tiles(
    a: Path, a_index: int, b: Path, b_index: int, *, height: int, width: int = 160
) -> float:
    """Peak signal-to-noise ratio between tile ``a_index`` of ``a`` and ``b_index`` of ``b``."""
    crop_a = f"crop={width}:{height}:{a_index * width}:0"
    crop_b = f"crop={width}:{height}:{b_index * width}:0"
    log = await ffmpeg_output(
        *("-i", f"file:{a}", "-i", f"file:{b}"),
        *("-lavfi", f"[0]{crop_a}[a];[1]{crop_b}[b];[a][b]psnr", "-f", "null", "-"),
    )
    found = re.search(r"average:(inf|[0-9.]+)", log)
    assert found is not None, log
    return float(found.group(1))


async def reference_thumbnail(
    source: Path, target: Path, *, at: float, width: int = 320, scale: str | None = None
) -> Path:
    """ffmpeg's picture of the first frame at or after ``at``, ``width`` wide (or ``scale``)."""
    await ffmpeg_output(
        *("-loglevel", "error", "-ss", f"{at:.6f}", "-i", f"file:{source}"),
        *("-frames:v", "1", "-vf", scale or f"scale={width}:-2", "-q:v", "5"),
        *("-f", "image2", "-y", f"file:{target}"),
    )
    return target
