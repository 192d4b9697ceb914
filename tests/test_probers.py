"""STOAT_PROBER: the service reads files with ffprobe and ffmpeg, or with its media workers."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
import trio.testing

from stoat_ferret import health
from stoat_ferret.cli.serve import run_serve
from stoat_ferret.health import Check, ToolChecks, check_prober
from stoat_ferret.jobs.results import ThumbnailResult
from stoat_ferret.probers import PYAV_MISSING, LibavProber, ToolProber, open_prober
from stoat_ferret.protocol import JobStatus
from stoat_ferret.settings import Settings
from stoat_ferret.workers.libav import INSTALL_HINT
from stoat_ferret.workers.protocol import HANG_ON_ENV, TEST_OPS_ENV

from .conftest import LiveServer, start_live_server
from .support.media import SAMPLES, copy_as
from .support.workers import process_gone, requires_pyav, without_pyav

#: Fields that differ between two scans of the same files, whatever read them.
PER_SCAN = {"id", "path", "created_at", "updated_at", "probed_at", "thumbnail_path"}


async def test_ffprobe_is_the_default_and_runs_per_file(
    make_settings: Callable[..., Settings],
) -> None:
    """Without STOAT_PROBER the service runs ffprobe and ffmpeg, with the settings' limits."""
    settings = make_settings(probe_timeout=7.0, thumbnail_timeout=9.0, probe_nice=3)
    assert settings.prober == "ffprobe"
    async with open_prober(settings) as prober:
        assert prober == ToolProber(
            ffprobe="ffprobe", ffmpeg="ffmpeg", probe_timeout=7.0, picture_timeout=9.0, nice=3
        )
        checks = await check_prober(prober, ToolChecks())
    assert sorted(checks) == ["ffmpeg", "ffprobe"]
    assert all(check.ok for check in checks.values())


@requires_pyav
async def test_libav_workers_start_in_the_background_sized_and_timed_by_the_settings(
    make_settings: Callable[..., Settings],
) -> None:
    """The pool holds STOAT_PROBE_CONCURRENCY workers, started without being asked, with the
    probe and thumbnail limits; readiness names PyAV's version."""
    settings = make_settings(prober="libav", probe_concurrency=2, probe_timeout=7.0)
    async with open_prober(settings) as prober:
        assert isinstance(prober, LibavProber)
        assert (prober.pool.size, prober.pool.timeout) == (2, 7.0)
        assert (prober.probe_timeout, prober.picture_timeout) == (7.0, 30.0)
        checks = await check_prober(prober, ToolChecks())
        assert prober.pool.live == 2
        assert prober.pool.stats.requests == 0
    assert list(checks) == ["libav"]
    assert checks["libav"].ok
    assert checks["libav"].version is not None
    assert checks["libav"].version.startswith("PyAV ")
    assert prober.pool.live == 0


