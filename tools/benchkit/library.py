"""Generated libraries: a real library file of N made-up videos, made quickly and cached.

The file is made by the service's own migrations (``stoat_ferret.library.schema``), then
filled by plain SQL inserts in large transactions, so every index and trigger the service
keeps is there and up to date. The videos look like an editor's library: a tree of years,
projects and camera cards; the clip names cameras write (``C0001.MP4``,
``A001C002_220412_R1AB.mov``, ``GX010123.MP4``, ``DJI_0042.MP4``, ``IMG_1234.MOV``) and
descriptive names made of common words; a mix of codecs, sizes, rates and durations; a few
HDR, VFR, interlaced and missing files; copies of some files (duplicates); and technical
metadata of a realistic size. Synchronous: run it before any event loop starts.

A generated file is kept under ``<workdir>/libraries/`` keyed by its size, the generator's
version and the schema's version, so a second run of a benchmark reuses it.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import time
import uuid
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

from stoat_ferret.library import schema
from stoat_ferret.library.models import TECHNICAL_VERSION
from stoat_ferret.naturalsort import natural_key
from stoat_ferret.probe.parse import parse_probe_output
from stoat_ferret.timecode import Timecode, end_timecode

#: Bump when the rows made change, so cached files are made again.
GENERATOR_VERSION = 3
#: Videos a scan writes in one transaction (and so with one ``created_at``).
BATCH = 64
#: A word found in only a handful of names (the "rare word" of the benchmarks).
RARE_WORD = "zanzibar"
#: How many videos carry it.
RARE_COUNT = 5

WORDS = [
    "beach",
    "sunset",
    "interview",
    "wedding",
    "ceremony",
    "reception",
    "drone",
    "aerial",
    "city",
    "street",
    "night",
    "market",
    "mountain",
    "hike",
    "river",
    "forest",
    "snow",
    "desert",
    "harbour",
    "boat",
    "bridge",
    "train",
    "station",
    "concert",
    "stage",
    "crowd",
    "portrait",
    "studio",
    "kitchen",
    "garden",
    "office",
    "meeting",
    "launch",
    "product",
    "demo",
    "tutorial",
    "vlog",
    "timelapse",
    "broll",
    "closeup",
    "wide",
    "medium",
    "establishing",
    "take",
    "pickup",
    "rehearsal",
    "rally",
    "protest",
    "parade",
    "festival",
    "fireworks",
    "stadium",
    "match",
    "goal",
    "training",
    "lake",
    "island",
    "cliff",
    "canyon",
    "village",
    "farm",
    "market",
    "rain",
    "storm",
    "fog",
    "dawn",
    "dusk",
    "golden",
    "hour",
    "family",
    "birthday",
    "party",
    "graduation",
    "school",
    "campus",
    "museum",
    "gallery",
    "library",
    "bakery",
    "cafe",
]
PROJECTS = [
    "Wedding_Smith",
    "Beach_Cleanup",
    "Interview_Series",
    "Mountain_Trip",
    "City_Nights",
    "Product_Launch",
    "Music_Video",
    "Documentary",
    "Corporate_Promo",
    "Travel_Diary",
    "Short_Film",
    "Event_Coverage",
    "Nature_Reel",
    "Food_Show",
    "Sports_Highlights",
    "Family_Archive",
]

#: (weight, codec, profile words for the technical metadata, audio codec, container)
CODECS = [
    (50, "h264", "yuv420p", 8, "aac", "mov,mp4,m4a,3gp,3g2,mj2", ".MP4"),
    (20, "hevc", "yuv420p10le", 10, "aac", "mov,mp4,m4a,3gp,3g2,mj2", ".MOV"),
    (12, "prores", "yuv422p10le", 10, "pcm_s24le", "mov,mp4,m4a,3gp,3g2,mj2", ".mov"),
    (6, "dnxhd", "yuv422p", 8, "pcm_s24le", "mxf", ".mxf"),
    (5, "mpeg2video", "yuv422p", 8, "pcm_s16le", "mpegts", ".MTS"),
    (4, "vp9", "yuv420p", 8, "opus", "matroska,webm", ".webm"),
    (3, "av1", "yuv420p10le", 10, None, "matroska,webm", ".mkv"),
]
SIZES = [(45, 1920, 1080), (25, 3840, 2160), (12, 1280, 720), (8, 4096, 2160), (10, 720, 576)]
RATES = [
    (20, Fraction(25)),
    (20, Fraction(30000, 1001)),
    (15, Fraction(24000, 1001)),
    (15, Fraction(24)),
    (10, Fraction(50)),
    (10, Fraction(60000, 1001)),
    (10, Fraction(30)),
]

COLUMNS = (
    "id, path, directory, filename, filename_key, duration_frames, duration_seconds, "
    "frame_rate_numerator, frame_rate_denominator, frame_rate, width, height, video_codec, "
    "audio_codec, container, file_size, file_mtime_ns, missing_since, created_at, updated_at, "
    "probed_at, technical, technical_version, display_width, display_height, rotation, "
    "pixel_format, bit_depth, field_order, hdr_format, variable_frame_rate, start_timecode, "
    "end_timecode, bit_rate, audio_channels, audio_layout, audio_sample_rate, creation_time, "
    "fingerprint"
)
_INSERT = f"INSERT INTO videos ({COLUMNS}) VALUES ({', '.join('?' for _ in COLUMNS.split(','))})"


def cached_library(workdir: Path, count: int) -> Path:
    """The generated library of ``count`` videos under ``workdir``, made if not there yet."""
    name = f"library-{count}-g{GENERATOR_VERSION}-s{schema.SCHEMA_VERSION}.db"
    target = workdir / "libraries" / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        for leftover in target.parent.glob(partial.name + "*"):
            leftover.unlink()
        generate(partial, count)
        os.replace(partial, target)
    return target


def generate(path: Path, count: int, *, seed: int = 13) -> None:
    """Make a library of ``count`` videos at ``path`` (which must not exist)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -262144")
        schema.migrate(conn)
        rows = _rows(count, random.Random(seed))
        started = time.perf_counter()
        while True:
            chunk = [row for _, row in zip(range(20_000), rows, strict=False)]
            if not chunk:
                break
            conn.execute("BEGIN")
            conn.executemany(_INSERT, chunk)
            conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _ = time.perf_counter() - started
    finally:
        conn.close()


