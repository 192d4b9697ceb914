"""The ``stoat-ferret`` command."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence

import trio

from . import __version__
from .settings import Settings, SettingsError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stoat-ferret", description="Media-library service for a video editor."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run the service",
        description="Run the HTTP/WebSocket service. Settings come from STOAT_* variables; "
        "the flags here override them.",
    )
    serve.add_argument("--host", help="address to bind (STOAT_API_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (STOAT_API_PORT, default 8000)")
    return parser


async def _serve_until_signalled(settings: Settings) -> None:
    from .server import serve

    stop = trio.Event()
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:

            async def watch() -> None:
                async for signum in signals:
                    logging.getLogger("stoat_ferret").info(
                        "received %s", signal.Signals(signum).name
                    )
                    stop.set()

            nursery.start_soon(watch)
            await serve(settings, stop=stop)
            nursery.cancel_scope.cancel()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {}
    if args.host is not None:
        overrides["api_host"] = args.host
    if args.port is not None:
        overrides["api_port"] = args.port
    try:
        settings = Settings.from_env(**overrides)
    except SettingsError as exc:
        print(f"stoat-ferret: invalid setting: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    problems: list[str] = []
    try:
        trio.run(_serve_until_signalled, settings)
    except* OSError as group:
        problems = [str(exc) for exc in _leaves(group)]
    if problems:
        print(f"stoat-ferret: cannot serve: {'; '.join(problems)}", file=sys.stderr)
        return 1
    return 0


def _leaves(group: BaseExceptionGroup[OSError]) -> list[OSError]:
    found: list[OSError] = []
    for exc in group.exceptions:
        found.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return found


if __name__ == "__main__":
    sys.exit(main())
