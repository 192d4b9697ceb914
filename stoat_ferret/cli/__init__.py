"""The ``stoat-ferret`` command: ``serve`` runs the service; the rest talk to one."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable, Sequence

import trio

from .. import __version__
from ..client import (
    DEFAULT_URL,
    AmbiguousJobId,
    ApiError,
    ConnectionFailed,
    StoatFerretError,
    open_client,
)
from ..excgroups import first_leaf
from ..protocol import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ExportFormat, JobKind, JobStatus
from . import browse, commands
from .console import Console

Command = Callable[..., Awaitable[int]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stoat-ferret",
        description="Media-library service for a video editor, and a client for it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from .serve import settings_help

    serve = sub.add_parser(
        "serve",
        help="run the service",
        description="Run the HTTP/WebSocket service until SIGINT or SIGTERM. Settings come\n"
        "from the STOAT_* variables listed below; these flags override them.",
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", help="address to bind (STOAT_API_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (STOAT_API_PORT, default 8000)")
    serve.add_argument(
        "--token-file",
        metavar="PATH",
        help="require the API token read from this file (instead of STOAT_API_TOKEN); "
        "needed to bind beyond loopback",
    )

    add_global_options(parser, default=None)
    client_options = argparse.ArgumentParser(add_help=False)
    # Given after the command too; SUPPRESS leaves the value given before it alone.
    add_global_options(client_options, default=argparse.SUPPRESS)

    def command(
        name: str, run: Command, help: str, *, examples: str = ""
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            parents=[client_options],
            help=help,
            description=help[0].upper() + help[1:] + ".",
            epilog=f"examples:\n{examples}" if examples else None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(run=run)
        return p

    scan = command(
        "scan",
        commands.scan,
        "scan a directory into the library and show its progress until it ends",
        examples="  stoat-ferret scan /srv/video/holiday\n"
        "  stoat-ferret scan --force --no-recursive /srv/video/rushes\n"
        "  stoat-ferret scan --detach /srv/video      # print the job id and return\n",
    )
    scan.add_argument(
        "path", help="absolute directory path, on the server's machine, under an allowed root"
    )
    scan.add_argument(
        "--no-recursive", action="store_true", help="skip subdirectories (default: off)"
    )
    scan.add_argument(
        "--force", action="store_true", help="probe files even if unchanged (default: off)"
    )
    scan.add_argument(
        "--detach",
        action="store_true",
        help="print the job id and return at once, leaving the scan running (default: off)",
    )

    jobs = command(
        "jobs",
        commands.jobs,
        "list jobs, newest first, with local start times and durations",
        examples="  stoat-ferret jobs --status running\n"
        "  stoat-ferret jobs --kind thumbnails --limit 5\n",
    )
    jobs.add_argument(
        "--status",
        choices=[str(s) for s in JobStatus],
        help="only jobs in this state (default: every state)",
    )
    jobs.add_argument(
        "--kind",
        choices=[str(k) for k in JobKind],
        help="only jobs of this kind (default: every kind)",
    )
    add_page_options(jobs, "jobs")

    job_examples = (
        "  stoat-ferret {name} 5b0f3c2e9a7d4e1f8c6b2a0d9e8f7a6b\n"
        "  stoat-ferret {name} 5b0f        # a unique start of the id is enough\n"
    )
    job = command(
        "job", commands.job, "show one job in full", examples=job_examples.format(name="job")
    )
    job.add_argument("job_id", type=job_id, metavar="JOB", help=JOB_HELP)

    cancel = command(
        "cancel",
        commands.cancel,
        "cancel a pending or running job and wait until it has stopped",
        examples=job_examples.format(name="cancel"),
    )
    cancel.add_argument("job_id", type=job_id, metavar="JOB", help=JOB_HELP)

    videos = command(
        "videos",
        commands.videos,
        "list the library, sorted and filtered, or search it",
        examples="  stoat-ferret videos --limit 50 --offset 50\n"
        "  stoat-ferret videos --sort filename --folder /srv/video/holiday\n"
        "  stoat-ferret videos --sort duration --video-codec prores --min-width 3840\n"
        "  stoat-ferret videos --missing true --json\n"
        "  stoat-ferret videos --search 'beach 2019' --folder /srv/video\n"
        "  stoat-ferret videos --sort size --after CURSOR   # the next page, from 'more:'\n",
    )
    videos.add_argument(
        "--search",
        metavar="WORDS",
        help="only videos whose file name or path holds every word, best match first "
        "(default: the whole library; not with --sort)",
    )
    browse.add_sort_options(videos)
    videos.add_argument(
        "--after",
        metavar="CURSOR",
        help="the page after the one that printed this cursor, with the same --sort and "
        "--order (default: the first page, or --offset)",
    )
    add_page_options(videos, "videos")
    browse.add_filter_options(videos)

    folders = command(
        "folders",
        browse.folders,
        "list the folders that hold videos, with counts, below one folder",
        examples="  stoat-ferret folders                 # the library's top folder\n"
        "  stoat-ferret folders /srv/video/holiday\n",
    )
    folders.add_argument(
        "parent", nargs="?", help="an absolute folder (default: show the top folder)"
    )

    duplicates = command(
        "duplicates",
        browse.duplicates,
        "list groups of videos that are copies of one file, largest first",
        examples="  stoat-ferret duplicates --limit 50\n",
    )
    add_page_options(duplicates, "groups")

    export = command(
        "export",
        browse.export,
        "export the videos the filters keep as CSV, JSON or an OpenTimelineIO bin",
        examples="  stoat-ferret export --format csv -o library.csv\n"
        "  stoat-ferret export --format otio --folder /srv/video/day1 -o day1.otio\n"
        "  stoat-ferret export --format json --hdr true | jq length\n",
    )
    export.add_argument(
        "--format",
        required=True,
        choices=[str(f) for f in ExportFormat],
        help="csv, json or otio (default: none; required)",
    )
    export.add_argument(
        "-o", "--output", metavar="FILE", help="write here (default: standard output)"
    )
    browse.add_sort_options(export)
    browse.add_filter_options(export)

    purge = command(
        "purge-missing",
        commands.purge_missing,
        "remove the library's entries whose files are missing, with their thumbnails",
        examples="  stoat-ferret purge-missing\n"
        "  stoat-ferret purge-missing --folder /srv/video/old-card --yes\n",
    )
    purge.add_argument(
        "--folder",
        metavar="F",
        help="only entries in this folder or below it, an absolute path on the server's "
        "machine (default: the whole library)",
    )
    purge.add_argument(
        "--yes",
        action="store_true",
        help="do not ask first (default: ask when run at a terminal)",
    )

    command(
        "watches",
        commands.watches,
        "list the watched folders, how each is watched and when it last changed",
        examples="  stoat-ferret watches\n  stoat-ferret watches --json\n",
    )

    watch = command(
        "watch",
        commands.watch,
        "watch a folder: scan it now, then keep the library in step as files arrive, "
        "change, move or go",
        examples="  stoat-ferret watch /srv/video/incoming\n"
        "  stoat-ferret watch --poll /mnt/nas/footage   # a network filesystem\n",
    )
    watch.add_argument(
        "path", help="absolute folder path, on the server's machine, under an allowed root"
    )
    watch.add_argument(
        "--poll",
        action="store_true",
        help="walk the folder at an interval instead of using inotify, for network "
        "filesystems (default: off)",
    )

    unwatch = command(
        "unwatch",
        commands.unwatch,
        "stop watching a folder (its videos stay in the library)",
        examples="  stoat-ferret unwatch 9c1d4e\n  stoat-ferret unwatch /srv/video/incoming\n",
    )
    unwatch.add_argument(
        "watch_id",
        type=watch_id,
        metavar="WATCH",
        help="the watch's id, a start of it that no other watch's id shares, or its folder",
    )

    command(
        "health",
        commands.health,
        "check that the server is up and its database, ffprobe and ffmpeg work",
        examples="  stoat-ferret health && echo ready\n",
    )
    return parser


JOB_HELP = "the job's id, or a start of it that no other job's id shares"

EPILOG = f"""\
Every command but serve is a client of a running server: the one at --url (else
$STOAT_URL, else {DEFAULT_URL}), with the token from --token (else
$STOAT_TOKEN). The global options go before or after the command. Results go to
stdout; messages and the progress bar to stderr.

