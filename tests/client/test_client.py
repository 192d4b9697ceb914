"""The trio client against the real server: health, videos, jobs, errors, and scan_job's lifetime.

The server runs one job at a time here, with an ffprobe that hangs on files whose name
holds "hang" and is the real one otherwise, so a test decides which scans finish.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from stoat_ferret.client import (
    DEFAULT_PAGE_SIZE,
    AccessDenied,
    AlreadyTerminal,
    ApiError,
    Client,
    Conflict,
    ConnectionFailed,
    ErrorCode,
    Forbidden,
    InvalidPath,
    InvalidRequest,
    Job,
    JobHandle,
    JobKind,
    JobPage,
    JobStatus,
    LibraryUnavailable,
    NotFound,
    PathNotAllowed,
    PathRefused,
    ProtocolError,
    ScanInProgress,
    ScanResult,
    SearchResult,
    ServerUnavailable,
    StoatFerretError,
    TooManyJobs,
    Unauthorized,
    Video,
    VideoPage,
    WatchOverlap,
    open_client,
)
from stoat_ferret.client.errors import BY_CODE, error_from_response
from stoat_ferret.scan.fingerprint import fingerprint_file
from stoat_ferret.settings import Settings

from ..conftest import LiveServer, start_live_server
from ..support.media import copy_as
from ..support.prober import FakeProber, make_prober, process_exists
from ..support.waiting import wait_for_spawns
from .expected import expected_scan


class Boom(Exception):
    """Raised by a test to leave a block by an error of its own."""


@pytest.fixture
def prober(tmp_path: Path) -> FakeProber:
    """ffprobe that hangs on files named *hang* and is the real one for the rest."""
    return make_prober(tmp_path / "bin", "hang-on=hang")


@pytest.fixture
def settings(make_settings: Callable[..., Settings], prober: FakeProber) -> Settings:
    """One job runs at a time, so a second scan stays pending behind a hanging one."""
    return make_settings(ffprobe_path=str(prober.path), max_running_jobs=1)


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[Client]:
    async with open_client(live_server.url) as client:
        yield client


@pytest.fixture
async def client_without_ffprobe(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> AsyncIterator[Client]:
    """A client of a server of its own whose ffprobe cannot be found."""
    missing = tmp_path / "no-such-ffprobe"
    async for server in start_live_server(make_settings(ffprobe_path=str(missing))):
        async with open_client(server.url) as client:
            yield client


@pytest.fixture
def unreachable_url() -> str:
    """The URL of a loopback port that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
async def unreachable_client(unreachable_url: str) -> AsyncIterator[Client]:
    async with open_client(unreachable_url + "/") as client:
        yield client


@pytest.fixture
async def client_holding_job_lookups(
    live_server: LiveServer,
) -> AsyncIterator[tuple[Client, trio.Event]]:
    """A client whose requests for one job never get an answer, and an event set when one is held.

    ``scan()`` fetches the job it just submitted: holding that request leaves the caller
    suspended after the server accepted the scan.
    """
    held = trio.Event()

    async def hold_job_lookup(request: httpx.Request) -> None:
        if request.method == "GET" and request.url.path.startswith("/api/v1/jobs/"):
            held.set()
            await trio.sleep_forever()
        await trio.lowlevel.checkpoint()

    async with httpx.AsyncClient(
        base_url=live_server.url, event_hooks={"request": [hold_job_lookup]}
    ) as http:
        yield Client(http, live_server.url), held


@pytest.fixture
def real_root(media_root: Path) -> Path:
    """The media root as the server reports paths: fully resolved."""
    return Path(os.path.realpath(media_root))


def make_dir(root: Path, name: str, sample: Path, files: list[str]) -> Path:
    directory = root / name
    directory.mkdir(parents=True)
    for file_name in files:
        copy_as(sample, directory / file_name)
    return directory


@pytest.fixture
def stuck_dir(media_root: Path, samples: dict[str, Path]) -> Path:
    """Two videos whose probes both hang."""
    return make_dir(media_root, "stuck", samples["h264_aac.mp4"], ["hang_a.mp4", "hang_b.mp4"])


@pytest.fixture
def half_stuck_dir(media_root: Path, samples: dict[str, Path]) -> Path:
    """One video that probes, one whose probe hangs (two probes run at once)."""
    return make_dir(media_root, "half", samples["h264_aac.mp4"], ["clip.mp4", "hang.mp4"])


