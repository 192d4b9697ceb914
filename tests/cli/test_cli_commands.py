"""The CLI's client commands end to end: ``python -m stoat_ferret ...`` against a live server.

Each command runs as a real subprocess (through ``trio.run_process``) with STOAT_URL set to
the test's server; its exit status, stdout and stderr are checked exactly.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
import trio.testing

from stoat_ferret.cli.format import format_size, format_span
from stoat_ferret.client import Client, EventType, Job, JobStatus, open_client
from stoat_ferret.settings import Settings

from ..conftest import LiveServer, start_live_server
from ..support.media import copy_as
from ..support.prober import FakeProber, make_prober, process_exists
from ..support.waiting import wait_for_spawns

Completed = subprocess.CompletedProcess[bytes]


@pytest.fixture
def prober(tmp_path: Path) -> FakeProber:
    """ffprobe that hangs on files named *hang* and is the real one for the rest."""
    return make_prober(tmp_path / "bin", "hang-on=hang")


@pytest.fixture
def settings(make_settings: Callable[..., Settings], prober: FakeProber) -> Settings:
    return make_settings(ffprobe_path=str(prober.path))


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[Client]:
    async with open_client(live_server.url) as client:
        yield client


@pytest.fixture
async def http(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """Plain HTTP to the server, to compare the CLI's output with the API's own answers."""
    async with live_server.client() as http:
        yield http


@pytest.fixture
def real_root(media_root: Path) -> Path:
    return Path(os.path.realpath(media_root))


def make_dir(root: Path, name: str, sample: Path, files: list[str]) -> Path:
    directory = root / name
    directory.mkdir()
    for file_name in files:
        copy_as(sample, directory / file_name)
    return directory


@pytest.fixture
def quick_dir(media_root: Path, samples: dict[str, Path]) -> Path:
    return make_dir(media_root, "quick", samples["h264_aac.mp4"], ["one.mp4", "two.mp4"])


@pytest.fixture
def single_dir(media_root: Path, samples: dict[str, Path]) -> Path:
    return make_dir(media_root, "single", samples["h264_aac.mp4"], ["only.mp4"])


@pytest.fixture
def half_stuck_dir(media_root: Path, samples: dict[str, Path]) -> Path:
    """One video that probes, one whose probe hangs (the two probes run at once)."""
    return make_dir(media_root, "half", samples["h264_aac.mp4"], ["clip.mp4", "hang.mp4"])


@pytest.fixture
def stuck_dir(media_root: Path, samples: dict[str, Path]) -> Path:
    return make_dir(media_root, "stuck", samples["h264_aac.mp4"], ["hang_a.mp4", "hang_b.mp4"])


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "stoat_ferret", *args]


#: The time zone the CLI runs in here: five and a half hours east of UTC (POSIX TZ syntax).
TZ = "XST-05:30"
LOCAL = timezone(timedelta(hours=5, minutes=30))


def cli_env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"STOAT_URL", "STOAT_TOKEN"}}
    return {**env, "STOAT_URL": url, "TZ": TZ, **extra}


async def stoat(url: str, *args: str, **env: str) -> Completed:
    """Run ``stoat-ferret ARGS`` against ``url`` (as STOAT_URL) to its end."""
    with trio.fail_after(30):
        return await trio.run_process(
            cli_command(*args),
            env=cli_env(url, **env),
            stdin=subprocess.DEVNULL,
            capture_stdout=True,
            capture_stderr=True,
            check=False,
        )


def cells(line: str) -> list[str]:
    """The cells of a table row (columns are two or more spaces apart)."""
    return re.split(r"\s{2,}", line.strip())


def local(when: datetime) -> str:
    """``when`` as the CLI shows it in TZ."""
    return when.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S")


def lines(output: bytes) -> list[str]:
    return output.decode().splitlines()


def assert_one_error_line(done: Completed, message: str) -> None:
    """Exit 1, nothing on stdout, and exactly ``stoat-ferret: MESSAGE`` on stderr."""
    assert (done.returncode, done.stdout) == (1, b""), done
    assert done.stderr.decode() == f"stoat-ferret: {message}\n"


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def http_job(http: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    """The job as ``GET /api/v1/jobs/ID`` returns it."""
    response = await http.get(f"/api/v1/jobs/{job_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def finished_scan(client: Client, path: Path) -> Job:
    job = await client.scan(str(path))
    with trio.fail_after(30):
        final = await client.wait(job.job_id)
    assert final.status is JobStatus.COMPLETE
    return final


# -- scan -----------------------------------------------------------------------------------


async def test_scan_runs_to_completion_and_prints_a_summary(
    live_server: LiveServer, client: Client, quick_dir: Path
) -> None:
    """``scan`` waits for the job, prints one summary line, exits 0, and draws no bar on a pipe."""
    done = await stoat(live_server.url, "scan", str(quick_dir))

    assert done.returncode == 0, done
    assert done.stdout == b"scan complete: 2 found, 2 new, 0 updated, 0 unchanged, 0 errors\n"
    assert done.stderr == b""
    (job,) = (await client.list_jobs()).jobs
    assert job.status is JobStatus.COMPLETE
    assert (await client.list_videos()).total == 2


async def test_scan_json_prints_the_final_job(
    live_server: LiveServer, quick_dir: Path, real_root: Path, http: httpx.AsyncClient
) -> None:
    """``scan --json`` prints the finished job exactly as the API returns it."""
    done = await stoat(live_server.url, "scan", "--json", "--no-recursive", str(quick_dir))

    assert (done.returncode, done.stderr) == (0, b""), done
    printed = json.loads(done.stdout)
    assert printed == await http_job(http, printed["job_id"])
    assert printed["status"] == "complete"
    assert printed["params"] == {
        "path": str(real_root / "quick"),
        "recursive": False,
        "force": False,
    }
    assert printed["result"]["new"] == 2


async def test_scan_detach_prints_the_job_id_and_returns(
    live_server: LiveServer, client: Client, stuck_dir: Path, prober: FakeProber
) -> None:
    """``scan --detach`` prints only the new job's id and exits 0 while the scan goes on."""
    done = await stoat(live_server.url, "scan", "--detach", str(stuck_dir))

    assert (done.returncode, done.stderr) == (0, b""), done
    (job_id,) = lines(done.stdout)
    await wait_for_spawns(prober, 2)
    assert (await client.get_job(job_id)).status is JobStatus.RUNNING
    assert (await client.cancel_job(job_id)).status is JobStatus.CANCELLED


