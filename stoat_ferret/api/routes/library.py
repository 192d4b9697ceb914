"""The library as a whole: counts for the page's header and tools."""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import tag, validate_response

from ..context import current_service
from ..schemas import LibrarySummary

blueprint = Blueprint("library", __name__, url_prefix="/api/v1/library")


@blueprint.get("/summary")
@tag(["videos"])
@validate_response(LibrarySummary)
async def summary() -> dict[str, Any]:
    """How many videos the library holds, how many are missing, and how many lack a thumbnail."""
    counts = await current_service().library.summary()
    return counts.to_dict()
