"""Bit depth and chroma subsampling from an FFmpeg pixel format name. Pure.

FFmpeg names its pixel formats by a small grammar: a family (``yuv``, ``yuvj``, ``yuva``,
``gray``, ``gbrp``, ``nv``, ``p0``…), the subsampling for planar Y'CbCr (``420``), ``p``
for planar, the bits per component when more than 8 (``10``), and ``le``/``be`` for the
byte order. Reading the name is enough for every format a camera or an editor meets; a
name outside the grammar gives ``None`` for what it does not say rather than a guess.
"""

from __future__ import annotations

import functools

import attrs

#: Y'CbCr subsampling written as J:a:b, by the digits FFmpeg puts in a planar format's name.
_PLANAR_SUBSAMPLING = {
    "444": "4:4:4",
    "422": "4:2:2",
    "420": "4:2:0",
    "440": "4:4:0",
    "411": "4:1:1",
    "410": "4:1:0",
}

#: Formats whose name does not follow the planar grammar: name -> (bits, subsampling).
_SPECIAL: dict[str, tuple[int | None, str | None]] = {
    # Packed Y'CbCr.
    "yuyv422": (8, "4:2:2"),
    "yvyu422": (8, "4:2:2"),
    "uyvy422": (8, "4:2:2"),
    "uyyvyy411": (8, "4:1:1"),
    "y210": (10, "4:2:2"),
    "y212": (12, "4:2:2"),
    "ayuv64": (16, "4:4:4"),
    "vuya": (8, "4:4:4"),
    "vuyx": (8, "4:4:4"),
    "xv30": (10, "4:4:4"),
    "xv36": (12, "4:4:4"),
    # Semi-planar Y'CbCr (a luma plane, then one plane of interleaved chroma).
    "nv12": (8, "4:2:0"),
    "nv21": (8, "4:2:0"),
    "nv16": (8, "4:2:2"),
    "nv20": (10, "4:2:2"),
    "nv24": (8, "4:4:4"),
    "nv42": (8, "4:4:4"),
    "p010": (10, "4:2:0"),
    "p012": (12, "4:2:0"),
    "p016": (16, "4:2:0"),
    "p210": (10, "4:2:2"),
    "p212": (12, "4:2:2"),
    "p216": (16, "4:2:2"),
    "p410": (10, "4:4:4"),
    "p412": (12, "4:4:4"),
    "p416": (16, "4:4:4"),
    # CIE XYZ, as in digital cinema packages: three full-resolution components.
    "xyz12": (12, "4:4:4"),
    # Packed RGB: the digits are bits per pixel, not per component.
    "rgb24": (8, None),
    "bgr24": (8, None),
    "rgb48": (16, None),
    "bgr48": (16, None),
    "rgba64": (16, None),
    "bgra64": (16, None),
    "rgb555": (5, None),
    "bgr555": (5, None),
    "rgb444": (4, None),
    "bgr444": (4, None),
    "x2rgb10": (10, None),
    "x2bgr10": (10, None),
    "rgbaf16": (16, None),
    "rgbf32": (32, None),
    "rgbaf32": (32, None),
    # One or two bits per pixel, or a palette: no depth per component worth stating.
    "monow": (1, None),
    "monob": (1, None),
    "pal8": (8, None),
}

#: Packed 8-bit RGB in every channel order, with or without alpha or padding.
_RGB8 = frozenset({"rgba", "bgra", "argb", "abgr", "rgb0", "bgr0", "0rgb", "0bgr"})


@attrs.frozen
class PixelFormat:
    """What a pixel format name says about the picture."""

    #: Bits per component, when every component has the same number.
    bit_depth: int | None
    #: Y'CbCr subsampling as J:a:b (``"4:2:0"``); ``"4:0:0"`` for greyscale; None for RGB.
    chroma_subsampling: str | None


_UNKNOWN = PixelFormat(None, None)


@functools.lru_cache(maxsize=512)
def describe_pixel_format(name: str) -> PixelFormat:
    """Bit depth and chroma subsampling of the FFmpeg pixel format ``name``.

    Either part is None when the name does not say it (an unknown format, a hardware
    surface, mixed depths such as ``rgb565``, Bayer sensor data).
    """
    base = name.lower()
    if base[-2:] in ("le", "be") and base[-3:-2].isdigit():
        base = base[:-2]
    special = _SPECIAL.get(base)
    if special is not None:
        return PixelFormat(*special)
    if base in _RGB8:
        return PixelFormat(8, None)
    for family in ("yuva", "yuvj", "yuv"):
        if base.startswith(family):
            rest = base[len(family) :]
            subsampling = _PLANAR_SUBSAMPLING.get(rest[:3])
            if subsampling is None or rest[3:4] != "p":
                return _UNKNOWN
            return PixelFormat(_bits(rest[4:]), subsampling)
    for family, subsampling in (("gbrapf", None), ("gbrpf", None), ("gbrap", None),
                                ("gbrp", None), ("grayf", "4:0:0"), ("gray", "4:0:0"),
                                ("ya", "4:0:0")):  # fmt: skip
        if base.startswith(family):
            return PixelFormat(_bits(base[len(family) :]), subsampling)
    return _UNKNOWN


def _bits(digits: str) -> int | None:
    """Bits per component from the digits after a family name: none means 8."""
    if not digits:
        return 8
    return int(digits) if digits.isdigit() and len(digits) <= 2 else None
