"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

import trio
from quart import Blueprint
from quart_schema import tag, validate_response

from ..context import current_service
from ..schemas import Health, Readiness

blueprint = Blueprint("health", __name__)

#: Seconds the database check may take before it counts as failed.
DATABASE_CHECK_TIMEOUT = 2.0


@blueprint.get("/health/live")
@tag(["health"])
@validate_response(Health)
async def live() -> dict[str, Any]:
    """The process is up and its event loop answers."""
    return {"status": "ok"}


@blueprint.get("/health/ready")
@tag(["health"])
@validate_response(Readiness, 200)
@validate_response(Readiness, 503)
async def ready() -> tuple[dict[str, Any], int]:
    """Whether the database, ffprobe and ffmpeg all work; 503 if any does not.

    The database is not ready when its file was deleted or replaced under the
    server, when it cannot be written (disk full, read-only), or cannot be read.
    """
    service = current_service()
    checks: dict[str, str] = {}
    try:
        with trio.fail_after(DATABASE_CHECK_TIMEOUT):
            problem = await service.library.check()
        checks["database"] = "ok" if problem is None else problem.reason
    except trio.TooSlowError:
        checks["database"] = f"no answer within {DATABASE_CHECK_TIMEOUT:g}s"
    except Exception as exc:
        checks["database"] = f"error: {exc}"
    for name, program in (
        ("ffprobe", service.settings.ffprobe_path),
        ("ffmpeg", service.settings.ffmpeg_path),
    ):
        checks[name] = await service.check_tool(program) or "ok"
    healthy = all(value == "ok" for value in checks.values())
    return {"status": "ok" if healthy else "degraded", "checks": checks}, 200 if healthy else 503
