"""Turn ffprobe's JSON into a :class:`ProbeResult`. Pure: no I/O here."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from typing import Any

import attrs

from .errors import NotAVideo, ProbeFailed

# Demuxers that read single pictures: a ``.mp4`` that is really a PNG is not a video.
_STILL_IMAGE_FORMATS = frozenset(
    {
        "image2",
        "png_pipe",
        "jpeg_pipe",
        "bmp_pipe",
        "gif_pipe",
        "tiff_pipe",
        "webp_pipe",
        "svg_pipe",
        "ppm_pipe",
        "pgm_pipe",
        "pam_pipe",
        "psd_pipe",
        "qoi_pipe",
    }
)


@attrs.frozen(kw_only=True)
class ProbeResult:
    """What ffprobe told us about one video file."""

    duration_seconds: float
    frame_rate: Fraction
    duration_frames: int
    width: int
    height: int
    video_codec: str
    audio_codec: str | None
    file_size: int
    format_name: str

    @property
    def frame_rate_numerator(self) -> int:
        return self.frame_rate.numerator

    @property
    def frame_rate_denominator(self) -> int:
        return self.frame_rate.denominator


def parse_rate(text: object) -> Fraction | None:
    """Parse an ffprobe rate such as ``"30000/1001"``; ``None`` for absent or zero rates."""
    if not isinstance(text, str) or not text:
        return None
    num, _, den = text.partition("/")
    try:
        rate = Fraction(int(num), int(den or "1"))
    except (ValueError, ZeroDivisionError):
        return None
    return rate if rate > 0 else None


def _number(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]  # ffprobe gives numbers as strings
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def parse_probe_output(path: str, raw: bytes | str, *, file_size: int) -> ProbeResult:
    """Build a :class:`ProbeResult` from ``ffprobe -show_format -show_streams`` JSON.

    Raises :class:`ProbeFailed` when the output is not ffprobe's JSON, and
    :class:`NotAVideo` when the file holds no moving picture.
    """
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProbeFailed(path, f"ffprobe printed output that is not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ProbeFailed(path, "ffprobe printed JSON of an unexpected shape")

    fmt: dict[str, Any] = data.get("format") or {}
    streams: list[dict[str, Any]] = [s for s in data.get("streams") or [] if isinstance(s, dict)]
    format_name = str(fmt.get("format_name") or "unknown")

    video = next(
        (
            s
            for s in streams
            if s.get("codec_type") == "video"
            and not (s.get("disposition") or {}).get("attached_pic")
        ),
        None,
    )
    if video is None:
        kinds = sorted(
            {
                "cover art"
                if (s.get("disposition") or {}).get("attached_pic")
                else str(s.get("codec_type"))
                for s in streams
                if s.get("codec_type")
            }
        )
        held = f"only {', '.join(kinds)} streams" if kinds else "no streams"
        raise NotAVideo(path, f"no video stream ({format_name} file with {held})")
    if format_name in _STILL_IMAGE_FORMATS or format_name.endswith("_pipe"):
        raise NotAVideo(path, f"a still image ({format_name}), not a video")

    rate = parse_rate(video.get("avg_frame_rate")) or parse_rate(video.get("r_frame_rate"))
    if rate is None:
        raise NotAVideo(path, "the video stream has no frame rate")

    duration = _number(video.get("duration"))
    if duration is None or duration == 0:
        duration = _number(fmt.get("duration"))
    nb_frames = _number(video.get("nb_frames"))
    if duration is None or duration == 0:
        if nb_frames:
            duration = float(nb_frames / rate)
        else:
            raise NotAVideo(path, "the video stream has no duration")
    frames = int(nb_frames) if nb_frames else round(duration * rate)

    width = int(_number(video.get("width")) or 0)
    height = int(_number(video.get("height")) or 0)
    if width <= 0 or height <= 0:
        raise NotAVideo(path, "the video stream has no picture size")

    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    return ProbeResult(
        duration_seconds=duration,
        frame_rate=rate,
        duration_frames=frames,
        width=width,
        height=height,
        video_codec=str(video.get("codec_name") or "unknown"),
        audio_codec=str(audio.get("codec_name") or "unknown") if audio else None,
        file_size=file_size,
        format_name=format_name,
    )
