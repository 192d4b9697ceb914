"""Which jobs covered a video: its history. Pure: no I/O here.

A job covered a video when it looked at the video's file or made its thumbnail:

- a scan or a watch job (any job whose ``params`` hold a ``path``) whose folder holds the
  video's file: directly, for a scan with ``recursive`` false; at any depth otherwise;
- a thumbnails job whose ``video_ids`` name the video, or that was asked for every video
  (``video_ids`` null) once the video was in the library.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..jobs.models import JobSnapshot
from ..library.models import Video


def _within(directory: str, folder: str) -> bool:
    """Whether ``directory`` is ``folder`` or lies below it."""
    base = folder.rstrip("/")
    return directory == (base or "/") or directory.startswith(f"{base}/")


def covers(job: JobSnapshot, video: Video) -> bool:
    """Whether ``job`` looked at ``video``'s file or made its thumbnail."""
    params = job.params
    folder = params.get("path")
    if isinstance(folder, str):
        if params.get("recursive") is False:
            return video.directory == folder
        return _within(video.directory, folder)
    if "video_ids" in params:
        ids = params["video_ids"]
        if ids is None:
            return job.created_at >= video.created_at
        return isinstance(ids, list) and video.id in ids
    return False


def history(jobs: Iterable[JobSnapshot], video: Video, *, limit: int) -> list[JobSnapshot]:
    """The first ``limit`` of ``jobs`` (kept in their order) that covered ``video``."""
    found: list[JobSnapshot] = []
    for job in jobs:
        if len(found) >= limit:
            break
        if covers(job, video):
            found.append(job)
    return found
