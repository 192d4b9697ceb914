"""Scrub strips: which frames, their size, ffmpeg and the media workers alike, cancel, timeouts."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import pytest
import trio
import trio.testing

from stoat_ferret.probe.run import probe_file
from stoat_ferret.probers import LibavProber, ToolProber
from stoat_ferret.thumbs.ffmpeg import (
    ThumbnailFailed,
    ThumbnailTimeout,
    make_strip,
    strip_command,
)
from stoat_ferret.thumbs.strips import STRIP_WIDTH, strip_times, tile_scale
from stoat_ferret.workers.pool import open_worker_pool
from stoat_ferret.workers.protocol import HANG_ON_ENV, TEST_OPS_ENV

from ..support.media import SAMPLES, copy_as
from ..support.pictures import (
    SAME_FRAME_PSNR,
    picture_size,
    psnr,
    psnr_of_tiles,
    reference_thumbnail,
)
from ..support.prober import make_prober, process_exists
from ..support.waiting import poll_until, wait_for_spawns
from ..support.workers import process_gone, requires_pyav

NTSC = Fraction(30000, 1001)


# -- which frames ------------------------------------------------------------------------------


def test_times_land_a_quarter_frame_before_evenly_spaced_frames() -> None:
    """Frame i of 4 over 100 frames is frame floor((i + 0.5) * 25), asked for a quarter early."""
    times = strip_times(4, duration_seconds=4.0, duration_frames=100, frame_rate=Fraction(25))
    assert times == (0.47, 1.47, 2.47, 3.47)
    assert [round(t * 25 + 0.25) for t in times] == [12, 37, 62, 87]


def test_a_short_clip_repeats_frames_and_never_asks_past_the_last() -> None:
    """Sixteen frames of a five-frame clip: each of the five, in order, none past frame 4."""
    times = strip_times(16, duration_seconds=0.2, duration_frames=5, frame_rate=Fraction(25))
    frames = [round(t * 25 + 0.25) for t in times]
    assert frames == sorted(frames)
    assert set(frames) == {0, 1, 2, 3, 4}
    assert times[0] == 0.0  # frame 0 is asked for at 0, not a quarter frame before it


def test_without_a_frame_count_the_instants_themselves() -> None:
    """With no frame count or rate the times are the middles of equal parts."""
    assert strip_times(2, duration_seconds=10.0, duration_frames=0, frame_rate=NTSC) == (2.5, 7.5)
    with pytest.raises(ValueError, match="at least one frame"):
        strip_times(0, duration_seconds=1.0, duration_frames=1, frame_rate=NTSC)


def test_the_command_seeks_each_frame_in_one_run() -> None:
    """One ffmpeg run: an input per frame with its own -ss, files behind file:, one output."""
    argv = strip_command("ffmpeg", "-i.mp4", "/t/x.jpg.part", times=[0.0, 1.5])
    assert argv.count("-ss") == 2
    assert argv[argv.index("-ss") + 1 : argv.index("-ss") + 4] == [
        "0.000000",
        "-i",
        "file:" + os.path.abspath("-i.mp4"),
    ]
    graph = argv[argv.index("-filter_complex") + 1]
    assert f"[1:v:0]scale={tile_scale(160)},setsar=1,trim=end_frame=1[f1]" in graph
    assert graph.endswith("[f0][f1]hstack=inputs=2[strip]")
    assert argv[-1] == "file:/t/x.jpg.part"


# -- the picture -------------------------------------------------------------------------------


async def test_ffmpeg_strip_of_a_real_clip_is_its_frames_side_by_side(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    """Six 160x120 tiles, each ffmpeg's own picture of the frame its time names."""
    source = samples["h264_aac.mp4"]
    times = strip_times(6, duration_seconds=1.001, duration_frames=30, frame_rate=NTSC)
    target = tmp_path / "strip.jpg"
    await make_strip(str(source), str(target), times=times, duration_seconds=1.001, ffmpeg="ffmpeg")
    assert await picture_size(target) == (6 * STRIP_WIDTH, 120)
    for index, at in enumerate(times):
        frame = await reference_thumbnail(source, tmp_path / f"{index}.jpg", at=at, width=160)
        tile = f"crop=160:120:{index * 160}:0"
        assert await psnr(frame, target, crop_b=tile) > SAME_FRAME_PSNR
    # The tiles are different frames: each is unlike its neighbour's reference.
    assert await psnr(tmp_path / "0.jpg", target, crop_b="crop=160:120:160:0") < SAME_FRAME_PSNR
    assert sorted(os.listdir(tmp_path)) == sorted(["strip.jpg", *(f"{i}.jpg" for i in range(6))])


