"""Parity: the libav prober and ffprobe say the same about every file of the test corpus.

Field by field on the :class:`ProbeResult`, down to each stream's every field (or the
same error, with the same reason), and key by key on the raw JSON for the keys the
parser reads. Each difference that the libraries' versions cause (Debian's ffprobe 5.1
against the FFmpeg 8 that PyAV bundles), or that PyAV cannot supply, is a named rule
below, listed in docs/performance.md, and expected exactly where it occurs: a
difference that appears or disappears fails here.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio

from stoat_ferret.probe.errors import ProbeError
from stoat_ferret.probe.parse import ProbeResult
from stoat_ferret.probe.run import probe_command, probe_file
from stoat_ferret.workers.pool import open_worker_pool

from ..support.media import CORPUS as FAMILIES
from ..support.media import HOSTILE_NAMES, SAMPLES, make_broken_files
from ..support.workers import requires_pyav
from .corpus import make_corpus

pytestmark = requires_pyav

#: The keys compared on the raw JSON: every key the parser reads.
FORMAT_KEYS = (
    *("format_name", "format_long_name", "duration", "bit_rate", "start_time", "nb_streams"),
    "tags",
)
STREAM_KEYS = (
    *("index", "codec_type", "codec_name", "codec_long_name", "profile", "codec_tag_string"),
    *("width", "height", "sample_aspect_ratio", "display_aspect_ratio", "pix_fmt"),
    *("bits_per_raw_sample", "field_order", "color_range", "color_space"),
    *("color_primaries", "color_transfer", "r_frame_rate", "avg_frame_rate", "time_base"),
    *("start_time", "duration", "nb_frames", "bit_rate", "disposition", "tags"),
    *("side_data_list", "sample_rate", "channels", "channel_layout", "sample_fmt"),
    "bits_per_sample",
)

CORPUS = [
    "timecode.mov",
    "colour10.mov",
    "interlaced.mp4",
    "anamorphic.mkv",
    "prores.mov",
    "hevc.mp4",
    "ffv1.mkv",
    "av1.mkv",
    "transport.ts",
    "program.mpg",
    "pal.dv",
    "latin1.mkv",
    "cover_art.mp3",
    "still_png.mp4",
    "rotated.mp4",
]
#: The container families and camera formats (tests/support/media.py), as ``families/<name>``.
FAMILY_FILES = [f"families/{name}" for name in FAMILIES]
BROKEN = ["empty.mp4", "truncated.mp4", "notes.mkv", "audio_only.mp4", "picture.mov"]
HOSTILE = [f"hostile/{name}" for name in HOSTILE_NAMES]
EVERY_FILE = [*SAMPLES, *CORPUS, *FAMILY_FILES, *BROKEN, *HOSTILE]
MEDIA_FILES = [*SAMPLES, *CORPUS, *FAMILY_FILES]


@pytest.fixture(scope="module")
def files(
    tmp_path_factory: pytest.TempPathFactory,
    samples: dict[str, Path],
    corpus: dict[str, Path],
) -> dict[str, Path]:
    """Every file of the corpus by name: samples, metadata cases, families, broken, hostile."""
    root = tmp_path_factory.mktemp("parity")
    found = dict(samples)
    found.update(make_corpus(root / "corpus", samples["h264_aac.mp4"]))
    found.update({f"families/{name}": path for name, path in corpus.items()})
    make_broken_files(root / "broken", samples["h264_aac.mp4"])
    found.update({name: root / "broken" / name for name in BROKEN})
    (root / "hostile").mkdir()
    for name in HOSTILE_NAMES:
        found[f"hostile/{name}"] = Path(
            shutil.copy2(samples["h264_aac.mp4"], root / "hostile" / name)
        )
    return found


async def both_results(path: Path) -> tuple[ProbeResult | ProbeError, ProbeResult | ProbeError]:
    """What ffprobe and the libav prober make of ``path``: a result or the error raised."""
    size = (await trio.Path(path).stat()).st_size
    outcomes: list[ProbeResult | ProbeError] = []
    async with open_worker_pool(size=1, timeout=20.0) as pool:
        for prober in (
            lambda: probe_file(str(path), file_size=size, ffprobe="ffprobe"),
            lambda: pool.probe_file(str(path), file_size=size),
        ):
            try:
                outcomes.append(await prober())
            except ProbeError as exc:
                outcomes.append(exc)
    return outcomes[0], outcomes[1]


def leaves(value: object, where: str = "") -> dict[str, object]:
    """Every field of a result by its place (``streams[2].codec_tag``), down to plain values."""
    if attrs.has(type(value)):
        found: dict[str, object] = {}
        for field in attrs.fields(type(value)):
            place = f"{where}.{field.name}" if where else field.name
            found.update(leaves(getattr(value, field.name), place))
        return found
    if isinstance(value, tuple):
        found = {f"{where}.count": len(value)}
        for index, item in enumerate(value):
            found.update(leaves(item, f"{where}[{index}]"))
        return found
    return {where: value}


Place = str


def _stream_kind(result: ProbeResult, place: Place) -> str | None:
    if not place.startswith("streams["):
        return None
    index = int(place[len("streams[") : place.index("]")])
    return str(result.streams[index].kind)


def _lib_lacks(ff: object, lib: object, _place: Place, _result: ProbeResult) -> bool:
    return ff is not None and lib is None


def _data_stream_lacks(ff: object, lib: object, place: Place, result: ProbeResult) -> bool:
    return _stream_kind(result, place) == "data" and ff is not None and lib is None


def _header_milliseconds(ff: object, lib: object, _place: Place, _result: ProbeResult) -> bool:
    """ffprobe 5.1's duration is FFmpeg 8's rounded up to the next whole millisecond."""
    assert isinstance(ff, float)
    assert isinstance(lib, float)
    return ff != lib and math.isclose(ff, math.ceil(lib * 1000 - 1e-6) / 1000)


def _anything(_ff: object, _lib: object, _place: Place, _result: ProbeResult) -> bool:
    return True


#: Each known difference in the parsed result: (places it concerns, what it looks like).
RESULT_RULES: dict[str, tuple[frozenset[str], Callable[[Any, Any, Place, ProbeResult], bool]]] = {
    # PyAV gives data streams (QuickTime timecode tracks) no codec context: their tag
    # and bit rate are unknown to it.
    "data stream": (
        frozenset({"streams[2].codec_tag", "streams[2].bit_rate"}),
        _data_stream_lacks,
    ),
    # FFmpeg 5.1 takes a QuickTime file's duration from the movie header (whole
    # milliseconds, rounded up); FFmpeg 8 from its longest track. The overall bit rate
    # follows from the duration.
    "mov duration": (frozenset({"container.duration_seconds"}), _header_milliseconds),
    "mov bit rate": (frozenset({"container.bit_rate"}), _anything),
    # FFmpeg 5.1 starts Opus in WebM at minus its pre-skip; FFmpeg 8 at 0.
    "opus start": (
        frozenset({"container.start_time"}),
        lambda ff, lib, _p, _r: ff < 0 and lib == 0,
    ),
    # FFmpeg 7's DV demuxer states the bit rate of the whole DIF stream (144000 bytes a
    # frame at 25 fps); FFmpeg 5.1 that of the picture alone.
    "dv bit rate": (
        frozenset({"streams[0].bit_rate"}),
        lambda ff, lib, _p, _r: (ff, lib) == (25_000_000, 28_800_000),
    ),
    # FFmpeg 8 reads no colour description from this AV1 stream; 5.1 read one.
    "av1 colour": (
        frozenset({"streams[0].color_primaries", "streams[0].color_transfer"}),
        _lib_lacks,
    ),
}

#: Where each result rule applies: file -> rule names (every other file must agree exactly).
EXPECTED_RESULT_RULES: dict[str, set[str]] = {
    "vp9_opus.webm": {"opus start"},
    "timecode.mov": {"data stream", "mov duration", "mov bit rate"},
    "families/camera.mov": {"data stream", "mov duration", "mov bit rate"},
    "families/iphone_hlg.mov": {"mov duration", "mov bit rate"},
    "families/prores_hq.mov": {"mov duration", "mov bit rate"},
    "pal.dv": {"dv bit rate"},
    "families/pal.dv": {"dv bit rate"},
    "av1.mkv": {"av1 colour"},
}


def explain_results(
    reference: ProbeResult, libav: ProbeResult, expected: set[str]
) -> tuple[set[str], list[tuple[Place, object, object]]]:
    """The ``expected`` result rules that explain differences, and the differences none explains."""
    ours, theirs = leaves(reference), leaves(libav)
    applied: set[str] = set()
    unexplained = []
    for place in sorted(ours.keys() | theirs.keys()):
        ff, lib = ours.get(place), theirs.get(place)
        if ff == lib:
            continue
        rules = {
            rule
            for rule, (places, looks_like) in RESULT_RULES.items()
            if rule in expected and place in places and looks_like(ff, lib, place, reference)
        }
        applied |= rules
        if not rules:
            unexplained.append((place, ff, lib))
    return applied, unexplained


@pytest.mark.parametrize("name", EVERY_FILE)
async def test_same_result_or_same_error(name: str, files: dict[str, Path]) -> None:
    """Both probers give equal results field by field but for the named differences, or raise
    the same error class with the same reason."""
    reference, libav = await both_results(files[name])
    if isinstance(reference, ProbeError):
        assert type(libav) is type(reference)
        assert isinstance(libav, ProbeError)
        assert (libav.path, libav.reason) == (reference.path, reference.reason)
        return
    assert isinstance(libav, ProbeResult)
    expected = EXPECTED_RESULT_RULES.get(name, set())
    applied, unexplained = explain_results(reference, libav, expected)
    assert unexplained == []
    assert applied == expected


def test_a_result_difference_no_rule_expects_is_reported() -> None:
    """A stream field that differs, or an expected rule's field with another value, is reported."""
    from stoat_ferret.probe.metadata import Container, VideoStream

    def result(**stream: Any) -> ProbeResult:
        return ProbeResult(
            duration_seconds=1.0,
            frame_rate=1,  # type: ignore[arg-type]  # any number will do here
            duration_frames=1,
            width=64,
            height=48,
            video_codec="h264",
            audio_codec=None,
            file_size=1,
            format_name="mov",
            container=Container(duration_seconds=0.209),
            streams=(VideoStream(index=0, **stream),),
        )

    reference = result(codec_long_name="H.264", bit_rate=25_000_000)
    libav = attrs.evolve(
        result(codec_long_name=None, bit_rate=28_800_000),
        container=Container(duration_seconds=0.2),
    )
    applied, unexplained = explain_results(reference, libav, {"dv bit rate", "mov duration"})
    assert applied == {"dv bit rate"}
    assert unexplained == [
        ("container.duration_seconds", 0.209, 0.2),
        ("streams[0].codec_long_name", "H.264", None),
    ]


