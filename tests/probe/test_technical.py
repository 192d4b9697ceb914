"""Technical metadata read from real ffprobe output on generated media of every family."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import pytest

from stoat_ferret.probe.metadata import (
    AudioStream,
    Container,
    DataStream,
    SubtitleStream,
    VideoStream,
)
from stoat_ferret.probe.parse import ProbeResult, parse_probe_output
from stoat_ferret.probe.run import probe_command
from tests.support.media import CORPUS


@pytest.fixture(scope="session")
def probed(corpus: dict[str, Path]) -> dict[str, ProbeResult]:
    """Each corpus file probed once with the service's own ffprobe command line."""
    results = {}
    for name, path in corpus.items():
        done = subprocess.run(probe_command("ffprobe", str(path)), capture_output=True, check=True)
        results[name] = parse_probe_output(str(path), done.stdout, file_size=path.stat().st_size)
    return results


def video_of(result: ProbeResult) -> VideoStream:
    video = result.video
    assert video is not None
    return video


def test_every_family_is_probed(probed: dict[str, ProbeResult]) -> None:
    """Every corpus file is a video to the parser, with its family's container format."""
    formats = {name: result.container.format_name for name, result in probed.items()}
    assert formats == {
        "xdcam.mxf": "mxf",
        "df5994.mxf": "mxf",
        "broadcast.ts": "mpegts",
        "avchd.mts": "mpegts",
        "bluray.m2ts": "mpegts",
        "program.mpg": "mpeg",
        "dvd.vob": "mpeg",
        "phone.3gp": "mov,mp4,m4a,3gp,3g2,mj2",
        "pal.dv": "dv",
        "camera.mov": "mov,mp4,m4a,3gp,3g2,mj2",
        "iphone_hlg.mov": "mov,mp4,m4a,3gp,3g2,mj2",
        "prores_hq.mov": "mov,mp4,m4a,3gp,3g2,mj2",
        "hdr10.mkv": "matroska,webm",
        "multitrack.mkv": "matroska,webm",
        "vfr.mp4": "mov,mp4,m4a,3gp,3g2,mj2",
        "theora.ogv": "ogg",
        "flash.flv": "flv",
        "windows.wmv": "asf",
        "raw.y4m": "yuv4mpegpipe",
    }
    assert set(formats) == set(CORPUS)


def test_legacy_fields_still_describe_the_main_video(probed: dict[str, ProbeResult]) -> None:
    """The brief fields the library lists agree with the main video stream's own."""
    for name, result in probed.items():
        video = video_of(result)
        assert (result.width, result.height) == (video.width, video.height), name
        assert result.video_codec == video.codec, name
        assert result.frame_rate in (video.avg_frame_rate, video.r_frame_rate), name
        assert result.format_name == result.container.format_name, name


def test_mxf_with_timecode(probed: dict[str, ProbeResult]) -> None:
    """XDCAM-style MXF: the container's start timecode, MPEG-2 4:2:2, TFF, 24-bit PCM."""
    result = probed["xdcam.mxf"]
    assert result.container == Container(
        format_name="mxf",
        format_long_name="MXF (Material eXchange Format)",
        duration_seconds=0.2,
        bit_rate=result.container.bit_rate,
        start_time=0.0,
        encoder="FFmpeg OP1a Muxer 59.27.100",
        start_timecode="10:00:00:00",
    )
    assert result.start_timecode == "10:00:00:00"
    assert result.end_timecode == "10:00:00:05"
    video = video_of(result)
    assert (video.codec, video.profile, video.pixel_format) == ("mpeg2video", "4:2:2", "yuv422p")
    assert (video.bit_depth, video.chroma_subsampling) == (8, "4:2:2")
    assert (video.field_order, video.interlaced) == ("tff", True)
    assert video.frame_count is None
    [audio] = result.audio_streams
    assert (audio.codec, audio.sample_rate, audio.channels, audio.bit_depth) == (
        "pcm_s24le",
        48000,
        2,
        24,
    )
    assert audio.sample_format == "s32"


def test_drop_frame_timecode_at_59_94(probed: dict[str, ProbeResult]) -> None:
    """A 59.94 DF timecode two frames before the hour ends four labels past it (6 frames)."""
    result = probed["df5994.mxf"]
    assert result.frame_rate == Fraction(60000, 1001)
    assert result.duration_frames == 6
    assert result.start_timecode == "00:59:59;58"
    assert result.end_timecode == "01:00:00;04"


