"""Serving the application with hypercorn's trio worker."""

from __future__ import annotations

import gc
import logging
from functools import partial

import trio
from hypercorn.config import Config
from hypercorn.trio import serve as hypercorn_serve

from .api import create_app
from .service import Service, open_service
from .settings import Settings

log = logging.getLogger(__name__)

#: Seconds hypercorn waits for open connections after the service has stopped.
CONNECTION_GRACE = 2.0


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def serve_service(
    service: Service,
    *,
    stop: trio.Event,
    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``service`` over HTTP until ``stop`` is set; report the base URL when listening.

    On stop, :meth:`Service.stop` ends the jobs (as ``interrupted``, their final
    events still reaching connected clients) and then the event streams; the HTTP
    server shuts down once it returns. That is the whole shutdown order.
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

    app = create_app(service)
    async with trio.open_nursery() as nursery:
        binds = await nursery.start(
            partial(hypercorn_serve, app, config, shutdown_trigger=shutdown_trigger)
        )
        log.info("serving the library at %s on %s", settings.database_path, binds[0])
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
    """
    async with open_service(settings) as service:
        # What start-up made lives as long as the process: keep it out of the cyclic
        # garbage collector, whose full passes over it would otherwise stall the loop
        # for tens of milliseconds at a time.
        gc.collect()
        gc.freeze()
        await serve_service(
            service, stop=stop if stop is not None else trio.Event(), task_status=task_status
        )
