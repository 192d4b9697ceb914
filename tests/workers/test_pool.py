"""The worker pool's guarantees: timeouts, crashes, cancellation, recycling, memory, start-up."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing

from stoat_ferret.probe.errors import EmptyFile, NotAVideo, ProbeFailed, ProberMissing, ProbeTimeout
from stoat_ferret.thumbs.ffmpeg import ThumbnailFailed
from stoat_ferret.workers.errors import WorkerCrashed, WorkerRefused, WorkerTimeout
from stoat_ferret.workers.libav import INSTALL_HINT
from stoat_ferret.workers.pool import WorkerPool, open_worker_pool
from stoat_ferret.workers.protocol import ErrorKind, Op

from ..support.media import SAMPLES, make_broken_files
from ..support.prober import children_of, process_exists
from ..support.waiting import poll_until
from ..support.workers import (
    TEST_OPS,
    address_space_limit,
    process_gone,
    requires_pyav,
    without_pyav,
)

pytestmark = requires_pyav

MiB = 1024 * 1024


@asynccontextmanager
async def pool_of(**options: Any) -> AsyncIterator[WorkerPool]:
    """A pool for one test: two workers, test operations on, generous timeouts."""
    settings: dict[str, Any] = {"size": 2, "timeout": 20.0, "env": TEST_OPS, **options}
    async with open_worker_pool(**settings) as pool:
        yield pool


async def size_of(path: Path) -> int:
    return (await trio.Path(path).stat()).st_size


def my_children() -> set[int]:
    return set(children_of(os.getpid()))


def ignores_sigterm(pid: int) -> bool:
    """Whether ``pid`` has set SIGTERM to be ignored: the hang operation has begun."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("SigIgn:"):
                return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory, samples: dict[str, Path]) -> Path:
    directory = tmp_path_factory.mktemp("broken")
    make_broken_files(directory, samples["h264_aac.mp4"])
    return directory


@pytest.fixture(scope="module")
def huge_picture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One 8192x8192 frame: decoding it needs about 200 MB for the picture alone."""
    target = tmp_path_factory.mktemp("huge") / "huge.mov"
    subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi"),
            *("-i", "color=c=gray:size=8192x8192:duration=0.04:rate=25"),
            *("-frames:v", "1", "-c:v", "mjpeg", "-pix_fmt", "yuvj444p", str(target)),
        ],
        check=True,
        capture_output=True,
    )
    return target


async def test_probe_file_reads_a_sample_like_ffprobe(samples: dict[str, Path]) -> None:
    """A probe through the pool gives the sample's codecs, size, exact rate and duration."""
    expected, _ = SAMPLES["h264_aac.mp4"]
    path = samples["h264_aac.mp4"]
    async with pool_of() as pool:
        result = await pool.probe_file(str(path), file_size=await size_of(path))
    assert (result.video_codec, result.audio_codec) == ("h264", "aac")
    assert (result.width, result.height) == (64, 48)
    assert result.frame_rate == Fraction(30000, 1001)
    assert result.duration_seconds == pytest.approx(expected.seconds, abs=0.06)
    assert result.file_size == await size_of(path)


async def test_workers_start_lazily_one_per_concurrent_request(samples: dict[str, Path]) -> None:
    """No worker runs before a request; six requests at once on a pool of two start exactly two."""
    path = str(samples["h264_aac.mp4"])
    before = my_children()
    results: list[str] = []
    async with pool_of(size=2) as pool:
        await trio.testing.wait_all_tasks_blocked()
        assert my_children() == before
        async with trio.open_nursery() as nursery:
            for _ in range(6):
                nursery.start_soon(_probe_into, results, pool, path)
        assert pool.stats.started == 2
        assert pool.stats.requests == 6
        assert len(pool.idle_pids) == 2
        assert set(pool.idle_pids) <= my_children()
    assert len(results) == 6
    assert len(set(results)) == 1
    assert my_children() == before


async def _probe_into(results: list[str], pool: WorkerPool, path: str) -> None:
    results.append(await pool.probe(path))


