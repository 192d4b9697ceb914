"""Request metrics: ``http_requests_total`` and ``http_request_duration_seconds``.

Labelled by ``method``, ``route`` and ``status``. ``route`` is the URL rule that
answered (``/api/v1/videos/<video_id>``), never the path a client sent, so the
number of series stays bounded whatever clients ask for; a request that matched
no rule is counted under :data:`UNMATCHED_ROUTE`.
"""

from __future__ import annotations

import time

from quart import Quart, Response, g, request

from ..metrics import Metrics

#: The ``route`` label of requests that matched no URL rule (404s, and 405s).
UNMATCHED_ROUTE = "unmatched"

_LABELS = ("method", "route", "status")


def install_http_metrics(app: Quart, metrics: Metrics) -> None:
    """Count and time every HTTP request ``app`` answers, in ``metrics``."""
    requests = metrics.counter("http_requests_total", "HTTP requests answered.", _LABELS)
    durations = metrics.histogram(
        "http_request_duration_seconds",
        "Time from a request's arrival to its response being ready.",
        _LABELS,
    )

    @app.before_request
    async def start_timer() -> None:
        g.stoat_request_started = time.perf_counter()

    @app.after_request
    async def record(response: Response) -> Response:
        started = g.get("stoat_request_started")
        rule = request.url_rule
        labels = {
            "method": request.method,
            "route": rule.rule if rule is not None else UNMATCHED_ROUTE,
            "status": str(response.status_code),
        }
        requests.labels(**labels).inc()
        if started is not None:
            durations.labels(**labels).observe(time.perf_counter() - started)
        return response