# -- the raw JSON ---------------------------------------------------------------------------

Doc = dict[str, Any]


def _only_vendor_id(ff: Any, lib: Any, _stream: Doc, _doc: Doc) -> bool:
    kept = {k: v for k, v in (ff or {}).items() if (k, v) != ("vendor_id", "[0][0][0][0]")}
    return kept == (lib or {})


def _derived_depth(ff: Any, lib: Any, stream: Doc, _doc: Doc) -> bool:
    return ff is None and lib is not None and stream.get("codec_type") == "video"


def _audio_depth(ff: Any, lib: Any, stream: Doc, _doc: Doc) -> bool:
    return (
        stream.get("codec_type") == "audio"
        and lib is None
        and ff == str(stream.get("bits_per_sample"))
    )


def _opus_delay(ff: Any, lib: Any, _stream: Doc, doc: Doc) -> bool:
    opus = any(s.get("codec_name") == "opus" for s in doc["streams"])
    return opus and ff is not None and float(ff) < 0 and lib == "0.000000"


def _other_side_data(ff: Any, lib: Any, _stream: Doc, _doc: Doc) -> bool:
    matrices = [e for e in ff or [] if e.get("side_data_type") == "Display Matrix"]
    return bool(ff) and matrices == (lib or [])


def _absent(ff: Any, lib: Any, _stream: Doc, _doc: Doc) -> bool:
    return ff is not None and lib in (None, "0/0")