@pytest.fixture
def quick_dir(media_root: Path, samples: dict[str, Path]) -> Path:
    """Two videos that probe at once."""
    return make_dir(media_root, "quick", samples["h264_aac.mp4"], ["one.mp4", "two.mp4"])


async def wait_for_processed(client: Client, job_id: str, count: int) -> None:
    """Wait until the server reports ``count`` files of the job processed."""
    with trio.fail_after(20):
        async with client.events(job_id=job_id) as stream:
            if (await client.get_job(job_id)).processed >= count:
                return
            async for event in stream:
                if event.payload.get("processed", 0) >= count:
                    return


async def scan_to_completion(client: Client, path: Path) -> Job:
    job = await client.scan(str(path))
    with trio.fail_after(30):
        final = await client.wait(job.job_id)
    assert final.status is JobStatus.COMPLETE, final
    return final


def living(pids: list[int]) -> list[int]:
    return [pid for pid in pids if process_exists(pid)]


# -- health ---------------------------------------------------------------------------------


async def test_live_and_ready(client: Client) -> None:
    """live() is True and ready() reports every check ok on a working server."""
    assert await client.live() is True
    readiness = await client.ready()
    assert readiness.ok is True
    assert {name: check.status for name, check in readiness.checks.items()} == {
        "database": "ok",
        "ffprobe": "ok",
        "ffmpeg": "ok",
    }
    assert all(check.ok and check.reason is None for check in readiness.checks.values())


async def test_ready_is_degraded_without_ffprobe(
    client_without_ffprobe: Client, tmp_path: Path
) -> None:
    """ready() answers (not raises) degraded, naming the missing ffprobe, on a 503."""
    readiness = await client_without_ffprobe.ready()

    assert await client_without_ffprobe.live() is True
    missing = tmp_path / "no-such-ffprobe"
    assert readiness.ok is False
    assert {name: check.ok for name, check in readiness.checks.items()} == {
        "database": True,
        "ffprobe": False,
        "ffmpeg": True,
    }
    ffprobe = readiness.checks["ffprobe"]
    assert ffprobe.status != "ok"
    assert ffprobe.reason is not None
    assert str(missing) in ffprobe.reason


# -- videos ---------------------------------------------------------------------------------


@pytest.fixture
def clip(media_root: Path, samples: dict[str, Path]) -> Path:
    return copy_as(samples["h264_aac.mp4"], media_root / "clip.mp4")


@pytest.fixture
def clip_size(clip: Path) -> int:
    return clip.stat().st_size


async def test_videos_are_typed_with_the_probed_values(
    live_server: LiveServer,
    client: Client,
    media_root: Path,
    real_root: Path,
    clip: Path,
    clip_size: int,
) -> None:
    """list_videos and get_video give Video values of what ffprobe found; to_json is the API's."""
    before = datetime.now(UTC)
    await scan_to_completion(client, media_root)

    page = await client.list_videos()
    assert isinstance(page, VideoPage)
    assert (page.total, page.limit, page.offset, len(page.videos)) == (1, DEFAULT_PAGE_SIZE, 0, 1)
    (listed,) = page.videos
    assert isinstance(listed, Video)
    assert listed.created_at.tzinfo is UTC
    # The server keeps milliseconds: its clock reading may be up to 1 ms behind ours.
    assert before - timedelta(milliseconds=1) <= listed.created_at <= datetime.now(UTC)
    assert listed.frame_rate == Fraction(30000, 1001)
    assert listed == Video(
        id=listed.id,
        path=str(real_root / "clip.mp4"),
        filename="clip.mp4",
        duration_frames=30,
        duration_seconds=1.001,
        frame_rate_numerator=30000,
        frame_rate_denominator=1001,
        width=64,
        height=48,
        video_codec="h264",
        audio_codec="aac",
        container="mov,mp4,m4a,3gp,3g2,mj2",
        file_size=clip_size,
        thumbnail_path=None,
        missing=False,
        missing_since=None,
        created_at=listed.created_at,
        updated_at=listed.created_at,
        probed_at=listed.created_at,
        directory=str(real_root),
        modified_at=listed.modified_at,
        fingerprint=str(await trio.to_thread.run_sync(fingerprint_file, str(clip))),
        display_width=64,
        display_height=48,
        rotation=0,
        pixel_format="yuv420p",
        bit_depth=8,
        field_order="progressive",
        interlaced=False,
        variable_frame_rate=False,
        bit_rate=listed.bit_rate,
        audio_channels=1,
        audio_layout="mono",
        audio_sample_rate=44100,
    )
    one = await client.get_video(listed.id)
    assert one == listed
    assert one.technical is not None
    assert [stream["kind"] for stream in one.technical["streams"]] == ["video", "audio"]
    async with live_server.client() as http:
        assert one.to_json() == (await http.get(f"/api/v1/videos/{listed.id}")).json()


