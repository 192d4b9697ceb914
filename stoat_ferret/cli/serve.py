"""``stoat-ferret serve``: run the service until SIGINT or SIGTERM."""

from __future__ import annotations

import logging
import signal
import sys
import textwrap
from pathlib import Path
from typing import Any

import trio

from ..excgroups import leaves
from ..library.errors import LibraryOpenError
from ..settings import Settings, SettingsError, describe_settings


async def _serve_until_signalled(settings: Settings) -> None:
    from ..server import serve

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


def run_serve(host: str | None, port: int | None, *, token_file: str | None = None) -> int:
    """Run the service; the exit status (2: unusable settings, 1: cannot serve)."""
    from ..api.access import exposure_problem
    from ..probers import libav_problem

    overrides: dict[str, Any] = {}
    if host is not None:
        overrides["api_host"] = host
    if port is not None:
        overrides["api_port"] = port
    if token_file is not None:
        try:
            overrides["api_token"] = Path(token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
            print(
                f"stoat-ferret: cannot read the token file {token_file}: {reason}", file=sys.stderr
            )
            return 2
    try:
        settings = Settings.from_env(**overrides)
    except SettingsError as exc:
        print(f"stoat-ferret: invalid setting: {exc}", file=sys.stderr)
        return 2
    problem = exposure_problem(settings) or libav_problem(settings)
    if problem is not None:
        print(f"stoat-ferret: {problem}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    problems: list[str] = []
    try:
        trio.run(_serve_until_signalled, settings)
    except* (OSError, LibraryOpenError) as group:
        problems = [str(exc) for exc in leaves(group)]
    if problems:
        print(f"stoat-ferret: cannot serve: {'; '.join(problems)}", file=sys.stderr)
        return 1
    return 0


def settings_help(*, width: int = 78) -> str:
    """Every ``STOAT_*`` variable, its default here and what it does: for ``serve --help``."""
    lines = ["settings (environment variables; --host and --port override the API ones):"]
    for setting in describe_settings():
        lines.append(f"  {setting.variable}  (default: {setting.default})")
        lines.extend(
            textwrap.wrap(setting.help, width, initial_indent=" " * 6, subsequent_indent=" " * 6)
        )
    return "\n".join(lines)
