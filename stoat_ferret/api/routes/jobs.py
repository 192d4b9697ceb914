"""Job status, history and cancellation."""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import tag, validate_querystring, validate_response

from ..context import current_service
from ..schemas import ErrorResponse, Job, JobList, JobsQuery

blueprint = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs")


@blueprint.get("")
@tag(["jobs"])
@validate_querystring(JobsQuery)
@validate_response(JobList)
@validate_response(ErrorResponse, 503)
async def list_jobs(query_args: JobsQuery) -> dict[str, Any]:
    """Job history, newest first; filter by ``status``, ``kind`` and ``id_prefix``.

    Live jobs are shown as they stand, not as last stored."""
    jobs, total = await current_service().runner.list_jobs(
        limit=query_args.limit,
        offset=query_args.offset,
        status=query_args.status,
        kind=query_args.kind,
        id_prefix=query_args.id_prefix,
    )
    return {
        "jobs": [job.to_wire() for job in jobs],
        "total": total,
        "limit": query_args.limit,
        "offset": query_args.offset,
    }


@blueprint.get("/<job_id>")
@tag(["jobs"])
@validate_response(Job)
@validate_response(ErrorResponse, 404)
@validate_response(ErrorResponse, 503)
async def get_job(job_id: str) -> dict[str, Any]:
    """One job, with its progress and (once finished) its result."""
    job = await current_service().runner.get(job_id)
    return job.to_wire()


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
    job, finished = await current_service().runner.cancel(job_id)
    return job.to_wire(), 200 if finished else 202
