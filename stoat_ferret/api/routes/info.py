"""What a client needs to know about this server before it starts."""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import tag, validate_response

from ... import __version__, protocol
from ..context import current_service
from ..schemas import ServerInfo

blueprint = Blueprint("info", __name__, url_prefix="/api/v1")


@blueprint.get("/info")
@tag(["info"])
@validate_response(ServerInfo)
async def info() -> dict[str, Any]:
    """Version, allowed scan roots, and the protocol's vocabulary.

    ``protocol`` lists every job status, job kind and event type exactly as the
    server spells them, so a client (the web page included) never has its own copy.
    """
    service = current_service()
    return {
        "version": __version__,
        "allowed_scan_roots": list(service.scanner.allowed_roots),
        "protocol": protocol.describe(),
    }
