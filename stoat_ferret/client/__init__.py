"""A trio client for stoat-ferret: ``async with open_client(url) as client: ...``.

It imports no server code: only :mod:`stoat_ferret.protocol`, httpx and trio-websocket.
"""

from ..protocol import EventType, JobKind, JobStatus
from .client import DEFAULT_URL, Client, JobHandle, open_client
from .errors import (
    AlreadyTerminal,
    ApiError,
    ConnectionFailed,
    InvalidPath,
    InvalidRequest,
    NotFound,
    PathNotAllowed,
    ProtocolError,
    ScanInProgress,
    ServerUnavailable,
    StoatFerretError,
)
from .events import EventStream
from .models import Event, Job, JobPage, Readiness, SearchResult, Video, VideoPage

__all__ = [
    "DEFAULT_URL",
    "AlreadyTerminal",
    "ApiError",
    "Client",
    "ConnectionFailed",
    "Event",
    "EventStream",
    "EventType",
    "InvalidPath",
    "InvalidRequest",
    "Job",
    "JobHandle",
    "JobKind",
    "JobPage",
    "JobStatus",
    "NotFound",
    "PathNotAllowed",
    "ProtocolError",
    "Readiness",
    "ScanInProgress",
    "SearchResult",
    "ServerUnavailable",
    "StoatFerretError",
    "Video",
    "VideoPage",
    "open_client",
]
