"""The words server and clients share: job statuses, job kinds, event types, error codes.

The single source of truth for every status string and event type on the wire.
The server, the Python client and the web page all take them from here (the page
through ``GET /api/v1/info``), so none can spell one differently. Pure: it
imports nothing but the standard library, so the client can import it without
pulling in any server code.
"""

from __future__ import annotations

import enum

#: Items per page when a list request (or a client call) names no ``limit``: the HTTP API,
#: the Python client and the command line all use this one.
DEFAULT_PAGE_SIZE = 20
#: The largest ``limit`` a list request may ask for.
MAX_PAGE_SIZE = 500


class VideoSort(enum.StrEnum):
    """What a list of videos can be sorted by (``sort=``); each has a default direction."""

    #: The full path, A to Z.
    PATH = "path"
    #: The file name in natural order (``clip_2`` before ``clip_10``), A to Z.
    FILENAME = "filename"
    #: Duration in seconds, longest first.
    DURATION = "duration"
    #: File size in bytes, largest first.
    SIZE = "size"
    #: Picture width in pixels, widest first.
    WIDTH = "width"
    #: Frame rate, highest first.
    FRAME_RATE = "frame_rate"
    #: When the video was added to the library, newest first (the order without a sort).
    CREATED = "created"
    #: The file's modification time, newest first.
    MODIFIED = "modified"

    @property
    def default_order(self) -> SortOrder:
        text = self in (VideoSort.PATH, VideoSort.FILENAME)
        return SortOrder.ASC if text else SortOrder.DESC


class SortOrder(enum.StrEnum):
    ASC = "asc"
    DESC = "desc"


class HdrFilter(enum.StrEnum):
    """``hdr=``: any HDR (``true``), none (``false``), or one transfer."""

    TRUE = "true"
    FALSE = "false"
    HDR10 = "HDR10"
    HLG = "HLG"


class ExportFormat(enum.StrEnum):
    """``GET /api/v1/videos/export?format=``."""

    CSV = "csv"
    JSON = "json"
    #: An OpenTimelineIO document: a bin of clips an editing application imports.
    OTIO = "otio"


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    #: The job was pending or running when the server stopped.
    INTERRUPTED = "interrupted"

    @property
    def terminal(self) -> bool:
        return self not in (JobStatus.PENDING, JobStatus.RUNNING)


TERMINAL_STATUSES = frozenset(s for s in JobStatus if s.terminal)


class JobKind(enum.StrEnum):
    SCAN = "scan"
    #: Makes thumbnail images with ffmpeg; queued after a scan that found new or changed
    #: videos, or on request.
    THUMBNAILS = "thumbnails"
    #: Applies the changes a watched folder saw (new, changed, deleted and moved files).
    WATCH = "watch"


class WatchState(enum.StrEnum):
    """How a watched folder is being watched."""

    #: The kernel reports changes as they happen (inotify).
    ACTIVE = "active"
    #: The folder is walked at an interval instead; the status's reason says why.
    POLLING = "polling"
    #: The folder cannot be watched (gone, unmounted, unreadable); it is looked for again
    #: at an interval and rescanned when it comes back.
    UNAVAILABLE = "unavailable"


class WatchChange(enum.StrEnum):
    """What a ``watch_status`` event reports about its watch."""

    #: The folder is watched from now on.
    ADDED = "added"
    #: Its state, reason, latest change or latest job changed.
    CHANGED = "changed"
    #: The folder is no longer watched.
    REMOVED = "removed"


