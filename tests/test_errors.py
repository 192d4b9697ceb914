"""One family of refusals: every one carries an ErrorCode and an HTTP status, no literals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import stoat_ferret
from stoat_ferret.api.errors import InvalidJson, http_error_code
from stoat_ferret.errors import ServiceError
from stoat_ferret.jobs.errors import JobAlreadyTerminal, JobNotFound, RunnerClosed
from stoat_ferret.jobs.models import JobSnapshot
from stoat_ferret.library.errors import VideoNotFound
from stoat_ferret.probe.errors import (
    EmptyFile,
    NotAVideo,
    ProbeFailed,
    ProberMissing,
    ProbeTimeout,
)
from stoat_ferret.protocol import ErrorCode, JobKind, JobStatus
from stoat_ferret.scan.errors import InvalidPath, PathNotAllowed, ScanConflict
from stoat_ferret.timestamps import utc_now

PACKAGE = Path(stoat_ferret.__file__).resolve().parent

DONE = JobSnapshot(
    job_id="j1", kind=JobKind.SCAN, status=JobStatus.COMPLETE, params={}, created_at=utc_now()
)


@pytest.mark.parametrize(
    ("error", "code", "status", "extra"),
    [
        (InvalidPath("the path is empty"), ErrorCode.INVALID_PATH, 400, {}),
        (PathNotAllowed("'/etc' is outside"), ErrorCode.PATH_NOT_ALLOWED, 403, {}),
        (ScanConflict("/m", "j1"), ErrorCode.SCAN_IN_PROGRESS, 409, {"job_id": "j1"}),
        (JobNotFound("j1"), ErrorCode.NOT_FOUND, 404, {}),
        (
            JobAlreadyTerminal(DONE),
            ErrorCode.ALREADY_TERMINAL,
            409,
            {"job_id": "j1", "status": "complete"},
        ),
        (RunnerClosed("the server is shutting down"), ErrorCode.SHUTTING_DOWN, 503, {}),
        (VideoNotFound("v1"), ErrorCode.NOT_FOUND, 404, {}),
        (EmptyFile("/m/a.mp4", "empty"), ErrorCode.PROBE_FAILED, 422, {}),
        (NotAVideo("/m/a.mp4", "audio"), ErrorCode.PROBE_FAILED, 422, {}),
        (ProbeFailed("/m/a.mp4", "bad"), ErrorCode.PROBE_FAILED, 422, {}),
        (ProbeTimeout("/m/a.mp4", "slow"), ErrorCode.PROBE_FAILED, 422, {}),
        (ProberMissing("/m/a.mp4", "gone"), ErrorCode.TOOL_UNAVAILABLE, 503, {}),
        (InvalidJson("not JSON"), ErrorCode.INVALID_JSON, 422, {}),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None,
)
def test_each_refusal_carries_its_code_and_status(
    error: ServiceError, code: ErrorCode, status: int, extra: dict[str, str]
) -> None:
    """The path, job, library and probe families are ServiceErrors with their own code."""
    assert isinstance(error, ServiceError)
    assert (error.code, error.http_status, error.extra) == (code, status, extra)


def test_http_errors_of_the_framework_map_to_codes() -> None:
    """Framework HTTP errors get their own code, else BAD_REQUEST (4xx) or INTERNAL_ERROR."""
    assert http_error_code(404) is ErrorCode.NOT_FOUND
    assert http_error_code(416) is ErrorCode.RANGE_NOT_SATISFIABLE
    assert http_error_code(418) is ErrorCode.BAD_REQUEST
    assert http_error_code(502) is ErrorCode.INTERNAL_ERROR


def test_no_error_code_is_written_as_a_literal_in_the_server() -> None:
    """Outside protocol.py (and the client), no server module spells an error code in quotes."""
    codes = "|".join(re.escape(str(code)) for code in ErrorCode)
    literal = re.compile(rf"""["']({codes})["']""")
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative == Path("protocol.py") or relative.parts[0] == "client":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if literal.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == []
