"""Turning ffprobe's JSON into a ProbeResult, on hand-written ffprobe output."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import pytest

from stoat_ferret.children import summarize_stderr
from stoat_ferret.probe.errors import NotAVideo, ProbeFailed
from stoat_ferret.probe.metadata import AudioStream, Container, VideoStream
from stoat_ferret.probe.parse import ProbeResult, parse_probe_output
from stoat_ferret.probe.technical import parse_rate

PATH = "/media/clip.mp4"


def video_stream(**fields: Any) -> dict[str, Any]:
    """A video stream as ffprobe prints it; ``fields`` replace or add keys (None drops one)."""
    stream: dict[str, Any] = {
        "index": 0,
        "codec_name": "h264",
        "codec_type": "video",
        "width": 1920,
        "height": 1080,
        "r_frame_rate": "25/1",
        "avg_frame_rate": "25/1",
        "duration": "2.000000",
        "disposition": {"default": 1, "attached_pic": 0},
    }
    stream.update(fields)
    return {key: value for key, value in stream.items() if value is not None}


def audio_stream(codec: str = "aac", **fields: Any) -> dict[str, Any]:
    stream: dict[str, Any] = {
        "index": 1,
        "codec_name": codec,
        "codec_type": "audio",
        "r_frame_rate": "0/0",
        "avg_frame_rate": "0/0",
        "duration": "2.000000",
        "disposition": {"default": 1, "attached_pic": 0},
    }
    stream.update(fields)
    return stream


def cover_art() -> dict[str, Any]:
    """An embedded album cover: a video-typed stream that is one picture."""
    return video_stream(
        codec_name="mjpeg",
        width=500,
        height=500,
        r_frame_rate="90000/1",
        avg_frame_rate="0/0",
        duration=None,
        disposition={"default": 0, "attached_pic": 1},
    )


def ffprobe_json(
    streams: list[dict[str, Any]],
    *,
    format_name: str = "mov,mp4,m4a,3gp,3g2,mj2",
    duration: str | None = "2.000000",
) -> str:
    fmt: dict[str, Any] = {"filename": PATH, "format_name": format_name}
    if duration is not None:
        fmt["duration"] = duration
    return json.dumps({"streams": streams, "format": fmt})


def parse(raw: str | bytes, *, file_size: int = 1000) -> ProbeResult:
    return parse_probe_output(PATH, raw, file_size=file_size)


def test_a_plain_video_gives_every_field() -> None:
    """A video with sound gives its codecs, size, rate, duration, container and the given size."""
    result = parse(ffprobe_json([video_stream(), audio_stream()]), file_size=123456)
    assert result == ProbeResult(
        duration_seconds=2.0,
        frame_rate=Fraction(25),
        duration_frames=50,
        width=1920,
        height=1080,
        video_codec="h264",
        audio_codec="aac",
        file_size=123456,
        format_name="mov,mp4,m4a,3gp,3g2,mj2",
        container=Container(format_name="mov,mp4,m4a,3gp,3g2,mj2", duration_seconds=2.0),
        streams=(
            VideoStream(
                index=0,
                codec="h264",
                duration_seconds=2.0,
                width=1920,
                height=1080,
                display_width=1920,
                display_height=1080,
                r_frame_rate=Fraction(25),
                avg_frame_rate=Fraction(25),
                variable_frame_rate=False,
            ),
            AudioStream(index=1, codec="aac", duration_seconds=2.0),
        ),
    )


def test_bytes_output_is_accepted() -> None:
    """ffprobe's stdout as bytes parses the same as text."""
    raw = ffprobe_json([video_stream()])
    assert parse(raw.encode()) == parse(raw)


def test_ntsc_rate_stays_exact() -> None:
    """30000/1001 is kept as that exact fraction, not rounded to a float."""
    rate = "30000/1001"
    result = parse(ffprobe_json([video_stream(avg_frame_rate=rate, r_frame_rate=rate)]))
    assert result.frame_rate == Fraction(30000, 1001)
    assert (result.frame_rate_numerator, result.frame_rate_denominator) == (30000, 1001)


def test_unreduced_rate_is_reduced() -> None:
    """A rate written as 60/2 is stored reduced, as 30/1."""
    result = parse(ffprobe_json([video_stream(avg_frame_rate="60/2", r_frame_rate="60/2")]))
    assert (result.frame_rate_numerator, result.frame_rate_denominator) == (30, 1)


def test_zero_average_rate_falls_back_to_real_base_rate() -> None:
    """avg_frame_rate "0/0" falls back to r_frame_rate."""
    stream = video_stream(avg_frame_rate="0/0", r_frame_rate="24000/1001")
    assert parse(ffprobe_json([stream])).frame_rate == Fraction(24000, 1001)