def _any(_ff: Any, _lib: Any, _stream: Doc, _doc: Doc) -> bool:
    return True


#: Each known difference: (keys it concerns, what it looks like), by name.
RULES: dict[str, tuple[frozenset[str], Callable[[Any, Any, Doc, Doc], bool]]] = {
    # libavformat no longer reports an all-zero QuickTime vendor id.
    "vendor id": (frozenset({"tags"}), _only_vendor_id),
    # PyAV does not expose bits_per_raw_sample: the pixel format's depth stands in.
    "bit depth": (frozenset({"bits_per_raw_sample"}), _derived_depth),
    # Nor a sound stream's: its bits_per_sample, which ffprobe gives too, says the same.
    "audio depth": (frozenset({"bits_per_raw_sample"}), _audio_depth),
    # FFmpeg 5.1 starts Opus in Matroska at minus its pre-skip; FFmpeg 8 at 0.
    "opus start": (frozenset({"start_time"}), _opus_delay),
    # PyAV exposes only the display matrix of a stream's side data.
    "other side data": (frozenset({"side_data_list"}), _other_side_data),
    # PyAV gives data streams (QuickTime timecode tracks) no codec context.
    "data stream": (frozenset({"codec_tag_string", "bit_rate", "avg_frame_rate"}), _absent),
    # FFmpeg 7's DV demuxer: time base 1/60000, average rate and bit rate to match.
    "dv timing": (frozenset({"avg_frame_rate", "time_base", "bit_rate"}), _any),
    # FFmpeg 8 reads no colour description from this AV1 stream; 5.1 read one.
    "av1 colour": (frozenset({"color_primaries", "color_transfer"}), _absent),
    # FFmpeg 8's PNG decoder declares its RGB pictures "gbr"; 5.1 left it unset.
    "png colour": (frozenset({"color_space"}), lambda ff, lib, _s, _d: (ff, lib) == (None, "gbr")),
    # MP3: FFmpeg 8 gives the sound's own length; 5.1 a longer one.
    "mp3 duration": (frozenset({"duration", "bit_rate"}), _any),
    # QuickTime: FFmpeg 5.1 takes the file's duration from the movie header (whole
    # milliseconds), FFmpeg 8 from the longest track; the bit rate follows.
    "mov duration": (frozenset({"duration", "bit_rate"}), _any),
}

