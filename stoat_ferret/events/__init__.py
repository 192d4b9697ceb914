"""Server events: numbering, replay and per-client buffering."""

from .hub import Event, EventHub, Subscriber, make_event
from .types import EventType

__all__ = ["Event", "EventHub", "EventType", "Subscriber", "make_event"]
