"""Read the container and every stream from ffprobe's JSON. Pure and total.

Everything here takes what ``json.loads`` made of ffprobe's output and never raises:
a field that is missing, of the wrong type or out of range is None in the result. The
values come from a file's header, which anyone can write, so nothing is trusted: text
is cut to a sane length, numbers must be finite and in range.

Each function looks at each field once, with dictionary look-ups and plain string
operations, so reading a file with a dozen streams takes some tens of microseconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any, Literal

from ..timecode import Timecode, TimecodeError
from .metadata import (
    AudioStream,
    Container,
    DataStream,
    FieldOrder,
    HdrFormat,
    Stream,
    SubtitleStream,
    VideoStream,
)
from .pixfmt import describe_pixel_format

#: Longest text kept from a tag; a header can hold megabytes of anything.
TEXT_LIMIT = 500
#: Counts must fit a signed 64-bit integer.
_INT_LIMIT = 2**63

#: Words ffprobe prints for "not known" in its enumerated fields.
_UNSTATED = frozenset({"unknown", "unspecified", "reserved", "n/a", "und", "none"})

#: ffprobe's field orders, by the field shown first (tb: top coded first, bottom shown first).
_FIELD_ORDERS: dict[str, FieldOrder] = {
    "progressive": "progressive",
    "tt": "tff",
    "bt": "tff",
    "bb": "bff",
    "tb": "bff",
}
_COLOR_RANGES: dict[str, Literal["limited", "full"]] = {
    "tv": "limited",
    "mpeg": "limited",
    "pc": "full",
    "jpeg": "full",
}
_HDR_TRANSFERS: dict[str, HdrFormat] = {"smpte2084": "HDR10", "arib-std-b67": "HLG"}

_MAKE_TAGS = ("com.apple.quicktime.make", "com.android.manufacturer", "make")
_MODEL_TAGS = ("com.apple.quicktime.model", "com.android.model", "model")
_ENCODER_TAGS = ("encoder", "com.apple.quicktime.software", "encoded_by")


Tags = dict[str, str]


def read_technical(
    fmt: Mapping[str, Any], raw_streams: Sequence[Mapping[str, Any]]
) -> tuple[Container, tuple[Stream, ...]]:
    """The container and the streams, in file order, from ffprobe's ``format`` and ``streams``."""
    tagged = [(raw, tags_of(raw)) for raw in raw_streams]
    streams = tuple(read_stream(raw, tags, position=i) for i, (raw, tags) in enumerate(tagged))
    return read_container(fmt, tags_of(fmt), tagged, streams), streams


def tags_of(raw: Mapping[str, Any]) -> Tags:
    """A stream's or the format's tags with lower-case keys (Matroska writes ``ENCODER``)."""
    tags = raw.get("tags")
    if not isinstance(tags, dict):
        return {}
    return {str(k).lower(): v for k, v in tags.items() if isinstance(v, str)}


def read_container(
    fmt: Mapping[str, Any],
    tags: Tags,
    tagged: Sequence[tuple[Mapping[str, Any], Tags]],
    streams: Sequence[Stream],
) -> Container:
    """The container, from the format's fields and tags (and the streams', for the capture
    time and the timecode)."""
    return Container(
        format_name=text(fmt.get("format_name")),
        format_long_name=text(fmt.get("format_long_name")),
        duration_seconds=seconds(fmt.get("duration")),
        bit_rate=count(fmt.get("bit_rate")),
        start_time=seconds(fmt.get("start_time"), signed=True),
        creation_time=_creation_time(tags, tagged),
        encoder=_first_tag(tags, _ENCODER_TAGS) or _mxf_product(tags),
        make=_first_tag(tags, _MAKE_TAGS),
        model=_first_tag(tags, _MODEL_TAGS),
        start_timecode=_start_timecode(tags, streams),
    )


def read_stream(raw: Mapping[str, Any], tags: Tags, *, position: int) -> Stream:
    """One stream, typed by ffprobe's ``codec_type``; ``position`` stands in for a bad index."""
    index = count(raw.get("index"))
    common: dict[str, Any] = {
        "index": position if index is None else index,
        "codec": text(raw.get("codec_name")),
        "codec_long_name": text(raw.get("codec_long_name")),
        "profile": word(raw.get("profile")),
        "codec_tag": _fourcc(raw.get("codec_tag_string")),
        "language": word(tags.get("language")),
        "title": text(tags.get("title")),
        "bit_rate": count(raw.get("bit_rate")) or count(tags.get("bps")),
        "duration_seconds": seconds(raw.get("duration")) or _clock(tags.get("duration")),
        "frame_count": count(raw.get("nb_frames")) or count(tags.get("number_of_frames")),
    }
    kind = raw.get("codec_type")
    if kind == "video":
        return _video(raw, tags, common)
    if kind == "audio":
        return AudioStream(
            **common,
            sample_rate=positive(raw.get("sample_rate")),
            channels=positive(raw.get("channels")),
            channel_layout=word(raw.get("channel_layout")),
            sample_format=word(raw.get("sample_fmt")),
            bit_depth=positive(raw.get("bits_per_raw_sample"))
            or positive(raw.get("bits_per_sample")),
        )
    if kind == "subtitle":
        return SubtitleStream(**common)
    other = text(kind)
    return DataStream(
        **common,
        # A near miss such as " video" must not pose as a type it was not read as.
        kind=other if other and other not in ("video", "audio", "subtitle") else "data",
        timecode=_timecode_text(tags.get("timecode")),
    )


