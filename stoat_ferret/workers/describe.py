"""A file described the way ``ffprobe -show_format -show_streams -print_format json`` does.

Runs inside a media worker, on a container PyAV has opened. Every key is spelled as
ffprobe spells it and every value is formatted as ffprobe 5.1 prints it (numbers
that ffprobe prints as strings are strings here too, times have six decimals,
rates are ``"num/den"``), so :func:`stoat_ferret.probe.parse.parse_probe_output`
reads this and ffprobe's output alike. Keys ffprobe leaves out when a value is
unknown are left out here too. What PyAV does not expose is left out (see
docs/performance.md, "Parity with ffprobe").
"""

from __future__ import annotations

import ctypes
import functools
import math
import os
import struct
from fractions import Fraction
from typing import Any

import av
from av.container import InputContainer
from av.stream import Disposition, Stream
from av.video.stream import VideoStream

# libavutil's names for its colour enums (pixfmt.h), as av_color_*_name() returns them.
# Index = the enum value; None = "unspecified"/reserved, which ffprobe leaves out.
_COLOR_RANGES = (None, "tv", "pc")
_COLOR_PRIMARIES = (
    (
        "reserved",
        "bt709",
        None,
        "reserved",
        "bt470m",
        "bt470bg",
        "smpte170m",
        "smpte240m",
        "film",
        "bt2020",
        "smpte428",
        "smpte431",
        "smpte432",
    )
    + ("reserved",) * 9
    + ("jedec-p22",)
)
_COLOR_TRANSFERS = (
    "reserved",
    "bt709",
    None,
    "reserved",
    "gamma22",
    "gamma28",
    "smpte170m",
    "smpte240m",
    "linear",
    "log100",
    "log316",
    "iec61966-2-4",
    "bt1361e",
    "iec61966-2-1",
    "bt2020-10",
    "bt2020-12",
    "smpte2084",
    "smpte428",
    "arib-std-b67",
)
_COLOR_SPACES = (
    "gbr",
    "bt709",
    None,
    "reserved",
    "fcc",
    "bt470bg",
    "smpte170m",
    "smpte240m",
    "ycgco",
    "bt2020nc",
    "bt2020c",
    "smpte2085",
    "chroma-derived-nc",
    "chroma-derived-c",
    "ictcp",
)
_FIELD_ORDERS = (None, "progressive", "tt", "bb", "tb", "bt")

#: The disposition flags ffprobe 5.1 prints, in its order.
DISPOSITIONS = (
    "default",
    "dub",
    "original",
    "comment",
    "lyrics",
    "karaoke",
    "forced",
    "hearing_impaired",
    "visual_impaired",
    "clean_effects",
    "attached_pic",
    "timed_thumbnails",
    "captions",
    "descriptions",
    "metadata",
    "dependent",
    "still_image",
)

#: Demuxers that can give a video stream a display matrix (a rotation).
_MATRIX_FORMATS = ("mov", "matroska")
#: Packets read at most while looking for a stream's first picture.
_MAX_PACKETS_FOR_MATRIX = 64


def describe(container: InputContainer, filename: str) -> dict[str, Any]:
    """ffprobe's ``{"streams": [...], "format": {...}}`` for an opened ``container``."""
    streams = [_stream(stream) for stream in container.streams]
    if any(name in container.format.name for name in _MATRIX_FORMATS):
        _add_display_matrices(container, streams)
    return {"streams": streams, "format": _format(container, filename)}


def _format(container: InputContainer, filename: str) -> dict[str, Any]:
    fmt: dict[str, Any] = {
        "filename": filename,
        "nb_streams": len(container.streams),
        "format_name": container.format.name,
        "format_long_name": container.format.long_name,
    }
    microsecond = Fraction(1, 1_000_000)
    _put(fmt, "start_time", _time(container.start_time, microsecond))
    _put(fmt, "duration", _time(container.duration, microsecond))
    if container.size >= 0:
        fmt["size"] = str(container.size)
    if container.bit_rate > 0:
        fmt["bit_rate"] = str(container.bit_rate)
    _put(fmt, "tags", dict(container.metadata) or None)
    return fmt


