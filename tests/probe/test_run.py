"""Running ffprobe: the real one on generated media, and fake ones for faults."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import trio

from stoat_ferret.children import ToolMissing, ToolTimeout
from stoat_ferret.probe.errors import (
    EmptyFile,
    NotAVideo,
    ProbeError,
    ProbeFailed,
    ProberMissing,
    ProbeTimeout,
)
from stoat_ferret.probe.parse import ProbeResult
from stoat_ferret.probe.run import probe_command, probe_file

from ..support.media import HOSTILE_NAMES, SAMPLES, copy_as, make_broken_files
from ..support.prober import FakeProber, make_prober, process_exists

#: The exception each file from ``make_broken_files`` must raise.
BROKEN_KINDS: dict[str, type[ProbeError]] = {
    "empty.mp4": EmptyFile,
    "truncated.mp4": ProbeFailed,
    "notes.mkv": ProbeFailed,
    "audio_only.mp4": NotAVideo,
    "picture.mov": NotAVideo,
}


@pytest.fixture(scope="module")
def broken(
    tmp_path_factory: pytest.TempPathFactory, samples: dict[str, Path]
) -> tuple[Path, dict[str, str]]:
    """The broken files (made once for this module) and the word each reason must hold."""
    directory = tmp_path_factory.mktemp("broken")
    return directory, make_broken_files(directory, samples["h264_aac.mp4"])


async def size_of(path: Path) -> int:
    return (await trio.Path(path).stat()).st_size


async def probe(path: Path, ffprobe: str = "ffprobe") -> ProbeResult:
    return await probe_file(str(path), file_size=await size_of(path), ffprobe=ffprobe)


def write_script(path: Path, text: str, *, mode: int) -> str:
    path.write_text(text)
    path.chmod(mode)
    return str(path)


def ignores_sigterm(pid: int) -> bool:
    """Whether ``pid`` has set SIGTERM to be ignored, from /proc (Linux)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("SigIgn:"):
                return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


async def wait_until_hanging(prober: FakeProber) -> int:
    """The pid of the prober's first run, once it is hanging with SIGTERM ignored.

    The prober is a separate process, so there is nothing in-process to wait on:
    poll its pid log, then its signal mask, with short sleeps (the caller bounds
    this with ``fail_after``). Waiting for the mask makes sure a plain SIGTERM
    could not end it, so only an immediate SIGKILL passes the timing check.
    """
    while True:
        pids = await trio.to_thread.run_sync(prober.pids)
        if pids:
            hanging = await trio.to_thread.run_sync(ignores_sigterm, pids[0])
            if hanging:
                return pids[0]
        await trio.sleep(0.01)


@pytest.mark.parametrize("name", list(SAMPLES))
async def test_real_ffprobe_reads_each_sample(name: str, samples: dict[str, Path]) -> None:
    """Each generated container/codec pair gives its exact codecs, size, rate and duration."""
    expected, _ = SAMPLES[name]
    path = samples[name]
    size = await size_of(path)
    result = await probe_file(str(path), file_size=size, ffprobe="ffprobe")
    assert result.video_codec == expected.video_codec
    assert result.audio_codec == expected.audio_codec
    assert (result.width, result.height) == (expected.width, expected.height)
    assert result.frame_rate == expected.frame_rate
    assert result.file_size == size
    assert result.duration_seconds == pytest.approx(expected.seconds, abs=0.06)
    # Containers round a stream's length to their own timebase: allow one frame either way.
    assert abs(result.duration_frames - expected.seconds * expected.frame_rate) <= 1


@pytest.mark.parametrize("name", list(BROKEN_KINDS))
async def test_broken_file_raises_the_right_error(
    name: str, broken: tuple[Path, dict[str, str]]
) -> None:
    """Each broken file raises its ProbeError subclass, with a reason holding the expected word."""
    directory, words = broken
    path = directory / name
    with pytest.raises(ProbeError) as excinfo:
        await probe(path)
    assert type(excinfo.value) is BROKEN_KINDS[name]
    assert words[name] in excinfo.value.reason
    assert excinfo.value.reason.strip() != ""
    assert excinfo.value.path == str(path)


async def test_ffprobe_message_loses_the_path_prefix(broken: tuple[Path, dict[str, str]]) -> None:
    """ffprobe's complaint is kept without the "file:/path: " it starts with."""
    directory, _ = broken
    with pytest.raises(ProbeFailed) as excinfo:
        await probe(directory / "notes.mkv")
    assert excinfo.value.reason == "Invalid data found when processing input"