@pytest.fixture
def mixed_dir(media_root: Path, samples: dict[str, Path]) -> Path:
    """One good video and one empty file."""
    directory = make_dir(media_root, "mixed", samples["h264_aac.mp4"], ["good.mp4"])
    (directory / "empty.mp4").write_bytes(b"")
    return directory


async def test_scan_reports_each_file_it_could_not_probe(
    live_server: LiveServer, mixed_dir: Path, real_root: Path
) -> None:
    """A completed scan with unreadable files exits 0 and lists each with its reason."""
    done = await stoat(live_server.url, "scan", str(mixed_dir))

    assert (done.returncode, done.stderr) == (0, b""), done
    assert lines(done.stdout) == [
        "scan complete: 2 found, 1 new, 0 updated, 0 unchanged, 1 errors",
        f"  error: {real_root / 'mixed' / 'empty.mp4'}: the file is empty (0 bytes)",
    ]


async def test_sigint_during_scan_cancels_the_server_job_and_exits_130(
    live_server: LiveServer,
    client: Client,
    half_stuck_dir: Path,
    prober: FakeProber,
    http: httpx.AsyncClient,
) -> None:
    """Ctrl-C during ``scan`` cancels the job on the server, prints what was kept, exits 130."""
    hub = live_server.service.hub
    results: list[Completed] = []

    async def run_scan(task_status: trio.TaskStatus[trio.Process]) -> None:
        results.append(
            await trio.run_process(
                cli_command("scan", str(half_stuck_dir)),
                env=cli_env(live_server.url),
                stdin=subprocess.DEVNULL,
                capture_stdout=True,
                capture_stderr=True,
                check=False,
                task_status=task_status,
            )
        )

    async with client.events() as stream, trio.open_nursery() as nursery:
        with trio.fail_after(10):
            while len(hub.subscribers) != 1:
                await trio.testing.wait_all_tasks_blocked()
        process: trio.Process = await nursery.start(run_scan)
        # The first file is probed and stored while the second one's ffprobe hangs.
        with trio.fail_after(30):
            async for event in stream:
                if event.type == EventType.JOB_PROGRESS and event.payload["processed"] == 1:
                    job_id = event.payload["job_id"]
                    break
        pids = await wait_for_spawns(prober, 2)
        process.send_signal(signal.SIGINT)

    (done,) = results
    assert done.returncode == 130, done
    assert done.stdout == (
        b"scan cancelled; kept what was done: 2 found, 1 new, 0 updated, 0 unchanged, 0 errors\n"
    )
    assert done.stderr == b""
    job = await http_job(http, job_id)
    assert (job["status"], job["error"]) == ("cancelled", "cancelled on request")
    assert (job["result"]["scanned"], job["result"]["new"]) == (2, 1)
    assert [pid for pid in pids if process_exists(pid)] == []
    assert (await client.list_videos()).total == 1