#: Where each rule applies: file -> rule names (every other file must agree exactly).
EXPECTED_RULES: dict[str, set[str]] = {
    "h264_aac.mp4": {"vendor id"},
    "silent.m4v": {"vendor id"},
    "interlaced.mp4": {"vendor id"},
    "rotated.mp4": {"vendor id"},
    "hevc.mp4": {"vendor id", "bit depth"},
    "vp9_opus.webm": {"bit depth", "opus start"},
    "mpeg4_mp3.avi": {"bit depth"},
    "ffv1.mkv": {"bit depth"},
    "anamorphic.mkv": {"bit depth", "other side data"},
    "transport.ts": {"bit depth", "other side data"},
    "program.mpg": {"bit depth", "other side data"},
    "av1.mkv": {"bit depth", "av1 colour"},
    "still_png.mp4": {"bit depth", "png colour"},
    "pal.dv": {"bit depth", "dv timing"},
    "timecode.mov": {"data stream", "mov duration"},
    "cover_art.mp3": {"mp3 duration"},
    "families/xdcam.mxf": {"bit depth", "other side data", "audio depth"},
    "families/df5994.mxf": {"bit depth", "other side data"},
    "families/broadcast.ts": {"bit depth", "other side data"},
    "families/program.mpg": {"bit depth", "other side data"},
    "families/dvd.vob": {"bit depth", "other side data"},
    "families/phone.3gp": {"bit depth", "vendor id"},
    "families/pal.dv": {"bit depth", "dv timing"},
    "families/camera.mov": {"data stream", "mov duration"},
    "families/iphone_hlg.mov": {"bit depth", "mov duration"},
    "families/prores_hq.mov": {"mov duration", "audio depth"},
    "families/vfr.mp4": {"vendor id"},
    "families/theora.ogv": {"bit depth"},
    "families/flash.flv": {"bit depth"},
    "families/windows.wmv": {"bit depth"},
    "families/raw.y4m": {"bit depth"},
}


