"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import tag, validate_response

from ..context import current_service
from ..schemas import Health, Readiness

blueprint = Blueprint("health", __name__)


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

    Each check is an object with its ``status`` (``ok`` or ``error``) and what is
    worth knowing: the database's ``latency_ms``, each program's ``version``, and the
    ``reason`` of a check that failed.
    """
    checks = await current_service().readiness()
    healthy = all(check.ok for check in checks.values())
    return {
        "status": "ok" if healthy else "degraded",
        "checks": {name: check.to_wire() for name, check in checks.items()},
    }, 200 if healthy else 503
