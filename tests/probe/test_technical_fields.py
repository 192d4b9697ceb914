"""Technical metadata from hand-written ffprobe JSON: each rule, missing fields, hostile shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stoat_ferret.probe.errors import ProbeError
from stoat_ferret.probe.jsonform import JsonFormError
from stoat_ferret.probe.metadata import (
    AudioStream,
    Container,
    DataStream,
    SubtitleStream,
    VideoStream,
)
from stoat_ferret.probe.parse import ProbeResult, parse_probe_output
from stoat_ferret.probe.technical import TEXT_LIMIT

PATH = "/media/clip.mov"


def video(**fields: Any) -> dict[str, Any]:
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
    }
    stream.update(fields)
    return {k: v for k, v in stream.items() if v is not None}


def probe(*streams: dict[str, Any], **fmt: Any) -> ProbeResult:
    """Parse output holding ``streams`` (a plain video if none) and format fields ``fmt``."""
    format_fields = {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "2.000000", **fmt}
    raw = json.dumps({"streams": list(streams or [video()]), "format": format_fields})
    return parse_probe_output(PATH, raw, file_size=1000)


def main_video(**fields: Any) -> VideoStream:
    result = probe(video(**fields)).video
    assert result is not None
    return result


# -- rotation and display size ----------------------------------------------------------------


def display_matrix(rotation: Any) -> dict[str, Any]:
    return {"side_data_list": [{"side_data_type": "Display Matrix", "rotation": rotation}]}


@pytest.mark.parametrize(
    ("matrix", "expected"),
    [(-90, 90), (90, 270), (180, 180), (-180, 180), (0, 0), (-90.4, 90), ("-90", 90)],
)
def test_rotation_from_display_matrix(matrix: Any, expected: int) -> None:
    """ffprobe's counter-clockwise matrix angle becomes whole degrees clockwise, 0-359."""
    assert main_video(**display_matrix(matrix)).rotation == expected


@pytest.mark.parametrize(("tag", "expected"), [("90", 90), ("270", 270), ("-90", 270), ("0", 0)])
def test_rotation_from_the_legacy_tag(tag: str, expected: int) -> None:
    """Without a display matrix, the old clockwise ``rotate`` tag is used."""
    assert main_video(tags={"rotate": tag}).rotation == expected


def test_display_matrix_wins_over_the_tag() -> None:
    """When both are present, the display matrix is believed."""
    assert main_video(tags={"rotate": "180"}, **display_matrix(-90)).rotation == 90


@pytest.mark.parametrize(
    "side_data",
    [
        [{"side_data_type": "Display Matrix", "rotation": "nan"}],
        [{"side_data_type": "Display Matrix", "rotation": None}],
        [{"side_data_type": "Display Matrix"}],
        [{"side_data_type": "Display Matrix", "rotation": "inf"}],
        [{"side_data_type": "CPB properties"}],
        ["Display Matrix"],
        {"rotation": 90},
        "garbage",
    ],
)
def test_unusable_side_data_means_no_rotation(side_data: Any) -> None:
    """Side data that is malformed, not finite or of another type leaves rotation at 0."""
    assert main_video(side_data_list=side_data).rotation == 0


def test_display_size_turns_with_the_rotation_and_scales_with_sar() -> None:
    """1440x1080 at SAR 4:3 shows as 1920x1080, and turned 90° as 1080x1920."""
    flat = main_video(width=1440, sample_aspect_ratio="4:3")
    assert (flat.display_width, flat.display_height) == (1920, 1080)
    turned = main_video(width=1440, sample_aspect_ratio="4:3", tags={"rotate": "90"})
    assert (turned.display_width, turned.display_height) == (1080, 1920)
    assert (turned.width, turned.height) == (1440, 1080)


