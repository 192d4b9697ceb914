"""Library events: changes to the library, published on the hub with the ids they touch.

Callers publish only after the change is committed, so a client that reads a video
over HTTP on hearing of it sees the change. A change to many videos is published as
several events of at most :data:`MAX_IDS_PER_EVENT` ids (or moves) each, so one
event stays small however large the change: a client that wants the whole picture
after a huge change reads the library over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from ..library.models import VideoMove
from .hub import EventHub
from .payloads import VideoAdded, VideoMissing, VideoMoved, VideoRemoved, VideoUpdated

#: Ids (or moves) one event carries at most: a scan's write batch.
MAX_IDS_PER_EVENT = 64

T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[tuple[T, ...]]:
    """``items`` in order, ``size`` at a time (the last chunk may be shorter)."""
    for start in range(0, len(items), size):
        yield tuple(items[start : start + size])


class LibraryEvents:
    """Publishes ``video_*`` events. Publishing never waits."""

    def __init__(self, hub: EventHub, *, max_ids: int = MAX_IDS_PER_EVENT) -> None:
        self._hub = hub
        self._max = max_ids

    def added(self, video_ids: Sequence[str], *, job_id: str | None) -> None:
        for ids in chunks(video_ids, self._max):
            self._hub.publish(VideoAdded(video_ids=ids, job_id=job_id), correlation_id=job_id)

    def updated(self, video_ids: Sequence[str], *, job_id: str | None) -> None:
        for ids in chunks(video_ids, self._max):
            self._hub.publish(VideoUpdated(video_ids=ids, job_id=job_id), correlation_id=job_id)

    def missing(self, video_ids: Sequence[str], *, missing: bool, job_id: str | None) -> None:
        """Videos marked missing (``missing=True``) or found again (``missing=False``)."""
        for ids in chunks(video_ids, self._max):
            self._hub.publish(
                VideoMissing(video_ids=ids, missing=missing, job_id=job_id),
                correlation_id=job_id,
            )

    def moved(self, moves: Sequence[VideoMove], *, job_id: str | None) -> None:
        for part in chunks(moves, self._max):
            self._hub.publish(VideoMoved(moves=part, job_id=job_id), correlation_id=job_id)

    def removed(self, video_ids: Sequence[str], *, job_id: str | None) -> None:
        for ids in chunks(video_ids, self._max):
            self._hub.publish(VideoRemoved(video_ids=ids, job_id=job_id), correlation_id=job_id)
