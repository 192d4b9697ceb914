"""Reading what a video file holds, with ``ffprobe``."""

from .errors import (
    EmptyFile,
    NotAVideo,
    ProbeError,
    ProbeFailed,
    ProberMissing,
    ProbeTimeout,
)
from .parse import ProbeResult, parse_probe_output
from .run import probe_file, probe_with_timeout

__all__ = [
    "EmptyFile",
    "NotAVideo",
    "ProbeError",
    "ProbeFailed",
    "ProbeResult",
    "ProbeTimeout",
    "ProberMissing",
    "parse_probe_output",
    "probe_file",
    "probe_with_timeout",
]