def test_unknown_sar_leaves_display_size_as_stored() -> None:
    """SAR 0:1 (unknown) is None and the display size is the stored size."""
    stream = main_video(sample_aspect_ratio="0:1", display_aspect_ratio="0:1")
    assert (stream.sample_aspect_ratio, stream.display_aspect_ratio) == (None, None)
    assert (stream.display_width, stream.display_height) == (1920, 1080)


# -- picture and colour -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ffprobe", "order", "interlaced"),
    [
        ("progressive", "progressive", False),
        ("tt", "tff", True),
        ("bt", "tff", True),
        ("bb", "bff", True),
        ("tb", "bff", True),
        ("unknown", None, None),
        (None, None, None),
        (7, None, None),
    ],
)
def test_field_order(ffprobe: Any, order: str | None, interlaced: bool | None) -> None:
    """Field order is named by the field shown first; unknown leaves both fields None."""
    stream = main_video(field_order=ffprobe)
    assert (stream.field_order, stream.interlaced) == (order, interlaced)


@pytest.mark.parametrize(
    ("transfer", "hdr"),
    [("smpte2084", "HDR10"), ("arib-std-b67", "HLG"), ("bt709", None), ("unknown", None)],
)
def test_hdr_flag(transfer: str, hdr: str | None) -> None:
    """PQ is HDR10, HLG is HLG, anything else is not flagged."""
    stream = main_video(color_transfer=transfer)
    assert stream.hdr_format == hdr
    assert stream.color_transfer == (None if transfer == "unknown" else transfer)


@pytest.mark.parametrize(
    ("ffprobe", "expected"), [("tv", "limited"), ("pc", "full"), ("unknown", None)]
)
def test_colour_range(ffprobe: str, expected: str | None) -> None:
    """tv is limited range, pc is full range."""
    assert main_video(color_range=ffprobe).color_range == expected


def test_bit_depth_falls_back_to_the_coded_depth() -> None:
    """An unknown pixel format leaves the depth to bits_per_raw_sample."""
    stream = main_video(pix_fmt="some_future_fmt", bits_per_raw_sample="12")
    assert (stream.pixel_format, stream.bit_depth, stream.chroma_subsampling) == (
        "some_future_fmt",
        12,
        None,
    )


def test_frame_rates_and_vfr() -> None:
    """Rates stay exact; they disagreeing is VFR; one missing is unknown, not CFR."""
    vfr = main_video(r_frame_rate="30000/1001", avg_frame_rate="2997/100")
    assert (vfr.r_frame_rate, vfr.avg_frame_rate) == (Fraction(30000, 1001), Fraction(2997, 100))
    assert vfr.variable_frame_rate is True
    unknown = main_video(avg_frame_rate="0/0")
    assert (unknown.avg_frame_rate, unknown.variable_frame_rate) == (None, None)


@pytest.mark.parametrize(
    ("average", "used"),
    [
        ("60000/1", Fraction(25)),  # FFmpeg 7 and later on DV: the base rate stands in
        ("51/1", Fraction(25)),
        ("50/1", Fraction(50)),  # twice the base rate is still believed
        ("15/1", Fraction(15)),  # below the base rate: variable frame rate, kept
    ],
)
def test_an_implausibly_high_average_rate_gives_way_to_the_base_rate(
    average: str, used: Fraction
) -> None:
    """An average rate over twice r_frame_rate is not believed: the base rate is the rate."""
    result = probe(video(r_frame_rate="25/1", avg_frame_rate=average, duration="2.000000"))
    assert (result.frame_rate, result.duration_frames) == (used, round(2 * used))
    stream = result.video
    assert stream is not None
    assert (stream.r_frame_rate, stream.avg_frame_rate) == (Fraction(25), used)
    assert stream.variable_frame_rate is (used != 25)


def test_cover_art_is_an_attached_picture() -> None:
    """A cover picture is kept as a stream but is not the main video."""
    cover = video(index=0, codec_name="mjpeg", disposition={"attached_pic": 1})
    result = probe(cover, video(index=1, codec_name="hevc"))
    assert isinstance(result.streams[0], VideoStream)
    assert result.streams[0].attached_picture
    assert result.video is not None
    assert result.video.codec == "hevc"