def _video(raw: Mapping[str, Any], tags: Tags, common: dict[str, Any]) -> VideoStream:
    width = positive(raw.get("width"))
    height = positive(raw.get("height"))
    sar = ratio(raw.get("sample_aspect_ratio"))
    rotation = _rotation(raw, tags)
    display_width, display_height = width, height
    if width is not None and sar is not None:
        display_width = max(1, math.floor(width * sar + Fraction(1, 2)))
    if rotation in (90, 270):
        display_width, display_height = display_height, display_width

    pixel_format = word(raw.get("pix_fmt"))
    bit_depth = chroma = None
    if pixel_format is not None:
        described = describe_pixel_format(pixel_format)
        bit_depth, chroma = described.bit_depth, described.chroma_subsampling
    field_order = _FIELD_ORDERS.get(str(raw.get("field_order")))
    transfer = word(raw.get("color_transfer"))
    r_rate, avg_rate = frame_rates(raw)
    disposition = raw.get("disposition")
    return VideoStream(
        **common,
        attached_picture=isinstance(disposition, dict) and bool(disposition.get("attached_pic")),
        width=width,
        height=height,
        sample_aspect_ratio=sar,
        display_aspect_ratio=ratio(raw.get("display_aspect_ratio")),
        rotation=rotation,
        display_width=display_width,
        display_height=display_height,
        pixel_format=pixel_format,
        bit_depth=bit_depth or positive(raw.get("bits_per_raw_sample")),
        chroma_subsampling=chroma,
        field_order=field_order,
        interlaced=None if field_order is None else field_order != "progressive",
        color_range=_COLOR_RANGES.get(str(raw.get("color_range"))),
        color_space=word(raw.get("color_space")),
        color_primaries=word(raw.get("color_primaries")),
        color_transfer=transfer,
        hdr_format=_HDR_TRANSFERS.get(transfer) if transfer else None,
        r_frame_rate=r_rate,
        avg_frame_rate=avg_rate,
        variable_frame_rate=None if r_rate is None or avg_rate is None else r_rate != avg_rate,
        timecode=_timecode_text(tags.get("timecode")),
    )


# -- values ------------------------------------------------------------------------------------


def text(value: object) -> str | None:
    """Non-blank text, trimmed and cut to :data:`TEXT_LIMIT` characters; else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value:
        return None
    return value if len(value) <= TEXT_LIMIT else value[: TEXT_LIMIT - 1] + "…"


def word(value: object) -> str | None:
    """:func:`text`, with ffprobe's words for "not known" (``unknown``, ``und``…) as None."""
    result = text(value)
    return None if result is None or result.lower() in _UNSTATED else result


def count(value: object) -> int | None:
    """A whole number from 0 to 2**63 - 1 (what a database integer holds) from a JSON number
    or decimal text; else None."""
    number: int | None = None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            number = int(value)
    elif isinstance(value, str):
        value = value.strip()
        if value.isdecimal() and value.isascii() and len(value) <= 20:
            number = int(value)
    return number if number is not None and 0 <= number < _INT_LIMIT else None


def positive(value: object) -> int | None:
    """:func:`count`, with 0 (ffprobe's "not set") as None."""
    number = count(value)
    return number if number else None