def _weighted(rng: random.Random, table: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    return rng.choices(table, weights=[entry[0] for entry in table])[0]


def _clip_name(rng: random.Random, style: int, index: int, ext: str, when: time.struct_time) -> str:
    if style == 0:
        return f"C{index:04d}{ext}"
    if style == 1:
        day = time.strftime("%y%m%d", when)
        return f"A{rng.randint(1, 9):03d}C{index:03d}_{day}_R{rng.randint(0, 99):02d}{ext}"
    if style == 2:
        return f"GX01{index:04d}{ext}"
    if style == 3:
        return f"DJI_{index:04d}{ext}"
    if style == 4:
        return f"IMG_{1000 + index}{ext}"
    words = "_".join(rng.sample(WORDS, rng.randint(1, 3)))
    return f"{words}_{index:03d}_take{rng.randint(1, 12):02d}{ext.lower()}"


def _technical(
    codec: str,
    pix: str,
    audio: str | None,
    container: str,
    width: int,
    height: int,
    rate: Fraction,
    seconds: float,
    size: int,
    hdr: str | None,
    field_order: str,
    timecode: str | None,
) -> str:
    """A probe result as ffprobe would give it for such a file, stored as the service does."""
    video: dict[str, Any] = {
        "index": 0,
        "codec_type": "video",
        "codec_name": codec,
        "profile": "Main",
        "codec_tag_string": "avc1",
        "width": width,
        "height": height,
        "sample_aspect_ratio": "1:1",
        "display_aspect_ratio": f"{width}:{height}",
        "pix_fmt": pix,
        "field_order": field_order,
        "color_range": "tv",
        "color_space": "bt2020nc" if hdr else "bt709",
        "color_primaries": "bt2020" if hdr else "bt709",
        "color_transfer": {"HDR10": "smpte2084", "HLG": "arib-std-b67"}.get(hdr or "", "bt709"),
        "r_frame_rate": f"{rate.numerator}/{rate.denominator}",
        "avg_frame_rate": f"{rate.numerator}/{rate.denominator}",
        "duration": f"{seconds:.6f}",
        "bit_rate": str(int(size * 8 / seconds)),
        "nb_frames": str(round(seconds * rate)),
        "tags": {"language": "und", "handler_name": "VideoHandler", "vendor_id": "[0][0][0][0]"},
    }
    streams = [video]
    if audio is not None:
        streams.append(
            {
                "index": 1,
                "codec_type": "audio",
                "codec_name": audio,
                "sample_fmt": "fltp",
                "sample_rate": "48000",
                "channels": 2,
                "channel_layout": "stereo",
                "bit_rate": "192000",
                "duration": f"{seconds:.6f}",
                "tags": {"language": "eng", "handler_name": "SoundHandler"},
            }
        )
    tags = {
        "major_brand": "qt  ",
        "encoder": "Lavf59.27.100",
        "creation_time": "2024-05-01T10:00:00.000000Z",
    }
    if timecode is not None:
        tags["timecode"] = timecode
    raw = {
        "streams": streams,
        "format": {
            "format_name": container,
            "format_long_name": container,
            "duration": f"{seconds:.6f}",
            "size": str(size),
            "bit_rate": str(int(size * 8 / seconds)),
            "start_time": "0.000000",
            "tags": tags,
        },
    }
    return parse_probe_output("/x", json.dumps(raw), file_size=size).to_json()


def _rows(count: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    """``count`` rows for ``_INSERT``, in the order a series of scans would add them."""
    base = 1_600_000_000.0
    technical_cache: dict[tuple[Any, ...], str] = {}
    folder = ""
    folders: set[str] = set()
    left_in_folder = 0
    made = 0
    rare_at = set(rng.sample(range(count), min(RARE_COUNT, count)))
    previous: tuple[Any, ...] | None = None
    index = 0
    style = 0
    while made < count:
        if left_in_folder == 0:
            year = 2016 + rng.randrange(9)
            project = rng.choice(PROJECTS)
            card = rng.choice(["A", "B", "C"]) + f"{rng.randint(1, 40):03d}"
            folder = f"/srv/media/{year}/{project}_{rng.randint(1, 30):02d}/{card}"
            while folder in folders:
                folder += "_1"
            folders.add(folder)
            left_in_folder = rng.randint(20, 200)
            style = rng.randrange(6)
            index = rng.randint(1, 50)
        left_in_folder -= 1
        index += 1
        when = time.gmtime(base + made * 30)
        _, codec, pix, depth, audio, container, ext = _weighted(rng, CODECS)
        _, width, height = _weighted(rng, SIZES)
        _, rate = _weighted(rng, RATES)
        name = _clip_name(rng, style, index, ext, when)
        if made in rare_at:
            name = f"{RARE_WORD}_{name}"
        seconds = round(min(7200.0, rng.lognormvariate(3.5, 1.2)) + 1.0, 3)
        frames = round(seconds * rate)
        size = int(seconds * width * height * rng.uniform(0.2, 1.5))
        hdr = "HDR10" if rng.random() < 0.03 else ("HLG" if rng.random() < 0.01 else None)
        vfr = 1 if codec in ("h264", "hevc") and rng.random() < 0.08 else 0
        field_order = (
            "tff" if codec in ("mpeg2video", "dnxhd") and rng.random() < 0.5 else "progressive"
        )
        timecode = None
        if codec in ("prores", "dnxhd", "mpeg2video"):
            drop = rate in (Fraction(30000, 1001), Fraction(60000, 1001))
            timecode = str(
                Timecode.from_frames(rng.randrange(3600 * 20 * 24), rate, drop_frame=drop)
            )
        key = (codec, pix, audio, container, width, height, rate, hdr, field_order, timecode)
        technical = technical_cache.get(key)
        if technical is None:
            technical = _technical(
                codec,
                pix,
                audio,
                container,
                width,
                height,
                rate,
                seconds,
                size,
                hdr,
                field_order,
                timecode,
            )
            technical_cache[key] = technical
        created = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base + (made // BATCH) * 7))
        created += f".{(made // BATCH) % 1000:03d}Z"
        path = f"{folder}/{name}"
        end = None
        if timecode is not None:
            end = str(end_timecode(Timecode.parse(timecode), frames, rate))
        missing = created if rng.random() < 0.02 else None
        fingerprint = f"{size}:{rng.getrandbits(128):032x}"
        row: tuple[Any, ...] = (
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            path,
            folder,
            name,
            natural_key(name),
            frames,
            seconds,
            rate.numerator,
            rate.denominator,
            float(rate),
            width,
            height,
            codec,
            audio,
            container,
            size,
            int((base + made * 30) * 1e9),
            missing,
            created,
            created,
            created,
            technical,
            TECHNICAL_VERSION,
            width,
            height,
            0,
            pix,
            depth,
            field_order,
            hdr,
            vfr,
            timecode,
            end,
            int(size * 8 / seconds),
            2 if audio else None,
            "stereo" if audio else None,
            48000 if audio else None,
            created,
            fingerprint,
        )
        if previous is not None and rng.random() < 0.01:
            # A copy of the previous file in another folder: a duplicate.
            copy_path = f"/srv/media/copies/{made:07d}/{previous[3]}"
            row = (row[0], copy_path, os.path.dirname(copy_path), *previous[3:])
        previous = row
        made += 1
        yield row