# -- audio, subtitles, data -------------------------------------------------------------------


def test_audio_fields() -> None:
    """Sample rate, channels, layout, format, depth, bit rate and language are read."""
    audio = {
        "index": 1,
        "codec_type": "audio",
        "codec_name": "pcm_s24le",
        "sample_rate": "48000",
        "channels": 8,
        "channel_layout": "7.1",
        "sample_fmt": "s32",
        "bits_per_raw_sample": "24",
        "bit_rate": "9216000",
        "tags": {"language": "jpn", "title": "Music and effects"},
    }
    [stream] = probe(video(), audio).audio_streams
    assert stream == AudioStream(
        index=1,
        codec="pcm_s24le",
        language="jpn",
        title="Music and effects",
        bit_rate=9216000,
        sample_rate=48000,
        channels=8,
        channel_layout="7.1",
        sample_format="s32",
        bit_depth=24,
    )


def test_audio_unknowns_are_none() -> None:
    """An 'unknown' layout, 'und' language, zero depth and zero rate are None."""
    audio = {
        "index": 1,
        "codec_type": "audio",
        "channel_layout": "unknown",
        "bits_per_sample": 0,
        "sample_rate": "0",
        "tags": {"language": "und"},
    }
    [stream] = probe(video(), audio).audio_streams
    assert stream == AudioStream(index=1)


def test_subtitle_data_and_attachment_streams() -> None:
    """Subtitles, data and attachments are typed by kind with their codec and language."""
    result = probe(
        video(),
        {"index": 1, "codec_type": "subtitle", "codec_name": "hdmv_pgs_subtitle",
         "tags": {"language": "fre"}, "disposition": {"forced": 1}},
        {"index": 2, "codec_type": "data", "codec_tag_string": "[0][0][0][0]"},
        {"index": 3, "codec_type": "attachment", "codec_name": "ttf"},
        {"index": 4},
        {"index": 5, "codec_type": " video"},
    )  # fmt: skip
    assert result.streams[1:] == (
        SubtitleStream(index=1, codec="hdmv_pgs_subtitle", language="fre"),
        DataStream(index=2, kind="data"),
        DataStream(index=3, kind="attachment", codec="ttf"),
        DataStream(index=4, kind="data"),
        DataStream(index=5, kind="data"),
    )
    assert ProbeResult.from_json(result.to_json()) == result


# -- container --------------------------------------------------------------------------------


def test_container_fields() -> None:
    """Format names, duration, bit rate, start time, encoder, make and model are read."""
    result = probe(
        format_long_name="QuickTime / MOV",
        bit_rate="12000000",
        start_time="-0.021333",
        tags={"encoder": "Blackmagic Design", "make": "Blackmagic", "model": "Pocket 6K"},
    )
    assert result.container == Container(
        format_name="mov,mp4,m4a,3gp,3g2,mj2",
        format_long_name="QuickTime / MOV",
        duration_seconds=2.0,
        bit_rate=12_000_000,
        start_time=-0.021333,
        encoder="Blackmagic Design",
        make="Blackmagic",
        model="Pocket 6K",
    )


def test_quicktime_and_android_tags_win_over_plain_ones() -> None:
    """QuickTime's make/model keys come first, then Android's, then the plain ones."""
    apple = probe(tags={"make": "x", "com.apple.quicktime.make": "Apple",
                        "com.apple.quicktime.model": "iPhone", "model": "y"})  # fmt: skip
    assert (apple.container.make, apple.container.model) == ("Apple", "iPhone")
    android = probe(tags={"com.android.manufacturer": "Google", "com.android.model": "Pixel 8"})
    assert (android.container.make, android.container.model) == ("Google", "Pixel 8")


def test_tags_are_matched_whatever_their_case() -> None:
    """Matroska's upper-case ENCODER is the encoder."""
    assert probe(tags={"ENCODER": "Lavf60"}).container.encoder == "Lavf60"