async def read_terminal(master: int, into: bytearray) -> None:
    """Everything written to the pseudo-terminal whose master end is ``master``."""
    async with trio.lowlevel.FdStream(master) as terminal:
        while True:
            try:
                chunk = await terminal.receive_some()
            except trio.BrokenResourceError:
                return  # EIO: every process holding the terminal's other end has closed it
            if not chunk:
                return
            into.extend(chunk)


async def scan_on_a_terminal(url: str, *args: str) -> tuple[Completed, bytes]:
    """Run ``scan ARGS`` with stderr on a pseudo-terminal; its result and what it drew there."""
    master, child_end = os.openpty()
    drawn = bytearray()
    results: list[Completed] = []

    async def run(task_status: trio.TaskStatus[trio.Process]) -> None:
        results.append(
            await trio.run_process(
                cli_command("scan", *args),
                env={**cli_env(url), "COLUMNS": "100"},
                stdin=subprocess.DEVNULL,
                capture_stdout=True,
                stderr=child_end,
                check=False,
                task_status=task_status,
            )
        )

    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(read_terminal, master, drawn)
            with trio.fail_after(30):
                await nursery.start(run)
            os.close(child_end)
            child_end = -1
    finally:
        if child_end >= 0:
            os.close(child_end)
    (done,) = results
    return done, bytes(drawn)


async def test_scan_on_a_terminal_draws_a_progress_bar_and_clears_it(
    live_server: LiveServer, quick_dir: Path
) -> None:
    """With stderr on a terminal, ``scan`` redraws one progress line in place, then clears it."""
    done, drawn = await scan_on_a_terminal(live_server.url, str(quick_dir))

    assert done.returncode == 0, done
    assert done.stdout == b"scan complete: 2 found, 2 new, 0 updated, 0 unchanged, 0 errors\n"
    redraws = drawn.split(b"\r\x1b[K")
    assert redraws[0] == b""
    assert redraws[-1] == b""
    assert b"\n" not in drawn
    # COLUMNS=100: the bar is 24 wide. The last drawing shows every file done (with the
    # rate, a zero ETA and the last file's name, when the rate was measured).
    assert re.fullmatch(
        rb"\[#{24}\] 100%  2/2(  \d+\.\d files/s  ETA 0:00  (one|two)\.mp4)?", redraws[-2]
    ), redraws[-2]
    assert all(len(drawing) <= 99 for drawing in redraws)


async def test_scan_json_on_a_terminal_draws_no_bar(
    live_server: LiveServer, quick_dir: Path
) -> None:
    """``scan --json`` keeps stderr silent even on a terminal."""
    done, drawn = await scan_on_a_terminal(live_server.url, "--json", str(quick_dir))

    assert done.returncode == 0, done
    assert json.loads(done.stdout)["status"] == "complete"
    assert drawn == b""


# -- jobs, job, cancel ----------------------------------------------------------------------


