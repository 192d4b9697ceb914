"""Job history in the library: each job's latest state, and the jobs of a process that died."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from ..jobs.models import JobSnapshot
from ..protocol import JobStatus
from ..timestamps import format_timestamp, optional_timestamp, utc_now
from .access import StoreAccess, transaction
from .rows import JOB_COLUMNS, job


class JobRecords(StoreAccess):
    """The store's job methods (part of :class:`~.store.Library`)."""

    async def save_job(self, job: JobSnapshot) -> None:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"INSERT INTO jobs ({JOB_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET status = excluded.status, "
                "progress = excluded.progress, processed = excluded.processed, "
                "total = excluded.total, current_file = excluded.current_file, "
                "result = excluded.result, error = excluded.error, "
                "started_at = excluded.started_at, finished_at = excluded.finished_at "
                # A job's final state is written once and never overwritten.
                "WHERE jobs.status IN ('pending', 'running')",
                (
                    job.job_id,
                    job.kind,
                    str(job.status),
                    json.dumps(job.params),
                    job.progress,
                    job.processed,
                    job.total,
                    job.current_file,
                    json.dumps(job.result.to_wire()) if job.result is not None else None,
                    job.error,
                    format_timestamp(job.created_at),
                    optional_timestamp(job.started_at),
                    optional_timestamp(job.finished_at),
                ),
            )

        await self._write(run)

    async def get_job(self, job_id: str) -> JobSnapshot | None:
        def run(conn: sqlite3.Connection) -> JobSnapshot | None:
            row = conn.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
            return job(row) if row else None

        return await self._read(run)

    async def list_jobs(
        self,
        *,
        limit: int,
        offset: int,
        status: str | None = None,
        kind: str | None = None,
        id_prefix: str | None = None,
    ) -> tuple[list[JobSnapshot], int]:
        """Job history, newest first; ``id_prefix`` keeps the jobs whose id starts with it."""
        clauses, args = [], []
        if status is not None:
            clauses.append("status = ?")
            args.append(status)
        if kind is not None:
            clauses.append("kind = ?")
            args.append(kind)
        if id_prefix is not None:
            # substr, not LIKE: a prefix holding % or _ means itself.
            clauses.append("substr(id, 1, length(?)) = ?")
            args.extend([id_prefix, id_prefix])
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""

        def run(conn: sqlite3.Connection) -> tuple[list[JobSnapshot], int]:
            rows = conn.execute(
                f"SELECT {JOB_COLUMNS} FROM jobs {where} ORDER BY seq DESC LIMIT ? OFFSET ?",
                (*args, limit, offset),
            ).fetchall()
            (total,) = conn.execute(f"SELECT count(*) FROM jobs {where}", args).fetchone()
            return [job(r) for r in rows], int(total)

        return await self._read(run)

    async def interrupt_unfinished(self) -> int:
        """Mark jobs left pending or running by a process that died as ``interrupted``."""

        def run(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "UPDATE jobs SET status = ?, finished_at = ?, "
                "error = coalesce(error, 'the server stopped before the job finished') "
                "WHERE status IN (?, ?)",
                (
                    str(JobStatus.INTERRUPTED),
                    format_timestamp(utc_now()),
                    str(JobStatus.PENDING),
                    str(JobStatus.RUNNING),
                ),
            ).rowcount

        return await self._write(run)

    async def take_interrupted(self, kinds: Iterable[str]) -> list[JobSnapshot]:
        """Interrupted jobs of ``kinds`` that no start-up has looked at yet, oldest first.

        Every interrupted job not looked at yet (of any kind) is marked as looked at in the
        same transaction, so each is returned at one start-up only.
        """
        wanted = json.dumps(sorted(set(kinds)))

        def run(conn: sqlite3.Connection) -> list[JobSnapshot]:
            with transaction(conn):
                rows = conn.execute(
                    f"SELECT {JOB_COLUMNS} FROM jobs "
                    "WHERE status = ? AND resume_checked = 0 "
                    "AND kind IN (SELECT value FROM json_each(?)) ORDER BY seq",
                    (str(JobStatus.INTERRUPTED), wanted),
                ).fetchall()
                conn.execute(
                    "UPDATE jobs SET resume_checked = 1 WHERE status = ? AND resume_checked = 0",
                    (str(JobStatus.INTERRUPTED),),
                )
            return [job(r) for r in rows]

        return await self._write(run)
