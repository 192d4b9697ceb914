"""The CLI's browsing commands: ``folders``, ``duplicates`` and ``export``, and the filters
``videos`` and ``export`` share."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..client import Client, HdrFilter, SortOrder, VideoFilterArgs, VideoSort
from ..protocol import ExportFormat
from .console import Console
from .format import format_size, table

_YES = {"true", "yes", "1"}
_NO = {"false", "no", "0"}


def yes_no(text: str) -> bool:
    word = text.strip().lower()
    if word in _YES | _NO:
        return word in _YES
    raise argparse.ArgumentTypeError(f"must be true or false, not {text!r}")


def add_sort_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sort",
        choices=[str(s) for s in VideoSort],
        help="order by this: path and filename (natural: 2 before 10) A to Z, the rest "
        "largest or newest first (default: newest first, i.e. created)",
    )
    parser.add_argument(
        "--order",
        choices=[str(o) for o in SortOrder],
        help="asc or desc (default: the sort's own direction)",
    )


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """The filters, every one optional; those given must all hold."""
    group = parser.add_argument_group("filters")
    group.add_argument(
        "--folder",
        metavar="DIR",
        help="only videos in this absolute folder and below it (default: every folder)",
    )
    group.add_argument(
        "--flat",
        action="store_true",
        help="with --folder: not in the folders below it (default: off)",
    )
    group.add_argument("--video-codec", metavar="NAME", help="e.g. h264, prores (default: any)")
    group.add_argument("--audio-codec", metavar="NAME", help="e.g. aac, pcm_s24le (default: any)")
    group.add_argument("--min-width", type=int, metavar="PX", help="pixels (default: any)")
    group.add_argument("--max-width", type=int, metavar="PX", help="pixels (default: any)")
    group.add_argument(
        "--min-duration", type=float, metavar="SECONDS", help="seconds (default: any)"
    )
    group.add_argument(
        "--max-duration", type=float, metavar="SECONDS", help="seconds (default: any)"
    )
    group.add_argument(
        "--frame-rate", metavar="RATE", help="exactly: 30000/1001, 25, … (default: any)"
    )
    group.add_argument(
        "--missing",
        type=yes_no,
        metavar="true|false",
        help="files missing (true) or present (default: both)",
    )
    group.add_argument(
        "--hdr",
        choices=[str(h) for h in HdrFilter],
        help="true: any HDR; false: none; HDR10 or HLG (default: any)",
    )
    group.add_argument(
        "--vfr",
        type=yes_no,
        metavar="true|false",
        help="variable frame rate or constant (default: both)",
    )
    group.add_argument(
        "--interlaced",
        type=yes_no,
        metavar="true|false",
        help="interlaced or progressive (default: both)",
    )


def filters_of(args: argparse.Namespace) -> VideoFilterArgs:
    """The filters given on the command line, as the client takes them."""
    given: dict[str, Any] = {
        name: getattr(args, name)
        for name in (
            "folder",
            "video_codec",
            "audio_codec",
            "min_width",
            "max_width",
            "min_duration",
            "max_duration",
            "frame_rate",
            "missing",
            "hdr",
            "vfr",
            "interlaced",
        )
        if getattr(args, name) is not None
    }
    if args.flat:
        given["recursive"] = False
    filters: VideoFilterArgs = VideoFilterArgs(**given)  # type: ignore[typeddict-item]
    return filters


async def folders(client: Client, console: Console, args: argparse.Namespace) -> int:
    """The folders below one (or the top folder), with their counts."""
    listing = await client.folders(args.parent)
    if console.json_mode:
        await console.data(
            {
                "parent": None if listing.parent is None else listing.parent.to_json(),
                "folders": [f.to_json() for f in listing.folders],
            }
        )
        return 0
    if listing.parent is not None:
        p = listing.parent
        await console.line(
            f"{p.path}: {p.videos} videos ({p.direct_videos} here, {p.missing} missing)"
        )
    rows = [
        [str(f.videos), str(f.direct_videos), str(f.missing), str(f.folders), f.path]
        for f in listing.folders
    ]
    if rows:
        for line in table(
            ["VIDEOS", "HERE", "MISSING", "FOLDERS", "PATH"], rows, right={0, 1, 2, 3}
        ):
            await console.line(line)
    else:
        await console.line("no folders with videos")
    return 0


async def duplicates(client: Client, console: Console, args: argparse.Namespace) -> int:
    """Groups of copies of one file, largest first."""
    page = await client.duplicates(limit=args.limit, offset=args.offset)
    if console.json_mode:
        await console.data(
            {
                "groups": [
                    {
                        "fingerprint": g.fingerprint,
                        "file_size": g.file_size,
                        "videos": [v.to_json() for v in g.videos],
                    }
                    for g in page.groups
                ],
                "total": page.total,
            }
        )
        return 0
    for group in page.groups:
        await console.line(f"{len(group.videos)} copies of {format_size(group.file_size)}:")
        for video in group.videos:
            await console.line(f"  {video.path}")
    await console.line(f"{len(page.groups)} of {page.total} groups of duplicates")
    return 0


async def export(client: Client, console: Console, args: argparse.Namespace) -> int:
    """Write the videos the filters keep as CSV, JSON or OpenTimelineIO."""
    kind = ExportFormat(args.format)
    target = args.output if args.output not in (None, "-") else sys.stdout.buffer
    written = await client.export(
        kind, target, sort=args.sort, order=args.order, **filters_of(args)
    )
    if target is not sys.stdout.buffer:
        await console.error(f"wrote {format_size(written)} to {args.output}")
    return 0