async def test_non_square_pixels_are_made_square(corpus: dict[str, Path], tmp_path: Path) -> None:
    """A PAL DV frame (720x576, 16:15 pixels) shows 4:3: tiles are 160x120."""
    target = tmp_path / "strip.jpg"
    await make_strip(
        str(corpus["pal.dv"]),
        str(target),
        times=[0.0, 0.04],
        duration_seconds=0.12,
        ffmpeg="ffmpeg",
    )
    assert await picture_size(target) == (320, 120)


async def test_a_strip_asking_past_the_end_is_made_from_the_whole_file(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    """When seeking finds no frame (a file shorter than it says), one decode of it still
    gives every tile: the strip is whole, and no .part is left."""
    target = tmp_path / "strip.jpg"
    await make_strip(
        str(samples["h264_aac.mp4"]),
        str(target),
        times=[0.1, 0.5, 60.0],
        duration_seconds=1.001,
        ffmpeg="ffmpeg",
    )
    assert await picture_size(target) == (480, 120)
    assert os.listdir(tmp_path) == ["strip.jpg"]


async def test_a_file_ffmpeg_cannot_read_fails_with_its_reason(tmp_path: Path) -> None:
    """Not a video: ThumbnailFailed with ffmpeg's reason, and nothing left behind."""
    source = tmp_path / "notes.mp4"
    source.write_text("not a video")
    with pytest.raises(ThumbnailFailed, match="Invalid data found"):
        await make_strip(
            str(source),
            str(tmp_path / "s.jpg"),
            times=[0.0, 0.5],
            duration_seconds=1.0,
            ffmpeg="ffmpeg",
        )
    assert os.listdir(tmp_path) == ["notes.mp4"]


# -- cancel and time limits --------------------------------------------------------------------


async def test_cancel_mid_strip_kills_ffmpeg_and_leaves_no_part_file(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    """ffmpeg has begun writing the strip when the caller is cancelled: it is reaped at once,
    and its half-written .part file is removed."""
    hanging = make_prober(tmp_path / "bin", "ffmpeg-hang-if=hstack")
    out = tmp_path / "out"
    out.mkdir()
    target = out / "v.strip.jpg"
    async with trio.open_nursery() as nursery:
        nursery.start_soon(
            lambda: make_strip(
                str(samples["h264_aac.mp4"]),
                str(target),
                times=[0.1, 0.5],
                duration_seconds=1.0,
                ffmpeg=str(hanging.path),
            )
        )
        [pid] = await wait_for_spawns(hanging, 1)
        with trio.fail_after(20):
            await poll_until(lambda: (out / "v.strip.jpg.part").exists())
        nursery.cancel_scope.cancel()
    assert not process_exists(pid)
    assert os.listdir(out) == []


async def test_a_hung_ffmpeg_strip_times_out_at_the_limit(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    """Past the picture limit ffmpeg is killed, the reason names the limit, no .part is left."""
    hanging = make_prober(tmp_path / "bin", "ffmpeg-hang-if=hstack")
    prober = ToolProber(
        ffprobe="ffprobe", ffmpeg=str(hanging.path), probe_timeout=20.0, picture_timeout=0.5
    )
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ThumbnailTimeout) as timed_out:
        await prober.strip(
            str(samples["h264_aac.mp4"]),
            str(out / "v.strip.jpg"),
            times=[0.1, 0.5],
            duration_seconds=1.0,
        )
    assert timed_out.value.reason == "ffmpeg took longer than 0.5s"
    assert [pid for pid in hanging.pids() if process_exists(pid)] == []
    assert os.listdir(out) == []


@requires_pyav
async def test_a_hung_worker_strip_times_out_and_a_cancel_leaves_nothing(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    """Through the media workers: past the picture limit the worker is killed; cancelled
    mid-strip, it is killed and reaped at once; neither leaves a .part file."""
    source = copy_as(samples["h264_aac.mp4"], tmp_path / "stuck.mp4")
    out = tmp_path / "out"
    out.mkdir()
    env = {TEST_OPS_ENV: "1", HANG_ON_ENV: "stuck"}
    async with open_worker_pool(size=1, timeout=20.0, env=env) as pool:
        prober = LibavProber(pool=pool, probe_timeout=20.0, picture_timeout=0.5)
        with pytest.raises(ThumbnailTimeout) as timed_out:
            await prober.strip(
                str(source), str(out / "v.strip.jpg"), times=[0.1], duration_seconds=1.0
            )
        assert timed_out.value.reason == "the media worker took longer than 0.5s"
        assert os.listdir(out) == []

        patient = LibavProber(pool=pool, probe_timeout=20.0, picture_timeout=60.0)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(
                lambda: patient.strip(
                    str(source), str(out / "v.strip.jpg"), times=[0.1], duration_seconds=1.0
                )
            )
            with trio.fail_after(20):
                await poll_until(lambda: (out / "v.strip.jpg.part").exists())
            [pid] = [w.pid for w in pool._workers if not w.ended]
            nursery.cancel_scope.cancel()
        assert process_gone(pid)
        assert os.listdir(out) == []
        assert (pool.stats.killed, pool.live) == (2, 0)


# -- ffmpeg and the media workers agree ----------------------------------------------------------


@requires_pyav
@pytest.mark.parametrize(
    "name", [*SAMPLES, "families/pal.dv", "families/camera.mov", "families/phone.3gp"]
)
async def test_libav_and_ffmpeg_strips_agree(
    name: str, samples: dict[str, Path], corpus: dict[str, Path], tmp_path: Path
) -> None:
    """The same size through either prober (rotated, non-square pixels and short clips
    included), and tile by tile the same frame: each of one strip's tiles is most like the
    other strip's tile in its place, not its neighbours'."""
    family = name.removeprefix("families/")
    source = corpus[family] if family != name else samples[name]
    probed = await probe_file(
        str(source), file_size=(await trio.Path(source).stat()).st_size, ffprobe="ffprobe"
    )
    count = min(5, probed.duration_frames)
    times = strip_times(
        count,
        duration_seconds=probed.duration_seconds,
        duration_frames=probed.duration_frames,
        frame_rate=probed.frame_rate,
    )
    by_ffmpeg, by_libav = tmp_path / "ffmpeg.jpg", tmp_path / "libav.jpg"
    tools = ToolProber(ffprobe="ffprobe", ffmpeg="ffmpeg", probe_timeout=20, picture_timeout=20)
    await tools.strip(str(source), str(by_ffmpeg), times=times, duration_seconds=1.0)
    async with open_worker_pool(size=1, timeout=20.0) as pool:
        workers = LibavProber(pool=pool, probe_timeout=20.0, picture_timeout=20.0)
        await workers.strip(str(source), str(by_libav), times=times, duration_seconds=1.0)
    width, height = await picture_size(by_ffmpeg)
    assert (width, height) == await picture_size(by_libav)
    assert width == count * STRIP_WIDTH
    assert height % 2 == 0
    for index in range(count):
        likeness = {
            other: await psnr_of_tiles(by_ffmpeg, index, by_libav, other, height=height)
            for other in (index - 1, index, index + 1)
            if 0 <= other < count
        }
        assert max(likeness, key=lambda other: likeness[other]) == index, likeness