class EventType(enum.StrEnum):
    #: Sent on an idle connection every ``STOAT_WS_HEARTBEAT_INTERVAL`` seconds; not numbered.
    HEARTBEAT = "heartbeat"
    #: A scan job began running. Payload: ``job_id``, ``path``, ``recursive``, ``force``.
    SCAN_STARTED = "scan_started"
    #: A scan job reached a final state. Payload: ``job_id``, ``path``, ``status``, ``result``.
    SCAN_COMPLETED = "scan_completed"
    #: Any job changed state (created as pending included). Payload: the job.
    JOB_STATUS = "job_status"
    #: A running job made progress. Payload: ``job_id``, ``kind``, ``progress``,
    #: ``processed``, ``total``, ``current_file``. Coalesced for slow clients.
    JOB_PROGRESS = "job_progress"
    #: A video's thumbnail was made. Payload: ``video_id``, ``job_id``.
    THUMBNAIL_READY = "thumbnail_ready"
    #: Videos were added to the library. Payload: ``video_ids``, ``job_id``.
    VIDEO_ADDED = "video_added"
    #: Videos were probed again because their files changed. Payload: ``video_ids``, ``job_id``.
    VIDEO_UPDATED = "video_updated"
    #: Videos whose files were not found (or were found again). Payload: ``video_ids``,
    #: ``missing`` (true or false), ``job_id``.
    VIDEO_MISSING = "video_missing"
    #: Videos whose files moved: same id, new path. Payload: ``moves`` (``video_id``,
    #: ``from_path``, ``to_path`` each), ``job_id``.
    VIDEO_MOVED = "video_moved"
    #: Videos removed from the library. Payload: ``video_ids``, ``job_id`` (null when removed
    #: by a request rather than a job).
    VIDEO_REMOVED = "video_removed"
    #: A watched folder was added or removed, or its state, latest change or latest job
    #: changed. Payload: the watch, and ``change`` (a :class:`WatchChange`).
    WATCH_STATUS = "watch_status"
    #: Sent instead of events the client can no longer be given; not numbered.
    RESYNC_REQUIRED = "resync_required"


class ErrorCode(enum.StrEnum):
    """Every ``detail.code`` the API answers with, in the error envelope."""

    # -- requests the server cannot use
    BAD_REQUEST = "BAD_REQUEST"
    INVALID_JSON = "INVALID_JSON"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    RANGE_NOT_SATISFIABLE = "RANGE_NOT_SATISFIABLE"
    # -- who may ask
    HOST_NOT_ALLOWED = "HOST_NOT_ALLOWED"
    CROSS_SITE_REQUEST = "CROSS_SITE_REQUEST"
    UNAUTHORIZED = "UNAUTHORIZED"
    # -- scans, watches and paths
    INVALID_PATH = "INVALID_PATH"
    PATH_NOT_ALLOWED = "PATH_NOT_ALLOWED"
    SCAN_IN_PROGRESS = "SCAN_IN_PROGRESS"
    WATCH_OVERLAP = "WATCH_OVERLAP"
    # -- media files and the programs that read them
    #: ffprobe could not read a file, timed out on it, or found no video in it.
    PROBE_FAILED = "PROBE_FAILED"
    #: An external program the request needs (ffprobe, ffmpeg) cannot be run.
    TOOL_UNAVAILABLE = "TOOL_UNAVAILABLE"
    # -- jobs
    ALREADY_TERMINAL = "ALREADY_TERMINAL"
    TOO_MANY_JOBS = "TOO_MANY_JOBS"
    # -- the server's own state
    SHUTTING_DOWN = "SHUTTING_DOWN"
    LIBRARY_UNAVAILABLE = "LIBRARY_UNAVAILABLE"
    STORAGE_FULL = "STORAGE_FULL"
    INTERNAL_ERROR = "INTERNAL_ERROR"


def describe() -> dict[str, object]:
    """The vocabulary as JSON, for clients that cannot import this module (the web page)."""
    return {
        "job_statuses": [str(s) for s in JobStatus],
        "job_status_names": {s.name: str(s) for s in JobStatus},
        "terminal_statuses": sorted(str(s) for s in TERMINAL_STATUSES),
        "job_kinds": [str(k) for k in JobKind],
        "job_kind_names": {k.name: str(k) for k in JobKind},
        "watch_states": [str(s) for s in WatchState],
        "watch_state_names": {s.name: str(s) for s in WatchState},
        "watch_changes": {c.name: str(c) for c in WatchChange},
        "event_types": {e.name: str(e) for e in EventType},
        "error_codes": {c.name: str(c) for c in ErrorCode},
        "video_sorts": {s.name: str(s) for s in VideoSort},
        "video_sort_defaults": {str(s): str(s.default_order) for s in VideoSort},
        "sort_orders": {o.name: str(o) for o in SortOrder},
        "hdr_filters": {h.name: str(h) for h in HdrFilter},
        "export_formats": {f.name: str(f) for f in ExportFormat},
    }