async def test_jobs_lists_newest_first_with_local_times_and_durations(
    live_server: LiveServer,
    client: Client,
    single_dir: Path,
    stuck_dir: Path,
    prober: FakeProber,
    http: httpx.AsyncClient,
) -> None:
    """``jobs`` prints a table newest first, times in the local zone; filters and --json too."""
    older = await finished_scan(client, single_dir)
    newer = await client.scan(str(stuck_dir))
    await wait_for_spawns(prober, 3)
    newer = await client.get_job(newer.job_id)
    assert older.started_at is not None
    assert older.finished_at is not None
    assert newer.started_at is not None
    took = format_span((older.finished_at - older.started_at).total_seconds())
    header = f"{'JOB':32}  KIND  STATUS      PROGRESS  STARTED              DURATION"
    newer_row = (
        f"{newer.job_id}  scan  running     0% (0/2)  {local(newer.started_at)}  in progress"
    )
    older_row = f"{older.job_id}  scan  complete  100% (1/1)  {local(older.started_at)}  {took}"

    everything = await stoat(live_server.url, "jobs")
    assert (everything.returncode, everything.stderr) == (0, b""), everything
    assert lines(everything.stdout) == [header, newer_row, older_row]

    complete = await stoat(live_server.url, "jobs", "--status", "complete")
    assert lines(complete.stdout) == [
        f"{'JOB':32}  KIND  STATUS      PROGRESS  STARTED              DURATION",
        f"{older.job_id}  scan  complete  100% (1/1)  {local(older.started_at)}  {took}",
    ]

    latest = await stoat(live_server.url, "jobs", "--limit", "1")
    assert lines(latest.stdout) == [
        f"{'JOB':32}  KIND  STATUS   PROGRESS  STARTED              DURATION",
        f"{newer.job_id}  scan  running  0% (0/2)  {local(newer.started_at)}  in progress",
        "(1 older; use --limit or --offset)",
    ]

    skipped = await stoat(live_server.url, "jobs", "--offset", "1")
    assert lines(skipped.stdout)[1:] == [
        f"{older.job_id}  scan  complete  100% (1/1)  {local(older.started_at)}  {took}"
    ]

    none = await stoat(live_server.url, "jobs", "--kind", "thumbnails")
    assert lines(none.stdout) == ["no jobs"]

    as_json = await stoat(live_server.url, "jobs", "--json")
    assert as_json.returncode == 0
    listed = (await http.get("/api/v1/jobs")).json()
    assert json.loads(as_json.stdout) == {"jobs": listed["jobs"], "total": 2}

    await client.cancel_job(newer.job_id)


async def test_job_shows_one_job(
    live_server: LiveServer,
    client: Client,
    single_dir: Path,
    real_root: Path,
    http: httpx.AsyncClient,
) -> None:
    """``job ID`` prints the job with local times and its duration; --json the API's object."""
    job = await client.get_job((await finished_scan(client, single_dir)).job_id)
    assert job.started_at is not None
    assert job.finished_at is not None
    assert job.params == {"path": str(real_root / "single"), "recursive": True, "force": False}

    done = await stoat(live_server.url, "job", job.job_id)

    assert (done.returncode, done.stderr) == (0, b""), done
    path = str(real_root / "single")
    assert lines(done.stdout) == [
        f"job_id:       {job.job_id}",
        "kind:         scan",
        "status:       complete",
        f"params:       {job.params}",
        "progress:     100% (1/1)",
        f"current_file: {path}/only.mp4",
        f"created_at:   {local(job.created_at)}",
        f"started_at:   {local(job.started_at)}",
        f"finished_at:  {local(job.finished_at)}",
        f"duration:     {format_span((job.finished_at - job.started_at).total_seconds())}",
        "result:       1 found, 1 new, 0 updated, 0 unchanged, 0 errors",
    ]

    as_json = await stoat(live_server.url, "job", "--json", job.job_id)
    assert as_json.returncode == 0
    assert json.loads(as_json.stdout) == await http_job(http, job.job_id)


async def test_cancel_stops_a_running_job(
    live_server: LiveServer, client: Client, stuck_dir: Path, prober: FakeProber
) -> None:
    """``cancel ID`` prints the job's new status; cancelling it again fails with one line."""
    job = await client.scan(str(stuck_dir))
    pids = await wait_for_spawns(prober, 2)

    done = await stoat(live_server.url, "cancel", job.job_id)

    assert (done.returncode, done.stderr) == (0, b""), done
    assert done.stdout.decode() == f"{job.job_id}: cancelled\n"
    assert [pid for pid in pids if process_exists(pid)] == []
    assert (await client.get_job(job.job_id)).status is JobStatus.CANCELLED

    again = await stoat(live_server.url, "cancel", job.job_id)
    assert_one_error_line(
        again, f"job {job.job_id} has already finished as cancelled (ALREADY_TERMINAL)"
    )