def _stream(stream: Stream) -> dict[str, Any]:
    context = stream.codec_context
    out: dict[str, Any] = {"index": stream.index}
    if context is not None:
        out["codec_name"] = context.codec.canonical_name
        _put(out, "codec_long_name", _codecs().long_name(context.codec.id))
    _put(out, "profile", _attr(stream, "profile"))
    out["codec_type"] = stream.type
    if context is not None:
        tag = _codec_tag(context.codec_tag)
        out["codec_tag_string"] = _fourcc(tag)
        out["codec_tag"] = f"0x{tag:04x}"
    if stream.type == "video" and context is not None:
        _video_fields(out, stream)  # type: ignore[arg-type]  # stream.type says so
    elif stream.type == "audio" and context is not None:
        _audio_fields(out, stream)
    average = _attr(stream, "average_rate") if stream.type == "video" else None
    base = _attr(stream, "base_rate") if stream.type == "video" else None
    out["r_frame_rate"] = _rate(base)
    out["avg_frame_rate"] = _rate(average)
    time_base = stream.time_base or Fraction(0, 1)
    out["time_base"] = f"{time_base.numerator}/{time_base.denominator}"
    _put(out, "start_pts", stream.start_time)
    _put(out, "start_time", _time(stream.start_time, time_base))
    _put(out, "duration_ts", stream.duration)
    _put(out, "duration", _time(stream.duration, time_base))
    if context is not None and stream.type in ("video", "audio") and context.bit_rate:
        out["bit_rate"] = str(context.bit_rate)
    if stream.type == "video" and context is not None:
        _put(out, "bits_per_raw_sample", _bit_depth(stream))  # type: ignore[arg-type]
    if stream.frames:
        out["nb_frames"] = str(stream.frames)
    flags = stream.disposition
    out["disposition"] = {name: int(bool(flags & Disposition[name])) for name in DISPOSITIONS}
    _put(out, "tags", dict(stream.metadata) or None)
    return out


def _video_fields(out: dict[str, Any], stream: VideoStream) -> None:
    context = stream.codec_context
    out["width"] = context.width
    out["height"] = context.height
    aspect = stream.sample_aspect_ratio or context.sample_aspect_ratio
    if aspect and context.width and context.height:
        out["sample_aspect_ratio"] = f"{aspect.numerator}:{aspect.denominator}"
        display = Fraction(context.width * aspect.numerator, context.height * aspect.denominator)
        out["display_aspect_ratio"] = f"{display.numerator}:{display.denominator}"
    _put(out, "pix_fmt", context.pix_fmt)
    out["level"] = context.level
    _put(out, "color_range", _name(_COLOR_RANGES, context.color_range))
    _put(out, "color_space", _name(_COLOR_SPACES, context.colorspace))
    _put(out, "color_transfer", _name(_COLOR_TRANSFERS, context.color_trc))
    _put(out, "color_primaries", _name(_COLOR_PRIMARIES, context.color_primaries))
    _put(out, "field_order", _name(_FIELD_ORDERS, context.field_order))


def _audio_fields(out: dict[str, Any], stream: Stream) -> None:
    context: Any = stream.codec_context
    sample_format = context.format
    _put(out, "sample_fmt", sample_format.name if sample_format is not None else None)
    out["sample_rate"] = str(context.sample_rate)
    out["channels"] = context.channels
    layout = context.layout.name if context.layout is not None else ""
    # libavutil describes a layout with no channel order as "N channels": ffprobe
    # treats that as unknown and leaves it out.
    if layout and not layout.endswith(" channels"):
        out["channel_layout"] = layout
    out["bits_per_sample"] = _codecs().bits_per_sample(context.codec.id)


def _bit_depth(stream: VideoStream) -> str | None:
    """Bits per sample of the pixel format's first component (ffprobe's bits_per_raw_sample).

    PyAV does not expose the decoder's own figure; the pixel format's depth is the
    same number wherever ffprobe prints one.
    """
    video_format = stream.codec_context.format
    if video_format is None or not video_format.components:
        return None
    return str(video_format.components[0].bits)


class _Descriptor(ctypes.Structure):
    """The head of libavcodec's ``AVCodecDescriptor``, whose layout is FFmpeg's public ABI."""

    _fields_ = (
        ("id", ctypes.c_int),
        ("type", ctypes.c_int),
        ("name", ctypes.c_char_p),
        ("long_name", ctypes.c_char_p),
    )


class _CodecFacts:
    """What libavcodec says of a codec id that PyAV does not pass on.

    ffprobe prints a codec's descriptor's long name (a decoder's own name may differ:
    libdav1d's for AV1) and ``av_get_bits_per_sample`` for sound. Both functions are
    looked up through PyAV's own codec module, so they come from the very libavcodec
    PyAV runs on. Where that fails, the fields are left out, as ffprobe leaves out
    what it does not know.
    """

    def __init__(self) -> None:
        self._descriptor: Any = None
        self._bits: Any = None
        try:
            from av.codec import codec

            library = ctypes.CDLL(codec.__file__)
            self._descriptor = library.avcodec_descriptor_get
            self._bits = library.av_get_bits_per_sample
        except (ImportError, OSError, AttributeError):
            return
        self._descriptor.restype = ctypes.POINTER(_Descriptor)
        self._descriptor.argtypes = (ctypes.c_int,)
        self._bits.restype = ctypes.c_int
        self._bits.argtypes = (ctypes.c_int,)

    def long_name(self, codec_id: int) -> str | None:
        if self._descriptor is None:
            return None
        found = self._descriptor(codec_id)
        if not found or not found.contents.long_name:
            return None
        return str(found.contents.long_name.decode("utf-8", "replace"))

    def bits_per_sample(self, codec_id: int) -> int:
        return int(self._bits(codec_id)) if self._bits is not None else 0