def test_mov_timecode_track_and_rotation(probed: dict[str, ProbeResult]) -> None:
    """A camera MOV: 29.97 DF timecode from its tmcd track, turned 90° clockwise."""
    result = probed["camera.mov"]
    assert result.start_timecode == "01:00:00;00"
    assert result.end_timecode == "01:00:00;06"
    video, audio, tmcd = result.streams
    assert isinstance(video, VideoStream)
    assert (video.rotation, video.width, video.height) == (90, 64, 48)
    assert (video.display_width, video.display_height) == (48, 64)
    assert video.r_frame_rate == video.avg_frame_rate == Fraction(30000, 1001)
    assert video.variable_frame_rate is False
    assert video.frame_count == 6
    assert video.timecode == "01:00:00;00"
    assert isinstance(audio, AudioStream)
    assert tmcd == DataStream(
        index=2,
        kind="data",
        codec_tag="tmcd",
        language="eng",
        bit_rate=tmcd.bit_rate,
        duration_seconds=0.2002,
        frame_count=1,
        timecode="01:00:00;00",
    )


@pytest.mark.parametrize("name", ["broadcast.ts", "avchd.mts", "bluray.m2ts"])
def test_transport_streams(probed: dict[str, ProbeResult], name: str) -> None:
    """MPEG-TS under .ts, .mts and .m2ts reads as mpegts, with the stream's own start time."""
    result = probed[name]
    assert result.container.format_long_name == "MPEG-TS (MPEG-2 Transport Stream)"
    assert result.container.start_time is not None
    assert result.container.start_time > 1
    [audio] = result.audio_streams
    assert (audio.sample_rate, audio.channels, audio.channel_layout) == (48000, 2, "stereo")
    assert video_of(result).frame_count is None


def test_program_streams(probed: dict[str, ProbeResult]) -> None:
    """MPEG-PS (.mpg interlaced bottom field first, DVD .vob) with MPEG-2 video."""
    mpg, vob = probed["program.mpg"], probed["dvd.vob"]
    assert (mpg.container.format_long_name, vob.container.format_long_name) == (
        "MPEG-PS (MPEG-2 Program Stream)",
        "MPEG-PS (MPEG-2 Program Stream)",
    )
    assert (video_of(mpg).field_order, video_of(mpg).interlaced) == ("bff", True)
    assert (video_of(vob).field_order, video_of(vob).interlaced) == ("progressive", False)
    assert (mpg.audio_codec, vob.audio_codec) == ("mp2", "ac3")
    assert video_of(vob).color_range == "limited"


def test_3gp(probed: dict[str, ProbeResult]) -> None:
    """A 3GP phone clip: H.263 at 15 fps, mono AAC at 8 kHz, and its undetermined language."""
    result = probed["phone.3gp"]
    video = video_of(result)
    assert (video.codec, video.codec_tag, video.width, video.height) == ("h263", "s263", 128, 96)
    assert video.avg_frame_rate == Fraction(15)
    assert video.language is None  # ffprobe says "und"
    [audio] = result.audio_streams
    assert (audio.codec, audio.sample_rate, audio.channel_layout) == ("aac", 8000, "mono")


def test_dv(probed: dict[str, ProbeResult]) -> None:
    """PAL DV: 720x576 with 16:15 pixels shown as 768x576 (4:3), a timecode, 16-bit PCM."""
    result = probed["pal.dv"]
    video = video_of(result)
    assert video.codec == "dvvideo"
    assert (video.sample_aspect_ratio, video.display_aspect_ratio) == (
        Fraction(16, 15),
        Fraction(4, 3),
    )
    assert (video.display_width, video.display_height) == (768, 576)
    assert result.start_timecode == "00:00:00:00"
    assert result.end_timecode == "00:00:00:03"
    [audio] = result.audio_streams
    assert (audio.codec, audio.bit_depth, audio.channel_layout) == ("pcm_s16le", 16, "stereo")


def test_hdr10(probed: dict[str, ProbeResult]) -> None:
    """PQ transfer is flagged HDR10, with BT.2020 primaries and matrix, 10-bit 4:2:0."""
    video = video_of(probed["hdr10.mkv"])
    assert (video.color_primaries, video.color_space, video.color_transfer) == (
        "bt2020",
        "bt2020nc",
        "smpte2084",
    )
    assert video.hdr_format == "HDR10"
    assert (video.pixel_format, video.bit_depth, video.chroma_subsampling) == (
        "yuv420p10le",
        10,
        "4:2:0",
    )
    assert (video.profile, video.color_range) == ("High 10", "limited")


