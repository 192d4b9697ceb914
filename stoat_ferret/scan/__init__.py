"""Scanning directories into the library."""

from .job import ScanConflict, Scanner
from .paths import InvalidPath, PathNotAllowed, ScanPathError

__all__ = ["InvalidPath", "PathNotAllowed", "ScanConflict", "ScanPathError", "Scanner"]
