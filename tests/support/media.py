"""Small video files generated with the real ffmpeg, for tests to probe.

Generation is synchronous and happens once per test session, outside any
event loop.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
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


def make_distinct_clips(directory: Path, source: Path, count: int) -> list[Path]:
    """``count`` copies of ``source``, each re-wrapped with its own comment tag.

    They play the same but differ in content, so each has a fingerprint of its own
    (byte copies of one sample would all be the same video to the library).
    """
    directory.mkdir(parents=True, exist_ok=True)
    clips = [directory / f"distinct-{n}{source.suffix}" for n in range(count)]

    def remux(n: int) -> None:
        subprocess.run(
            [
                *("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(source)),
                *("-map", "0", "-c", "copy", "-metadata", f"comment=clip {n}", str(clips[n])),
            ],
            check=True,
            capture_output=True,
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(remux, range(count)))
    return clips


# -- A corpus for every container family and every field ffmpeg can write ---------------------

#: Text of the subtitle file muxed into the corpus's subtitled file.
SUBTITLE_SRT = "1\n00:00:00,000 --> 00:00:00,150\nHello\n"


def _picture(size: str = "64x48", rate: str = "25", seconds: float = 0.2) -> tuple[str, ...]:
    return ("-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}:duration={seconds}")


def _sound(
    layout: str = "stereo", seconds: float = 0.2, sample_rate: int = 48000
) -> tuple[str, ...]:
    """Silence with ``layout``'s channels, so the layout is what the encoder is told."""
    channels = {"mono": 1, "stereo": 2, "5.1(side)": 6}[layout]
    zeros = "|".join(["0"] * channels)
    return ("-f", "lavfi", "-i", f"aevalsrc={zeros}:c={layout}:s={sample_rate}:d={seconds}")


_X264 = ("-c:v", "libx264", "-preset", "ultrafast")
_X265 = ("-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error")


@attrs.frozen
class CorpusFile:
    """One generated file of :data:`CORPUS`: what it stands for and how ffmpeg makes it."""

    name: str
    #: The container family it stands for (``"mxf"``, ``"mpeg-ts"``…).
    family: str
    #: ffmpeg's arguments (inputs, codecs, options) before the output path. ``{srt}``
    #: stands for a subtitle file holding :data:`SUBTITLE_SRT`.
    args: tuple[str, ...]
    #: If set, the first file is re-wrapped (stream copy) with these output arguments
    #: (maps included): the only way ffmpeg 5.1 writes a rotation into a MOV.
    rewrap: tuple[str, ...] = ()