async def test_cancel_json_prints_the_cancelled_job(
    live_server: LiveServer,
    client: Client,
    stuck_dir: Path,
    prober: FakeProber,
    http: httpx.AsyncClient,
) -> None:
    """``cancel --json ID`` prints the cancelled job as the API returns it."""
    job = await client.scan(str(stuck_dir))
    await wait_for_spawns(prober, 2)

    done = await stoat(live_server.url, "cancel", "--json", job.job_id)

    assert (done.returncode, done.stderr) == (0, b""), done
    printed = json.loads(done.stdout)
    assert printed == await http_job(http, job.job_id)
    assert (printed["status"], printed["error"]) == ("cancelled", "cancelled on request")


# -- videos, health -------------------------------------------------------------------------


@pytest.fixture
def two_videos(media_root: Path, samples: dict[str, Path]) -> None:
    copy_as(samples["h264_aac.mp4"], media_root / "beach_day.mp4")
    copy_as(samples["silent.m4v"], media_root / "city_walk.m4v")


@pytest.mark.usefixtures("two_videos")
async def test_videos_lists_and_searches_the_library(
    live_server: LiveServer,
    client: Client,
    media_root: Path,
    real_root: Path,
    http: httpx.AsyncClient,
) -> None:
    """``videos`` prints a header, a row per video with the page's timecode, SI sizes, a count."""
    await finished_scan(client, media_root)
    beach = next(v for v in (await client.list_videos()).videos if v.filename == "beach_day.mp4")
    city = next(v for v in (await client.list_videos()).videos if v.filename == "city_walk.m4v")
    assert 10_000 <= beach.file_size < 100_000
    assert 1_000 <= city.file_size < 10_000
    header = "DURATION     RESOLUTION    FPS  VIDEO  AUDIO     SIZE  PATH"
    beach_size, city_size = format_size(beach.file_size), format_size(city.file_size)
    assert (beach_size[-3:], city_size[-3:]) == (" kB", " kB")
    beach_cells = ["00:00:01:00", "64x48", "29.97", "h264", "aac", beach_size]
    city_cells = ["00:00:00:30", "32x32", "60", "h264", "-", city_size]
    beach_line = f"00:00:01:00  64x48       29.97  h264   aac    {beach_size}  {beach.path}"
    city_line = f"00:00:00:30  32x32          60  h264   -       {city_size}  {city.path}"
    assert (beach.path, city.path) == (
        str(real_root / "beach_day.mp4"),
        str(real_root / "city_walk.m4v"),
    )

    listed = await stoat(live_server.url, "videos")
    assert (listed.returncode, listed.stderr) == (0, b""), listed
    header_line, *rows, count = lines(listed.stdout)
    assert (header_line, sorted(rows), count) == (
        header,
        sorted([beach_line, city_line]),
        "2 of 2 videos",
    )

    paged = await stoat(live_server.url, "videos", "--limit", "1", "--offset", "1")
    (second,) = [video for video in (beach, city) if video.path not in rows[0]]
    paged_lines = lines(paged.stdout)
    assert paged_lines[2:] == ["1 of 2 videos"]
    assert cells(paged_lines[1]) == (beach_cells if second is beach else city_cells) + [second.path]

    found = await stoat(live_server.url, "videos", "--search", "beach")
    assert (found.returncode, found.stderr) == (0, b""), found
    assert lines(found.stdout) == [
        "DURATION     RESOLUTION    FPS  VIDEO  AUDIO     SIZE  PATH",
        beach_line,
        "1 of 1 videos",
    ]
    beyond = await stoat(live_server.url, "videos", "--search", "beach", "--offset", "1")
    assert lines(beyond.stdout) == ["0 of 1 videos"]

    as_json = await stoat(live_server.url, "videos", "--json")
    assert as_json.returncode == 0
    api = (await http.get("/api/v1/videos")).json()
    assert json.loads(as_json.stdout) == {
        "videos": api["videos"],
        "total": 2,
        "total_exact": True,
        "next": None,
    }

    searched_json = await stoat(live_server.url, "videos", "--json", "--search", "zebra")
    assert json.loads(searched_json.stdout) == {
        "videos": [],
        "total": 0,
        "total_exact": True,
        "next": None,
    }


