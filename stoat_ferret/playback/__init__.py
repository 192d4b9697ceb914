"""Serving a library file to the page's player: byte ranges, content types, confined opens."""

from __future__ import annotations

from .files import FileGone, FileIdentity, FileNotAllowed, open_confined, stat_confined
from .ranges import ByteRange, RangeNotSatisfiable, content_type, entity_tag, resolve_range

__all__ = [
    "ByteRange",
    "FileGone",
    "FileIdentity",
    "FileNotAllowed",
    "RangeNotSatisfiable",
    "content_type",
    "entity_tag",
    "open_confined",
    "resolve_range",
    "stat_confined",
]
