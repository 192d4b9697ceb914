"""Process-local counters and gauges, rendered as Prometheus text exposition."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

_Labels = tuple[tuple[str, str], ...]


def _format_labels(labels: _Labels) -> str:
    if not labels:
        return ""
    escaped = (
        (k, v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")) for k, v in labels
    )
    return "{" + ",".join(f'{k}="{v}"' for k, v in escaped) + "}"


def _number(value: float) -> str:
    """Exact text for a sample: whole numbers without exponent, others at full precision."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


class Metrics:
    """A small registry: counters, summaries (sum and count) and gauges read on demand."""

    def __init__(self) -> None:
        self._help: dict[str, tuple[str, str]] = {}
        self._values: dict[str, dict[_Labels, float]] = defaultdict(dict)
        self._gauges: dict[str, Callable[[], float]] = {}

    def counter(self, name: str, help: str) -> None:
        self._help[name] = ("counter", help)

    def summary(self, name: str, help: str) -> None:
        self._help[name] = ("summary", help)

    def gauge(
        self, name: str, help: str, read: Callable[[], float], *, kind: str = "gauge"
    ) -> None:
        """A value read when rendered; ``kind="counter"`` for one that only grows."""
        self._help[name] = (kind, help)
        self._gauges[name] = read

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        series = self._values[name]
        series[key] = series.get(key, 0.0) + amount

    def observe(self, name: str, value: float, **labels: str) -> None:
        self.inc(name + "_sum", value, **labels)
        self.inc(name + "_count", 1.0, **labels)

    def render(self) -> str:
        lines: list[str] = []
        for name, (kind, help) in sorted(self._help.items()):
            lines.append(f"# HELP {name} {help}")
            lines.append(f"# TYPE {name} {kind}")
            if name in self._gauges:
                lines.append(f"{name} {_number(self._gauges[name]())}")
                continue
            suffixes = ("_sum", "_count") if kind == "summary" else ("",)
            for suffix in suffixes:
                for labels, value in sorted(self._values.get(name + suffix, {}).items()):
                    lines.append(f"{name}{suffix}{_format_labels(labels)} {_number(value)}")
        return "\n".join(lines) + "\n"
