"""Why a file could not be probed.

ProbeError           PROBE_FAILED, 422
 ├── EmptyFile        the file has no bytes
 ├── NotAVideo        ffprobe read it, but it holds no moving picture
 ├── ProbeFailed      ffprobe could not read it (its own message is kept)
 ├── ProbeTimeout     ffprobe took longer than the per-call limit
 └── ProberMissing    the ffprobe program itself could not be started (TOOL_UNAVAILABLE, 503)

Pure: each carries its error code and HTTP status, as every refusal of the service does.
"""

from __future__ import annotations

from ..errors import ServiceError
from ..protocol import ErrorCode


class ProbeError(ServiceError):
    """A file could not be probed; ``reason`` says why in words a person can act on."""

    code = ErrorCode.PROBE_FAILED
    http_status = 422

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class EmptyFile(ProbeError):
    """The file is zero bytes long."""


class NotAVideo(ProbeError):
    """The file is readable media, but has no video stream (audio only, a still image, …)."""


class ProbeFailed(ProbeError):
    """ffprobe exited with an error or printed something that is not its JSON."""


class ProbeTimeout(ProbeError):
    """ffprobe did not finish within the time allowed for one call."""


class ProberMissing(ProbeError):
    """The ffprobe executable could not be run at all."""

    code = ErrorCode.TOOL_UNAVAILABLE
    http_status = 503
