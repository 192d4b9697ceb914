"""The library's folder tree, with counts."""

from __future__ import annotations

from functools import partial

from quart import Blueprint
from quart_schema import tag, validate_querystring, validate_response

from ..browse_schemas import FolderInfo, FolderList, FoldersQuery
from ..context import current_service
from ..schemas import ErrorResponse
from ..turns import page_turns

blueprint = Blueprint("folders", __name__, url_prefix="/api/v1/folders")


@blueprint.get("")
@tag(["videos"])
@validate_querystring(FoldersQuery)
@validate_response(FolderList)
@validate_response(ErrorResponse, 422)
@validate_response(ErrorResponse, 503)
async def folders(query_args: FoldersQuery) -> FolderList:
    """The folders directly below ``parent`` that hold videos, with counts, for a tree.

    Without ``parent``: the library's top folder, the deepest one every video is in.
    A folder that holds no videos answers with zero counts and no folders.
    """
    library = current_service().library
    listing = await page_turns().read(partial(library.folders, query_args.parent))
    return FolderList(
        parent=None if listing.parent is None else FolderInfo.of(listing.parent),
        folders=[FolderInfo.of(folder) for folder in listing.folders],
    )
