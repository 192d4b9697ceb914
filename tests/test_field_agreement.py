"""The video and job fields agree wherever they are declared.

The library's values, the HTTP schemas and the client's models each declare the
fields (the client may not import server code, so it cannot share the others'
classes). These tests keep the three lists from drifting apart.
"""

from __future__ import annotations

import attrs

from stoat_ferret.api import schemas
from stoat_ferret.client import models as client_models
from stoat_ferret.jobs.models import JobSnapshot
from stoat_ferret.library.models import Video


def attrs_fields(cls: type) -> set[str]:
    return {field.name for field in attrs.fields(cls)}


def test_video_fields_agree() -> None:
    """Library, API schema and client declare exactly the same video fields."""
    library = attrs_fields(Video)
    assert set(schemas.Video.model_fields) == library
    assert attrs_fields(client_models.Video) == library


def test_job_fields_agree() -> None:
    """Job snapshot, API schema and client declare exactly the same job fields."""
    snapshot = attrs_fields(JobSnapshot)
    assert set(schemas.Job.model_fields) == snapshot
    assert attrs_fields(client_models.Job) == snapshot