MAY_6 = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"creation_time": "2024-05-06T07:08:09.000000Z"}, MAY_6),
        ({"creation_time": "2024-05-06 07:08:09"}, MAY_6),
        (
            {"creation_time": "2020-01-01T00:00:00Z",
             "com.apple.quicktime.creationdate": "2024-05-06T09:08:09+0200"},
            MAY_6,
        ),
        ({"creation_time": "yesterday"}, None),
        ({"creation_time": "0001-01-01T00:00:00+0100"}, None),
        ({}, None),
    ],
)  # fmt: skip
def test_creation_time(tags: dict[str, str], expected: datetime | None) -> None:
    """The capture time is in UTC; QuickTime's own date wins; junk is None."""
    assert probe(tags=tags).container.creation_time == expected


def test_creation_time_from_a_stream() -> None:
    """Without a format-level time, a stream's creation_time is used."""
    result = probe(video(tags={"creation_time": "2022-02-03T04:05:06Z"}))
    assert result.container.creation_time == datetime(2022, 2, 3, 4, 5, 6, tzinfo=UTC)


def test_mxf_product_is_the_encoder() -> None:
    """An MXF file's company, product and version name what wrote it."""
    tags = {"company_name": "Sony", "product_name": "PXW-FX9", "product_version": "3.00"}
    assert probe(tags=tags, format_name="mxf").container.encoder == "Sony PXW-FX9 3.00"


# -- timecode sources -------------------------------------------------------------------------


def tmcd(timecode: str, index: int = 2) -> dict[str, Any]:
    return {"index": index, "codec_type": "data", "codec_tag_string": "tmcd",
            "tags": {"timecode": timecode}}  # fmt: skip


def test_timecode_from_the_format_first() -> None:
    """The format's timecode tag wins over a tmcd track and a stream tag."""
    result = probe(video(tags={"timecode": "03:00:00:00"}), tmcd("02:00:00:00"),
                   tags={"timecode": "01:00:00:00"})  # fmt: skip
    assert result.start_timecode == "01:00:00:00"


def test_timecode_from_a_tmcd_track_next() -> None:
    """Without a format tag, the tmcd track's timecode wins over a video stream tag."""
    result = probe(video(tags={"timecode": "03:00:00:00"}), tmcd("02:00:00:00"))
    assert result.start_timecode == "02:00:00:00"


def test_timecode_from_a_stream_tag_last() -> None:
    """A video stream's own timecode tag is used when nothing else has one."""
    assert probe(video(tags={"timecode": "03:00:00.00"})).start_timecode == "03:00:00;00"


def test_a_malformed_timecode_is_skipped() -> None:
    """A timecode tag that is not a timecode gives way to the next source, or None."""
    assert probe(
        video(tags={"timecode": "03:00:00:00"}), tags={"timecode": "soon"}
    ).start_timecode == ("03:00:00:00")
    assert probe(tags={"timecode": "99:99:99:99"}).start_timecode is None


def test_end_timecode_needs_a_rate_the_timecode_exists_at() -> None:
    """A drop-frame start on a 25 fps video has no end timecode; the start is still kept."""
    result = probe(tags={"timecode": "01:00:00;00"})
    assert (result.start_timecode, result.end_timecode) == ("01:00:00;00", None)
    assert probe(tags={"timecode": "01:00:00:00"}).end_timecode == "01:00:02:00"


# -- missing and hostile ----------------------------------------------------------------------


def test_a_bare_video_stream_gives_nones() -> None:
    """A stream with only what the legacy fields need leaves every other field None."""
    result = probe(video())
    assert result.container == Container(
        format_name="mov,mp4,m4a,3gp,3g2,mj2", duration_seconds=2.0
    )
    assert result.streams == (
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
    )


def test_long_text_is_cut() -> None:
    """A tag of a megabyte is kept to TEXT_LIMIT characters, ending with an ellipsis."""
    result = probe(tags={"encoder": "x" * 1_000_000})
    assert result.container.encoder == "x" * (TEXT_LIMIT - 1) + "…"


