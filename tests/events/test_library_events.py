"""Library events: each video_* payload's wire form, and events bounded in size."""

from __future__ import annotations

from typing import Any

from stoat_ferret.events.hub import EventHub
from stoat_ferret.events.library import MAX_IDS_PER_EVENT, LibraryEvents
from stoat_ferret.library.models import VideoMove
from stoat_ferret.protocol import EventType


def published(publish: Any) -> list[tuple[EventType, dict[str, Any], str | None]]:
    """Run ``publish(events)`` on a fresh hub; every event it published."""
    hub = EventHub(replay_size=100, client_buffer=100)
    publish(LibraryEvents(hub))
    return [(e.type, e.payload, e.correlation_id) for e in hub.history()]


def test_each_change_has_its_event_type_and_payload() -> None:
    """Ids (and moves) with the job that made the change, which is also the correlation id."""
    move = VideoMove("v3", "/m/a.mp4", "/m/b.mp4")

    def publish(events: LibraryEvents) -> None:
        events.added(["v1", "v2"], job_id="j1")
        events.updated(["v1"], job_id="j1")
        events.missing(["v2"], missing=True, job_id="j1")
        events.missing(["v2"], missing=False, job_id="j2")
        events.moved([move], job_id="j2")
        events.removed(["v1"], job_id=None)

    assert published(publish) == [
        (EventType.VIDEO_ADDED, {"video_ids": ["v1", "v2"], "job_id": "j1"}, "j1"),
        (EventType.VIDEO_UPDATED, {"video_ids": ["v1"], "job_id": "j1"}, "j1"),
        (EventType.VIDEO_MISSING, {"video_ids": ["v2"], "missing": True, "job_id": "j1"}, "j1"),
        (EventType.VIDEO_MISSING, {"video_ids": ["v2"], "missing": False, "job_id": "j2"}, "j2"),
        (
            EventType.VIDEO_MOVED,
            {
                "moves": [{"video_id": "v3", "from_path": "/m/a.mp4", "to_path": "/m/b.mp4"}],
                "job_id": "j2",
            },
            "j2",
        ),
        (EventType.VIDEO_REMOVED, {"video_ids": ["v1"], "job_id": None}, None),
    ]


def test_nothing_changed_publishes_nothing() -> None:
    """An empty change is no event at all."""

    def publish(events: LibraryEvents) -> None:
        events.added([], job_id="j")
        events.missing([], missing=True, job_id="j")
        events.moved([], job_id="j")
        events.removed([], job_id=None)

    assert published(publish) == []


def test_a_large_change_is_split_into_events_of_bounded_size() -> None:
    """150 ids go out as 64, 64 and 22, in order; 130 moves as 64, 64 and 2."""
    ids = [f"v{n:03}" for n in range(150)]
    moves = [VideoMove(f"m{n}", f"/a/{n}", f"/b/{n}") for n in range(130)]

    def publish(events: LibraryEvents) -> None:
        events.removed(ids, job_id=None)
        events.moved(moves, job_id="j")

    events = published(publish)
    removed = [p["video_ids"] for t, p, _ in events if t == EventType.VIDEO_REMOVED]
    assert [len(part) for part in removed] == [MAX_IDS_PER_EVENT, MAX_IDS_PER_EVENT, 22]
    assert [i for part in removed for i in part] == ids
    moved = [p["moves"] for t, p, _ in events if t == EventType.VIDEO_MOVED]
    assert [len(part) for part in moved] == [64, 64, 2]
    assert [m["video_id"] for part in moved for m in part] == [m.video_id for m in moves]
