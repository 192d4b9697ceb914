"""Small video files generated with the real ffmpeg, for tests to probe.

Generation is synchronous and happens once per test session, outside any
event loop.
"""

from __future__ import annotations

import os
import subprocess
from fractions import Fraction
from pathlib import Path

import attrs


@attrs.frozen
class Sample:
    """A generated file and what ffprobe should find in it."""

    name: str
    frame_rate: Fraction
    width: int
    height: int
    video_codec: str
    audio_codec: str | None
    seconds: float


#: Containers and codecs the suite covers: name -> (expected values, ffmpeg output args).
SAMPLES: dict[str, tuple[Sample, list[str]]] = {
    s.name: (s, args)
    for s, args in [
        (
            Sample("h264_aac.mp4", Fraction(30000, 1001), 64, 48, "h264", "aac", 1.0),
            ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"],
        ),
        (
            Sample("vp9_opus.webm", Fraction(25), 80, 60, "vp9", "opus", 1.0),
            ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus"],
        ),
        (
            Sample("h264_vorbis.mkv", Fraction(24000, 1001), 96, 54, "h264", "vorbis", 1.0),
            ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "libvorbis"],
        ),
        (
            Sample("mpeg4_mp3.avi", Fraction(30), 64, 48, "mpeg4", "mp3", 1.0),
            ["-c:v", "mpeg4", "-c:a", "libmp3lame"],
        ),
        (
            Sample("mjpeg_pcm.mov", Fraction(50), 48, 32, "mjpeg", "pcm_s16le", 0.5),
            ["-c:v", "mjpeg", "-c:a", "pcm_s16le"],
        ),
        (
            Sample("silent.m4v", Fraction(60), 32, 32, "h264", None, 0.5),
            ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mp4"],
        ),
    ]
}


def ffmpeg_generate(
    target: Path,
    *,
    rate: Fraction | str = "25",
    size: str = "64x48",
    seconds: float = 0.5,
    audio: bool = True,
    output_args: list[str] | None = None,
) -> Path:
    """Write a test-pattern video (with a tone, unless ``audio`` is false) to ``target``."""
    rate_text = f"{rate.numerator}/{rate.denominator}" if isinstance(rate, Fraction) else rate
    command = [
        "ffmpeg",
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc=size={size}:rate={rate_text}:duration={seconds}",
    ]
    if audio:
        command += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    command += output_args or ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if not audio:
        command += ["-an"]
    command += [str(target)]
    subprocess.run(command, check=True, capture_output=True)
    return target


def make_sample(directory: Path, name: str) -> Path:
    sample, args = SAMPLES[name]
    return ffmpeg_generate(
        directory / name,
        rate=sample.frame_rate,
        size=f"{sample.width}x{sample.height}",
        seconds=sample.seconds,
        audio=sample.audio_codec is not None,
        output_args=args,
    )


def lavfi_to_file(source: str, output_args: list[str], target: Path) -> None:
    """Run ffmpeg on a generated (lavfi) ``source``, writing ``target``."""
    subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source),
            *output_args,
            str(target),
        ],
        check=True,
        capture_output=True,
    )


def make_broken_files(directory: Path, good: Path) -> dict[str, str]:
    """Files that must each end up in a scan's errors; name -> a word the reason holds."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "empty.mp4").write_bytes(b"")
    data = good.read_bytes()
    (directory / "truncated.mp4").write_bytes(data[: len(data) // 3])
    (directory / "notes.mkv").write_text("this is a text file, not a video\n")
    lavfi_to_file("sine=duration=0.3", ["-c:a", "aac", "-f", "mp4"], directory / "audio_only.mp4")
    lavfi_to_file(
        "testsrc=size=32x32:duration=0.04",
        ["-frames:v", "1", "-f", "image2", "-c:v", "png"],
        directory / "picture.mov",
    )
    return {
        "empty.mp4": "empty",
        "truncated.mp4": "",
        "notes.mkv": "Invalid data",
        "audio_only.mp4": "no video stream",
        "picture.mov": "still image",
    }


#: File names that must be probed correctly, not read as options, protocols or mangled.
HOSTILE_NAMES = (
    "-rf.mp4",
    "--help.mkv",
    "with space.mp4",
    'quote\'s "double".mp4',
    "new\nline.mp4",
    "café ビデオ.mkv",
    "concat:a.mp4",
    "semi;colon$(true).mp4",
)


def copy_as(source: Path, target: Path) -> Path:
    """A byte copy of ``source`` at ``target`` (keeps generation to one ffmpeg run)."""
    target.write_bytes(source.read_bytes())
    os.utime(target, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns))
    return target