@pytest.fixture
def search_files(media_root: Path, samples: dict[str, Path]) -> None:
    for relative in ("trips/beach_day.mp4", "trips/city_walk.mp4", "work/beach_offsite.mp4"):
        (media_root / relative).parent.mkdir(exist_ok=True)
        copy_as(samples["h264_aac.mp4"], media_root / relative)


@pytest.mark.usefixtures("search_files")
async def test_search_videos(client: Client, media_root: Path) -> None:
    """search_videos matches every word as a prefix and reports the total beyond the limit."""
    await scan_to_completion(client, media_root)

    found = await client.search_videos("beach")
    assert isinstance(found, SearchResult)
    assert (found.query, found.total) == ("beach", 2)
    assert sorted(v.filename for v in found.videos) == ["beach_day.mp4", "beach_offsite.mp4"]

    narrowed = await client.search_videos("trips bea")
    assert (narrowed.total, [v.filename for v in narrowed.videos]) == (1, ["beach_day.mp4"])

    limited = await client.search_videos("beach", limit=1)
    assert (limited.total, len(limited.videos)) == (2, 1)
    rest = await client.search_videos("beach", limit=1, offset=1)
    assert (rest.total, rest.offset, len(rest.videos)) == (2, 1, 1)
    assert {limited.videos[0].id, rest.videos[0].id} == {v.id for v in found.videos}
    beyond = await client.search_videos("beach", offset=2)
    assert (beyond.total, beyond.videos) == (2, ())

    assert await client.search_videos("zebra") == SearchResult(videos=(), total=0, query="zebra")


@pytest.fixture
def keep_and_drop(media_root: Path, samples: dict[str, Path]) -> None:
    for name in ("keep.mp4", "drop.mp4"):
        copy_as(samples["h264_aac.mp4"], media_root / name)


@pytest.mark.usefixtures("keep_and_drop")
async def test_delete_video(client: Client, media_root: Path) -> None:
    """delete_video drops the video from the library, not the file; deleting again is NotFound."""
    await scan_to_completion(client, media_root)
    doomed = next(v for v in (await client.list_videos()).videos if v.filename == "drop.mp4")

    await client.delete_video(doomed.id)

    remaining = await client.list_videos()
    assert (remaining.total, [v.filename for v in remaining.videos]) == (1, ["keep.mp4"])
    with pytest.raises(NotFound):
        await client.get_video(doomed.id)
    with pytest.raises(NotFound):
        await client.delete_video(doomed.id)
    assert (media_root / "drop.mp4").is_file()


async def test_purge_missing_removes_missing_entries_and_says_which(
    client: Client, media_root: Path, distinct_clips: list[Path]
) -> None:
    """purge_missing removes what is missing (in a folder, or everywhere) and names each id."""
    (media_root / "old").mkdir()
    for n, name in enumerate(["old/a.mp4", "b.mp4", "kept.mp4"]):
        copy_as(distinct_clips[n], media_root / name)
    await scan_to_completion(client, media_root)
    ids = {v.filename: v.id for v in (await client.list_videos()).videos}
    (media_root / "old" / "a.mp4").unlink()
    (media_root / "b.mp4").unlink()
    await scan_to_completion(client, media_root)

    in_old = await client.purge_missing(str(media_root / "old"))
    assert (in_old.removed, in_old.video_ids) == (1, (ids["a.mp4"],))
    assert in_old.to_json() == {"removed": 1, "video_ids": [ids["a.mp4"]]}
    rest = await client.purge_missing()
    assert (rest.removed, rest.video_ids) == (1, (ids["b.mp4"],))
    assert [v.filename for v in (await client.list_videos()).videos] == ["kept.mp4"]
    with pytest.raises(InvalidRequest, match="absolute"):
        await client.purge_missing("old")


@pytest.fixture
def five_videos(media_root: Path, samples: dict[str, Path]) -> list[str]:
    names = [f"v{i}.mp4" for i in range(5)]
    for name in names:
        copy_as(samples["silent.m4v"], media_root / name)
    return names