@pytest.mark.parametrize(
    "value",
    [
        True,
        -5,
        "-5",
        "1.5",
        1.5,
        "1e3",
        "٣",
        "9" * 40,
        2**63,
        str(2**63),
        1e19,
        float("inf"),
        [3],
        {"n": 3},
    ],
)
def test_bad_counts_are_none(value: Any) -> None:
    """Counts that are booleans, negative, fractional, non-ASCII or past 64 bits are None."""
    audio = {"index": 1, "codec_type": "audio", "nb_frames": value, "bit_rate": value,
             "channels": value}  # fmt: skip
    [stream] = probe(video(), audio).audio_streams
    assert (stream.frame_count, stream.bit_rate, stream.channels) == (None, None, None)


def test_the_largest_count_is_kept() -> None:
    """2**63 - 1, the largest a database integer holds, is still a count."""
    audio = {"index": 1, "codec_type": "audio", "bit_rate": str(2**63 - 1)}
    [stream] = probe(video(), audio).audio_streams
    assert stream.bit_rate == 2**63 - 1


def test_a_bad_index_falls_back_to_the_position() -> None:
    """A stream without a usable index is numbered by its place in the list."""
    result = probe(video(index="first"), {"codec_type": "audio", "index": -1})
    assert [s.index for s in result.streams] == [0, 1]


@pytest.mark.parametrize(
    "document",
    [
        {"streams": 5, "format": {}},
        {"streams": "video", "format": []},
        {"streams": [None, 1, "x", []], "format": "mxf"},
        {"streams": [{"codec_type": "video", "disposition": "yes"}], "format": {"tags": []}},
        {"streams": [{"codec_type": ["video"]}], "format": {"format_name": 7}},
        {"streams": [{"codec_type": "video", "tags": {"timecode": 5, "rotate": None}}]},
    ],
)
def test_hostile_shapes_raise_only_probe_errors(document: dict[str, Any]) -> None:
    """JSON of the wrong shape anywhere is a ProbeError with a reason, never a crash."""
    with pytest.raises(ProbeError) as excinfo:
        parse_probe_output(PATH, json.dumps(document), file_size=1)
    assert excinfo.value.reason


def test_deeply_nested_json_is_probe_failed() -> None:
    """JSON nested past the parser's recursion limit is ProbeFailed, not RecursionError."""
    with pytest.raises(ProbeError, match="not JSON"):
        parse_probe_output(PATH, "[" * 200_000 + "]" * 200_000, file_size=1)


def test_absurd_sizes_and_lengths_are_refused() -> None:
    """A header claiming 10^18 frames or a picture a million pixels wide is not a video."""
    with pytest.raises(ProbeError, match="impossible length"):
        probe(video(r_frame_rate="1000000000/1", avg_frame_rate="1000000000/1", duration="1e10"))
    with pytest.raises(ProbeError, match="impossible size"):
        probe(video(width=10**7))


