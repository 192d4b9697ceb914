"""Reading what a video file holds, with ``ffprobe``."""

from .errors import (
    EmptyFile,
    NotAVideo,
    ProbeError,
    ProbeFailed,
    ProberMissing,
    ProbeTimeout,
)
from .jsonform import JsonFormError
from .metadata import (
    AudioStream,
    BaseStream,
    Container,
    DataStream,
    Stream,
    SubtitleStream,
    VideoStream,
)
from .parse import ProbeResult, parse_probe_output
from .run import probe_file, probe_with_timeout

__all__ = [
    "AudioStream",
    "BaseStream",
    "Container",
    "DataStream",
    "EmptyFile",
    "JsonFormError",
    "NotAVideo",
    "ProbeError",
    "ProbeFailed",
    "ProbeResult",
    "ProbeTimeout",
    "ProberMissing",
    "Stream",
    "SubtitleStream",
    "VideoStream",
    "parse_probe_output",
    "probe_file",
    "probe_with_timeout",
]
