"""Parity: the libav prober and ffprobe say the same about every file of the test corpus.

Field by field on the :class:`ProbeResult` (or the same error, with the same reason),
and key by key on the raw JSON for the keys the parser reads or will read. Each
difference that the libraries' versions cause (Debian's ffprobe 5.1 against the
FFmpeg 8 that PyAV bundles) is a named rule below, listed in docs/performance.md, and
expected exactly where it occurs: a difference that appears or disappears fails here.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio

from stoat_ferret.probe.errors import ProbeError
from stoat_ferret.probe.parse import ProbeResult
from stoat_ferret.probe.run import probe_command, probe_file
from stoat_ferret.workers.pool import open_worker_pool

from ..support.media import HOSTILE_NAMES, SAMPLES, make_broken_files
from ..support.workers import requires_pyav
from .corpus import make_corpus

pytestmark = requires_pyav

#: The keys compared on the raw JSON.
FORMAT_KEYS = ("format_name", "duration", "bit_rate", "start_time", "nb_streams", "tags")
STREAM_KEYS = (
    *("index", "codec_type", "codec_name", "profile", "codec_tag_string"),
    *("width", "height", "sample_aspect_ratio", "display_aspect_ratio", "pix_fmt"),
    *("bits_per_raw_sample", "field_order", "color_range", "color_space"),
    *("color_primaries", "color_transfer", "r_frame_rate", "avg_frame_rate", "time_base"),
    *("start_time", "duration", "nb_frames", "bit_rate", "disposition", "tags"),
    *("side_data_list", "sample_rate", "channels", "channel_layout", "sample_fmt"),
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
BROKEN = ["empty.mp4", "truncated.mp4", "notes.mkv", "audio_only.mp4", "picture.mov"]
HOSTILE = [f"hostile/{name}" for name in HOSTILE_NAMES]
EVERY_FILE = [*SAMPLES, *CORPUS, *BROKEN, *HOSTILE]

#: Files whose ProbeResult differs, and the fields that differ (see docs/performance.md).
RESULT_DIFFERENCES: dict[str, dict[str, tuple[object, object]]] = {
    # FFmpeg 7 gave the DV demuxer a 1/60000 time base; its average frame rate followed.
    "pal.dv": {
        "frame_rate": (Fraction(25), Fraction(60000)),
        "duration_frames": (13, 31200),
    },
}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, samples: dict[str, Path]) -> dict[str, Path]:
    """Every file of the corpus by name: samples, metadata cases, broken files, hostile names."""
    root = tmp_path_factory.mktemp("parity")
    found = dict(samples)
    found.update(make_corpus(root / "corpus", samples["h264_aac.mp4"]))
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


@pytest.mark.parametrize("name", EVERY_FILE)
async def test_same_result_or_same_error(name: str, files: dict[str, Path]) -> None:
    """Both probers give equal ProbeResults, or raise the same error class with the same reason."""
    reference, libav = await both_results(files[name])
    if isinstance(reference, ProbeError):
        assert type(libav) is type(reference)
        assert isinstance(libav, ProbeError)
        assert (libav.path, libav.reason) == (reference.path, reference.reason)
        return
    assert isinstance(libav, ProbeResult)
    # Every field the parser fills, however many it grows to.
    ours, theirs = attrs.asdict(reference, recurse=False), attrs.asdict(libav, recurse=False)
    differing = {f: (ours[f], theirs[f]) for f in ours if ours[f] != theirs[f]}
    assert differing == RESULT_DIFFERENCES.get(name, {})


# -- the raw JSON ---------------------------------------------------------------------------

Doc = dict[str, Any]


def _only_vendor_id(ff: Any, lib: Any, _stream: Doc, _doc: Doc) -> bool:
    kept = {k: v for k, v in (ff or {}).items() if (k, v) != ("vendor_id", "[0][0][0][0]")}
    return kept == (lib or {})


def _derived_depth(ff: Any, lib: Any, stream: Doc, _doc: Doc) -> bool:
    return ff is None and lib is not None and stream.get("codec_type") == "video"


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
    # QuickTime with a timecode track: the file's duration differs by the last millisecond.
    "tmcd duration": (frozenset({"duration", "bit_rate"}), _any),
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
    "timecode.mov": {"data stream", "tmcd duration"},
    "cover_art.mp3": {"mp3 duration"},
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


@pytest.mark.parametrize("name", [*SAMPLES, *CORPUS])
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