# Values of every JSON type, nested a little, to put anywhere ffprobe puts something.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
# Values that look like what ffprobe prints, to get past the first checks more often.
ffprobe_like = st.sampled_from(
    ["25/1", "30000/1001", "0/0", "1:1", "16:15", "0:1", "tt", "bb", "progressive", "unknown",
     "yuv420p10le", "smpte2084", "arib-std-b67", "tv", "pc", "N/A", "-90", "1e308", "nan",
     "01:00:00;00", "10:00:00:00", "2024-05-06T07:08:09Z", "und", "[0][0][0][0]", "tmcd"]
) | st.integers(-(2**70), 2**70)  # fmt: skip
tag_values = st.dictionaries(
    st.sampled_from(["timecode", "rotate", "language", "title", "creation_time", "encoder",
                     "make", "com.apple.quicktime.make", "DURATION", "BPS", "NUMBER_OF_FRAMES"]),
    st.text(max_size=30) | ffprobe_like.map(str),
)  # fmt: skip
any_value = json_values | ffprobe_like | tag_values
stream_fields = st.dictionaries(
    st.sampled_from(
        ["index", "codec_type", "codec_name", "profile", "codec_tag_string", "width", "height",
         "r_frame_rate", "avg_frame_rate", "duration", "nb_frames", "pix_fmt", "field_order",
         "sample_aspect_ratio", "display_aspect_ratio", "side_data_list", "tags", "disposition",
         "channels", "channel_layout", "sample_rate", "sample_fmt", "bits_per_raw_sample",
         "color_transfer", "color_range", "color_space", "bit_rate"]
    ),
    any_value,
    max_size=12,
)  # fmt: skip
format_fields = st.dictionaries(
    st.sampled_from(["format_name", "format_long_name", "duration", "bit_rate", "start_time",
                     "tags"]),
    any_value,
)  # fmt: skip


def outcome(document: Any) -> ProbeResult | ProbeError:
    """The parser's result for ``document``, or the ProbeError it raised (anything else escapes)."""
    try:
        return parse_probe_output(PATH, json.dumps(document), file_size=1)
    except ProbeError as exc:
        return exc


kinds = st.sampled_from(
    ["video", "audio", "subtitle", "data", "attachment", "other", " video", "Audio", ""]
)
typed_streams = st.builds(lambda kind, fields: {**fields, "codec_type": kind}, kinds, stream_fields)


@settings(max_examples=400)
@given(streams=st.lists(typed_streams | json_values, max_size=4), fmt=format_fields | json_values)
def test_read_technical_is_total(streams: list[Any], fmt: Any) -> None:
    """Whatever the streams and format hold, reading them never raises, and the result
    survives the JSON form exactly."""
    if isinstance(fmt, dict):
        fmt["format_name"] = "mov,mp4"  # not a still-image demuxer, which would be refused
    result = parse_probe_output(
        PATH, json.dumps({"streams": [video(), *streams], "format": fmt}), file_size=1
    )
    assert len(result.streams) == 1 + sum(isinstance(s, dict) for s in streams)
    assert ProbeResult.from_json(result.to_json()) == result


@settings(max_examples=300)
@given(main=stream_fields, others=st.lists(typed_streams, max_size=3), fmt=format_fields)
def test_any_json_in_ffprobe_shape_parses_or_fails_cleanly(
    main: dict[str, Any], others: list[dict[str, Any]], fmt: dict[str, Any]
) -> None:
    """Whatever a video stream's fields hold, the parser gives a result or a ProbeError."""
    document = {"streams": [{**video(), **main, "codec_type": "video"}, *others], "format": fmt}
    result = outcome(document)
    if isinstance(result, ProbeError):
        assert result.reason
    else:
        assert result.video is not None
        assert ProbeResult.from_json(result.to_json()) == result


@settings(max_examples=200)
@given(json_values)
def test_any_json_at_all_parses_or_fails_cleanly(document: Any) -> None:
    """Any JSON document whatsoever gives a result or a ProbeError."""
    result = outcome(document)
    assert isinstance(result, ProbeResult) or result.reason


# -- the stored JSON form ---------------------------------------------------------------------


def rich_result() -> ProbeResult:
    return probe(
        video(tags={"timecode": "01:00:00;00"}, r_frame_rate="30000/1001",
              avg_frame_rate="30000/1001", sample_aspect_ratio="4:3", pix_fmt="yuv422p10le"),
        {"index": 1, "codec_type": "audio", "channel_layout": "5.1(side)", "channels": 6},
        {"index": 2, "codec_type": "subtitle", "tags": {"language": "fre"}},
        {"index": 3, "codec_type": "attachment"},
        tags={"creation_time": "2024-05-06T07:08:09.123456Z"},
    )  # fmt: skip


