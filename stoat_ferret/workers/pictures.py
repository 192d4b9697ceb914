"""Thumbnails and scrub strips, decoded, scaled and encoded in-process with PyAV.

Runs inside a media worker. Each picture goes through an FFmpeg filter graph the
way ``ffmpeg -ss T -i SOURCE -frames:v 1 -vf scale=W:-2 -q:v 5`` makes one: the
frame is turned upright first (as ffmpeg's autorotate does), scaled to the width
with an even height that keeps the aspect, and encoded as a JPEG at a fixed
quantiser of 5. The JPEG is written to the target path the request names (the
caller's ``.part`` file, which the caller renames into place).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Sequence
from fractions import Fraction

import attrs
import av
from av.container import InputContainer
from av.filter import Graph
from av.stream import Disposition
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from ..thumbs.strips import tile_scale

#: ffmpeg's ``-q:v`` the pictures are encoded at (2 = best, 31 = worst).
JPEG_QUANTISER = 5
#: Packets read at most after a seek before giving up on finding the wanted frame.
MAX_PACKETS_PER_SEEK = 2000


class NoPicture(Exception):
    """The file has no picture to take (no video stream, or nothing decodes)."""


@attrs.frozen
class Picture:
    width: int
    height: int


def open_input(path: str) -> InputContainer:
    """Open ``path`` as a media file, by name only: no protocol but ``file`` is allowed.

    The name goes behind ``file:`` (so ``concat:x.mp4`` or ``-i.mp4`` is the file of
    that name), and the file cannot make FFmpeg open anything but local files (a
    playlist or reference movie pointing at a URL).
    """
    return av.open(
        path,
        mode="r",
        container_options={"protocol_whitelist": "file"},
        metadata_errors="replace",
    )


def video_stream(container: InputContainer) -> VideoStream:
    """The first video stream that is not cover art, set up to decode on this thread only."""
    for stream in container.streams.video:
        if not stream.disposition & Disposition.attached_pic:
            # The pool runs one worker per core: threads inside one would only contend.
            stream.codec_context.thread_count = 1
            return stream
    raise NoPicture("the file has no video stream")


def thumbnail(container: InputContainer, target: str, *, at_seconds: float, width: int) -> Picture:
    """Write the first frame at or after ``at_seconds`` (else the first frame) to ``target``."""
    stream = video_stream(container)
    frame = _frame_at(container, stream, at_seconds)
    if frame is None and at_seconds > 0:
        frame = _frame_at(container, stream, 0.0)
    if frame is None:
        raise NoPicture("no frame of the video could be decoded")
    picture = _filtered([frame], stream, width=width, tiles=1)
    _write_jpeg(picture, target)
    return Picture(picture.width, picture.height)


def strip(container: InputContainer, target: str, *, times: Sequence[float], width: int) -> Picture:
    """Write the first frame at or after each of ``times`` in one row to ``target``.

    Each frame is turned upright and scaled to ``width`` with an even height by the
    display aspect (square pixels in the strip). Where the file ends before a time,
    the last frame found stands in (or the first frame, if none was found yet).
    """
    stream = video_stream(container)
    frames: list[VideoFrame] = []
    for seconds in times:
        frame = _frame_at(container, stream, seconds)
        if frame is None:
            frame = frames[-1] if frames else _frame_at(container, stream, 0.0)
        if frame is None:
            raise NoPicture("no frame of the video could be decoded")
        frames.append(frame)
    picture = _filtered(frames, stream, width=width, tiles=len(frames), display_aspect=True)
    _write_jpeg(picture, target)
    return Picture(picture.width, picture.height)


def _frame_at(container: InputContainer, stream: VideoStream, seconds: float) -> VideoFrame | None:
    """The first decoded frame at or after ``seconds`` from the file's start, or None."""
    origin = (container.start_time or 0) / 1_000_000
    wanted = origin + max(seconds, 0.0)
    time_base = stream.time_base or Fraction(1, 1_000_000)
    # Some files cannot seek: decoding on from where the demuxer is still works.
    with contextlib.suppress(av.error.FFmpegError):
        container.seek(int(wanted / time_base), stream=stream, backward=True)
    stream.codec_context.flush_buffers()
    for frame in _decoded(container, stream):
        if frame.time is None or frame.time >= wanted - 1e-6:
            return frame
    return None


def _decoded(container: InputContainer, stream: VideoStream) -> Iterator[VideoFrame]:
    for count, packet in enumerate(container.demux(stream)):
        if count >= MAX_PACKETS_PER_SEEK:
            return
        try:
            frames = stream.decode(packet)
        except av.error.InvalidDataError:
            continue  # a damaged packet: the next keyframe may still decode
        yield from frames


def _filtered(
    frames: list[VideoFrame],
    stream: VideoStream,
    *,
    width: int,
    tiles: int,
    display_aspect: bool = False,
) -> VideoFrame:
    """The frames turned upright, scaled to ``width`` (even height) and tiled in one row.

    The height keeps the stored picture's aspect, as ``scale=W:-2`` does; with
    ``display_aspect``, the display aspect (non-square pixels made square), as the
    strip's :data:`~stoat_ferret.thumbs.strips.TILE_SCALE` does in ffmpeg.
    """
    first = frames[0]
    graph = Graph()
    aspect = (
        (stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio or 1)
        if (display_aspect)
        else 1
    )
    aspect = Fraction(aspect)
    time_base = stream.time_base or Fraction(1, 25)
    chain = [
        graph.add(
            "buffer",
            video_size=f"{first.width}x{first.height}",
            pix_fmt=first.format.name,
            time_base=f"{time_base.numerator}/{time_base.denominator}",
            pixel_aspect=f"{aspect.numerator}/{aspect.denominator}",
        )
    ]
    for name, args in _upright(first.rotation):
        chain.append(graph.add(name, args))
    if display_aspect:
        chain.append(graph.add("scale", tile_scale(width)))
        chain.append(graph.add("setsar", "1"))
    else:
        chain.append(graph.add("scale", f"{width}:-2"))
    if tiles > 1:
        chain.append(graph.add("tile", f"layout={tiles}x1"))
    chain.append(graph.add("format", "yuvj420p"))
    chain.append(graph.add("buffersink"))
    for upstream, downstream in itertools.pairwise(chain):
        upstream.link_to(downstream)
    graph.configure()
    for index, frame in enumerate(frames):
        frame.pts = index
        graph.vpush(frame)
    graph.vpush(None)
    try:
        return graph.vpull()
    except av.error.EOFError as exc:
        # The graph gave nothing: FFmpeg has logged why (to the worker's stderr).
        raise NoPicture("FFmpeg could not scale the picture") from exc


def _upright(rotation: int) -> list[tuple[str, str | None]]:
    """The filters ffmpeg's autorotate inserts for a frame rotated by ``rotation`` degrees."""
    theta = -rotation % 360
    if abs(theta - 90) < 1:
        return [("transpose", "clock")]
    if abs(theta - 180) < 1:
        return [("hflip", None), ("vflip", None)]
    if abs(theta - 270) < 1:
        return [("transpose", "cclock")]
    return []


def _write_jpeg(picture: VideoFrame, target: str) -> None:
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width = picture.width
    encoder.height = picture.height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 25)
    encoder.qmin = encoder.qmax = JPEG_QUANTISER
    picture.pts = 0
    packets = encoder.encode(picture) + encoder.encode(None)
    data = b"".join(bytes(packet) for packet in packets)
    if not data:
        raise NoPicture("the picture could not be encoded")
    with open(target, "wb") as out:
        out.write(data)
