"""Reporting: rows and targets, the human table, the JSON file, the shared command line."""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs


def fmt_ms(value: float) -> str:
    return f"{value:.2f} ms"


def fmt_s(value: float) -> str:
    return f"{value:.3f} s"


def fmt_x(value: float) -> str:
    return f"{value:.2f}x"


def fmt_share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


@attrs.frozen
class Row:
    figure: str
    value: str
    baseline: str = ""
    ratio: str = ""


@attrs.frozen
class Target:
    """One judged measurement: its rows in the table, its verdict, its data for the JSON file."""

    name: str
    rows: tuple[Row, ...]
    met: bool
    verdict: str
    data: dict[str, Any]


def render(targets: Sequence[Target]) -> str:
    """The figures as a fixed-width table, then one verdict line per target."""
    header = Row("figure", "value", "baseline", "ratio")
    rows = [header, *(row for target in targets for row in target.rows)]
    columns = ("figure", "value", "baseline", "ratio")
    widths = [max(len(getattr(row, column)) for row in rows) for column in columns]

    def line(row: Row) -> str:
        cells = [getattr(row, column) for column in columns]
        text = f"{cells[0]:<{widths[0]}}"
        text += "".join(
            f"  {cell:>{width}}" for cell, width in zip(cells[1:], widths[1:], strict=True)
        )
        return text.rstrip()

    out = [line(header), "-" * (sum(widths) + 2 * (len(widths) - 1))]
    out += [line(row) for row in rows[1:]]
    out.append("")
    out += [f"{'MET ' if t.met else 'MISS'}  {t.name}: {t.verdict}" for t in targets]
    return "\n".join(out)


def write_json(path: Path, settings: dict[str, Any], targets: Sequence[Target]) -> None:
    report = {
        "settings": settings,
        "targets": {t.name: {"met": t.met, "verdict": t.verdict, **t.data} for t in targets},
    }
    path.write_text(json.dumps(report, indent=2) + "\n")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class FirstLineFormatter(logging.Formatter):
    """The server's warnings (slow loop steps carry whole stacks) on one line each."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).splitlines()[0]


def parser(description: str) -> argparse.ArgumentParser:
    """A command line with the options every benchmark shares: --json and --workdir."""
    parsed = argparse.ArgumentParser(description=description.split("\n", 1)[0])
    parsed.add_argument("--json", type=Path, help="also write the figures here as JSON")
    parsed.add_argument("--workdir", type=Path, help="work here and keep it (default: temp)")
    return parsed


def run(
    args: argparse.Namespace,
    measure: Callable[[Path], tuple[dict[str, Any], list[Target]]],
) -> int:
    """Run ``measure`` in a work directory; print the table; write the JSON; exit status.

    ``measure`` gets the directory and returns the run's settings and its targets. The
    exit status is 0 when every target is met, 1 otherwise.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(FirstLineFormatter("  server log: %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    root = (args.workdir or Path(tempfile.mkdtemp(prefix="stoat-bench-"))).resolve()
    started = time.perf_counter()
    try:
        settings, targets = measure(root)
    finally:
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    log(f"done in {time.perf_counter() - started:.1f} s")
    print(render(targets))
    if args.json is not None:
        write_json(args.json, settings, targets)
    return 0 if all(t.met for t in targets) else 1
