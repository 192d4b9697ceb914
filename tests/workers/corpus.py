"""Files that carry the technical metadata ffprobe and the libav prober must agree on.

Generated with the real ffmpeg, synchronously, once per module that asks for them.
Each maker writes one file and returns its path.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from ..support.media import lavfi_to_file

PICTURE = "testsrc=size=64x48:rate=25:duration=0.5"
NTSC_PICTURE = "testsrc=size=64x48:rate=30000/1001:duration=0.5"
X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]


def _ffmpeg(*args: str) -> None:
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    subprocess.run(command, check=True, capture_output=True)


def timecode_mov(target: Path) -> Path:
    """NTSC video, 5.1 AAC tagged English, a start timecode (tmcd track) and a creation time."""
    _ffmpeg(
        *("-f", "lavfi", "-i", NTSC_PICTURE, "-f", "lavfi", "-i", "sine=duration=0.5"),
        *X264,
        *("-c:a", "aac", "-ac", "6", "-metadata:s:a:0", "language=eng"),
        *("-timecode", "01:02:03:04", "-metadata", "creation_time=2024-01-02T03:04:05Z"),
        str(target),
    )
    return target


def colour_10bit_mov(target: Path) -> Path:
    """10-bit H.264 tagged BT.709, limited range."""
    lavfi_to_file(
        PICTURE,
        [
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le"),
            *("-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709"),
            *("-color_range", "tv"),
        ],
        target,
    )
    return target


def interlaced_mp4(target: Path) -> Path:
    """Interlaced H.264, top field first."""
    lavfi_to_file(
        PICTURE,
        [*X264, "-flags", "+ildct+ilme", "-x264opts", "tff=1", "-field_order", "tt"],
        target,
    )
    return target


def anamorphic_mkv(target: Path) -> Path:
    """MPEG-2 with non-square pixels (SAR 4:3) in Matroska."""
    lavfi_to_file(PICTURE, ["-c:v", "mpeg2video", "-vf", "setsar=4/3"], target)
    return target


def prores_mov(target: Path) -> Path:
    lavfi_to_file(
        PICTURE, ["-c:v", "prores_ks", "-profile:v", "2", "-pix_fmt", "yuv422p10le"], target
    )
    return target


def hevc_mp4(target: Path) -> Path:
    lavfi_to_file(
        PICTURE,
        [
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-x265-params",
            "log-level=none",
        ],
        target,
    )
    return target


def ffv1_mkv(target: Path) -> Path:
    lavfi_to_file(PICTURE, ["-c:v", "ffv1"], target)
    return target


def av1_mkv(target: Path) -> Path:
    lavfi_to_file(PICTURE, ["-c:v", "libaom-av1", "-cpu-used", "8"], target)
    return target


def transport_ts(target: Path) -> Path:
    """MPEG-2 video and AC-3 stereo in an MPEG transport stream."""
    _ffmpeg(
        *("-f", "lavfi", "-i", NTSC_PICTURE, "-f", "lavfi", "-i", "sine=duration=0.5"),
        *("-c:v", "mpeg2video", "-c:a", "ac3", "-ac", "2", "-f", "mpegts"),
        str(target),
    )
    return target


def program_mpg(target: Path) -> Path:
    """MPEG-2 video and MP2 audio in an MPEG program stream, with a GOP timecode."""
    _ffmpeg(
        *("-f", "lavfi", "-i", NTSC_PICTURE, "-f", "lavfi", "-i", "sine=duration=0.5"),
        *("-c:v", "mpeg2video", "-c:a", "mp2", "-ac", "2", "-timecode", "01:00:00:00"),
        str(target),
    )
    return target


def dv_pal(target: Path) -> Path:
    """PAL DV (720x576, 25 fps, SAR 16:15)."""
    lavfi_to_file(
        PICTURE,
        ["-vf", "scale=720:576,setsar=16/15", "-c:v", "dvvideo", "-pix_fmt", "yuv420p", "-f", "dv"],
        target,
    )
    return target


def latin1_title_mkv(target: Path) -> Path:
    """A title tag whose bytes are not UTF-8 (both probers print U+FFFD for them)."""
    _ffmpeg("-f", "lavfi", "-i", PICTURE, *X264, "-metadata", "title=café", str(target))
    # ffmpeg wrote the title as UTF-8; patch the é's two bytes into Latin-1's one plus a space.
    data = target.read_bytes().replace("café".encode(), b"caf\xe9 ")
    target.write_bytes(data)
    return target


def cover_art_mp3(target: Path) -> Path:
    """Sound with an embedded cover picture: holds a "video" stream that is not a video."""
    _ffmpeg(
        *("-f", "lavfi", "-i", "sine=duration=0.5"),
        *("-f", "lavfi", "-i", "testsrc=size=32x32:duration=0.04"),
        *("-map", "0", "-map", "1", "-c:a", "libmp3lame", "-c:v", "mjpeg", "-frames:v", "1"),
        *("-disposition:v", "attached_pic"),
        str(target),
    )
    return target


def still_png_as_mp4(target: Path) -> Path:
    """One PNG picture, named .mp4."""
    lavfi_to_file(
        "testsrc=size=32x32:duration=0.04",
        ["-frames:v", "1", "-c:v", "png", "-f", "image2"],
        target,
    )
    return target


def rotated_mp4(target: Path, source: Path, *, degrees: int = 90) -> Path:
    """``source``'s video stream remuxed with a display matrix rotating it by ``degrees``.

    Debian's ffmpeg 5.1 has no way to write a rotation, so PyAV (FFmpeg 8) remuxes it;
    only tests that run with PyAV use this file.
    """
    import av  # PyAV is optional: only the tests that run with it call this

    with av.open(str(source)) as src, av.open(str(target), "w") as out:
        video = src.streams.video[0]
        stream = out.add_stream_from_template(video)
        stream.set_display_rotation(degrees)
        for packet in src.demux(video):
            if packet.dts is None:
                continue
            packet.stream = stream
            out.mux(packet)
    return target


#: The metadata cases, by file name.
MAKERS: dict[str, Callable[[Path], Path]] = {
    "timecode.mov": timecode_mov,
    "colour10.mov": colour_10bit_mov,
    "interlaced.mp4": interlaced_mp4,
    "anamorphic.mkv": anamorphic_mkv,
    "prores.mov": prores_mov,
    "hevc.mp4": hevc_mp4,
    "ffv1.mkv": ffv1_mkv,
    "av1.mkv": av1_mkv,
    "transport.ts": transport_ts,
    "program.mpg": program_mpg,
    "pal.dv": dv_pal,
    "latin1.mkv": latin1_title_mkv,
    "cover_art.mp3": cover_art_mp3,
    "still_png.mp4": still_png_as_mp4,
}


def make_corpus(directory: Path, h264_sample: Path) -> dict[str, Path]:
    """Every metadata case, plus a rotated copy of ``h264_sample``."""
    directory.mkdir(parents=True, exist_ok=True)
    made = {name: make(directory / name) for name, make in MAKERS.items()}
    made["rotated.mp4"] = rotated_mp4(directory / "rotated.mp4", h264_sample)
    return made