def test_json_form_is_exact() -> None:
    """Fractions, times, stream kinds and floats all come back equal."""
    result = rich_result()
    text = result.to_json()
    data = json.loads(text)
    assert data["version"] == 1
    assert data["frame_rate"] == "30000/1001"
    assert data["streams"][0]["sample_aspect_ratio"] == "4/3"
    assert data["container"]["creation_time"] == "2024-05-06T07:08:09.123456+00:00"
    assert [s["kind"] for s in data["streams"]] == ["video", "audio", "subtitle", "attachment"]
    assert ProbeResult.from_json(text) == result
    assert ProbeResult.from_json(text.encode()) == result


def test_json_form_of_an_old_style_result() -> None:
    """A result built with only the brief fields round-trips too."""
    result = ProbeResult(
        duration_seconds=1 / 3,
        frame_rate=Fraction(24000, 1001),
        duration_frames=8,
        width=64,
        height=48,
        video_codec="h264",
        audio_codec=None,
        file_size=10,
        format_name="matroska,webm",
    )
    assert ProbeResult.from_json(result.to_json()) == result


def test_fields_missing_from_stored_json_take_their_defaults() -> None:
    """A stored form written before a field existed still loads, with the default."""
    data = json.loads(rich_result().to_json())
    del data["streams"][0]["hdr_format"]
    del data["container"]
    restored = ProbeResult.from_json(json.dumps(data))
    assert restored.container == Container()
    assert restored.video is not None
    assert restored.video.hdr_format is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(version=2), "not a version 1 probe result"),
        (lambda d: d.pop("version"), "not a version 1 probe result"),
        (lambda d: d.update(frame_rate="30000/0"), r"\$\.frame_rate: expected a fraction"),
        (lambda d: d.update(frame_rate="1.5"), r"\$\.frame_rate: expected a fraction"),
        (lambda d: d.update(frame_rate=25), r"\$\.frame_rate: expected text"),
        (lambda d: d.update(width="64"), r"\$\.width: expected an integer"),
        (lambda d: d.update(width=True), r"\$\.width: expected an integer"),
        (lambda d: d.update(surprise=1), r"\$: unknown field\(s\) surprise"),
        (lambda d: d.pop("width"), r"\$: .*width"),
        (
            lambda d: d["streams"][0].update(kind="hologram"),
            r"streams\[0\]: unknown field\(s\) attached_picture",
        ),
        (
            lambda d: d["streams"][1].update(kind=None),
            r"streams\[1\]: expected an object with a kind",
        ),
        (lambda d: d["streams"][0].update(field_order="sideways"), r"field_order: expected one of"),
        (lambda d: d["container"].update(creation_time="noon"), r"creation_time: expected an ISO"),
        (
            lambda d: d["container"].update(creation_time="2024-01-01T00:00:00"),
            r"has no UTC offset",
        ),
        (lambda d: d.update(streams={}), r"\$\.streams: expected a list"),
        (lambda d: d.update(container=[]), r"\$\.container: expected an object"),
        (lambda d: d.update(audio_codec=3), r"\$\.audio_codec: expected text"),
        (lambda d: d.update(duration_seconds=None), r"\$\.duration_seconds: expected a number"),
        (lambda d: d["streams"][0].update(rotation=None), r"rotation: expected an integer"),
        (lambda d: d["streams"][0].update(attached_picture=0), r"expected true or false"),
    ],
)
def test_json_form_refuses_what_it_did_not_write(change: Any, message: str) -> None:
    """Anything but the stored form is refused with JsonFormError saying where and what."""
    data = json.loads(rich_result().to_json())
    change(data)
    with pytest.raises(JsonFormError, match=message):
        ProbeResult.from_json(json.dumps(data))


@pytest.mark.parametrize("text", ["", "[", "[1]", "null", "{}", "[" * 100_000])
def test_json_form_refuses_non_objects(text: str) -> None:
    """Non-JSON, non-objects and absurd nesting are JsonFormError too."""
    with pytest.raises(JsonFormError):
        ProbeResult.from_json(text)