async def test_iter_videos_yields_every_video_once_across_pages(
    client: Client, media_root: Path, five_videos: list[str]
) -> None:
    """iter_videos pages through the whole library in the server's order, each video once."""
    async for video in client.iter_videos(page_size=2):
        pytest.fail(f"an empty library yielded {video}")
    await scan_to_completion(client, media_root)
    everything = (await client.list_videos(limit=100)).videos
    assert sorted(v.filename for v in everything) == sorted(five_videos)

    for page_size in (1, 2, 5, 7):
        seen = [video async for video in client.iter_videos(page_size=page_size)]
        assert seen == list(everything), page_size


# -- jobs -----------------------------------------------------------------------------------


async def test_scan_returns_the_job_and_wait_returns_it_finished(
    client: Client, stuck_dir: Path, quick_dir: Path, prober: FakeProber, real_root: Path
) -> None:
    """scan() returns the stored Job (pending behind a running one); wait() returns it complete."""
    blocker = await client.scan(str(stuck_dir))
    await wait_for_spawns(prober, 2)

    job = await client.scan(str(quick_dir), recursive=False, force=True)

    assert isinstance(job, Job)
    assert job == Job(
        job_id=job.job_id,
        kind=JobKind.SCAN,
        status=JobStatus.PENDING,
        params={"path": str(real_root / "quick"), "recursive": False, "force": True},
        progress=None,
        processed=0,
        total=None,
        current_file=None,
        result=None,
        error=None,
        created_at=job.created_at,
        started_at=None,
        finished_at=None,
    )
    assert job.status is JobStatus.PENDING
    assert not job.terminal

    await client.cancel_job(blocker.job_id)
    with trio.fail_after(30):
        final = await client.wait(job.job_id)

    assert final.terminal
    assert (final.status, final.progress, final.processed, final.total, final.error) == (
        JobStatus.COMPLETE,
        1.0,
        2,
        2,
        None,
    )
    assert final.result == expected_scan(2, new=2)
    assert isinstance(final.result, ScanResult)
    assert (final.result.scanned, final.result.new, final.result.error_count) == (2, 2, 0)
    assert final.started_at is not None
    assert final.finished_at is not None
    assert job.created_at <= final.started_at <= final.finished_at
    assert final == await client.get_job(job.job_id)
    # A job that is already over is returned at once.
    with trio.fail_after(5):
        assert await client.wait(job.job_id) == final


async def test_wait_for_an_unknown_job_raises_not_found(client: Client) -> None:
    """wait() on a job id the server never issued raises NotFound itself, not a group."""
    with pytest.raises(NotFound) as raised:
        await client.wait("no-such-job")
    assert raised.value.message == "no job with id 'no-such-job'"


@pytest.fixture
def two_small_dirs(media_root: Path, samples: dict[str, Path]) -> tuple[Path, Path]:
    return (
        make_dir(media_root, "first", samples["h264_aac.mp4"], ["a.mp4"]),
        make_dir(media_root, "second", samples["h264_aac.mp4"], ["b.mp4"]),
    )


async def test_list_jobs_filters(
    client: Client, two_small_dirs: tuple[Path, Path], stuck_dir: Path, prober: FakeProber
) -> None:
    """list_jobs is newest first and filters by status (enum or text), kind, limit and offset."""
    first_dir, second_dir = two_small_dirs
    first = (await scan_to_completion(client, first_dir)).job_id
    second = (await scan_to_completion(client, second_dir)).job_id
    third = (await client.scan(str(stuck_dir))).job_id
    await wait_for_spawns(prober, 4)

    def ids(page: JobPage) -> tuple[list[str], int]:
        return [job.job_id for job in page.jobs], page.total

    everything = await client.list_jobs()
    assert isinstance(everything, JobPage)
    assert (everything.limit, everything.offset) == (DEFAULT_PAGE_SIZE, 0)
    assert ids(everything) == ([third, second, first], 3)
    assert [j.status for j in everything.jobs] == [
        JobStatus.RUNNING,
        JobStatus.COMPLETE,
        JobStatus.COMPLETE,
    ]
    assert ids(await client.list_jobs(status=JobStatus.RUNNING)) == ([third], 1)
    assert ids(await client.list_jobs(status="complete")) == ([second, first], 2)
    assert ids(await client.list_jobs(kind="scan")) == ([third, second, first], 3)
    assert ids(await client.list_jobs(kind="thumbnails")) == ([], 0)
    page = await client.list_jobs(limit=1, offset=1)
    assert (ids(page), page.limit, page.offset) == (([second], 3), 1, 1)

    await client.cancel_job(third)
    assert ids(await client.list_jobs(status=JobStatus.CANCELLED)) == ([third], 1)
    assert ids(await client.list_jobs(status=JobStatus.RUNNING)) == ([], 0)


