"""The service's metrics, on prometheus_client, in a registry of each service's own.

Several services can live in one process (the test suite runs many), so nothing is
registered in prometheus_client's global registry: each :class:`Metrics` holds its
own, with the process collector (RSS, open file descriptors, CPU time) added, and
each part of the service registers its instruments there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import prometheus_client
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    Summary,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

#: The content type of :meth:`Metrics.render`: Prometheus text exposition, version 0.0.4
#: (what ``generate_latest`` writes).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: Buckets (seconds) for things that take from a millisecond to a minute: requests, probes.
DURATION_BUCKETS = (
    0.001,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)

# A `_created` timestamp beside every counter and histogram doubles the exposition for
# nothing a dashboard of this service reads.
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped upstream


class _ReadOnScrape(Collector):
    """One unlabelled value, read from the service each time the metrics are rendered."""

    def __init__(self, name: str, help: str, read: Callable[[], float], *, counter: bool) -> None:
        self._name = name
        self._help = help
        self._read = read
        self._counter = counter

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily if self._counter else GaugeMetricFamily
        yield family(self._name, self._help, value=self._read())


class Metrics:
    """One service's registry and the helpers its parts register their metrics with."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)

    def counter(self, name: str, help: str, labels: Sequence[str] = ()) -> Counter:
        return Counter(name, help, labels, registry=self.registry)

    def summary(self, name: str, help: str, labels: Sequence[str] = ()) -> Summary:
        return Summary(name, help, labels, registry=self.registry)

    def histogram(
        self,
        name: str,
        help: str,
        labels: Sequence[str] = (),
        *,
        buckets: Sequence[float] = DURATION_BUCKETS,
    ) -> Histogram:
        return Histogram(name, help, labels, registry=self.registry, buckets=buckets)

    def gauge(self, name: str, help: str, read: Callable[[], float]) -> None:
        """A value read when the metrics are rendered."""
        self.registry.register(_ReadOnScrape(name, help, read, counter=False))

    def counter_from(self, name: str, help: str, read: Callable[[], float]) -> None:
        """A count the service keeps itself (it only grows), read when rendered."""
        self.registry.register(_ReadOnScrape(name, help, read, counter=True))

    def render(self) -> bytes:
        """Every metric as Prometheus text exposition (:data:`CONTENT_TYPE`)."""
        return generate_latest(self.registry)