def seconds(value: object, *, signed: bool = False) -> float | None:
    """A finite number of seconds (≥ 0 unless ``signed``) from a number or text; else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, str) and len(value) > 40:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number) or (number < 0 and not signed):
        return None
    return number


def parse_rate(text: object) -> Fraction | None:
    """Parse an ffprobe rate such as ``"30000/1001"``; ``None`` for absent or zero rates."""
    return _fraction(text, "/")


#: An average frame rate more than this many times the base rate is not believed.
IMPLAUSIBLE_AVERAGE = 2


def frame_rates(raw: Mapping[str, Any]) -> tuple[Fraction | None, Fraction | None]:
    """A video stream's base and average frame rates (``r_frame_rate``, ``avg_frame_rate``).

    The base rate is the lowest rate at which every timestamp of the stream falls on
    a frame, so the average cannot exceed it by much: field-coded video doubles the
    base rate, never the average. An average more than :data:`IMPLAUSIBLE_AVERAGE`
    times the base rate is a demuxer's mistake (FFmpeg 7 and later report DV at
    60000/1 this way) and the base rate stands in for it.
    """
    base = parse_rate(raw.get("r_frame_rate"))
    average = parse_rate(raw.get("avg_frame_rate"))
    if base is not None and average is not None and average > base * IMPLAUSIBLE_AVERAGE:
        average = base
    return base, average


def ratio(value: object) -> Fraction | None:
    """An aspect ratio such as ``"16:9"`` as a fraction; None for ``"0:1"`` and junk."""
    return _fraction(value, ":")


def _fraction(value: object, separator: str) -> Fraction | None:
    if not isinstance(value, str) or not value or len(value) > 40:
        return None
    num, _, den = value.partition(separator)
    try:
        result = Fraction(int(num), int(den or "1"))
    except (ValueError, ZeroDivisionError):
        return None
    return result if result > 0 else None


def _clock(value: object) -> float | None:
    """Seconds from Matroska's ``DURATION`` tag, ``HH:MM:SS.nnnnnnnnn``."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    parts = value.split(":")
    if len(parts) != 3 or not all(p and p.replace(".", "", 1).isdecimal() for p in parts):
        return None
    hours, minutes, secs = parts
    if "." in hours or "." in minutes:
        return None
    return int(hours) * 3600 + int(minutes) * 60 + float(secs)


def _fourcc(value: object) -> str | None:
    """A readable four-character code (``avc1``); ffprobe writes others as ``[0][0][0][0]``."""
    if isinstance(value, str) and len(value) == 4 and value.isprintable() and value.isascii():
        return value
    return None


def _rotation(raw: Mapping[str, Any], tags: Tags) -> int:
    """Degrees clockwise, 0 to 359, from the display matrix or else the legacy ``rotate`` tag.

    ffprobe reports the display matrix's angle counter-clockwise (an upright phone video
    says -90); the old ``rotate`` tag, like the rest of the world, counts clockwise.
    """
    side_data = raw.get("side_data_list")
    if isinstance(side_data, list):
        for item in side_data:
            if isinstance(item, dict) and item.get("side_data_type") == "Display Matrix":
                angle = seconds(item.get("rotation"), signed=True)
                if angle is not None:
                    return round(-angle) % 360
    angle = seconds(tags.get("rotate"), signed=True)
    return 0 if angle is None else round(angle) % 360


def _first_tag(tags: Tags, names: Sequence[str]) -> str | None:
    for name in names:
        value = text(tags.get(name))
        if value is not None:
            return value
    return None


def _mxf_product(tags: Tags) -> str | None:
    """What wrote an MXF file, from its Identification set: company, product, version."""
    parts = [text(tags.get(k)) for k in ("company_name", "product_name", "product_version")]
    joined = " ".join(p for p in parts if p)
    return text(joined) if parts[1] else None


def _creation_time(tags: Tags, tagged: Sequence[tuple[Mapping[str, Any], Tags]]) -> datetime | None:
    """The capture time: QuickTime's own date (local time with offset), else ``creation_time``."""
    candidates = [tags.get("com.apple.quicktime.creationdate"), tags.get("creation_time")]
    candidates += [stream_tags.get("creation_time") for _, stream_tags in tagged]
    for candidate in candidates:
        moment = _datetime(candidate)
        if moment is not None:
            return moment
    return None


def _datetime(value: object) -> datetime | None:
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    # QuickTime and Matroska times without an offset are UTC by their specifications.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset: before the start of time
        return None


def _timecode_text(value: object) -> str | None:
    """A timecode tag written the canonical way, or None if it is not a timecode."""
    if not isinstance(value, str) or len(value) > 20:
        return None
    try:
        return str(Timecode.parse(value))
    except TimecodeError:
        return None


def _start_timecode(tags: Tags, streams: Sequence[Stream]) -> str | None:
    """The first frame's timecode: the format's tag, a ``tmcd`` track's, or a stream's."""
    found = _timecode_text(tags.get("timecode"))
    if found is not None:
        return found
    for stream in streams:
        if isinstance(stream, DataStream) and stream.codec_tag == "tmcd" and stream.timecode:
            return stream.timecode
    for stream in streams:
        if isinstance(stream, VideoStream | DataStream) and stream.timecode:
            return stream.timecode
    return None