def test_hlg_phone_clip(probed: dict[str, ProbeResult]) -> None:
    """An iPhone-style HEVC clip: HLG flagged, QuickTime make/model, capture date in UTC."""
    result = probed["iphone_hlg.mov"]
    video = video_of(result)
    assert (video.codec, video.codec_tag, video.profile) == ("hevc", "hvc1", "Main 10")
    assert (video.color_transfer, video.hdr_format) == ("arib-std-b67", "HLG")
    assert (result.container.make, result.container.model) == ("Apple", "iPhone 15 Pro")
    assert result.container.creation_time == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def test_prores_10_bit_422(probed: dict[str, ProbeResult]) -> None:
    """ProRes 422 HQ: 10-bit 4:2:2 at exactly 24000/1001, plain make/model tags."""
    result = probed["prores_hq.mov"]
    video = video_of(result)
    assert (video.codec, video.profile, video.codec_tag) == ("prores", "HQ", "apch")
    assert (video.pixel_format, video.bit_depth, video.chroma_subsampling) == (
        "yuv422p10le",
        10,
        "4:2:2",
    )
    assert video.avg_frame_rate == video.r_frame_rate == Fraction(24000, 1001)
    assert (result.container.make, result.container.model) == ("Canon", "EOS C70")
    assert result.container.creation_time == datetime(2023, 11, 2, 14, 15, 16, tzinfo=UTC)
    assert result.container.encoder == "Lavf59.27.100"
    [audio] = result.audio_streams
    assert (audio.codec, audio.codec_tag, audio.bit_depth) == ("pcm_s24le", "in24", 24)


def test_multichannel_audio_languages_and_subtitles(probed: dict[str, ProbeResult]) -> None:
    """5.1 and stereo tracks keep their layouts, languages and title; subtitles theirs."""
    result = probed["multitrack.mkv"]
    surround, stereo = result.audio_streams
    assert (surround.index, surround.codec, surround.channels, surround.channel_layout) == (
        1,
        "ac3",
        6,
        "5.1(side)",
    )
    assert (surround.language, surround.title, surround.bit_rate) == ("eng", "Surround", 448000)
    assert (stereo.index, stereo.codec, stereo.channels, stereo.channel_layout) == (
        2,
        "aac",
        2,
        "stereo",
    )
    assert (stereo.language, stereo.sample_rate, stereo.sample_format) == ("fra", 48000, "fltp")
    subtitle = result.streams[3]
    assert isinstance(subtitle, SubtitleStream)
    assert (subtitle.codec, subtitle.language) == ("subrip", "ger")
    # Matroska keeps per-stream durations only in a DURATION tag, which is read.
    assert subtitle.duration_seconds is not None
    assert 0.15 <= subtitle.duration_seconds < 0.2


def test_variable_frame_rate(probed: dict[str, ProbeResult]) -> None:
    """Dropped frames leave r_frame_rate at 25 and avg_frame_rate at 15: flagged VFR."""
    result = probed["vfr.mp4"]
    video = video_of(result)
    assert (video.r_frame_rate, video.avg_frame_rate) == (Fraction(25), Fraction(15))
    assert video.variable_frame_rate is True
    assert (result.frame_rate, result.duration_frames, video.frame_count) == (Fraction(15), 6, 6)


def test_constant_rates_are_not_vfr(probed: dict[str, ProbeResult]) -> None:
    """Every other corpus file with both rates known is constant frame rate."""
    for name, result in probed.items():
        video = video_of(result)
        if name == "vfr.mp4" or video.avg_frame_rate is None:
            continue
        assert video.variable_frame_rate is False, name


def test_a_rate_ffprobe_cannot_average_leaves_vfr_unknown(probed: dict[str, ProbeResult]) -> None:
    """Ogg gives no average rate: VFR is None (unknown), not False."""
    video = video_of(probed["theora.ogv"])
    assert (video.r_frame_rate, video.avg_frame_rate) == (Fraction(25), None)
    assert video.variable_frame_rate is None
    assert (video.pixel_format, video.chroma_subsampling) == ("yuv444p", "4:4:4")


def test_missing_fields_are_none_not_failures(probed: dict[str, ProbeResult]) -> None:
    """Formats that state little (FLV, WMV) still probe; what they do not say is None."""
    flv = video_of(probed["flash.flv"])
    assert (flv.sample_aspect_ratio, flv.field_order, flv.interlaced) == (None, None, None)
    assert probed["flash.flv"].start_timecode is None
    assert probed["flash.flv"].end_timecode is None
    assert probed["windows.wmv"].container.format_long_name == (
        "ASF (Advanced / Active Streaming Format)"
    )


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_json_form_restores_exactly(probed: dict[str, ProbeResult], name: str) -> None:
    """to_json/from_json gives back an equal result, fractions and times included."""
    result = probed[name]
    restored = ProbeResult.from_json(result.to_json())
    assert restored == result
    assert restored.to_json() == result.to_json()
