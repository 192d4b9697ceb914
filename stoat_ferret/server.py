"""Serving the application with hypercorn's trio worker."""

from __future__ import annotations

import gc
import logging
from functools import partial
from typing import Any

import trio
from hypercorn.config import Config
from hypercorn.trio import serve as hypercorn_serve

from .api import create_app
from .api.access import exposure_problem
from .health import check_prober
from .probers import ToolProber, libav_problem
from .service import Service, open_service
from .settings import Settings, SettingsError

log = logging.getLogger(__name__)

#: Seconds hypercorn waits for open connections after the service has stopped.
CONNECTION_GRACE = 2.0


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def browser_url(bound: str) -> str:
    """A URL a browser on this machine can open for a bound ``http://host:port``."""
    host, _, port = bound.removeprefix("http://").rpartition(":")
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "[::]":
        host = "[::1]"
    return f"http://{host}:{port}"


#: Allocations between two passes of the garbage collector over the youngest objects
#: (Python's default: 700). See :func:`settle_collector`.
GC_YOUNG_THRESHOLD = 10_000


def settle_collector() -> None:
    """Set the cyclic garbage collector up for serving; call once start-up is done.

    Every pass of the collector runs on the event loop thread, in whatever task step is
    under way, and a full pass walks every object the process holds: with 500 ``/ws``
    clients, 40 to 250 ms, over a hundred times during one scan of 400 files. So what
    start-up made (the application included), which lives as long as the process, is
    frozen out of the collector's passes, and the youngest generation is collected every
    10,000 allocations rather than 700: the short-lived objects of a request or an event
    are gone by then instead of being promoted, so full passes become rare (11 instead of
    157 in that scan), and a young pass still takes a few milliseconds.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)


async def serve_service(
    service: Service,
    *,
    stop: trio.Event,
    app: Any = None,
    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``service`` over HTTP until ``stop`` is set; report the base URL when listening.

    On stop, :meth:`Service.stop` ends the jobs (as ``interrupted``, their final
    events still reaching connected clients) and then the event streams; the HTTP
    server shuts down once it returns. That is the whole shutdown order.
    ``app`` is the ASGI application to serve; by default ``create_app(service)``.
    """
    settings = service.settings
    config = Config()
    config.bind = [bind_address(settings.api_host, settings.api_port)]
    config.graceful_timeout = CONNECTION_GRACE
    config.loglevel = settings.log_level
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")

    async def shutdown_trigger() -> None:
        await stop.wait()
        log.info("shutting down: interrupting running jobs")
        await service.stop()

    if app is None:
        app = create_app(service)
    async with trio.open_nursery() as nursery:
        binds = await nursery.start(
            partial(hypercorn_serve, app, config, shutdown_trigger=shutdown_trigger)
        )
        log.info("serving the library at %s on %s", settings.database_path, binds[0])
        if settings.api_token is not None:
            log.info(
                "the API needs the token; open %s/?token=%s to use the page in a browser",
                browser_url(binds[0]),
                settings.api_token,
            )
        task_status.started(binds[0])


# task_status is handed on to serve_service, which reports started; flake8-async
# cannot follow it there.
async def serve(  # noqa: ASYNC128
    settings: Settings,
    *,
    stop: trio.Event | None = None,
    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Open the service and serve it until ``stop`` is set or the caller is cancelled.

    Reports the base URL through ``task_status``, so port 0 works with ``nursery.start``.
    Raises :class:`~stoat_ferret.settings.SettingsError` for a bind beyond loopback
    without a token or ``STOAT_PROBER=libav`` without PyAV, and
    :class:`~stoat_ferret.library.errors.LibraryOpenError` when the library cannot be
    opened (in use, not a library, data directory unusable).
    """
    problem = exposure_problem(settings) or libav_problem(settings)
    if problem is not None:
        raise SettingsError(problem)
    async with open_service(settings) as service:
        # The media workers start in the background and say so themselves if they cannot.
        if isinstance(service.prober, ToolProber):
            for check in (await check_prober(service.prober, service.tool_checks)).values():
                if not check.ok:
                    log.warning("%s; jobs that need it will fail until it is fixed", check.reason)
        app = create_app(service)
        settle_collector()
        await serve_service(
            service,
            stop=stop if stop is not None else trio.Event(),
            app=app,
            task_status=task_status,
        )