def test_average_rate_wins_over_real_base_rate() -> None:
    """When both rates are present, avg_frame_rate is the one used."""
    stream = video_stream(avg_frame_rate="25/1", r_frame_rate="50/1")
    assert parse(ffprobe_json([stream])).frame_rate == Fraction(25)


def test_no_usable_rate_is_not_a_video() -> None:
    """A video stream with neither rate usable is refused with a reason."""
    stream = video_stream(avg_frame_rate="0/0", r_frame_rate="0/0")
    with pytest.raises(NotAVideo, match="the video stream has no frame rate"):
        parse(ffprobe_json([stream]))


def test_cover_art_alone_is_not_a_video() -> None:
    """An audio file with an embedded cover picture is not a video, and is not said to hold one."""
    raw = ffprobe_json([audio_stream("mp3"), cover_art()], format_name="mp3")
    with pytest.raises(NotAVideo) as excinfo:
        parse(raw)
    assert excinfo.value.reason.startswith("no video stream (mp3 file with only audio")
    # The cover is a "video"-typed stream; telling the user the file holds video streams
    # right after "no video stream" is a contradiction they cannot act on.
    assert "video streams" not in excinfo.value.reason


def test_cover_art_before_the_real_video_is_skipped() -> None:
    """With a cover picture as stream 0, the real video stream after it is the one described."""
    raw = ffprobe_json([cover_art(), video_stream(index=1, codec_name="hevc"), audio_stream()])
    result = parse(raw)
    assert (result.video_codec, result.width, result.height) == ("hevc", 1920, 1080)
    assert result.frame_rate == Fraction(25)


def test_audio_only_reason_names_what_it_holds() -> None:
    """An audio-only file is NotAVideo, and the reason names its container and its streams."""
    raw = ffprobe_json([audio_stream(), audio_stream("ac3", index=2)], format_name="mov,mp4")
    with pytest.raises(NotAVideo) as excinfo:
        parse(raw)
    assert excinfo.value.reason == "no video stream (mov,mp4 file with only audio streams)"
    assert excinfo.value.path == PATH


def test_audio_and_subtitles_reason_lists_both() -> None:
    """The reason lists every kind of stream the file holds, sorted."""
    subtitle = {"index": 2, "codec_name": "subrip", "codec_type": "subtitle"}
    with pytest.raises(NotAVideo) as excinfo:
        parse(ffprobe_json([subtitle, audio_stream()], format_name="matroska,webm"))
    assert excinfo.value.reason == (
        "no video stream (matroska,webm file with only audio, subtitle streams)"
    )


def test_no_streams_at_all() -> None:
    """Output with no streams is NotAVideo saying so."""
    with pytest.raises(NotAVideo) as excinfo:
        parse(ffprobe_json([], format_name="tty"))
    assert excinfo.value.reason == "no video stream (tty file with no streams)"


@pytest.mark.parametrize(
    "format_name", ["image2", "png_pipe", "jpeg_pipe", "webp_pipe", "some_future_pipe"]
)
def test_still_image_formats_are_not_videos(format_name: str) -> None:
    """A picture read by an image demuxer is NotAVideo even though it has a video stream."""
    stream = video_stream(codec_name="png", duration="0.040000")
    with pytest.raises(NotAVideo) as excinfo:
        parse(ffprobe_json([stream], format_name=format_name))
    assert excinfo.value.reason == f"a still image ({format_name}), not a video"


def test_no_duration_anywhere_is_not_a_video() -> None:
    """Without a stream duration, a format duration or a frame count, the file is refused."""
    raw = ffprobe_json([video_stream(duration=None)], duration=None)
    with pytest.raises(NotAVideo, match="the video stream has no duration"):
        parse(raw)


@pytest.mark.parametrize("value", ["N/A", "0.000000", "-1.5", "nan", "inf"])
def test_unusable_stream_duration_uses_the_format_duration(value: str) -> None:
    """A stream duration that is absent, zero, negative or not finite gives way to the format's."""
    result = parse(ffprobe_json([video_stream(duration=value)], duration="4.000000"))
    assert result.duration_seconds == 4.0
    assert result.duration_frames == 100


def test_stream_duration_wins_over_format_duration() -> None:
    """The video stream's own duration is preferred to the container's."""
    result = parse(ffprobe_json([video_stream(duration="3.000000")], duration="3.500000"))
    assert result.duration_seconds == 3.0
    assert result.duration_frames == 75


