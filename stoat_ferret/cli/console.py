"""Terminal output for the CLI: lines, JSON, and a progress bar that redraws in place.

Writes go through worker threads: a terminal can stall (flow control, a pipe
nobody reads), and the event loop must not stall with it.
"""

from __future__ import annotations

import json
import shutil
import sys
from typing import Any, TextIO

import trio

from .format import format_duration


def render_progress(
    *,
    processed: int,
    total: int | None,
    rate: float | None,
    current_file: str | None,
    width: int,
) -> str:
    """One line: bar, done/total, rate, ETA, current file, cut to ``width`` columns."""
    if total:
        fraction = min(processed / total, 1.0)
        bar_width = max(10, min(30, width // 4))
        filled = int(fraction * bar_width)
        bar = "[" + "#" * filled + "-" * (bar_width - filled) + f"] {fraction * 100:3.0f}%"
        counts = f"{processed}/{total}"
    else:
        bar, counts = "[ counting files ]", f"{processed}"
    parts = [bar, counts]
    if rate:
        parts.append(f"{rate:.1f} files/s")
        if total:
            parts.append("ETA " + format_duration((total - processed) / rate))
    line = "  ".join(parts)
    if current_file:
        room = width - len(line) - 2
        name = current_file.rsplit("/", 1)[-1].replace("\n", " ")
        if room > 8:
            line += "  " + (name if len(name) <= room else "…" + name[-(room - 1) :])
    return line[:width]


class Console:
    """Where the CLI prints: results to stdout, messages and progress to stderr.

    Questions (:meth:`ask`) go to stderr and their answers come from stdin.
    """

    def __init__(
        self,
        *,
        json_mode: bool,
        stdout: TextIO = sys.stdout,
        stderr: TextIO = sys.stderr,
        stdin: TextIO | None = sys.stdin,
    ) -> None:
        self.json_mode = json_mode
        self._stdout = stdout
        self._stderr = stderr
        self._stdin = stdin
        #: A progress bar only for a person watching a terminal, never for a pipe or --json.
        self.show_progress = not json_mode and stderr.isatty()
        #: A person at a terminal can be asked (stdin and stderr are both terminals).
        self.interactive = stdin is not None and stdin.isatty() and stderr.isatty()
        self._bar_shown = False

    async def _write(self, stream: TextIO, text: str) -> None:
        def write() -> None:
            stream.write(text)
            stream.flush()

        await trio.to_thread.run_sync(write)

    async def line(self, text: str = "") -> None:
        await self._clear_bar()
        await self._write(self._stdout, text + "\n")

    async def data(self, value: Any) -> None:
        await self._write(self._stdout, json.dumps(value, indent=2, sort_keys=True) + "\n")

    async def ask(self, question: str) -> str:
        """Show ``question`` on stderr and return the line typed (without its newline).

        An empty string when stdin is closed or there is none.
        """
        await self._clear_bar()
        await self._write(self._stderr, question)
        if self._stdin is None:
            return ""
        # Abandoned on Ctrl-C: a thread blocked reading a terminal cannot be woken.
        answer = await trio.to_thread.run_sync(self._stdin.readline, abandon_on_cancel=True)
        return answer.rstrip("\n")

    async def error(self, text: str) -> None:
        await self._clear_bar()
        await self._write(self._stderr, f"stoat-ferret: {text}\n")

    async def progress(
        self, *, processed: int, total: int | None, rate: float | None, current_file: str | None
    ) -> None:
        if not self.show_progress:
            await trio.lowlevel.checkpoint()
            return
        width = shutil.get_terminal_size((80, 24)).columns - 1
        text = render_progress(
            processed=processed, total=total, rate=rate, current_file=current_file, width=width
        )
        self._bar_shown = True
        await self._write(self._stderr, "\r\x1b[K" + text)

    async def _clear_bar(self) -> None:
        if self._bar_shown:
            self._bar_shown = False
            await self._write(self._stderr, "\r\x1b[K")
        else:
            await trio.lowlevel.checkpoint()