async def test_cancel_job_stops_a_running_scan_and_reaps_its_probes(
    client: Client, half_stuck_dir: Path, prober: FakeProber
) -> None:
    """cancel_job returns the job cancelled, keeping what was done, once its ffprobes are gone."""
    job = await client.scan(str(half_stuck_dir))
    pids = await wait_for_spawns(prober, 2)
    await wait_for_processed(client, job.job_id, 1)
    assert len(living(pids)) == 1

    cancelled = await client.cancel_job(job.job_id)

    assert living(pids) == []
    assert (cancelled.job_id, cancelled.status, cancelled.error) == (
        job.job_id,
        JobStatus.CANCELLED,
        "cancelled on request",
    )
    assert (cancelled.processed, cancelled.total, cancelled.progress) == (1, 2, 0.5)
    assert cancelled.result == expected_scan(2, new=1)
    assert cancelled.finished_at is not None
    assert await client.get_job(job.job_id) == cancelled
    assert (await client.list_videos()).total == 1


# -- errors ---------------------------------------------------------------------------------


async def test_unknown_ids_raise_not_found(client: Client) -> None:
    """Each call naming an unknown video or job raises NotFound with the server's code and text."""
    calls: list[tuple[Callable[[str], Awaitable[object]], str]] = [
        (client.get_video, "no video with id 'nope'"),
        (client.delete_video, "no video with id 'nope'"),
        (client.get_job, "no job with id 'nope'"),
        (client.cancel_job, "no job with id 'nope'"),
    ]
    for call, message in calls:
        with pytest.raises(NotFound) as raised:
            await call("nope")
        assert (raised.value.code, raised.value.message) == ("NOT_FOUND", message)
        assert raised.value.http_status == 404
        assert str(raised.value) == f"NOT_FOUND: {message}"


async def test_unusable_scan_paths_raise_invalid_path(client: Client, media_root: Path) -> None:
    """A relative path, or one that does not exist under a root, raises InvalidPath."""
    missing = media_root / "absent"
    for path, message in [
        ("relative/dir", "the path must be absolute: 'relative/dir'"),
        (str(missing), f"no such directory: {str(missing)!r}"),
    ]:
        with pytest.raises(InvalidPath) as raised:
            await client.scan(path)
        assert (raised.value.code, raised.value.message) == ("INVALID_PATH", message)
        assert raised.value.http_status == 400


async def test_scan_outside_the_roots_raises_path_not_allowed(
    client: Client, tmp_path: Path, real_root: Path
) -> None:
    """A path outside every allowed root raises PathNotAllowed naming the roots."""
    with pytest.raises(PathNotAllowed) as raised:
        await client.scan(str(tmp_path))
    assert (raised.value.code, raised.value.http_status) == ("PATH_NOT_ALLOWED", 403)
    assert raised.value.message == (
        f"{str(tmp_path)!r} is outside the allowed scan roots: {real_root}"
    )
    assert (await client.list_jobs()).total == 0


async def test_overlapping_scan_raises_scan_in_progress_with_the_job_id(
    client: Client, stuck_dir: Path, prober: FakeProber, media_root: Path, real_root: Path
) -> None:
    """Scanning a directory a live scan covers raises ScanInProgress carrying that job's id."""
    running = await client.scan(str(stuck_dir))
    await wait_for_spawns(prober, 2)
    for path in (stuck_dir, media_root):
        with pytest.raises(ScanInProgress) as raised:
            await client.scan(str(path))
        assert (raised.value.code, raised.value.http_status) == ("SCAN_IN_PROGRESS", 409)
        assert raised.value.job_id == running.job_id
        assert raised.value.message == (
            f"a scan of {real_root / 'stuck'} is already pending or running (job {running.job_id})"
        )
    await client.cancel_job(running.job_id)


async def test_cancelling_a_finished_job_raises_already_terminal(
    client: Client, quick_dir: Path
) -> None:
    """Cancelling a completed job raises AlreadyTerminal with its id and status."""
    job = await scan_to_completion(client, quick_dir)
    with pytest.raises(AlreadyTerminal) as raised:
        await client.cancel_job(job.job_id)
    assert (raised.value.code, raised.value.http_status) == ("ALREADY_TERMINAL", 409)
    assert (raised.value.job_id, raised.value.status) == (job.job_id, "complete")
    assert raised.value.message == f"job {job.job_id} has already finished as complete"
    assert await client.get_job(job.job_id) == job