def raw_differences(reference: Doc, libav: Doc) -> list[tuple[str, str, Any, Any]]:
    """(where, key, ffprobe's value, libav's value) for each listed key that differs."""
    found = [
        ("format", key, reference["format"].get(key), libav["format"].get(key))
        for key in FORMAT_KEYS
        if reference["format"].get(key) != libav["format"].get(key)
    ]
    assert len(reference["streams"]) == len(libav["streams"])
    for ff, lib in zip(reference["streams"], libav["streams"], strict=True):
        found += [
            (f"stream {ff['index']}", key, ff.get(key), lib.get(key))
            for key in STREAM_KEYS
            if ff.get(key) != lib.get(key)
        ]
    return found


async def ffprobe_json(path: Path) -> Doc:
    done = await trio.run_process(probe_command("ffprobe", str(path)), capture_stdout=True)
    document: Doc = json.loads(done.stdout)
    return document


def explain(
    reference: Doc, libav: Doc, expected: set[str]
) -> tuple[set[str], list[tuple[str, str, Any, Any]]]:
    """The ``expected`` rules that explain differences, and the differences none explains."""
    applied: set[str] = set()
    unexplained = []
    for where, key, ff, lib in raw_differences(reference, libav):
        stream = reference["streams"][int(where.split()[1])] if where != "format" else {}
        rules = {
            rule
            for rule, (keys, looks_like) in RULES.items()
            if rule in expected and key in keys and looks_like(ff, lib, stream, reference)
        }
        applied |= rules
        if not rules:
            unexplained.append((where, key, ff, lib))
    return applied, unexplained


@pytest.mark.parametrize("name", MEDIA_FILES)
async def test_raw_json_agrees_but_for_the_known_differences(
    name: str, files: dict[str, Path]
) -> None:
    """Every listed key agrees, except where a named version difference is expected."""
    reference = await ffprobe_json(files[name])
    async with open_worker_pool(size=1, timeout=20.0) as pool:
        libav: Doc = json.loads(await pool.probe(str(files[name])))
    expected = EXPECTED_RULES.get(name, set())
    applied, unexplained = explain(reference, libav, expected)
    assert unexplained == []
    assert applied == expected


def test_a_difference_no_rule_expects_is_reported() -> None:
    """A changed pixel format, or a tag other than the known vendor id, is left unexplained."""
    stream = {"index": 0, "codec_type": "video", "pix_fmt": "yuv420p"}
    tags = {"language": "und", "vendor_id": "[0][0][0][0]"}
    reference = {"format": {"nb_streams": 1}, "streams": [{**stream, "tags": tags}]}
    libav = {
        "format": {"nb_streams": 1},
        "streams": [{**stream, "pix_fmt": "yuv444p", "tags": {"language": "eng"}}],
    }
    applied, unexplained = explain(reference, libav, {"vendor id"})
    assert applied == set()
    assert unexplained == [
        ("stream 0", "pix_fmt", "yuv420p", "yuv444p"),
        ("stream 0", "tags", tags, {"language": "eng"}),
    ]
    libav["streams"][0] = {**stream, "tags": {"language": "und"}}
    assert explain(reference, libav, {"vendor id"}) == ({"vendor id"}, [])
