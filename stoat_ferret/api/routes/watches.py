"""Watched folders: list, add, show and remove."""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import document_response, tag, validate_request, validate_response

from ..context import current_service
from ..openapi import NoContent
from ..schemas import ErrorResponse, Watch, WatchList, WatchRequest

blueprint = Blueprint("watches", __name__, url_prefix="/api/v1/watches")


@blueprint.get("")
@tag(["watches"])
@validate_response(WatchList)
async def list_watches() -> dict[str, Any]:
    """Every watched folder, oldest first, with how each is being watched."""
    watches = current_service().watches.list()
    return {"watches": [watch.to_wire() for watch in watches]}


@blueprint.post("")
@tag(["watches"])
@validate_request(WatchRequest)
@validate_response(Watch, 201)
@validate_response(ErrorResponse, 400)
@validate_response(ErrorResponse, 403)
@validate_response(ErrorResponse, 409)
@validate_response(ErrorResponse, 422)
@validate_response(ErrorResponse, 503)
async def add_watch(data: WatchRequest) -> tuple[dict[str, Any], int]:
    """Watch a folder under an allowed root from now on, and after restarts.

    The folder is scanned in full at once (a ``watch`` job), then kept in step as files
    arrive, change, move or go. Answers once the folder has been looked at, with its
    ``state``. 400 ``INVALID_PATH`` for a path that is not a readable folder; 403
    ``PATH_NOT_ALLOWED`` outside the allowed roots; 409 ``WATCH_OVERLAP`` (with the
    ``watch_id``) for a folder watched already, or inside or around a watched one.
    """
    watch = await current_service().watches.add(data.path, poll=data.poll)
    return watch.to_wire(), 201


@blueprint.get("/<watch_id>")
@tag(["watches"])
@validate_response(Watch)
@validate_response(ErrorResponse, 404)
async def get_watch(watch_id: str) -> dict[str, Any]:
    """One watched folder."""
    return current_service().watches.get(watch_id).to_wire()


@blueprint.delete("/<watch_id>")
@tag(["watches"])
@document_response(NoContent, 204)
@validate_response(ErrorResponse, 404)
@validate_response(ErrorResponse, 503)
async def remove_watch(watch_id: str) -> tuple[str, int]:
    """Stop watching a folder; its pending or running job is cancelled.

    The videos found in it stay in the library.
    """
    await current_service().watches.remove(watch_id)
    return "", 204