async def test_malformed_requests_raise_invalid_request(client: Client) -> None:
    """Arguments the API's schema rejects raise InvalidRequest (VALIDATION_ERROR)."""
    calls: list[tuple[Callable[[], Awaitable[object]], str]] = [
        (lambda: client.list_jobs(status="bogus"), "status"),
        (lambda: client.list_videos(limit=0), "limit"),
        (lambda: client.search_videos(""), "q"),
    ]
    for call, field in calls:
        with pytest.raises(InvalidRequest) as raised:
            await call()
        assert (raised.value.code, raised.value.http_status) == ("VALIDATION_ERROR", 422)
        assert raised.value.message.startswith(f"{field}: ")


async def test_a_closed_port_raises_connection_failed_naming_the_url(
    unreachable_url: str, unreachable_client: Client
) -> None:
    """Every request to a server that is not listening raises ConnectionFailed with the URL."""
    url = unreachable_url
    calls: list[Callable[[], Awaitable[object]]] = [
        unreachable_client.live,
        unreachable_client.list_videos,
        lambda: unreachable_client.scan("/media"),
    ]
    for call in calls:
        with pytest.raises(ConnectionFailed) as raised:
            await call()
        assert raised.value.url == url
        assert str(raised.value).startswith(f"cannot reach stoat-ferret at {url}: ")
        assert isinstance(raised.value.__cause__, httpx.TransportError)


def test_exception_tree() -> None:
    """The exception classes form the tree errors.py documents."""
    parents: dict[type[StoatFerretError], type[Exception]] = {
        ConnectionFailed: StoatFerretError,
        ProtocolError: StoatFerretError,
        ApiError: StoatFerretError,
        InvalidRequest: ApiError,
        NotFound: ApiError,
        AccessDenied: ApiError,
        Unauthorized: AccessDenied,
        Forbidden: AccessDenied,
        PathRefused: ApiError,
        InvalidPath: PathRefused,
        PathNotAllowed: PathRefused,
        Conflict: ApiError,
        ScanInProgress: Conflict,
        WatchOverlap: Conflict,
        AlreadyTerminal: Conflict,
        TooManyJobs: ApiError,
        ServerUnavailable: ApiError,
        LibraryUnavailable: ServerUnavailable,
    }
    for cls, parent in parents.items():
        assert cls.__mro__[1] is parent, cls


def test_every_error_code_has_exactly_one_class() -> None:
    """Each ErrorCode member is claimed by one exception class, and no class claims it twice."""
    claimed = [code for cls in {*BY_CODE.values()} for code in cls.codes]
    assert sorted(claimed) == sorted(ErrorCode)
    assert set(BY_CODE) == set(ErrorCode)


def test_a_code_claimed_twice_is_caught() -> None:
    """The one-class-per-code check fails for a tree where two classes claim a code."""

    class Duplicate(ApiError):
        codes = frozenset({ErrorCode.NOT_FOUND})

    claimed = [code for cls in {*BY_CODE.values(), Duplicate} for code in cls.codes]
    assert sorted(claimed) != sorted(ErrorCode)


def envelope(code: str, **extra: Any) -> dict[str, Any]:
    return {"detail": {"code": code, "message": "m", **extra}}


