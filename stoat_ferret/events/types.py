"""Event type names: defined in :mod:`stoat_ferret.protocol`, shared with clients."""

from ..protocol import EventType

__all__ = ["EventType"]
