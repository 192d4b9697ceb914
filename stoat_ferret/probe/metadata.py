"""Technical metadata of a media file: its container and every stream in it.

Frozen attrs values, built from ffprobe's JSON by :mod:`.technical`. Every field a
file may lack is optional: None means the file (or ffprobe) did not say.

Units: seconds for times and durations, bits per second for bit rates, pixels for
sizes, hertz for sample rates, exact fractions for frame rates and aspect ratios,
whole degrees clockwise for rotation.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Literal, TypeAlias

import attrs

#: How the fields of an interlaced picture are shown: top first, or bottom first.
FieldOrder: TypeAlias = Literal["progressive", "tff", "bff"]
#: The HDR system a video's transfer characteristic belongs to.
HdrFormat: TypeAlias = Literal["HDR10", "HLG"]


@attrs.frozen(kw_only=True)
class Container:
    """The file as a whole: its format and what its header says."""

    #: ffprobe's demuxer name(s), e.g. ``"mov,mp4,m4a,3gp,3g2,mj2"``, ``"mxf"``.
    format_name: str | None = None
    #: The demuxer's human name, e.g. ``"QuickTime / MOV"``.
    format_long_name: str | None = None
    duration_seconds: float | None = None
    #: Overall bit rate, bits per second.
    bit_rate: int | None = None
    #: Presentation time of the first packet, seconds (may be negative, e.g. after an edit list).
    start_time: float | None = None
    #: When the recording was made, as the file states it, in UTC.
    creation_time: datetime | None = None
    #: The software that wrote the file (``encoder`` tag, or an MXF file's product).
    encoder: str | None = None
    #: Camera or phone maker and model, from QuickTime, Android or plain ``make``/``model`` tags.
    make: str | None = None
    model: str | None = None
    #: Timecode of the first frame, ``HH:MM:SS:FF`` or drop-frame ``HH:MM:SS;FF``.
    start_timecode: str | None = None


@attrs.frozen(kw_only=True)
class BaseStream:
    """What every stream has, whatever its type."""

    #: The stream's position in the file, as ffprobe and ``ffmpeg -map 0:N`` count.
    index: int
    #: FFmpeg's codec name, e.g. ``"h264"``, ``"prores"``, ``"pcm_s24le"``, ``"subrip"``.
    codec: str | None = None
    codec_long_name: str | None = None
    #: The codec profile, e.g. ``"High 4:2:2"``, ``"HQ"``, ``"LC"``.
    profile: str | None = None
    #: The four-character code the container gives the codec (``avc1``, ``apch``), if any.
    codec_tag: str | None = None
    #: ISO 639-2 language code (``"eng"``); None for none or ``"und"``.
    language: str | None = None
    title: str | None = None
    #: Bits per second.
    bit_rate: int | None = None
    duration_seconds: float | None = None
    #: Frames (or packets) in the stream, when the container states it: MP4 and MOV do;
    #: MXF, Matroska and MPEG streams do not.
    frame_count: int | None = None


@attrs.frozen(kw_only=True)
class VideoStream(BaseStream):
    """A picture stream (or, with ``attached_picture``, a cover image)."""

    kind: Literal["video"] = "video"
    #: A still picture attached to the file (cover art), not moving video.
    attached_picture: bool = False
    width: int | None = None
    height: int | None = None
    sample_aspect_ratio: Fraction | None = None
    display_aspect_ratio: Fraction | None = None
    #: Degrees clockwise the picture is turned for display: 0, 90, 180 or 270 usually.
    rotation: int = 0
    #: The picture as shown: width scaled by the sample aspect ratio, then turned by ``rotation``.
    display_width: int | None = None
    display_height: int | None = None
    #: FFmpeg's pixel format name, e.g. ``"yuv422p10le"``.
    pixel_format: str | None = None
    #: Bits per colour component.
    bit_depth: int | None = None
    #: Y'CbCr subsampling (``"4:2:0"``); ``"4:0:0"`` for greyscale; None for RGB.
    chroma_subsampling: str | None = None
    field_order: FieldOrder | None = None
    #: True for ``tff``/``bff``, False for progressive, None when the stream does not say.
    interlaced: bool | None = None
    #: ``"limited"`` (TV levels, 16 to 235 in 8 bits) or ``"full"`` (PC levels, 0 to 255).
    color_range: Literal["limited", "full"] | None = None
    #: Matrix coefficients, primaries and transfer, by ffprobe's names (``bt709``,
    #: ``bt2020nc``, ``smpte2084``, ``arib-std-b67``…).
    color_space: str | None = None
    color_primaries: str | None = None
    color_transfer: str | None = None
    #: ``"HDR10"`` for the PQ transfer (smpte2084), ``"HLG"`` for arib-std-b67.
    hdr_format: HdrFormat | None = None
    #: The lowest rate that represents every timestamp (ffprobe's ``r_frame_rate``).
    r_frame_rate: Fraction | None = None
    #: Frames divided by duration (ffprobe's ``avg_frame_rate``).
    avg_frame_rate: Fraction | None = None
    #: True when both rates are known and differ; None when either is unknown.
    variable_frame_rate: bool | None = None
    #: The stream's own timecode tag, if it has one.
    timecode: str | None = None


@attrs.frozen(kw_only=True)
class AudioStream(BaseStream):
    """A sound stream."""

    kind: Literal["audio"] = "audio"
    #: Samples per second per channel, Hz.
    sample_rate: int | None = None
    channels: int | None = None
    #: FFmpeg's layout name, e.g. ``"stereo"``, ``"5.1(side)"``.
    channel_layout: str | None = None
    #: FFmpeg's sample format, e.g. ``"s16"``, ``"fltp"``.
    sample_format: str | None = None
    #: Bits per sample as coded (24 for 24-bit PCM), when the codec has a fixed depth.
    bit_depth: int | None = None


@attrs.frozen(kw_only=True)
class SubtitleStream(BaseStream):
    """A subtitle or caption stream."""

    kind: Literal["subtitle"] = "subtitle"


@attrs.frozen(kw_only=True)
class DataStream(BaseStream):
    """Any other stream: timecode tracks (``tmcd``), metadata, attachments (fonts)."""

    #: ffprobe's stream type: ``"data"``, ``"attachment"``, or another it may report.
    kind: str = "data"
    #: A timecode track's start timecode.
    timecode: str | None = None


Stream: TypeAlias = VideoStream | AudioStream | SubtitleStream | DataStream