async def test_scan_summary_names_moves_and_ignored_files(
    live_server: LiveServer, client: Client, media_root: Path, distinct_clips: list[Path]
) -> None:
    """The summary line counts moved files, and ignored ones by extension, most first."""
    copy_as(distinct_clips[0], media_root / "take.mp4")
    for name in ("a.txt", "b.txt", "README", "still.jpg"):
        (media_root / name).write_text("not a video")
    first = await stoat(live_server.url, "scan", str(media_root))
    assert lines(first.stdout) == [
        "scan complete: 1 found, 1 new, 0 updated, 0 unchanged, "
        "4 ignored (.txt 2, no extension 1, .jpg 1), 0 errors"
    ]
    (media_root / "take.mp4").rename(media_root / "chosen.mp4")

    second = await stoat(live_server.url, "scan", str(media_root))

    assert (second.returncode, second.stderr) == (0, b""), second
    assert lines(second.stdout) == [
        "scan complete: 1 found, 0 new, 0 updated, 0 unchanged, 1 moved, "
        "4 ignored (.txt 2, no extension 1, .jpg 1), 0 errors"
    ]


@pytest.fixture
async def two_missing(client: Client, media_root: Path, distinct_clips: list[Path]) -> list[str]:
    """Ids of old/a.mp4 and b.mp4, whose files are gone; kept.mp4 is still there."""
    (media_root / "old").mkdir()
    for n, name in enumerate(["old/a.mp4", "b.mp4", "kept.mp4"]):
        copy_as(distinct_clips[n], media_root / name)
    await finished_scan(client, media_root)
    ids = {v.filename: v.id for v in (await client.list_videos()).videos}
    (media_root / "old" / "a.mp4").unlink()
    (media_root / "b.mp4").unlink()
    await finished_scan(client, media_root)
    return [ids["a.mp4"], ids["b.mp4"]]


async def filenames(client: Client) -> list[str]:
    return sorted(v.filename for v in (await client.list_videos()).videos)


async def test_purge_missing_from_a_script_removes_without_asking(
    live_server: LiveServer, client: Client, two_missing: list[str]
) -> None:
    """Not at a terminal, purge-missing removes the missing entries and says how many."""
    done = await stoat(live_server.url, "purge-missing")

    assert (done.returncode, done.stderr) == (0, b""), done
    assert done.stdout == b"removed 2 entries whose files were missing\n"
    assert await filenames(client) == ["kept.mp4"]


async def test_purge_missing_in_a_folder_as_json(
    live_server: LiveServer, client: Client, media_root: Path, two_missing: list[str]
) -> None:
    """--folder keeps to one folder tree; --json prints the API's answer."""
    done = await stoat(
        live_server.url, "purge-missing", "--yes", "--json", "--folder", str(media_root / "old")
    )

    assert (done.returncode, done.stderr) == (0, b""), done
    assert json.loads(done.stdout) == {"removed": 1, "video_ids": [two_missing[0]]}
    assert await filenames(client) == ["b.mp4", "kept.mp4"]


async def test_purge_missing_of_a_relative_folder_fails_with_one_line(
    live_server: LiveServer, client: Client, two_missing: list[str]
) -> None:
    """A folder the server refuses is one error line, exit 1, and nothing removed."""
    done = await stoat(live_server.url, "purge-missing", "--yes", "--folder", "old")

    assert_one_error_line(
        done,
        "folder: Value error, must be an absolute path, without NUL bytes (VALIDATION_ERROR)",
    )
    assert await filenames(client) == ["a.mp4", "b.mp4", "kept.mp4"]