@pytest.mark.parametrize(
    ("http_status", "code", "cls"),
    [
        (400, ErrorCode.BAD_REQUEST, InvalidRequest),
        (400, ErrorCode.INVALID_JSON, InvalidRequest),
        (422, ErrorCode.VALIDATION_ERROR, InvalidRequest),
        (405, ErrorCode.METHOD_NOT_ALLOWED, InvalidRequest),
        (413, ErrorCode.PAYLOAD_TOO_LARGE, InvalidRequest),
        (415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, InvalidRequest),
        (416, ErrorCode.RANGE_NOT_SATISFIABLE, InvalidRequest),
        (404, ErrorCode.NOT_FOUND, NotFound),
        (401, ErrorCode.UNAUTHORIZED, Unauthorized),
        (421, ErrorCode.HOST_NOT_ALLOWED, Forbidden),
        (403, ErrorCode.CROSS_SITE_REQUEST, Forbidden),
        (400, ErrorCode.INVALID_PATH, InvalidPath),
        (403, ErrorCode.PATH_NOT_ALLOWED, PathNotAllowed),
        (409, ErrorCode.SCAN_IN_PROGRESS, ScanInProgress),
        (409, ErrorCode.WATCH_OVERLAP, WatchOverlap),
        (409, ErrorCode.ALREADY_TERMINAL, AlreadyTerminal),
        (429, ErrorCode.TOO_MANY_JOBS, TooManyJobs),
        (503, ErrorCode.SHUTTING_DOWN, ServerUnavailable),
        (500, ErrorCode.INTERNAL_ERROR, ServerUnavailable),
        (503, ErrorCode.LIBRARY_UNAVAILABLE, LibraryUnavailable),
        (507, ErrorCode.STORAGE_FULL, LibraryUnavailable),
    ],
)
def test_error_from_response_picks_the_class_by_code(
    http_status: int, code: ErrorCode, cls: type[ApiError]
) -> None:
    """An error envelope with a known code maps by the code, to an ErrorCode member."""
    error = error_from_response(http_status, envelope(str(code)))
    assert type(error) is cls
    assert (error.http_status, error.code, error.message) == (http_status, code, "m")
    assert error.code is code
    assert str(error) == f"{code}: m"


@pytest.mark.parametrize(
    ("http_status", "body", "cls", "code", "message"),
    [
        (400, envelope("NEW_CODE"), InvalidRequest, "NEW_CODE", "m"),
        (401, envelope("NEW_CODE"), Unauthorized, "NEW_CODE", "m"),
        (403, envelope("NEW_CODE"), AccessDenied, "NEW_CODE", "m"),
        (404, envelope("NEW_CODE"), NotFound, "NEW_CODE", "m"),
        (409, envelope("NEW_CODE"), Conflict, "NEW_CODE", "m"),
        (422, envelope("NEW_CODE"), InvalidRequest, "NEW_CODE", "m"),
        (429, envelope("NEW_CODE"), ApiError, "NEW_CODE", "m"),
        (503, envelope("NEW_CODE"), ServerUnavailable, "NEW_CODE", "m"),
        (
            502,
            "<html>Bad Gateway</html>",
            ServerUnavailable,
            "HTTP_502",
            "<html>Bad Gateway</html>",
        ),
        (404, {"error": "nope"}, NotFound, "HTTP_404", "{'error': 'nope'}"),
        (418, "", ApiError, "HTTP_418", "no details"),
    ],
)
def test_error_from_response_maps_unknown_codes_by_status(
    http_status: int, body: Any, cls: type[ApiError], code: str, message: str
) -> None:
    """A code this client does not know (or no envelope at all) maps by the HTTP status."""
    error = error_from_response(http_status, body)
    assert type(error) is cls
    assert (error.http_status, error.code, error.message) == (http_status, code, message)
    assert not isinstance(error.code, ErrorCode)


def test_job_and_terminal_details_are_read_from_the_envelope() -> None:
    """Job ids, statuses and watch ids of refusals come from the detail, else None."""
    busy = error_from_response(409, {"detail": {"code": "SCAN_IN_PROGRESS", "message": "m"}})
    assert isinstance(busy, ScanInProgress)
    assert busy.job_id is None
    done = error_from_response(
        409,
        {"detail": {"code": "ALREADY_TERMINAL", "message": "m", "job_id": "j", "status": "failed"}},
    )
    assert isinstance(done, AlreadyTerminal)
    assert (done.job_id, done.status) == ("j", "failed")
    overlap = error_from_response(409, envelope("WATCH_OVERLAP", watch_id="w"))
    assert isinstance(overlap, WatchOverlap)
    assert overlap.watch_id == "w"


# -- scan_job and local waits ---------------------------------------------------------------


async def test_scan_job_left_by_an_error_cancels_the_server_job(
    client: Client, half_stuck_dir: Path, prober: FakeProber
) -> None:
    """An exception out of the block cancels the scan on the server, then propagates."""
    handles: list[JobHandle] = []

    async def fail_inside() -> None:
        async with client.scan_job(str(half_stuck_dir)) as handle:
            handles.append(handle)
            await wait_for_spawns(prober, 2)
            await wait_for_processed(client, handle.job_id, 1)
            raise Boom

    with pytest.raises(Boom):
        await fail_inside()

    (handle,) = handles
    assert living(prober.pids()) == []
    assert handle.final is not None
    assert (handle.final.status, handle.final.error) == (
        JobStatus.CANCELLED,
        "cancelled on request",
    )
    assert handle.final.result == expected_scan(2, new=1)
    assert await client.get_job(handle.job_id) == handle.final
    assert (await client.list_videos()).total == 1