exit status:
  0    done (for health: every check passed; for scan: the scan completed)
  1    the server refused or could not be reached; a scan that did not complete;
       a failed health check; a purge that was not agreed to; serve could not start
  2    a usage error (bad arguments, a job or watch id prefix that fits several)
  130  interrupted with Ctrl-C (a scan is cancelled on the server first)

examples:
  stoat-ferret serve
  stoat-ferret scan /srv/video/holiday
  stoat-ferret --url http://media-box:8000 --token "$TOKEN" jobs --status running
  stoat-ferret job 5b0f
  stoat-ferret videos --search beach --json
  stoat-ferret watch /srv/video/incoming
  stoat-ferret videos --sort filename --folder /srv/video/holiday
  stoat-ferret export --format otio --folder /srv/video/day1 -o day1.otio
"""


def add_global_options(parser: argparse.ArgumentParser, *, default: object) -> None:
    """``--url``, ``--token`` and ``--json``, on the main parser and on every client command."""
    parser.add_argument(
        "--url",
        default=default,
        help=f"the server (default: $STOAT_URL, else {DEFAULT_URL})",
    )
    parser.add_argument(
        "--token",
        default=default,
        help="the server's API token, sent as a bearer token (default: $STOAT_TOKEN, else none)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=False if default is None else default,
        help="print JSON on stdout instead of text (default: off)",
    )


def add_page_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--limit",
        type=page_size,
        default=DEFAULT_PAGE_SIZE,
        metavar="N",
        help=f"how many {what} to show, 1 to {MAX_PAGE_SIZE} (default: %(default)s)",
    )
    parser.add_argument(
        "--offset",
        type=offset,
        default=0,
        metavar="N",
        help=f"how many {what} to skip first (default: %(default)s)",
    )


def page_size(text: str) -> int:
    value = _integer(text)
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise argparse.ArgumentTypeError(f"must be 1 to {MAX_PAGE_SIZE}, not {value}")
    return value


def offset(text: str) -> int:
    value = _integer(text)
    if not 0 <= value <= MAX_OFFSET:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def job_id(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("a job id cannot be empty")
    return text.strip()


def watch_id(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("a watch id cannot be empty")
    return text.strip()


#: The largest offset the server takes.
MAX_OFFSET = 2**62


async def _run_client_command(
    args: argparse.Namespace, console: Console, url: str, token: str | None
) -> int:
    async with open_client(url, token=token) as client:
        status: int = await args.run(client, console, args)
        return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        from .serve import run_serve

        return run_serve(args.host, args.port, token_file=args.token_file)
    url = args.url or os.environ.get("STOAT_URL") or DEFAULT_URL
    token = args.token if args.token is not None else os.environ.get("STOAT_TOKEN", "").strip()
    if token and not _is_token(token):
        source = "--token" if args.token is not None else "STOAT_TOKEN"
        parser.error(f"{source}: a token is one word of printable ASCII")
    console = Console(json_mode=args.json)
    failure: StoatFerretError | None = None
    interrupted = False
    try:
        return trio.run(_run_client_command, args, console, url, token or None)
    except* KeyboardInterrupt:
        interrupted = True
    except* StoatFerretError as group:
        # Raised from inside a command's nursery, a failure arrives in a group.
        leaf = first_leaf(group)
        assert isinstance(leaf, StoatFerretError)
        failure = leaf
    if interrupted:
        print("stoat-ferret: interrupted", file=sys.stderr)
        return commands.EXIT_INTERRUPTED
    assert failure is not None
    print(f"stoat-ferret: {_describe(failure)}", file=sys.stderr)
    return commands.EXIT_USAGE if isinstance(failure, AmbiguousJobId) else 1


def _is_token(token: str) -> bool:
    return token.isascii() and token.isprintable() and " " not in token


def _describe(error: StoatFerretError) -> str:
    if isinstance(error, ConnectionFailed):
        return str(error)
    if isinstance(error, ApiError):
        return f"{error.message} ({error.code})"
    return str(error)


__all__ = ["build_parser", "main"]
