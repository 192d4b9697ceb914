"""Browsing arguments and answers: the filters every list takes, and reading the pages."""

from __future__ import annotations

from fractions import Fraction
from typing import Any, TypedDict

from ..protocol import HdrFilter, SortOrder, VideoSort
from .errors import ProtocolError
from .models import (
    DuplicateGroup,
    DuplicatePage,
    Folder,
    FolderList,
    SearchResult,
    Video,
    VideoPage,
    _as_enum,
)


class VideoFilterArgs(TypedDict, total=False):
    """The filters of :meth:`~.Client.list_videos`, ``search_videos``, ``iter_videos`` and
    ``export``, given as keyword arguments; every one given must hold.
    """

    #: An absolute folder on the server: videos in it, and (``recursive``) below it.
    folder: str
    #: With ``folder``: include the folders below it (the server's default: True).
    recursive: bool
    video_codec: str
    audio_codec: str
    #: Pixels, inclusive.
    min_width: int
    max_width: int
    #: Seconds, inclusive.
    min_duration: float
    max_duration: float
    #: Exactly this rate: ``Fraction(30000, 1001)``, ``25`` or ``"30000/1001"``.
    frame_rate: Fraction | int | str
    #: True: only videos whose files are missing; False: only present ones.
    missing: bool
    #: True: any HDR; False: none; ``HdrFilter.HDR10`` / ``"HLG"``: that transfer.
    hdr: bool | HdrFilter | str
    vfr: bool
    interlaced: bool


def filter_params(filters: VideoFilterArgs) -> dict[str, str]:
    """The filters as query parameters."""
    params: dict[str, str] = {}
    for name, value in filters.items():
        if name not in VideoFilterArgs.__annotations__:
            raise TypeError(f"unknown filter {name!r}")
        if isinstance(value, bool):
            params[name] = "true" if value else "false"
        elif isinstance(value, Fraction):
            params[name] = f"{value.numerator}/{value.denominator}"
        else:
            params[name] = str(value)
    return params


def sort_params(sort: VideoSort | str | None, order: SortOrder | str | None) -> dict[str, str]:
    params = {}
    if sort is not None:
        params["sort"] = str(sort)
    if order is not None:
        params["order"] = str(order)
    return params


def _field(body: Any, name: str, kind: type, default: Any = ...) -> Any:
    value = body.get(name, default) if isinstance(body, dict) else None
    if value is ... or (value is not default and not isinstance(value, kind)):
        raise ProtocolError(f"the answer lacks {name!r} (or it is not a {kind.__name__})")
    return value


def _videos(body: Any, name: str = "videos") -> tuple[Video, ...]:
    return tuple(Video.from_json(v) for v in _field(body, name, list))


def video_page(body: Any) -> VideoPage:
    sort = _field(body, "sort", str, None)
    order = _field(body, "order", str, None)
    return VideoPage(
        videos=_videos(body),
        total=_field(body, "total", int),
        limit=_field(body, "limit", int),
        offset=_field(body, "offset", int),
        total_exact=_field(body, "total_exact", bool, True),
        sort=None if sort is None else _as_enum(VideoSort, sort),
        order=None if order is None else _as_enum(SortOrder, order),
        next=_field(body, "next", str, None),
    )


def search_result(body: Any, offset: int) -> SearchResult:
    return SearchResult(
        videos=_videos(body),
        total=_field(body, "total", int),
        query=_field(body, "query", str),
        offset=offset,
        total_exact=_field(body, "total_exact", bool, True),
    )


def folder_list(body: Any) -> FolderList:
    parent = _field(body, "parent", dict, None)
    return FolderList(
        parent=None if parent is None else Folder.from_json(parent),
        folders=tuple(Folder.from_json(f) for f in _field(body, "folders", list)),
    )


def duplicate_page(body: Any) -> DuplicatePage:
    groups = []
    for group in _field(body, "groups", list):
        groups.append(
            DuplicateGroup(
                fingerprint=_field(group, "fingerprint", str),
                file_size=_field(group, "file_size", int),
                videos=_videos(group),
            )
        )
    return DuplicatePage(
        groups=tuple(groups),
        total=_field(body, "total", int),
        limit=_field(body, "limit", int),
        offset=_field(body, "offset", int),
    )