async def test_scan_job_left_by_a_cancellation_cancels_the_server_job(
    client: Client, half_stuck_dir: Path, prober: FakeProber
) -> None:
    """A trio cancellation out of the block cancels the scan on the server too."""
    with trio.CancelScope() as scope:
        async with client.scan_job(str(half_stuck_dir)) as handle:
            pids = await wait_for_spawns(prober, 2)
            await wait_for_processed(client, handle.job_id, 1)
            scope.cancel()
            await trio.sleep_forever()

    assert scope.cancelled_caught
    assert living(pids) == []
    assert handle.final is not None
    assert handle.final.status is JobStatus.CANCELLED
    assert handle.final.result == expected_scan(2, new=1)
    assert await client.get_job(handle.job_id) == handle.final


async def test_scan_job_left_normally_leaves_the_scan_running(
    client: Client, stuck_dir: Path, prober: FakeProber
) -> None:
    """Leaving the block normally does not touch the scan: it is still running afterwards."""
    async with client.scan_job(str(stuck_dir)) as handle:
        pids = await wait_for_spawns(prober, 2)

    assert handle.final is None
    assert (await client.get_job(handle.job_id)).status is JobStatus.RUNNING
    assert len(living(pids)) == 2

    assert (await client.cancel_job(handle.job_id)).status is JobStatus.CANCELLED
    assert living(pids) == []


async def test_scan_job_left_normally_after_completion_keeps_it_complete(
    client: Client, quick_dir: Path
) -> None:
    """A scan that finished inside the block stays complete, and handle.final stays unset."""
    async with client.scan_job(str(quick_dir)) as handle:
        with trio.fail_after(30):
            final = await client.wait(handle.job_id)

    assert handle.final is None
    assert final.status is JobStatus.COMPLETE
    assert await client.get_job(handle.job_id) == final


async def test_scan_job_left_by_an_error_after_completion_records_the_finished_job(
    client: Client, quick_dir: Path
) -> None:
    """An error after the scan finished cannot cancel it; handle.final is the completed job."""
    handles: list[JobHandle] = []
    finals: list[Job] = []

    async def fail_inside() -> None:
        async with client.scan_job(str(quick_dir)) as handle:
            handles.append(handle)
            with trio.fail_after(30):
                finals.append(await client.wait(handle.job_id))
            raise Boom

    with pytest.raises(Boom):
        await fail_inside()

    (handle,), (final,) = handles, finals
    assert final.status is JobStatus.COMPLETE
    assert handle.final == final
    assert await client.get_job(handle.job_id) == final


async def test_scan_job_cancelled_while_starting_leaves_no_orphan_scan(
    client: Client,
    client_holding_job_lookups: tuple[Client, trio.Event],
    stuck_dir: Path,
    prober: FakeProber,
) -> None:
    """A cancellation after the server accepted the scan, before scan_job returned, cancels it."""
    holding, accepted = client_holding_job_lookups
    with trio.CancelScope() as scope:
        async with trio.open_nursery() as nursery:

            async def start() -> None:
                async with holding.scan_job(str(stuck_dir)):
                    pytest.fail("scan_job returned although its GET was held")

            nursery.start_soon(start)
            with trio.fail_after(10):
                await accepted.wait()
            await wait_for_spawns(prober, 2)
            scope.cancel()

    jobs = await client.list_jobs()
    assert jobs.total == 1
    orphan = jobs.jobs[0]
    if orphan.status is JobStatus.RUNNING:
        await client.cancel_job(orphan.job_id)
    assert orphan.status is JobStatus.CANCELLED, (
        f"job {orphan.job_id} was left {orphan.status} on the server after its scan_job was "
        "cancelled"
    )


async def test_cancelling_a_local_wait_leaves_the_server_job_running(
    client: Client, stuck_dir: Path, prober: FakeProber
) -> None:
    """A wait() cut short by a timeout only stops waiting: the scan goes on on the server."""
    job = await client.scan(str(stuck_dir))
    pids = await wait_for_spawns(prober, 2)

    with trio.move_on_after(0.3) as waiting:
        await client.wait(job.job_id)

    assert waiting.cancelled_caught
    assert (await client.get_job(job.job_id)).status is JobStatus.RUNNING
    assert len(living(pids)) == 2

    assert (await client.cancel_job(job.job_id)).status is JobStatus.CANCELLED
    assert living(pids) == []