@requires_pyav
async def test_readiness_says_when_pyav_is_missing(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """Workers that cannot import PyAV make the libav check fail with the install hint."""
    settings = make_settings(prober="libav", probe_concurrency=1)
    async with open_prober(settings, worker_env=without_pyav(tmp_path / "no-av")) as prober:
        checks = await check_prober(prober, ToolChecks())
    assert checks["libav"].ok is False
    assert checks["libav"].reason == INSTALL_HINT


def test_serve_refuses_libav_without_pyav(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """serve says in one line that PyAV is missing, with the command that installs it; exit 2."""
    monkeypatch.setenv("STOAT_PROBER", "libav")
    monkeypatch.setenv("STOAT_DATABASE_PATH", str(tmp_path / "library.db"))
    monkeypatch.setitem(sys.modules, "av", None)  # what find_spec sees where PyAV is missing
    assert run_serve(None, 0) == 2
    assert capsys.readouterr().err == f"stoat-ferret: {PYAV_MISSING}\n"
    assert "pip install 'stoat-ferret[libav]'" in PYAV_MISSING
    assert not (tmp_path / "library.db").exists()


async def scan(server: LiveServer, http: httpx.AsyncClient, root: Path) -> Any:
    response = await http.post("/api/v1/videos/scan", json={"path": str(root)})
    return await server.service.runner.wait(response.json()["job_id"])


def comparable(videos: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {v["filename"]: {k: x for k, x in v.items() if k not in PER_SCAN} for v in videos}


@requires_pyav
async def test_a_libav_service_scans_and_makes_pictures_like_the_ffprobe_one(
    make_settings: Callable[..., Settings], samples: dict[str, Path], media_root: Path
) -> None:
    """Scanned with either prober the library holds the same; with libav the workers make
    thumbnails and strips, and readiness checks them instead of ffprobe and ffmpeg."""
    for name, path in samples.items():
        copy_as(path, media_root / name)
    libraries = []
    for prober in ("ffprobe", "libav"):
        settings = make_settings(
            prober=prober, database_path=media_root.parent / prober / "library.db"
        )
        async for server in start_live_server(settings):
            async with server.client() as http:
                done = await scan(server, http, media_root)
                assert (done.status, done.result.new) == (JobStatus.COMPLETE, len(SAMPLES))
                made = await http.post("/api/v1/videos/thumbnails", json={})
                job = await server.service.runner.wait(made.json()["job_id"])
                assert job.result == ThumbnailResult(
                    total=len(SAMPLES), made=len(SAMPLES), strips=len(SAMPLES)
                )
                libraries.append(comparable((await http.get("/api/v1/videos")).json()["videos"]))
                ready = (await http.get("/health/ready")).json()
            if prober == "libav":
                assert sorted(ready["checks"]) == ["database", "libav"]
                assert isinstance(server.service.prober, LibavProber)
                assert server.service.prober.pool.stats.requests == 3 * len(SAMPLES)
    assert libraries[0] == libraries[1]


@requires_pyav
async def test_a_libav_scan_cancelled_mid_probe_leaves_no_worker(
    make_settings: Callable[..., Settings],
    samples: dict[str, Path],
    media_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker stuck on a file is killed and reaped when the scan is cancelled; what was
    probed before stays; the answer says cancelled."""
    monkeypatch.setenv(TEST_OPS_ENV, "1")
    monkeypatch.setenv(HANG_ON_ENV, "stuck")
    for i in range(3):
        copy_as(samples["h264_aac.mp4"], media_root / f"a{i}.mp4")
    copy_as(samples["h264_aac.mp4"], media_root / "z-stuck.mp4")
    settings = make_settings(prober="libav", probe_concurrency=1)
    async for server in start_live_server(settings):
        assert isinstance(server.service.prober, LibavProber)
        pool = server.service.prober.pool
        async with server.client() as http:
            response = await http.post("/api/v1/videos/scan", json={"path": str(media_root)})
            job_id = response.json()["job_id"]
            with trio.fail_after(20):
                while pool.stats.requests < 4:  # noqa: ASYNC110 - the pool has no event for it
                    await trio.sleep(0.01)
            [stuck] = [w.pid for w in pool._workers if not w.ended]
            cancelled = (await http.post(f"/api/v1/jobs/{job_id}/cancel")).json()
            assert process_gone(stuck)
            assert (cancelled["status"], cancelled["result"]["new"]) == ("cancelled", 3)
            assert pool.live == 0


@requires_pyav
async def test_libav_limits_follow_the_probe_and_thumbnail_timeouts(
    make_settings: Callable[..., Settings],
    samples: dict[str, Path],
    media_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker stuck past STOAT_PROBE_TIMEOUT fails that file; past STOAT_THUMBNAIL_TIMEOUT,
    that picture."""
    monkeypatch.setenv(TEST_OPS_ENV, "1")
    copy_as(samples["h264_aac.mp4"], media_root / "clip.mp4")
    monkeypatch.setenv(HANG_ON_ENV, "clip")
    settings = make_settings(prober="libav", probe_timeout=0.5, thumbnail_timeout=0.5)
    async for server in start_live_server(settings):
        async with server.client() as http:
            done = await scan(server, http, media_root)
    assert [(e.path, e.error) for e in done.result.errors.items] == [
        (str(media_root / "clip.mp4"), "the media worker took longer than 0.5s")
    ]

    # Probed by a worker that does not hang, then pictures by ones that do.
    monkeypatch.delenv(HANG_ON_ENV)
    async for server in start_live_server(make_settings(prober="libav")):
        async with server.client() as http:
            await scan(server, http, media_root)
    monkeypatch.setenv(HANG_ON_ENV, "clip")
    async for server in start_live_server(settings):
        async with server.client() as http:
            made = await http.post("/api/v1/videos/thumbnails", json={})
            job = await server.service.runner.wait(made.json()["job_id"])
    assert isinstance(job.result, ThumbnailResult)
    assert [e.error for e in job.result.errors.items] == [
        "the media worker took longer than 0.5s",
        "scrub strip: the media worker took longer than 0.5s",
    ]


@pytest.mark.parametrize("refreshed", [True, False])
async def test_readiness_never_waits_for_a_program_while_its_checks_are_kept_fresh(
    autojump_clock: trio.testing.MockClock, monkeypatch: pytest.MonkeyPatch, refreshed: bool
) -> None:
    """With keep_fresh running, a check long after the first answers from memory at once;
    without it (the control), a stale answer is checked again inline, and waits."""
    runs: list[str] = []

    async def slow_check(program: str) -> Check:
        runs.append(program)
        await trio.sleep(1.0)  # a program starting on a loaded machine
        return Check(ok=True, version="7.1")

    monkeypatch.setattr(health, "check_tool", slow_check)
    checks = ToolChecks(ttl=10.0)
    assert (await checks.check("ffprobe")).ok
    async with trio.open_nursery() as nursery:
        if refreshed:
            nursery.start_soon(checks.keep_fresh)
        await trio.sleep(35.0)
        asked = trio.current_time()
        assert (await checks.check("ffprobe")).version == "7.1"
        waited = trio.current_time() - asked
        nursery.cancel_scope.cancel()
    if refreshed:
        assert waited == 0
        assert len(runs) >= 5  # the first check, then one every ttl / 2
    else:
        assert waited == 1.0
        assert runs == ["ffprobe", "ffprobe"]