#: Container families and metadata fields, each in as few tiny files as cover them.
CORPUS: dict[str, CorpusFile] = {
    c.name: c
    for c in [
        # MXF OP1a as XDCAM writes it: MPEG-2 4:2:2, interlaced top field first, 24-bit PCM,
        # and a start timecode.
        CorpusFile(
            "xdcam.mxf",
            "mxf",
            (*_picture(), *_sound(), "-c:v", "mpeg2video", "-pix_fmt", "yuv422p",
             "-flags", "+ilme+ildct", "-top", "1", "-c:a", "pcm_s24le",
             "-timecode", "10:00:00:00"),
        ),
        # 59.94 fps with a drop-frame timecode two frames before the hour.
        CorpusFile(
            "df5994.mxf",
            "mxf",
            (*_picture(rate="60000/1001", seconds=0.1), "-c:v", "mpeg2video",
             "-pix_fmt", "yuv422p", "-timecode", "00:59:59;58"),
        ),
        # MPEG transport streams: broadcast .ts (188-byte packets), AVCHD .mts and Blu-ray
        # .m2ts (192-byte packets).
        CorpusFile(
            "broadcast.ts",
            "mpeg-ts",
            (*_picture(), *_sound(), "-c:v", "mpeg2video", "-c:a", "mp2", "-f", "mpegts"),
        ),
        CorpusFile(
            "avchd.mts",
            "mpeg-ts",
            (*_picture(), *_sound(), *_X264, "-pix_fmt", "yuv420p", "-c:a", "ac3",
             "-f", "mpegts", "-mpegts_m2ts_mode", "1"),
        ),
        CorpusFile(
            "bluray.m2ts",
            "mpeg-ts",
            (*_picture(), *_sound(), *_X264, "-pix_fmt", "yuv420p", "-c:a", "ac3",
             "-f", "mpegts", "-mpegts_m2ts_mode", "1"),
        ),
        # MPEG program streams: an interlaced bottom-field-first .mpg, a DVD .vob.
        CorpusFile(
            "program.mpg",
            "mpeg-ps",
            (*_picture(), *_sound(), "-c:v", "mpeg2video", "-flags", "+ilme+ildct", "-top", "0",
             "-c:a", "mp2", "-f", "mpeg"),
        ),
        CorpusFile(
            "dvd.vob",
            "mpeg-ps",
            (*_picture(), *_sound(), "-c:v", "mpeg2video", "-c:a", "ac3", "-f", "vob"),
        ),
        CorpusFile(
            "phone.3gp",
            "3gp",
            (*_picture(size="128x96", rate="15"), *_sound("mono", sample_rate=8000),
             "-c:v", "h263", "-c:a", "aac"),
        ),
        # DV is always full PAL size: three frames are 432 kB.
        CorpusFile(
            "pal.dv",
            "dv",
            (*_picture(size="720x576", seconds=0.12), *_sound(seconds=0.12),
             "-c:v", "dvvideo", "-pix_fmt", "yuv420p", "-c:a", "pcm_s16le", "-f", "dv"),
        ),
        # A camera MOV at 29.97 with a drop-frame timecode track (tmcd), turned 90° clockwise.
        CorpusFile(
            "camera.mov",
            "mov",
            (*_picture(rate="30000/1001"), *_sound(), *_X264, "-pix_fmt", "yuv420p",
             "-c:a", "aac", "-timecode", "01:00:00;00"),
            # ffmpeg 5.1 stores its "rotate" metadata negated: 270 here reads back as 90. The
            # tmcd track is left behind and rebuilt from the video's timecode tag: copied, it
            # would lose its drop-frame flag.
            rewrap=("-map", "0:v", "-map", "0:a", "-metadata:s:v:0", "rotate=270"),
        ),
        # An iPhone-style clip: HEVC 10-bit HLG with QuickTime make, model and capture date.
        CorpusFile(
            "iphone_hlg.mov",
            "mov",
            (*_picture(rate="30000/1001"), *_sound(), *_X265, "-pix_fmt", "yuv420p10le",
             "-color_primaries", "bt2020", "-color_trc", "arib-std-b67",
             "-colorspace", "bt2020nc", "-tag:v", "hvc1", "-c:a", "aac",
             "-movflags", "use_metadata_tags",
             "-metadata", "com.apple.quicktime.make=Apple",
             "-metadata", "com.apple.quicktime.model=iPhone 15 Pro",
             "-metadata", "com.apple.quicktime.creationdate=2024-05-06T09:08:09+0200"),
        ),
        # ProRes 422 HQ, 10-bit 4:2:2 at 23.976, from a camera with plain make/model tags.
        CorpusFile(
            "prores_hq.mov",
            "mov",
            (*_picture(rate="24000/1001"), *_sound(), "-c:v", "prores_ks", "-profile:v", "3",
             "-pix_fmt", "yuv422p10le", "-c:a", "pcm_s24le",
             "-metadata", "make=Canon", "-metadata", "model=EOS C70",
             "-metadata", "creation_time=2023-11-02T14:15:16.000000Z"),
        ),
        # HDR10: PQ transfer, BT.2020 primaries, 10-bit H.264.
        CorpusFile(
            "hdr10.mkv",
            "matroska",
            (*_picture(), *_X264, "-pix_fmt", "yuv420p10le", "-color_primaries", "bt2020",
             "-color_trc", "smpte2084", "-colorspace", "bt2020nc", "-color_range", "tv"),
        ),
        # 5.1 and stereo audio in two languages, and German subtitles.
        CorpusFile(
            "multitrack.mkv",
            "matroska",
            (*_picture(), *_sound("5.1(side)"), *_sound("stereo"), "-i", "{srt}",
             "-map", "0", "-map", "1", "-map", "2", "-map", "3",
             *_X264, "-pix_fmt", "yuv420p", "-c:a:0", "ac3", "-c:a:1", "aac", "-c:s", "srt",
             "-metadata:s:a:0", "language=eng", "-metadata:s:a:0", "title=Surround",
             "-metadata:s:a:1", "language=fra", "-metadata:s:s:0", "language=ger"),
        ),
        # Variable frame rate: frames 3-6 of 10 dropped, timestamps kept.
        CorpusFile(
            "vfr.mp4",
            "mp4",
            (*_picture(seconds=0.4), "-vf", "select='not(between(n,3,6))'", "-fps_mode", "vfr",
             *_X264, "-pix_fmt", "yuv420p"),
        ),
        CorpusFile("theora.ogv", "ogg", (*_picture(), "-c:v", "libtheora")),
        CorpusFile("flash.flv", "flv", (*_picture(), "-c:v", "flv1")),
        CorpusFile("windows.wmv", "asf", (*_picture(), "-c:v", "wmv2")),
        CorpusFile("raw.y4m", "yuv4mpeg", (*_picture(), "-pix_fmt", "yuv420p")),
    ]
}  # fmt: skip


def _run_ffmpeg(args: list[str]) -> None:
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    done = subprocess.run(command, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed: {done.stderr.decode(errors='replace')}")


def make_corpus_file(directory: Path, name: str) -> Path:
    """Write :data:`CORPUS` entry ``name`` into ``directory`` (synchronous: ffmpeg runs).

    Only the file itself is left in ``directory``; intermediate files go to a
    temporary directory, so the directory can be scanned as it is.
    """
    case = CORPUS[name]
    target = directory / name
    with tempfile.TemporaryDirectory(prefix="corpus-") as scratch:
        srt = Path(scratch) / "subtitles.srt"
        srt.write_text(SUBTITLE_SRT)
        args = [str(srt) if a == "{srt}" else a for a in case.args]
        if not case.rewrap:
            _run_ffmpeg([*args, str(target)])
            return target
        first = Path(scratch) / name
        _run_ffmpeg([*args, str(first)])
        _run_ffmpeg(["-i", str(first), "-c", "copy", *case.rewrap, str(target)])
    return target


def make_corpus(directory: Path) -> dict[str, Path]:
    """Every :data:`CORPUS` file in ``directory``, two ffmpeg runs at a time (a second or two)."""
    directory.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        paths = list(pool.map(lambda n: make_corpus_file(directory, n), CORPUS))
    return dict(zip(CORPUS, paths, strict=True))