async def test_empty_file_is_refused_without_running_ffprobe(
    broken: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """A zero-byte file raises EmptyFile and no prober process is started."""
    prober = make_prober(tmp_path / "bin", "real")
    directory, _ = broken
    with pytest.raises(EmptyFile, match="the file is empty"):
        await probe(directory / "empty.mp4", str(prober.path))
    assert prober.spawn_count() == 0


@pytest.mark.parametrize("name", HOSTILE_NAMES)
async def test_hostile_names_probe_correctly(
    name: str, samples: dict[str, Path], tmp_path: Path
) -> None:
    """A file named like an option, a protocol or shell syntax is probed as that very file."""
    expected, _ = SAMPLES["h264_aac.mp4"]
    path = copy_as(samples["h264_aac.mp4"], tmp_path / name)
    argv = probe_command("ffprobe", str(path))
    assert argv[-1] == "file:" + str(path)
    assert argv.count("file:" + str(path)) == 1
    assert all(name not in arg for arg in argv[:-1])
    result = await probe(path)
    assert (result.video_codec, result.width, result.height) == ("h264", 64, 48)
    assert result.frame_rate == expected.frame_rate


def test_probe_command_makes_relative_paths_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative path starting with "-" is passed as file:<absolute path>, last."""
    monkeypatch.chdir(tmp_path)
    argv = probe_command("/usr/bin/ffprobe", "-rf.mp4")
    assert argv == [
        "/usr/bin/ffprobe",
        "-hide_banner",
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        f"file:{os.path.join(os.getcwd(), '-rf.mp4')}",
    ]


async def test_hanging_prober_times_out_and_is_reaped(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    """A prober that never answers raises ProbeTimeout at once, and its process is gone."""
    prober = make_prober(tmp_path / "bin", "hang")
    path = samples["h264_aac.mp4"]
    started = trio.current_time()
    with pytest.raises(ProbeTimeout, match=r"ffprobe took longer than 0\.5s") as excinfo:
        await probe_file(
            str(path), file_size=await size_of(path), ffprobe=str(prober.path), timeout=0.5
        )
    # The fake ignores SIGTERM: trio's default (SIGTERM, 5 s grace) would take over 5 s.
    assert trio.current_time() - started < 3.0
    assert isinstance(excinfo.value.__cause__, ToolTimeout)
    assert isinstance(excinfo.value.__cause__.__cause__, trio.TooSlowError)
    assert excinfo.value.path == str(path)
    pids = prober.pids()
    assert len(pids) == 1
    assert not process_exists(pids[0])


async def test_cancelling_a_probe_kills_and_reaps_the_prober(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    """Cancelling a running probe from outside ends it and leaves no prober process behind."""
    prober = make_prober(tmp_path / "bin", "hang")
    path = samples["h264_aac.mp4"]
    scope = trio.CancelScope()
    finished = trio.Event()

    async def run_probe() -> None:
        with scope:
            await probe(path, str(prober.path))
        finished.set()

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(run_probe)
            pid = await wait_until_hanging(prober)
            assert process_exists(pid)
            started = trio.current_time()
            scope.cancel()
        assert trio.current_time() - started < 3.0
    assert finished.is_set()
    assert scope.cancelled_caught
    assert prober.pids() == [pid]
    assert not process_exists(pid)


async def test_failing_prober_message_is_kept(samples: dict[str, Path], tmp_path: Path) -> None:
    """A prober that exits non-zero raises ProbeFailed with its last stderr line."""
    prober = make_prober(tmp_path / "bin", "fail")
    with pytest.raises(ProbeFailed) as excinfo:
        await probe(samples["h264_aac.mp4"], str(prober.path))
    assert excinfo.value.reason == "fake prober: simulated failure"


async def test_silent_failure_names_the_exit_status(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    """A prober that fails without a word gives its exit status as the reason."""
    script = write_script(tmp_path / "mute-ffprobe", "#!/bin/sh\nexit 3\n", mode=0o755)
    with pytest.raises(ProbeFailed) as excinfo:
        await probe(samples["h264_aac.mp4"], script)
    assert excinfo.value.reason == "ffprobe exited with status 3"


async def test_missing_prober_raises_prober_missing(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    """A prober path that does not exist raises ProberMissing naming it."""
    missing = tmp_path / "no-such-ffprobe"
    with pytest.raises(ProberMissing, match="cannot run") as excinfo:
        await probe(samples["h264_aac.mp4"], str(missing))
    assert repr(str(missing)) in excinfo.value.reason
    assert isinstance(excinfo.value.__cause__, ToolMissing)
    assert isinstance(excinfo.value.__cause__.__cause__, FileNotFoundError)


async def test_non_executable_prober_raises_prober_missing(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    """A prober path that is not executable raises ProberMissing too."""
    script = write_script(tmp_path / "not-executable", "#!/bin/sh\nexit 0\n", mode=0o644)
    with pytest.raises(ProberMissing, match="Permission denied"):
        await probe(samples["h264_aac.mp4"], script)
