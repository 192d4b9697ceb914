"""Resuming, at start-up, the work a stop interrupted.

A scan that ended ``interrupted`` because the server stopped (or died) is submitted again
at the next start, with the same ``path``, ``recursive`` and ``force`` and with
``resumed_from`` naming the interrupted job. It continues where that one stopped: what it
had stored is unchanged on disk, so the new scan skips it.

A ``watch`` job needs no new job of its own: every watched folder is rescanned in full
when the server starts, and that rescan (the watch's first job) takes over, with
``resumed_from`` naming the interrupted job.

A job that was itself a resumption and was interrupted again (interrupted twice in a row)
is not resubmitted a third time. Each interrupted job is looked at by one start only,
whether resuming is on or off (``STOAT_RESUME_INTERRUPTED``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from .errors import ServiceError
from .library.store import Library
from .protocol import JobKind
from .scan.job import Scanner

log = logging.getLogger(__name__)

#: The key of ``params`` that names the interrupted job a job took over from.
RESUMED_FROM = "resumed_from"

_SCAN_OPTIONS = ("path", "recursive", "force")


async def resume_interrupted(
    library: Library, scanner: Scanner, *, enabled: bool
) -> Mapping[str, str]:
    """Resubmit the scans the last stop interrupted; the watch jobs it interrupted.

    Returns watch id -> interrupted watch job id, for :class:`~stoat_ferret.watch.service.Watches`
    to hand to each watch's first job. With ``enabled`` false, nothing is resubmitted (and
    the interrupted jobs are still marked as looked at).
    """
    interrupted = await library.take_interrupted((JobKind.SCAN, JobKind.WATCH))
    if not enabled:
        if interrupted:
            log.info(
                "%d interrupted job(s) not resumed: STOAT_RESUME_INTERRUPTED is off",
                len(interrupted),
            )
        return {}
    watch_jobs: dict[str, str] = {}
    for job in interrupted:
        params = job.params
        if RESUMED_FROM in params:
            log.warning(
                "job %s (%s of %s) was interrupted again after resuming job %s; "
                "not resubmitted a third time",
                job.job_id,
                job.kind,
                params.get("path"),
                params[RESUMED_FROM],
            )
            continue
        if job.kind == JobKind.WATCH:
            watch_id = params.get("watch_id")
            if isinstance(watch_id, str):
                watch_jobs[watch_id] = job.job_id
            continue
        try:
            resumed = await scanner.submit(
                str(params["path"]),
                recursive=bool(params.get("recursive", True)),
                force=bool(params.get("force", False)),
                extra_params={
                    **{k: v for k, v in params.items() if k not in _SCAN_OPTIONS},
                    RESUMED_FROM: job.job_id,
                },
            )
        except (KeyError, ServiceError) as exc:
            reason = exc.message if isinstance(exc, ServiceError) else "it names no path"
            log.warning("interrupted scan %s not resumed: %s", job.job_id, reason)
            continue
        log.info(
            "resuming scan %s of %s interrupted by the last stop, as job %s",
            job.job_id,
            params["path"],
            resumed.job_id,
        )
    return watch_jobs
