"""Resuming at start-up what a stop interrupted: real servers, one library, restarted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trio

from stoat_ferret.protocol import EventType, JobKind, JobStatus
from stoat_ferret.settings import Settings

from .support.media import copy_as
from .support.prober import FakeProber, make_prober
from .support.served import Served, real, serving
from .support.waiting import wait_for_spawns


@pytest.fixture
def hanging(tmp_path: Path) -> FakeProber:
    """ffprobe that hangs on files named *hang* and is the real one for the rest."""
    return make_prober(tmp_path / "bin", "hang-on=hang")


@pytest.fixture
def footage(media_root: Path, samples: dict[str, Path]) -> Path:
    """A folder with one video that probes and one the hanging prober hangs on."""
    folder = media_root / "footage"
    folder.mkdir()
    copy_as(samples["h264_aac.mp4"], folder / "a.mp4")
    copy_as(samples["vp9_opus.webm"], folder / "hang.webm")
    return folder


async def interrupted_scan(served: Served, folder: Path, prober: FakeProber) -> str:
    """Start a scan of ``folder`` and wait until it hangs on its second file, the first stored."""
    response = await served.http.post("/api/v1/videos/scan", json={"path": str(folder)})
    job_id: str = response.json()["job_id"]
    await served.event(
        lambda e: (
            e.type == EventType.JOB_PROGRESS
            and e.payload["job_id"] == job_id
            and e.payload["processed"] == 1
        )
    )
    await wait_for_spawns(prober, 2)
    return job_id


async def job(served: Served, job_id: str) -> dict[str, Any]:
    response = await served.http.get(f"/api/v1/jobs/{job_id}")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def resumed(served: Served) -> list[dict[str, Any]]:
    """The jobs created (``pending``) since the server started."""
    return [
        e.payload
        for e in served.events
        if e.type == EventType.JOB_STATUS and e.payload["status"] == JobStatus.PENDING
    ]


async def test_a_scan_interrupted_by_a_stop_is_resubmitted_and_completes(
    make_settings: Callable[..., Settings], footage: Path, hanging: FakeProber
) -> None:
    """Stopped mid-scan: at the next start the same scan runs again, skipping what was stored."""
    async with serving(make_settings(ffprobe_path=str(hanging.path))) as served:
        first = await interrupted_scan(served, footage, hanging)

    async with serving(make_settings()) as served:
        assert (await job(served, first))["status"] == JobStatus.INTERRUPTED
        (again,) = resumed(served)
        done = await served.job_done(again["job_id"])

        assert done["kind"] == JobKind.SCAN
        assert done["params"] == {
            "path": real(footage),
            "recursive": True,
            "force": False,
            "resumed_from": first,
        }
        assert done["status"] == JobStatus.COMPLETE
        result = done["result"]
        assert (result["scanned"], result["unchanged"], result["new"]) == (2, 1, 1)
        assert sorted(await served.videos()) == ["a.mp4", "hang.webm"]

    async with serving(make_settings()) as served:
        # Resumed once and completed: nothing is resubmitted again.
        assert resumed(served) == []


async def test_a_scan_interrupted_twice_in_a_row_is_not_resubmitted_a_third_time(
    make_settings: Callable[..., Settings], footage: Path, hanging: FakeProber
) -> None:
    """Interrupted, resumed, interrupted again: the third start resubmits nothing."""
    settings = make_settings(ffprobe_path=str(hanging.path))
    async with serving(settings) as served:
        first = await interrupted_scan(served, footage, hanging)
    async with serving(settings) as served:
        (second,) = resumed(served)
        assert second["params"]["resumed_from"] == first
        await wait_for_spawns(hanging, 3)  # hangs on hang.webm again

    async with serving(settings) as served:
        assert (await job(served, second["job_id"]))["status"] == JobStatus.INTERRUPTED
        assert resumed(served) == []
        response = await served.http.get("/api/v1/jobs", params={"kind": "scan"})
        assert [j["status"] for j in response.json()["jobs"]] == [JobStatus.INTERRUPTED] * 2


async def test_resuming_turned_off_resubmits_nothing_then_or_later(
    make_settings: Callable[..., Settings], footage: Path, hanging: FakeProber
) -> None:
    """STOAT_RESUME_INTERRUPTED=false: no resubmission, nor at a later start with it on."""
    async with serving(make_settings(ffprobe_path=str(hanging.path))) as served:
        await interrupted_scan(served, footage, hanging)

    async with serving(make_settings(resume_interrupted=False)) as served:
        assert resumed(served) == []
    async with serving(make_settings()) as served:
        assert resumed(served) == []


async def test_an_interrupted_watch_job_is_taken_over_by_the_watchs_first_rescan(
    make_settings: Callable[..., Settings],
    media_root: Path,
    samples: dict[str, Path],
    hanging: FakeProber,
) -> None:
    """A watch job stopped mid-way: at the next start the watch's rescan resumes from it."""
    watched = media_root / "incoming"
    watched.mkdir()
    settings = make_settings(ffprobe_path=str(hanging.path), watch_settle=0.3)
    async with serving(settings) as served:
        watch = await served.add_watch(watched)
        mark = served.mark()
        await trio.to_thread.run_sync(copy_as, samples["vp9_opus.webm"], watched / "hang.webm")
        running = await served.event(
            lambda e: (
                e.type == EventType.JOB_STATUS
                and e.payload["kind"] == JobKind.WATCH
                and e.payload["status"] == JobStatus.RUNNING
            ),
            after=mark,
        )
        await wait_for_spawns(hanging, 1)

    async with serving(make_settings(watch_settle=0.3)) as served:
        (rescan,) = await served.watch_jobs_until(lambda jobs: len(jobs) >= 1)
        assert rescan["params"] == {
            "watch_id": watch["id"],
            "path": real(watched),
            "resumed_from": running.payload["job_id"],
        }
        assert rescan["status"] == JobStatus.COMPLETE
        assert rescan["result"]["new"] == 1
        assert [j["kind"] for j in resumed(served)] == [JobKind.WATCH]
