"""The video and job fields agree wherever they are declared.

The library's values and the HTTP schemas each declare the fields, and the client's
models declare the ones it reads (the client may not import server code, so it cannot
share the others' classes). The server may send more than the client reads (the client
keeps those in ``extra``), but the client may read nothing the server does not send.
"""

from __future__ import annotations

import attrs

from stoat_ferret.api import schemas
from stoat_ferret.client import models as client_models
from stoat_ferret.jobs.models import JobSnapshot
from stoat_ferret.library.models import Video

#: The client's own bookkeeping, not wire fields.
CLIENT_ONLY = {"extra", "_source"}

#: The video fields the API contract promises (docs/api.md, after the original's).
VIDEO_CONTRACT = {
    "id",
    "path",
    "filename",
    "duration_frames",
    "frame_rate_numerator",
    "frame_rate_denominator",
    "width",
    "height",
    "video_codec",
    "audio_codec",
    "file_size",
    "thumbnail_path",
    "created_at",
    "updated_at",
}


def attrs_fields(cls: type) -> set[str]:
    return {field.name for field in attrs.fields(cls)}


def client_fields(cls: type) -> set[str]:
    return attrs_fields(cls) - CLIENT_ONLY


def test_video_fields_agree() -> None:
    """Library and API schema declare the same video fields; the client reads only those."""
    library = attrs_fields(Video)
    assert set(schemas.Video.model_fields) == library
    assert VIDEO_CONTRACT <= client_fields(client_models.Video) <= library


def test_job_fields_agree() -> None:
    """Job snapshot and API schema declare the same job fields; the client reads every one."""
    snapshot = attrs_fields(JobSnapshot)
    assert set(schemas.Job.model_fields) == snapshot
    assert client_fields(client_models.Job) == snapshot
