"""Turn ffprobe's JSON into a :class:`ProbeResult`. Pure: no I/O here.

The parser is total: whatever shape the JSON has, it returns a result or raises one of
the documented :class:`~stoat_ferret.probe.ProbeError` subclasses, nothing else.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from typing import Any

import attrs

from ..timecode import Timecode, TimecodeError, end_timecode
from . import jsonform
from .errors import NotAVideo, ProbeFailed
from .metadata import AudioStream, Container, Stream, VideoStream
from .technical import frame_rates, read_technical, text

__all__ = ["ProbeResult", "parse_probe_output"]

#: Version of :meth:`ProbeResult.to_json`'s form; a stored form of another version is refused.
JSON_FORM_VERSION = 1

#: Frame counts and picture sizes past these are a corrupt or hostile header, not a video.
_MAX_FRAMES = 2**53
_MAX_SIZE = 2**20

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
    """What ffprobe told us about one video file.

    The first nine fields describe the main video stream in brief, as the library lists
    it; ``container`` and ``streams`` hold the full technical metadata.
    """

    duration_seconds: float
    frame_rate: Fraction
    duration_frames: int
    width: int
    height: int
    video_codec: str
    audio_codec: str | None
    file_size: int
    format_name: str
    container: Container = attrs.field(factory=Container)
    #: Every stream in the file, in file order.
    streams: tuple[Stream, ...] = ()

    @property
    def frame_rate_numerator(self) -> int:
        return self.frame_rate.numerator

    @property
    def frame_rate_denominator(self) -> int:
        return self.frame_rate.denominator

    @property
    def video(self) -> VideoStream | None:
        """The main video stream: the first one that is not a cover picture."""
        return next(
            (s for s in self.streams if isinstance(s, VideoStream) and not s.attached_picture),
            None,
        )

    @property
    def audio_streams(self) -> tuple[AudioStream, ...]:
        return tuple(s for s in self.streams if isinstance(s, AudioStream))

    @property
    def start_timecode(self) -> str | None:
        return self.container.start_timecode

    @property
    def end_timecode(self) -> str | None:
        """The timecode just after the last frame: start plus ``duration_frames`` at
        ``frame_rate``. None without a start timecode, or if that timecode does not exist
        at that rate (a drop-frame timecode on a 25 fps video)."""
        if self.container.start_timecode is None:
            return None
        try:
            start = Timecode.parse(self.container.start_timecode)
            return str(end_timecode(start, self.duration_frames, self.frame_rate))
        except TimecodeError:
            return None

    def to_json(self) -> str:
        """Everything in this result as one JSON text, which :meth:`from_json` restores exactly."""
        return json.dumps(
            {"version": JSON_FORM_VERSION, **jsonform.dump(self)},
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> ProbeResult:
        """The result :meth:`to_json` wrote; raises :class:`~.jsonform.JsonFormError` otherwise."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise jsonform.JsonFormError(f"not JSON: {exc}") from exc
        version = data.get("version") if isinstance(data, dict) else None
        if version != JSON_FORM_VERSION:
            raise jsonform.JsonFormError(
                f"not a version {JSON_FORM_VERSION} probe result (version {version!r})"
            )
        del data["version"]
        return jsonform.load(cls, data)


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
    :class:`NotAVideo` when the file holds no moving picture. A field the file lacks
    leaves that field None; it never fails the probe.
    """
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ProbeFailed(path, f"ffprobe printed output that is not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ProbeFailed(path, "ffprobe printed JSON of an unexpected shape")

    fmt = data.get("format")
    if not isinstance(fmt, dict):
        fmt = {}
    listed = data.get("streams")
    streams: list[dict[str, Any]] = (
        [s for s in listed if isinstance(s, dict)] if isinstance(listed, list) else []
    )
    format_name = text(fmt.get("format_name")) or "unknown"

    video = next(
        (s for s in streams if s.get("codec_type") == "video" and not _is_cover(s)),
        None,
    )
    if video is None:
        kinds = sorted(
            {
                "cover art" if _is_cover(s) else str(text(s.get("codec_type")))
                for s in streams
                if text(s.get("codec_type"))
            }
        )
        held = f"only {', '.join(kinds)} streams" if kinds else "no streams"
        raise NotAVideo(path, f"no video stream ({format_name} file with {held})")
    if format_name in _STILL_IMAGE_FORMATS or format_name.endswith("_pipe"):
        raise NotAVideo(path, f"a still image ({format_name}), not a video")

    base_rate, average_rate = frame_rates(video)
    rate = average_rate or base_rate
    if rate is None:
        raise NotAVideo(path, "the video stream has no frame rate")

    duration = _number(video.get("duration"))
    if duration is None or duration == 0:
        duration = _number(fmt.get("duration"))
    nb_frames = _number(video.get("nb_frames"))
    if duration is None or duration == 0:
        if nb_frames:
            duration = float(Fraction(nb_frames) / rate)
        else:
            raise NotAVideo(path, "the video stream has no duration")
    # Exact: a float times a huge stated rate must not overflow to infinity.
    frames = int(nb_frames) if nb_frames else round(Fraction(duration) * rate)
    if frames >= _MAX_FRAMES or not math.isfinite(duration):
        raise NotAVideo(path, "the video stream states an impossible length")

    width = int(_number(video.get("width")) or 0)
    height = int(_number(video.get("height")) or 0)
    if width <= 0 or height <= 0:
        raise NotAVideo(path, "the video stream has no picture size")
    if width > _MAX_SIZE or height > _MAX_SIZE:
        raise NotAVideo(path, f"the video stream states an impossible size ({width}x{height})")

    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    container, typed_streams = read_technical(fmt, streams)
    return ProbeResult(
        duration_seconds=duration,
        frame_rate=rate,
        duration_frames=frames,
        width=width,
        height=height,
        video_codec=text(video.get("codec_name")) or "unknown",
        audio_codec=(text(audio.get("codec_name")) or "unknown") if audio else None,
        file_size=file_size,
        format_name=format_name,
        container=container,
        streams=typed_streams,
    )


def _is_cover(stream: dict[str, Any]) -> bool:
    """An embedded picture (album or poster art): typed as video, but not a moving picture."""
    disposition = stream.get("disposition")
    return isinstance(disposition, dict) and bool(disposition.get("attached_pic"))