def test_frames_come_from_nb_frames_when_given() -> None:
    """nb_frames is the frame count when ffprobe gives it, even if duration * rate differs."""
    result = parse(ffprobe_json([video_stream(duration="2.000000", nb_frames="48")]))
    assert result.duration_frames == 48
    assert result.duration_seconds == 2.0


def test_frames_come_from_duration_times_rate_otherwise() -> None:
    """Without nb_frames the count is duration * rate, rounded (2 s at 29.97 → 60)."""
    rate = "30000/1001"
    stream = video_stream(avg_frame_rate=rate, r_frame_rate=rate, duration="2.000000")
    assert parse(ffprobe_json([stream])).duration_frames == 60


def test_duration_comes_from_nb_frames_when_nothing_else_has_one() -> None:
    """With no duration but a frame count, duration is frames / rate."""
    raw = ffprobe_json([video_stream(duration=None, nb_frames="50")], duration=None)
    result = parse(raw)
    assert result.duration_frames == 50
    assert result.duration_seconds == 2.0


def test_missing_picture_size_is_not_a_video() -> None:
    """A video stream without width and height is refused."""
    with pytest.raises(NotAVideo, match="the video stream has no picture size"):
        parse(ffprobe_json([video_stream(width=None, height=None)]))


def test_no_audio_gives_none() -> None:
    """A silent video has audio_codec None."""
    assert parse(ffprobe_json([video_stream()])).audio_codec is None


def test_first_audio_stream_is_reported() -> None:
    """With several audio streams, the first one's codec is reported."""
    raw = ffprobe_json([video_stream(), audio_stream("opus"), audio_stream("flac", index=2)])
    assert parse(raw).audio_codec == "opus"


def test_missing_codec_names_become_unknown() -> None:
    """Streams without codec_name are reported as "unknown" rather than failing."""
    raw = ffprobe_json([video_stream(codec_name=None), audio_stream(codec_name=None)])
    result = parse(raw)
    assert (result.video_codec, result.audio_codec) == ("unknown", "unknown")


@pytest.mark.parametrize("raw", ["", "not json at all", '{"streams": [', b"\xff\xfe\x00garbage"])
def test_non_json_output_is_probe_failed(raw: str | bytes) -> None:
    """Output that is not JSON raises ProbeFailed saying so."""
    with pytest.raises(ProbeFailed, match="ffprobe printed output that is not JSON") as excinfo:
        parse(raw)
    assert excinfo.value.path == PATH


def test_json_of_the_wrong_shape_is_probe_failed() -> None:
    """A JSON value that is not an object raises ProbeFailed."""
    with pytest.raises(ProbeFailed, match="ffprobe printed JSON of an unexpected shape"):
        parse("[1, 2, 3]")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30000/1001", Fraction(30000, 1001)),
        ("60/2", Fraction(30)),
        ("25", Fraction(25)),
        ("0/0", None),
        ("1/0", None),
        ("0/1", None),
        ("-25/1", None),
        ("", None),
        ("N/A", None),
        (None, None),
        (25, None),
    ],
)
def test_parse_rate(text: object, expected: Fraction | None) -> None:
    """parse_rate gives an exact positive fraction, or None for absent, zero or junk rates."""
    assert parse_rate(text) == expected


def test_summarize_stderr_keeps_the_last_line() -> None:
    """The summary is the last non-blank line, stripped."""
    stderr = b"[mov,mp4 @ 0x1] moov atom not found\n  /x.mp4: Invalid data found  \n\n  \n"
    assert summarize_stderr(stderr) == "/x.mp4: Invalid data found"


@pytest.mark.parametrize("stderr", [b"", b"\n  \n\t\n"])
def test_summarize_stderr_of_nothing_is_empty(stderr: bytes) -> None:
    """Empty or blank stderr summarizes to the empty string."""
    assert summarize_stderr(stderr) == ""


def test_summarize_stderr_cuts_long_lines() -> None:
    """A line longer than the limit is cut to exactly the limit, ending with an ellipsis."""
    summary = summarize_stderr(b"x" * 500, limit=300)
    assert summary == "x" * 299 + "…"
    assert len(summary) == 300


def test_summarize_stderr_keeps_a_line_of_exactly_the_limit() -> None:
    """A line exactly as long as the limit is kept whole."""
    assert summarize_stderr(b"y" * 40, limit=40) == "y" * 40


def test_summarize_stderr_replaces_undecodable_bytes() -> None:
    """Bytes that are not UTF-8 become replacement characters instead of raising."""
    assert summarize_stderr(b"bad \xff name") == "bad \ufffd name"