@functools.cache
def _codecs() -> _CodecFacts:
    return _CodecFacts()


def _add_display_matrices(container: InputContainer, streams: list[dict[str, Any]]) -> None:
    """Add the ``side_data_list`` entry ffprobe shows for a rotated video stream.

    PyAV exposes a stream's display matrix only on its decoded pictures, so decode the
    first picture of each video stream (not cover art) and look there.
    """
    for stream in container.streams.video:
        if stream.disposition & Disposition.attached_pic:
            continue
        matrix = _first_picture_matrix(container, stream)
        if matrix is not None:
            streams[stream.index]["side_data_list"] = [_display_matrix_entry(matrix)]


def _first_picture_matrix(container: InputContainer, stream: VideoStream) -> bytes | None:
    stream.codec_context.thread_count = 1
    try:
        for count, packet in enumerate(container.demux(stream)):
            if count >= _MAX_PACKETS_FOR_MATRIX:
                return None
            for frame in stream.decode(packet):
                side_data: Any = frame.side_data.get("DISPLAYMATRIX")
                return bytes(side_data) if side_data is not None else None
    except (av.error.FFmpegError, ValueError):
        return None
    return None


def _display_matrix_entry(matrix: bytes) -> dict[str, Any]:
    values = struct.unpack("=9i", matrix[:36])
    rows = "".join(
        f"{row:08x}: " + "".join(f" {value:11d}" for value in values[row * 3 : row * 3 + 3]) + "\n"
        for row in range(3)
    )
    entry: dict[str, Any] = {"side_data_type": "Display Matrix", "displaymatrix": "\n" + rows}
    rotation = _rotation(values)
    if rotation is not None:
        entry["rotation"] = rotation
    return entry


def _rotation(matrix: tuple[int, ...]) -> int | None:
    """libavutil's av_display_rotation_get(), truncated to an integer as ffprobe 5.1 prints it."""
    a, b, c, d = (value / 65536.0 for value in (matrix[0], matrix[1], matrix[3], matrix[4]))
    scale_x, scale_y = math.hypot(a, c), math.hypot(b, d)
    if scale_x == 0 or scale_y == 0:
        return None
    return int(-(math.atan2(b / scale_y, a / scale_x) * 180 / math.pi))


def _codec_tag(tag: str | None) -> int:
    raw = (tag or "").encode("latin-1", "replace")[:4].ljust(4, b"\0")
    return int.from_bytes(raw, "little")


def _fourcc(tag: int) -> str:
    """libavutil's av_fourcc_make_string(): printable bytes as is, others as ``[n]``."""
    out = []
    for byte in tag.to_bytes(4, "little"):
        char = chr(byte)
        printable = char.isascii() and (char.isalnum() or char in ". -_")
        out.append(char if printable else f"[{byte}]")
    return "".join(out)


def _time(value: int | None, time_base: Fraction) -> str | None:
    if value is None or not time_base:
        return None
    return f"{value * (time_base.numerator / time_base.denominator):f}"


def _rate(rate: object) -> str:
    if isinstance(rate, Fraction) and rate:
        return f"{rate.numerator}/{rate.denominator}"
    return "0/0"


def _name(names: tuple[str | None, ...], value: int) -> str | None:
    return names[value] if 0 <= value < len(names) else None


def _attr(stream: Stream, name: str) -> Any:
    # PyAV forwards unknown attributes to the codec context and raises for some kinds
    # of stream (an audio stream has no frame rate); absent is what ffprobe means too.
    try:
        return getattr(stream, name)
    except AttributeError:
        return None


def _put(target: dict[str, Any], key: str, value: object) -> None:
    if value is not None:
        target[key] = value


def ffprobe_filename(path: str) -> str:
    """The name ffprobe reports for ``path`` when run the service's way (``file:`` + absolute)."""
    return "file:" + os.path.abspath(path)


__all__ = ["DISPOSITIONS", "describe", "ffprobe_filename"]
