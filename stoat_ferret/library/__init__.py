"""The SQLite library: videos, job history, and the schema that holds them."""

from .models import KnownFile, Video
from .store import Library, open_library

__all__ = ["KnownFile", "Library", "Video", "open_library"]