async def purge_on_a_terminal(url: str, answer: bytes, *args: str) -> tuple[Completed, bytes]:
    """Run ``purge-missing ARGS`` with stdin and stderr on a pseudo-terminal, answering its
    question with ``answer``; its result and everything the terminal showed."""
    master, child_end = os.openpty()
    shown = bytearray()
    results: list[Completed] = []

    async def run(task_status: trio.TaskStatus[trio.Process]) -> None:
        results.append(
            await trio.run_process(
                cli_command("purge-missing", *args),
                env=cli_env(url),
                stdin=child_end,
                capture_stdout=True,
                stderr=child_end,
                check=False,
                task_status=task_status,
            )
        )

    try:
        async with trio.lowlevel.FdStream(master) as terminal, trio.open_nursery() as nursery:
            with trio.fail_after(30):
                await nursery.start(run)
                os.close(child_end)
                child_end = -1
                while b"[y/N] " not in shown:
                    shown.extend(await terminal.receive_some())
                await terminal.send_all(answer)
                while True:
                    try:
                        chunk = await terminal.receive_some()
                    except trio.BrokenResourceError:
                        break  # EIO: the command has ended and closed the terminal
                    if not chunk:
                        break
                    shown.extend(chunk)
    finally:
        if child_end >= 0:
            os.close(child_end)
    (done,) = results
    return done, bytes(shown)


QUESTION = (
    b"Remove every library entry whose file is missing, with its thumbnail? "
    b"No file on disk is touched. [y/N] "
)


async def test_purge_missing_at_a_terminal_asks_and_a_no_keeps_everything(
    live_server: LiveServer, client: Client, two_missing: list[str]
) -> None:
    """At a terminal it asks first; anything but yes removes nothing and exits 1."""
    done, shown = await purge_on_a_terminal(live_server.url, b"n\n")

    assert (done.returncode, done.stdout) == (1, b""), done
    # The terminal echoes the answer, and ends each line with CR LF.
    assert shown == QUESTION + b"n\r\nstoat-ferret: nothing removed\r\n"
    assert await filenames(client) == ["a.mp4", "b.mp4", "kept.mp4"]


async def test_purge_missing_at_a_terminal_removes_once_told_yes(
    live_server: LiveServer, client: Client, media_root: Path, two_missing: list[str]
) -> None:
    """Answered yes, it removes the missing entries; the question names the folder."""
    folder = str(media_root / "old")
    done, shown = await purge_on_a_terminal(live_server.url, b"yes\n", "--folder", folder)

    assert (done.returncode, done.stdout) == (0, b"removed 1 entry whose files were missing\n")
    assert (
        shown
        == (
            f"Remove every library entry whose file is missing in {folder} (and below), with its "
            "thumbnail? No file on disk is touched. [y/N] yes\r\n"
        ).encode()
    )
    assert await filenames(client) == ["b.mp4", "kept.mp4"]


async def test_purge_missing_at_a_terminal_does_not_ask_with_yes(
    live_server: LiveServer, client: Client, two_missing: list[str]
) -> None:
    """--yes skips the question even at a terminal: nothing is shown there, nothing read."""
    master, child_end = os.openpty()
    try:
        with trio.fail_after(30):
            done = await trio.run_process(
                cli_command("purge-missing", "--yes"),
                env=cli_env(live_server.url),
                stdin=child_end,
                capture_stdout=True,
                stderr=child_end,
                check=False,
            )
        os.set_blocking(master, False)
        with pytest.raises(BlockingIOError):
            os.read(master, 1024)
    finally:
        os.close(child_end)
        os.close(master)

    assert (done.returncode, done.stdout) == (0, b"removed 2 entries whose files were missing\n")
    assert await filenames(client) == ["kept.mp4"]


async def test_health_reports_every_check(live_server: LiveServer) -> None:
    """``health`` prints the server and each check and exits 0; --json prints the same."""
    done = await stoat(live_server.url, "health")
    assert (done.returncode, done.stderr) == (0, b""), done
    first, *checks = lines(done.stdout)
    assert first == f"{live_server.url}: ok"
    # Each check says ok, with what the server tells about it (a version, a latency) if any.
    matches = [re.fullmatch(r"  (\w+): ok( \(.+\))?", line) for line in checks]
    assert [match[1] for match in matches if match] == ["database", "ffmpeg", "ffprobe"], checks

    as_json = await stoat(live_server.url, "health", "--json")
    assert (as_json.returncode, as_json.stderr) == (0, b""), as_json
    printed = json.loads(as_json.stdout)
    assert printed["ok"] is True
    assert {name: check["status"] for name, check in printed["checks"].items()} == {
        "database": "ok",
        "ffmpeg": "ok",
        "ffprobe": "ok",
    }


