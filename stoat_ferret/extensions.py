"""Which file names are videos: the extensions a scan looks at. Pure, imports nothing of ours.

Extensions are kept lower case with their dot (``".mxf"``); a file's extension is
compared case-insensitively, so ``CLIP.MXF`` is a video.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

#: Containers an editor meets: delivery and web formats, camera originals (MXF from
#: broadcast and cinema cameras, AVCHD's MPEG-TS, DV), disc and broadcast streams,
#: raw elementary streams and uncompressed YUV.
VIDEO_EXTENSIONS = frozenset(
    {
        # MPEG-4 / QuickTime family
        ".mp4", ".m4v", ".mov", ".qt", ".3gp", ".3g2", ".f4v",
        # Matroska and WebM
        ".mkv", ".webm",
        # Microsoft
        ".avi", ".wmv", ".asf",
        # Flash, Ogg
        ".flv", ".ogv",
        # Material Exchange Format
        ".mxf",
        # MPEG transport streams (AVCHD writes .mts; Blu-ray .m2ts)
        ".ts", ".mts", ".m2ts", ".m2t",
        # MPEG program streams and DVD
        ".mpg", ".mpeg", ".vob",
        # Raw MPEG elementary streams
        ".m2v", ".m1v",
        # DV, YUV4MPEG
        ".dv", ".y4m",
    }
)  # fmt: skip


class ExtensionError(ValueError):
    """Text that cannot be a file name extension."""


def normalize_extension(text: str) -> str:
    """``"MXF"``, ``".Mxf"`` and ``" .mxf "`` all become ``".mxf"``.

    Raises :class:`ExtensionError` for text that could not end a file name: empty, a
    lone dot, or holding a path separator, a NUL or white space.
    """
    ext = text.strip().lower()
    if not ext.startswith("."):
        ext = "." + ext
    body = ext[1:]
    if not body or "." in body or any(c in body for c in "/\\\0") or not body.isprintable():
        raise ExtensionError(f"not a file name extension: {text!r}")
    if any(c.isspace() for c in body):
        raise ExtensionError(f"not a file name extension: {text!r}")
    return ext


def video_extensions(extra: Iterable[str] = ()) -> frozenset[str]:
    """The built-in :data:`VIDEO_EXTENSIONS` plus ``extra`` (normalised)."""
    return VIDEO_EXTENSIONS | {normalize_extension(e) for e in extra}


def extension_of(name: str) -> str:
    """A file name's extension, lower case with its dot; ``""`` when it has none."""
    return os.path.splitext(name)[1].lower()
