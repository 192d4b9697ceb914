"""Query strings and answers of browsing the library: lists, search, folders, duplicates.

The filters are one model (:class:`VideoFilterQuery`) shared by the list, search and
export, so all three take the same parameters, and ``/openapi.json`` shows each allowed
value (the sorts, orders and HDR kinds are enums).
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator, model_validator

from ..library.models import Folder
from ..library.queries import Cursor, CursorError, Ordering, VideoFilters
from ..protocol import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    ExportFormat,
    HdrFilter,
    SortOrder,
    VideoSort,
)
from .schemas import Video

_RATE = re.compile(r"(\d{1,9})(?:/(\d{1,9}))?")
_MAX_OFFSET = 2**62


class VideoFilterQuery(BaseModel):
    """Filters: every one given must hold. Leave one out to keep every value."""

    folder: str | None = Field(
        default=None,
        min_length=1,
        max_length=4096,
        description="An absolute folder path: only videos in it (and, with recursive, "
        "in every folder below it).",
    )
    recursive: bool = Field(default=True, description="With folder: include subfolders.")
    video_codec: str | None = Field(
        default=None, max_length=64, description="Exactly this video codec, e.g. h264, prores."
    )
    audio_codec: str | None = Field(
        default=None, max_length=64, description="Exactly this audio codec, e.g. aac, pcm_s24le."
    )
    min_width: int | None = Field(default=None, ge=0, le=2**31, description="Pixels, inclusive.")
    max_width: int | None = Field(default=None, ge=0, le=2**31, description="Pixels, inclusive.")
    min_duration: float | None = Field(
        default=None, ge=0, le=1e9, allow_inf_nan=False, description="Seconds, inclusive."
    )
    max_duration: float | None = Field(
        default=None, ge=0, le=1e9, allow_inf_nan=False, description="Seconds, inclusive."
    )
    frame_rate: str | None = Field(
        default=None,
        max_length=32,
        description="Exactly this frame rate, as a fraction or a whole number: 30000/1001, 25.",
        examples=["30000/1001", "25"],
    )
    missing: bool | None = Field(
        default=None, description="true: only videos whose files are missing; false: only present."
    )
    hdr: HdrFilter | None = Field(
        default=None, description="true: any HDR; false: none; HDR10 or HLG: that transfer."
    )
    vfr: bool | None = Field(default=None, description="Variable frame rate (true) or constant.")
    interlaced: bool | None = Field(
        default=None, description="Interlaced (tff or bff) or progressive; unknown matches neither."
    )

    @field_validator("folder")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("/") or "\x00" in value):
            raise ValueError("must be an absolute path (starting with /) without NUL")
        return value

    @field_validator("frame_rate")
    @classmethod
    def _fraction(cls, value: str | None) -> str | None:
        if value is not None:
            match = _RATE.fullmatch(value)
            if match is None:
                raise ValueError("must be a fraction such as 30000/1001, or a whole number")
            if int(match.group(1)) == 0 or int(match.group(2) or 1) == 0:
                raise ValueError("must be more than 0, over a denominator more than 0")
        return value

    def filters(self) -> VideoFilters:
        """The filters as the library takes them."""
        return VideoFilters(
            folder=self.folder,
            recursive=self.recursive,
            video_codec=self.video_codec,
            audio_codec=self.audio_codec,
            min_width=self.min_width,
            max_width=self.max_width,
            min_duration=self.min_duration,
            max_duration=self.max_duration,
            frame_rate=None if self.frame_rate is None else Fraction(self.frame_rate),
            missing=self.missing,
            hdr=self.hdr,
            vfr=self.vfr,
            interlaced=self.interlaced,
        )


class SortQuery(BaseModel):
    sort: VideoSort | None = Field(
        default=None,
        description="path and filename (natural order: 2 before 10) go A to Z by default; "
        "duration, size, width, frame_rate, created and modified go largest or newest "
        "first. No sort: newest first (created). Ties go by path.",
    )
    order: SortOrder | None = Field(
        default=None, description="asc or desc; default: the sort's own direction."
    )

    def ordering(self) -> Ordering:
        return Ordering(self.sort or VideoSort.CREATED, self.order)


class ListQuery(VideoFilterQuery, SortQuery):
    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(default=0, ge=0, le=_MAX_OFFSET, description="Videos to skip.")
    after: str | None = Field(
        default=None,
        max_length=8192,
        description="Continue after the page that answered with this `next` (keyset paging; "
        "the same sort and order). Not with offset.",
    )

    @model_validator(mode="after")
    def _cursor(self) -> Self:
        if self.after is not None:
            if self.offset:
                raise ValueError("give after or offset, not both")
            try:
                Cursor.decode(self.after).check(self.ordering())
            except CursorError as exc:
                raise ValueError(f"after: {exc}") from None
        return self

    def cursor(self) -> Cursor | None:
        return None if self.after is None else Cursor.decode(self.after)


class VideoList(BaseModel):
    videos: list[Video]
    total: int = Field(description="Videos that match; a lower bound when total_exact is false.")
    total_exact: bool = Field(
        description="false when counting stopped early: at least total videos match."
    )
    limit: int
    offset: int
    sort: VideoSort
    order: SortOrder
    next: str | None = Field(
        description="Pass as after= for the page after this one; "
        "null when no video follows this page."
    )


class SearchQuery(VideoFilterQuery):
    q: str = Field(min_length=1, max_length=1000, description="Words to find in name or path.")
    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(default=0, ge=0, le=_MAX_OFFSET, description="Matches to skip.")


class SearchResult(BaseModel):
    videos: list[Video]
    total: int = Field(description="Matches; a lower bound when total_exact is false.")
    total_exact: bool
    query: str
    limit: int
    offset: int


class ExportQuery(VideoFilterQuery, SortQuery):
    format: ExportFormat = Field(description="csv, json or otio (OpenTimelineIO).")

    def ordering(self) -> Ordering:
        return Ordering(self.sort or VideoSort.PATH, self.order)


#: The most videos one export of a selection may name.
MAX_EXPORT_IDS = 10_000


class ExportRequest(BaseModel):
    """``POST /api/v1/videos/export``: these videos, in path order."""

    model_config = ConfigDict(extra="forbid")

    format: ExportFormat = Field(description="csv, json or otio (OpenTimelineIO).")
    video_ids: list[Annotated[StrictStr, Field(min_length=1, max_length=200)]] = Field(
        min_length=1,
        max_length=MAX_EXPORT_IDS,
        description="The videos to export (1 to 10,000 ids); an id given twice is exported once.",
    )


class FoldersQuery(BaseModel):
    parent: str | None = Field(
        default=None,
        min_length=1,
        max_length=4096,
        description="An absolute folder: list the folders directly below it. "
        "Without it: the library's top folder (the deepest one every video is in).",
    )

    @field_validator("parent")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("/") or "\x00" in value):
            raise ValueError("must be an absolute path (starting with /) without NUL")
        return value


class FolderInfo(BaseModel):
    path: str
    name: str = Field(description="The last part of the path.")
    videos: int = Field(description="Videos in this folder and every folder below it.")
    missing: int = Field(description="Of those, the ones whose files are missing.")
    direct_videos: int = Field(description="Videos directly in this folder.")
    direct_missing: int
    folders: int = Field(description="Folders directly below this one that hold videos.")

    @classmethod
    def of(cls, folder: Folder) -> FolderInfo:
        return cls(**folder.to_wire())


class FolderList(BaseModel):
    parent: FolderInfo | None = Field(description="The folder asked for; null without parent.")
    folders: list[FolderInfo] = Field(description="By name.")


class DuplicatesQuery(BaseModel):
    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(default=0, ge=0, le=_MAX_OFFSET)


class DuplicateGroupInfo(BaseModel):
    fingerprint: str
    file_size: int = Field(description="Bytes, of each copy.")
    videos: list[Video] = Field(description="The copies present on disk, by path.")


class DuplicateList(BaseModel):
    groups: list[DuplicateGroupInfo] = Field(description="Largest files first.")
    total: int = Field(description="Groups in all.")
    limit: int
    offset: int
