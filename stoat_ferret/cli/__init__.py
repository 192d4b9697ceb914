"""The ``stoat-ferret`` command: ``serve`` runs the service; the rest talk to one."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable, Sequence

import trio

from .. import __version__
from ..client import DEFAULT_URL, ApiError, ConnectionFailed, StoatFerretError, open_client
from ..protocol import JobStatus
from . import commands
from .console import Console

Command = Callable[..., Awaitable[int]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stoat-ferret",
        description="Media-library service for a video editor, and a client for it.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run the service",
        description="Run the HTTP/WebSocket service until SIGINT or SIGTERM. Settings come "
        "from STOAT_* variables; these flags override them.",
    )
    serve.add_argument("--host", help="address to bind (STOAT_API_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (STOAT_API_PORT, default 8000)")
    serve.add_argument(
        "--token-file",
        metavar="PATH",
        help="require the API token read from this file (instead of STOAT_API_TOKEN); "
        "needed to bind beyond loopback",
    )

    client_options = argparse.ArgumentParser(add_help=False)
    client_options.add_argument(
        "--url",
        default=os.environ.get("STOAT_URL", DEFAULT_URL),
        help=f"the server (STOAT_URL, default {DEFAULT_URL})",
    )
    client_options.add_argument(
        "--json", action="store_true", help="machine-readable output on stdout"
    )

    def command(name: str, run: Command, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[client_options], help=help, description=help)
        p.set_defaults(run=run)
        return p

    scan = command("scan", commands.scan, "scan a directory into the library")
    scan.add_argument("path", help="absolute directory path under an allowed scan root")
    scan.add_argument("--no-recursive", action="store_true", help="skip subdirectories")
    scan.add_argument("--force", action="store_true", help="probe files even if unchanged")
    scan.add_argument("--detach", action="store_true", help="print the job id and return at once")

    jobs = command("jobs", commands.jobs, "list recent jobs, newest first")
    jobs.add_argument("--status", choices=[str(s) for s in JobStatus])
    jobs.add_argument("--kind")
    jobs.add_argument("--limit", type=int, default=20)

    job = command("job", commands.job, "show one job")
    job.add_argument("job_id")

    cancel = command("cancel", commands.cancel, "cancel a pending or running job")
    cancel.add_argument("job_id")

    videos = command("videos", commands.videos, "list the library, or search it")
    videos.add_argument("--search", metavar="Q", help="words to find in file names and paths")
    videos.add_argument("--limit", type=int, default=50)
    videos.add_argument("--offset", type=int, default=0)

    command("health", commands.health, "check that the server and its tools work")
    return parser


async def _run_client_command(args: argparse.Namespace, console: Console) -> int:
    async with open_client(args.url) as client:
        status: int = await args.run(client, console, args)
        return status


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from .serve import run_serve

        return run_serve(args.host, args.port, token_file=args.token_file)
    console = Console(json_mode=args.json)
    failure: StoatFerretError | None = None
    interrupted = False
    try:
        return trio.run(_run_client_command, args, console)
    except* KeyboardInterrupt:
        interrupted = True
    except* StoatFerretError as group:
        # Raised from inside a command's nursery, a failure arrives in a group.
        failure = _first_leaf(group)
    if interrupted:
        print("stoat-ferret: interrupted", file=sys.stderr)
        return commands.EXIT_INTERRUPTED
    assert failure is not None
    print(f"stoat-ferret: {_describe(failure)}", file=sys.stderr)
    return 1


def _first_leaf(group: BaseExceptionGroup[StoatFerretError]) -> StoatFerretError:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


def _describe(error: StoatFerretError) -> str:
    if isinstance(error, ConnectionFailed):
        return str(error)
    if isinstance(error, ApiError):
        return f"{error.message} ({error.code})"
    return str(error)


__all__ = ["build_parser", "main"]