async def test_health_of_a_degraded_server_exits_1(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """``health`` on a server without ffprobe prints what is wrong and exits 1."""
    missing = str(tmp_path / "no-such-ffprobe")
    async for server in start_live_server(make_settings(ffprobe_path=missing)):
        done = await stoat(server.url, "health")
        url = server.url
    assert (done.returncode, done.stderr) == (1, b""), done
    head, database, ffmpeg, ffprobe = lines(done.stdout)
    assert (head, ffprobe) == (f"{url}: degraded", f"  ffprobe: {missing} not found")
    # The database check reports its latency, and ffmpeg its version.
    assert re.fullmatch(r"  database: ok \([0-9.]+ ms\)", database), database
    assert re.fullmatch(r"  ffmpeg: ok \(\S+\)", ffmpeg), ffmpeg


# -- failures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["health"], id="health"),
        pytest.param(["jobs", "--json"], id="jobs"),
        pytest.param(["scan", "/srv/media"], id="scan"),
    ],
)
async def test_unreachable_server_fails_with_one_line(args: list[str]) -> None:
    """A server nobody listens for: exit 1, one stderr line naming the URL, nothing on stdout."""
    url = closed_port_url()
    done = await stoat(url, *args)

    assert (done.returncode, done.stdout) == (1, b""), done
    (line,) = lines(done.stderr)
    assert line.startswith(f"stoat-ferret: cannot reach stoat-ferret at {url}: ")


async def test_scan_outside_the_roots_fails_with_one_line(
    live_server: LiveServer, tmp_path: Path, real_root: Path
) -> None:
    """Scanning a path outside the allowed roots: exit 1 and the server's reason and code."""
    done = await stoat(live_server.url, "scan", str(tmp_path))

    assert_one_error_line(
        done,
        f"{str(tmp_path)!r} is outside the allowed scan roots: {real_root} (PATH_NOT_ALLOWED)",
    )


@pytest.mark.parametrize("command", ["job", "cancel"])
async def test_unknown_job_fails_with_one_line(live_server: LiveServer, command: str) -> None:
    """``job``/``cancel`` of an id never issued: exit 1 and NOT_FOUND on one line."""
    done = await stoat(live_server.url, command, "no-such-job")

    assert_one_error_line(done, "no job with id 'no-such-job' (NOT_FOUND)")


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        pytest.param([], "the following arguments are required: COMMAND", id="no-command"),
        pytest.param(["jobs", "--status", "done"], "invalid choice: 'done'", id="bad-choice"),
        pytest.param(["scan"], "the following arguments are required: path", id="no-path"),
        pytest.param(["jobs", "--limit", "0"], "--limit: must be 1 to 500, not 0", id="limit-0"),
        pytest.param(
            ["videos", "--limit", "501"], "--limit: must be 1 to 500, not 501", id="limit-501"
        ),
        pytest.param(["videos", "--limit", "ten"], "not a whole number: 'ten'", id="limit-word"),
        pytest.param(
            ["videos", "--offset", "-1"], "--offset: must be 0 or more, not -1", id="offset-neg"
        ),
        pytest.param(
            ["jobs", "--offset=-5"], "--offset: must be 0 or more, not -5", id="jobs-offset-neg"
        ),
        pytest.param(["jobs", "--kind", "nope"], "invalid choice: 'nope'", id="bad-kind"),
        pytest.param(["job", " "], "a job id cannot be empty", id="empty-job-id"),
        pytest.param(["health", "--bogus"], "unrecognized arguments: --bogus", id="unknown-option"),
    ],
)
async def test_usage_errors_exit_2(args: list[str], complaint: str) -> None:
    """Arguments the parser rejects (bad pages too): exit 2, the usage and the complaint."""
    done = await stoat(closed_port_url(), *args)

    assert (done.returncode, done.stdout) == (2, b""), done
    assert done.stderr.startswith(b"usage: stoat-ferret")
    assert complaint in done.stderr.decode()