async def test_prestart_starts_every_worker_before_the_block() -> None:
    """With prestart, all ``size`` workers are running and idle when the block begins."""
    async with pool_of(size=2, prestart=True) as pool:
        pids = pool.idle_pids
        assert len(pids) == 2
        assert set(pids) <= my_children()
        assert pool.stats.started == 2
    assert not any(process_exists(pid) for pid in pids)


async def test_prestart_while_busy_starts_only_the_missing_workers() -> None:
    """With one worker busy on a request, prestart on a pool of two starts just one more."""
    async with pool_of(size=2) as pool, trio.open_nursery() as nursery:
        nursery.start_soon(_expect_cancelled, pool)
        with trio.fail_after(20):
            await poll_until(lambda: pool.live == 1)
        await pool.prestart()
        assert (pool.live, pool.stats.started, len(pool.idle_pids)) == (2, 2, 1)
        await pool.prestart()
        assert pool.stats.started == 2
        nursery.cancel_scope.cancel()


async def test_timeout_kills_the_whole_group_names_the_file_and_replaces_the_worker(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    """A request over time kills the worker and its grandchild; the next gets a new worker."""
    pid_file = tmp_path / "grandchild.pid"
    async with pool_of(size=1, timeout=1.0, prestart=True) as pool:
        [worker] = pool.idle_pids
        with pytest.raises(WorkerTimeout) as excinfo:
            await pool.call(Op.SPAWN, {"pid_file": str(pid_file)}, subject="/media/stuck.mp4")
        grandchild = int(await trio.Path(pid_file).read_text())
        assert excinfo.value.subject == "/media/stuck.mp4"
        assert excinfo.value.reason == "the media worker took longer than 1s"
        assert not process_exists(worker)
        assert process_gone(grandchild)
        result = await pool.probe_file(str(samples["h264_aac.mp4"]), file_size=1)
        assert result.video_codec == "h264"
        [replacement] = pool.idle_pids
        assert replacement != worker
        assert (pool.stats.killed, pool.stats.started) == (1, 2)


async def test_probe_of_a_file_that_never_opens_raises_probe_timeout(tmp_path: Path) -> None:
    """Probing a FIFO nobody writes to (open() never returns) raises ProbeTimeout naming it."""
    fifo = tmp_path / "never.mp4"
    await trio.to_thread.run_sync(os.mkfifo, fifo)
    async with pool_of(size=1, timeout=0.5) as pool:
        with pytest.raises(ProbeTimeout) as excinfo:
            await pool.probe(str(fifo))
        assert excinfo.value.path == str(fifo)
        assert excinfo.value.reason == "the media worker took longer than 0.5s"
        assert isinstance(excinfo.value.__cause__, WorkerTimeout)
        assert pool.idle_pids == []


@pytest.mark.parametrize(("how", "signal_name"), [("abort", "SIGABRT"), ("segfault", "SIGSEGV")])
async def test_a_crash_fails_only_that_request_and_the_worker_is_replaced(
    how: str, signal_name: str, samples: dict[str, Path]
) -> None:
    """A worker dying mid-request fails that request with how it died; the next request works."""
    async with pool_of(size=1, prestart=True) as pool:
        [worker] = pool.idle_pids
        with pytest.raises(WorkerCrashed) as excinfo:
            await pool.call(Op.CRASH, {"how": how}, subject="/media/hostile.mp4")
        assert excinfo.value.subject == "/media/hostile.mp4"
        assert excinfo.value.reason == f"the media worker was killed by {signal_name}"
        assert not process_exists(worker)
        result = await pool.probe_file(str(samples["vp9_opus.webm"]), file_size=1)
        assert result.video_codec == "vp9"
        assert (pool.stats.crashed, pool.stats.started) == (1, 2)


async def test_a_file_that_crashes_its_worker_is_reported_as_probe_failed(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    """pool.probe on a file its worker dies reading raises ProbeFailed naming that file only."""
    hostile = tmp_path / "hostile-crasher.mp4"
    await trio.to_thread.run_sync(shutil.copyfile, samples["h264_aac.mp4"], hostile)
    env = {**TEST_OPS, "STOAT_WORKER_CRASH_ON": "crasher"}
    async with pool_of(size=1, env=env) as pool:
        with pytest.raises(ProbeFailed) as excinfo:
            await pool.probe(str(hostile))
        assert excinfo.value.path == str(hostile)
        assert excinfo.value.reason == "the media worker was killed by SIGABRT"
        assert isinstance(excinfo.value.__cause__, WorkerCrashed)
        assert json_streams(await pool.probe(str(samples["h264_aac.mp4"]))) == 2


def json_streams(text: str) -> int:
    return int(json.loads(text)["format"]["nb_streams"])


async def test_cancelling_a_caller_kills_and_reaps_its_worker_at_once() -> None:
    """A cancelled request's worker is gone when the cancelled call returns; the pool goes on."""
    async with pool_of(size=1, prestart=True) as pool:
        [worker] = pool.idle_pids
        scope = trio.CancelScope()

        async def hang() -> None:
            with scope:
                await pool.call(Op.HANG, {}, subject="/media/slow.mp4")

        async with trio.open_nursery() as nursery:
            nursery.start_soon(hang)
            with trio.fail_after(20):
                # The worker is another process: its signal mask shows the request began.
                await poll_until(lambda: ignores_sigterm(worker))
            started = trio.current_time()
            scope.cancel()
        # The worker ignores SIGTERM: only an immediate SIGKILL ends it this fast.
        assert trio.current_time() - started < 3.0
        assert scope.cancelled_caught
        assert not process_exists(worker)
        assert pool.stats.killed == 1
        assert pool.idle_pids == []
        reply = await pool.call(Op.NOISE, {"text": "again"}, subject="/media/next.mp4")
        assert reply == {"written": 5}


async def test_workers_are_recycled_after_their_quota(samples: dict[str, Path]) -> None:
    """With a quota of 3, seven requests use three workers in turn; the retired ones are gone."""
    path = str(samples["h264_aac.mp4"])
    seen: list[list[int]] = []
    async with pool_of(size=1, max_requests_per_worker=3) as pool:
        for _ in range(7):
            await pool.probe(path)
            seen.append(pool.idle_pids)
        assert (pool.stats.started, pool.stats.retired) == (3, 2)
    first, second, third = seen[0][0], seen[3][0], seen[6][0]
    assert seen == [[first], [first], [], [second], [second], [], [third]]
    assert len({first, second, third}) == 3
    assert not process_exists(first)
    assert not process_exists(second)


async def test_each_worker_runs_under_the_memory_limit(samples: dict[str, Path]) -> None:
    """A request needing more than the limit fails cleanly; that worker is retired and replaced."""
    limit = 512 * MiB
    async with pool_of(size=1, memory_limit_bytes=limit, prestart=True) as pool:
        [worker] = pool.idle_pids
        assert address_space_limit(worker) == limit
        with pytest.raises(WorkerRefused) as excinfo:
            await pool.call(Op.ALLOCATE, {"bytes": 1024 * MiB}, subject="/media/greedy.mp4")
        assert excinfo.value.kind == ErrorKind.MEMORY
        assert excinfo.value.reason == "ran out of memory (over the media worker's limit of 0.5 GB)"
        assert not process_exists(worker)
        assert pool.stats.retired == 1
        result = await pool.probe_file(str(samples["h264_aac.mp4"]), file_size=1)
        assert result.width == 64


async def test_a_picture_too_big_for_the_limit_fails_cleanly(
    huge_picture: Path, samples: dict[str, Path], tmp_path: Path
) -> None:
    """Decoding an 8192x8192 frame under a 256 MiB limit fails that thumbnail, not the pool."""
    target = tmp_path / "huge.jpg.part"
    async with pool_of(size=1, memory_limit_bytes=256 * MiB) as pool:
        with pytest.raises(ThumbnailFailed) as excinfo:
            await pool.thumbnail(str(huge_picture), str(target), at_seconds=0.0)
        assert excinfo.value.path == str(huge_picture)
        assert excinfo.value.reason == (
            "Cannot allocate memory (over the media worker's limit of 0.3 GB)"
        )
        assert not await trio.Path(target).exists()
        made = await pool.thumbnail(str(samples["h264_aac.mp4"]), str(target), at_seconds=0.0)
        assert (made.width, made.height) == (320, 240)


async def test_without_pyav_probing_raises_prober_missing_once(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    """Where PyAV is missing, probes raise ProberMissing naming the extra; one start is tried."""
    path = str(samples["h264_aac.mp4"])
    async with pool_of(size=1, env=without_pyav(tmp_path)) as pool:
        for _ in range(2):
            with pytest.raises(ProberMissing) as excinfo:
                await pool.probe(path)
            assert excinfo.value.path == path
            assert excinfo.value.reason == INSTALL_HINT
        assert (pool.stats.started, pool.stats.start_failures) == (0, 1)


async def test_a_python_that_does_not_exist_raises_prober_missing(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    """A worker program that cannot be run at all raises ProberMissing saying so."""
    python = str(tmp_path / "no-such-python")
    async with pool_of(python=python) as pool:
        with pytest.raises(ProberMissing) as excinfo:
            await pool.probe(str(samples["h264_aac.mp4"]))
    assert excinfo.value.reason == (
        f"cannot start the media worker with {python!r}: No such file or directory"
    )


async def test_a_worker_that_died_while_idle_is_replaced_without_blaming_the_file(
    samples: dict[str, Path],
) -> None:
    """A worker killed from outside while idle is replaced; the next request still succeeds."""
    async with pool_of(size=1, prestart=True) as pool:
        [worker] = pool.idle_pids
        os.kill(worker, signal.SIGKILL)
        with trio.fail_after(20):
            await poll_until(lambda: not process_exists(worker))
        result = await pool.probe_file(str(samples["h264_aac.mp4"]), file_size=1)
        assert result.video_codec == "h264"
        assert (pool.stats.crashed, pool.stats.started) == (0, 2)


async def test_closing_the_pool_kills_and_reaps_every_worker(samples: dict[str, Path]) -> None:
    """Leaving the block ends idle workers and one still busy with a request."""
    before = my_children()
    async with trio.open_nursery() as nursery, pool_of(size=2, prestart=True) as pool:
        pids = pool.idle_pids
        nursery.start_soon(_expect_cancelled, pool)
        with trio.fail_after(20):
            await poll_until(lambda: len(pool.idle_pids) == 1 and ignores_sigterm(pids[-1]))
        nursery.cancel_scope.cancel()
    assert not any(process_exists(pid) for pid in pids)
    assert my_children() == before


async def _expect_cancelled(pool: WorkerPool) -> None:
    await pool.call(Op.HANG, {}, subject="/media/busy.mp4")


async def test_errors_map_onto_the_probe_family(broken: Path, tmp_path: Path) -> None:
    """Unreadable, missing, soundless-only and empty files raise what ffprobe's path raises."""
    async with pool_of(size=1) as pool:
        with pytest.raises(ProbeFailed) as unreadable:
            await pool.probe_file(str(broken / "notes.mkv"), file_size=1)
        with pytest.raises(ProbeFailed) as missing:
            await pool.probe_file(str(tmp_path / "gone.mp4"), file_size=1)
        with pytest.raises(NotAVideo, match="no video stream"):
            await pool.probe_file(str(broken / "audio_only.mp4"), file_size=1)
        started = pool.stats.requests
        with pytest.raises(EmptyFile, match="the file is empty"):
            await pool.probe_file(str(broken / "empty.mp4"), file_size=0)
        assert pool.stats.requests == started
    assert unreadable.value.reason == "Invalid data found when processing input"
    assert missing.value.reason == "No such file or directory"


async def test_a_large_answer_arrives_whole(tmp_path: Path, samples: dict[str, Path]) -> None:
    """An answer of several hundred kB (a huge tag) is read across many pipe reads, intact."""
    comment = "x" * 400_000
    metadata = tmp_path / "meta.txt"
    await trio.Path(metadata).write_text(f";FFMETADATA1\ncomment={comment}\n")
    target = tmp_path / "tagged.mkv"
    await trio.run_process(
        [
            *("ffmpeg", "-nostdin", "-loglevel", "error", "-y"),
            *("-i", str(samples["h264_vorbis.mkv"]), "-i", str(metadata)),
            *("-map_metadata", "1", "-c", "copy", str(target)),
        ],
        capture_stdout=True,
        capture_stderr=True,
    )
    async with pool_of(size=1) as pool:
        text = await pool.probe(str(target))
    assert len(text) > 400_000
    assert json.loads(text)["format"]["tags"]["COMMENT"] == comment
