"""The technical metadata of one video, as ``GET /api/v1/videos/{id}`` answers it.

These mirror :mod:`stoat_ferret.probe.metadata` field for field (a test keeps them in
agreement); exact fractions are written ``"30000/1001"``, times as ISO 8601 UTC.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, WithJsonSchema

#: An exact fraction as the API writes it: ``"numerator/denominator"``.
FractionText = Annotated[
    str,
    WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]+/[0-9]+$", "examples": ["30000/1001"]}),
]
#: A point in time: ISO 8601 in UTC.
TimeText = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class ContainerInfo(BaseModel):
    format_name: str | None = Field(description="ffprobe's demuxer name(s), e.g. 'mxf'.")
    format_long_name: str | None
    duration_seconds: float | None
    bit_rate: int | None = Field(description="Overall bit rate, bits per second.")
    start_time: float | None = Field(description="Time of the first packet, seconds.")
    creation_time: TimeText | None = Field(description="When the recording was made.")
    encoder: str | None
    make: str | None = Field(description="Camera or phone maker.")
    model: str | None
    start_timecode: str | None = Field(description="HH:MM:SS:FF, or HH:MM:SS;FF drop-frame.")


class _Stream(BaseModel):
    index: int = Field(description="The stream's number in the file, as ffprobe counts.")
    codec: str | None
    codec_long_name: str | None
    profile: str | None
    codec_tag: str | None = Field(description="The container's four-character code.")
    language: str | None = Field(description="ISO 639-2 code, e.g. 'eng'.")
    title: str | None
    bit_rate: int | None = Field(description="Bits per second.")
    duration_seconds: float | None
    frame_count: int | None = Field(description="Frames (audio: packets), where stated.")


class VideoStreamInfo(_Stream):
    kind: Literal["video"]
    attached_picture: bool = Field(description="A cover picture, not moving video.")
    width: int | None
    height: int | None
    sample_aspect_ratio: FractionText | None
    display_aspect_ratio: FractionText | None
    rotation: int = Field(description="Degrees clockwise the picture is turned for display.")
    display_width: int | None
    display_height: int | None
    pixel_format: str | None
    bit_depth: int | None = Field(description="Bits per colour component.")
    chroma_subsampling: str | None = Field(description="e.g. '4:2:0'; null for RGB.")
    field_order: Literal["progressive", "tff", "bff"] | None
    interlaced: bool | None
    color_range: Literal["limited", "full"] | None
    color_space: str | None
    color_primaries: str | None
    color_transfer: str | None
    hdr_format: Literal["HDR10", "HLG"] | None
    r_frame_rate: FractionText | None
    avg_frame_rate: FractionText | None
    variable_frame_rate: bool | None
    timecode: str | None


class AudioStreamInfo(_Stream):
    kind: Literal["audio"]
    sample_rate: int | None = Field(description="Hz.")
    channels: int | None
    channel_layout: str | None = Field(description="e.g. 'stereo', '5.1(side)'.")
    sample_format: str | None
    bit_depth: int | None


class SubtitleStreamInfo(_Stream):
    kind: Literal["subtitle"]


class DataStreamInfo(_Stream):
    kind: str = Field(description="'data', 'attachment' or another type ffprobe reports.")
    timecode: str | None = Field(description="A timecode track's start timecode.")


class TechnicalInfo(BaseModel):
    container: ContainerInfo
    streams: list[VideoStreamInfo | AudioStreamInfo | SubtitleStreamInfo | DataStreamInfo]
