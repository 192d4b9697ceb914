"""The video, job and result fields agree wherever they are declared.

The library's values, the HTTP schemas and the client's models each declare the
fields (the client may not import server code, so it cannot share the others'
classes). These tests keep the lists from drifting apart, and keep the wire form
of each typed value exactly what its schema documents. The server may send more
than the client reads (the client keeps those in ``extra``), but the client may
read nothing the server does not send.
"""

from __future__ import annotations

import subprocess
import typing
from pathlib import Path

import attrs
import pytest
from pydantic import BaseModel

from stoat_ferret.api import metadata_schemas, schemas
from stoat_ferret.client import models as client_models
from stoat_ferret.jobs.models import JobSnapshot
from stoat_ferret.jobs.results import (
    RESULT_TYPES,
    CappedErrors,
    FileError,
    ScanResult,
    ThumbnailResult,
    VideoError,
)
from stoat_ferret.library.models import Technical, Video
from stoat_ferret.probe import metadata
from stoat_ferret.probe.parse import parse_probe_output
from stoat_ferret.probe.run import probe_arguments
from stoat_ferret.protocol import JobKind, JobStatus
from stoat_ferret.timestamps import utc_now

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
    """Library and API schema declare the same video fields; the client reads only those.

    A list's video has every field but ``technical`` (only one video's answer has it)
    and adds ``interlaced``, which the library derives from the field order.
    """
    library = attrs_fields(Video) - {"technical"} | {"interlaced"}
    assert set(schemas.Video.model_fields) == library
    assert set(schemas.VideoDetail.model_fields) == library | {"technical"}
    assert VIDEO_CONTRACT <= client_fields(client_models.Video) <= library | {"technical"}


@pytest.mark.parametrize(
    ("value_class", "schema"),
    [
        (metadata.Container, metadata_schemas.ContainerInfo),
        (metadata.VideoStream, metadata_schemas.VideoStreamInfo),
        (metadata.AudioStream, metadata_schemas.AudioStreamInfo),
        (metadata.SubtitleStream, metadata_schemas.SubtitleStreamInfo),
        (metadata.DataStream, metadata_schemas.DataStreamInfo),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_technical_metadata_fields_agree(value_class: type, schema: type[BaseModel]) -> None:
    """Each technical-metadata value and its API schema declare the same fields."""
    assert set(schema.model_fields) == attrs_fields(value_class)


def test_a_stored_videos_technical_form_validates(corpus: dict[str, Path]) -> None:
    """The wire form of a real file's full metadata is what the detail schema documents."""
    output = subprocess.run(
        probe_arguments("ffprobe", str(corpus["camera.mov"])), capture_output=True, check=True
    ).stdout
    result = parse_probe_output("camera.mov", output, file_size=1)
    wire = Technical(container=result.container, streams=result.streams).to_wire()
    validated = metadata_schemas.TechnicalInfo.model_validate(wire)
    assert validated.model_dump(mode="json") == wire


def job_schemas() -> list[type[BaseModel]]:
    """The job schema of each kind, and the one for kinds without a result schema."""
    union = typing.get_args(typing.get_args(schemas.AnyJob)[0])
    return list(union)


def test_job_fields_agree() -> None:
    """Job snapshot and every job schema declare the same job fields; the client reads every one."""
    snapshot = attrs_fields(JobSnapshot)
    for schema in job_schemas():
        assert set(schema.model_fields) == snapshot, schema
    assert client_fields(client_models.Job) == snapshot


def test_every_job_kind_with_a_result_type_has_a_job_schema() -> None:
    """Each kind whose result is typed is described by a schema of its own in /openapi.json."""
    described = {
        typing.get_args(schema.model_fields["kind"].annotation)[0]
        for schema in job_schemas()
        if typing.get_origin(schema.model_fields["kind"].annotation) is typing.Literal
    }
    assert described == set(RESULT_TYPES)
    assert set(RESULT_TYPES) <= set(JobKind)


@pytest.mark.parametrize(
    ("value", "schema"),
    [
        (
            ScanResult(
                scanned=3,
                new=1,
                updated=1,
                unchanged=1,
                missing=2,
                reappeared=1,
                moved=1,
                ignored={".txt": 3, "": 1},
                errors=CappedErrors((FileError("/m/a.mp4", "empty"),), 4),
            ),
            schemas.ScanResult,
        ),
        (
            ThumbnailResult(
                total=2,
                made=1,
                errors=CappedErrors((VideoError("v1", None, "gone"),), 1),
            ),
            schemas.ThumbnailResult,
        ),
    ],
    ids=["scan", "thumbnails"],
)
def test_results_wire_form_is_what_the_schema_says(
    value: ScanResult | ThumbnailResult, schema: type[BaseModel]
) -> None:
    """A result's JSON has exactly its schema's keys, validates, and reads back equal."""
    wire = value.to_wire()
    assert set(wire) == set(schema.model_fields)
    assert schema.model_validate(wire).model_dump() == wire
    assert type(value).from_wire(wire) == value


def test_a_jobs_wire_form_is_what_its_schema_says() -> None:
    """A scan job's JSON validates as the scan job schema and comes out unchanged."""
    job = JobSnapshot(
        job_id="j" * 32,
        kind=JobKind.SCAN,
        status=JobStatus.COMPLETE,
        params={"path": "/m", "recursive": True, "force": False},
        progress=1.0,
        processed=1,
        total=1,
        result=ScanResult(scanned=1, new=1),
        created_at=utc_now(),
        started_at=utc_now(),
        finished_at=utc_now(),
    )
    wire = job.to_wire()
    validated = schemas.Job.model_validate(wire)
    assert isinstance(validated.root, schemas.ScanJob)
    assert validated.model_dump(mode="json") == wire
