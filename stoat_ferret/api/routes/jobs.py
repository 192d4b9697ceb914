"""Job status, history and cancellation."""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import tag, validate_querystring, validate_response

from ...jobs.runner import JobAlreadyTerminal, JobNotFound
from ..context import current_service
from ..errors import ApiError
from ..schemas import ErrorResponse, Job, JobList, JobsQuery

blueprint = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs")


@blueprint.get("")
@tag(["jobs"])
@validate_querystring(JobsQuery)
@validate_response(JobList)
@validate_response(ErrorResponse, 503)
async def list_jobs(query_args: JobsQuery) -> dict[str, Any]:
    """Job history, newest first; filter by ``status`` and ``kind``."""
    jobs, total = await current_service().library.list_jobs(
        limit=query_args.limit,
        offset=query_args.offset,
        status=query_args.status,
        kind=query_args.kind,
    )
    return {
        "jobs": [_live_view(job.job_id, job.to_dict()) for job in jobs],
        "total": total,
        "limit": query_args.limit,
        "offset": query_args.offset,
    }


def _live_view(job_id: str, stored: dict[str, Any]) -> dict[str, Any]:
    """A running job's history row lags its progress by up to a second: show it live."""
    live = current_service().runner.live_snapshot(job_id)
    return live.to_dict() if live is not None else stored


@blueprint.get("/<job_id>")
@tag(["jobs"])
@validate_response(Job)
@validate_response(ErrorResponse, 404)
@validate_response(ErrorResponse, 503)
async def get_job(job_id: str) -> dict[str, Any]:
    """One job, with its progress and (once finished) its result."""
    try:
        job = await current_service().runner.get(job_id)
    except JobNotFound as exc:
        raise ApiError(404, "NOT_FOUND", str(exc)) from exc
    return job.to_dict()


@blueprint.post("/<job_id>/cancel")
@tag(["jobs"])
@validate_response(Job, 200)
@validate_response(Job, 202)
@validate_response(ErrorResponse, 404)
@validate_response(ErrorResponse, 409)
@validate_response(ErrorResponse, 503)
async def cancel_job(job_id: str) -> tuple[dict[str, Any], int]:
    """Cancel a pending or running job.

    Answers 200 once the job is ``cancelled`` (its processes killed and reaped,
    what it had done kept), or 202 if it is still winding down when the bounded
    wait ends. 409 ``ALREADY_TERMINAL`` if it had finished before the cancel
    could take effect.
    """
    service = current_service()
    try:
        job, finished = await service.runner.cancel(job_id)
    except JobNotFound as exc:
        raise ApiError(404, "NOT_FOUND", str(exc)) from exc
    except JobAlreadyTerminal as exc:
        raise ApiError(
            409,
            "ALREADY_TERMINAL",
            str(exc),
            extra={"job_id": exc.job.job_id, "status": str(exc.job.status)},
        ) from exc
    return job.to_dict(), 200 if finished else 202
