"""Thumbnails and scrub strips through the pool, against ffmpeg's pictures of the same frames."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import trio

from stoat_ferret.thumbs.ffmpeg import ThumbnailFailed, frame_time, make_thumbnail
from stoat_ferret.workers.pool import Picture, open_worker_pool

from ..support.media import HOSTILE_NAMES, SAMPLES, make_broken_files
from ..support.pictures import SAME_FRAME_PSNR, picture_size, psnr, reference_thumbnail
from ..support.workers import requires_pyav
from .corpus import anamorphic_mkv, rotated_mp4

pytestmark = requires_pyav


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory, samples: dict[str, Path]) -> dict[str, Path]:
    """The samples, a rotated one and an anamorphic one."""
    directory = tmp_path_factory.mktemp("pictures")
    found = dict(samples)
    found["rotated.mp4"] = rotated_mp4(directory / "rotated.mp4", samples["h264_aac.mp4"])
    found["anamorphic.mkv"] = anamorphic_mkv(directory / "anamorphic.mkv")
    return found


@pytest.mark.parametrize("name", [*SAMPLES, "rotated.mp4", "anamorphic.mkv"])
async def test_thumbnail_is_ffmpegs_picture_of_the_same_frame(
    name: str, videos: dict[str, Path], tmp_path: Path
) -> None:
    """Same size as ffmpeg's thumbnail (turned upright, even height) and the same frame."""
    source = videos[name]
    seconds = SAMPLES[name][0].seconds if name in SAMPLES else 0.5
    reference = tmp_path / "ffmpeg.jpg"
    await make_thumbnail(str(source), str(reference), duration_seconds=seconds, ffmpeg="ffmpeg")
    target = tmp_path / "libav.jpg.part"
    async with open_worker_pool(size=1, timeout=20.0) as pool:
        made = await pool.thumbnail(str(source), str(target), at_seconds=frame_time(seconds))
    assert (made.width, made.height) == await picture_size(reference)
    assert await picture_size(target) == (made.width, made.height)
    assert await psnr(reference, target) > SAME_FRAME_PSNR
    assert sorted(p.name for p in await trio.Path(tmp_path).iterdir()) == [
        "ffmpeg.jpg",
        "libav.jpg.part",
    ]


async def test_rotated_video_thumbnail_is_upright(videos: dict[str, Path], tmp_path: Path) -> None:
    """A 64x48 picture rotated by 90 degrees comes out portrait: 320 wide, 426 high."""
    target = tmp_path / "rotated.jpg"
    async with open_worker_pool(size=1, timeout=20.0) as pool:
        made = await pool.thumbnail(str(videos["rotated.mp4"]), str(target), at_seconds=0.1)
    assert made == Picture(320, 426)


async def test_strip_tiles_the_frames_at_the_times_asked(
    videos: dict[str, Path], tmp_path: Path
) -> None:
    """Four 160-wide frames in one row, each ffmpeg's frame at the time asked for."""
    source = videos["h264_aac.mp4"]
    strip = tmp_path / "strip.jpg.part"
    times = [0.1, 0.35, 0.6, 0.85]
    async with open_worker_pool(size=1, timeout=20.0) as pool:
        made = await pool.strip(str(source), str(strip), times=times, width=160)
    assert made == Picture(640, 120)
    assert await picture_size(strip) == (640, 120)
    for index, at in enumerate(times):
        frame = await reference_thumbnail(source, tmp_path / f"frame{index}.jpg", at=at, width=160)
        tile = f"crop=160:120:{index * 160}:0"
        assert await psnr(frame, strip, crop_b=tile) > SAME_FRAME_PSNR


async def test_strip_of_a_rotated_video_has_upright_tiles(
    videos: dict[str, Path], tmp_path: Path
) -> None:
    """Each tile of a strip is turned upright like a thumbnail: 3 tiles of 80x106."""
    async with open_worker_pool(size=1, timeout=20.0) as pool:
        made = await pool.strip(
            str(videos["rotated.mp4"]), str(tmp_path / "s.jpg"), times=[0.1, 0.5, 0.9], width=80
        )
    assert made == Picture(240, 106)


async def test_strip_frames_keep_the_display_aspect(
    videos: dict[str, Path], tmp_path: Path
) -> None:
    """A 64x48 picture of 4:3 pixels shows 16:9 wide: its tiles are 160x90, pixels made square."""
    async with open_worker_pool(size=1, timeout=20.0) as pool:
        made = await pool.strip(
            str(videos["anamorphic.mkv"]), str(tmp_path / "s.jpg"), times=[0.1, 0.3], width=160
        )
    assert made == Picture(320, 90)


async def test_a_time_past_the_end_gives_the_first_frame(
    videos: dict[str, Path], tmp_path: Path
) -> None:
    """As make_thumbnail retries at 0 s, a thumbnail asked past the end shows the first frame."""
    source = videos["h264_aac.mp4"]
    reference = await reference_thumbnail(source, tmp_path / "first.jpg", at=0.0)
    target = tmp_path / "late.jpg"
    async with open_worker_pool(size=1, timeout=20.0) as pool:
        await pool.thumbnail(str(source), str(target), at_seconds=60.0)
    assert await psnr(reference, target) > SAME_FRAME_PSNR


@pytest.mark.parametrize("name", HOSTILE_NAMES)
async def test_hostile_names_are_read_as_those_very_files(
    name: str, samples: dict[str, Path], tmp_path: Path
) -> None:
    """A source named like an option, a protocol or shell syntax is that file, read as such."""
    source = Path(shutil.copy2(samples["h264_aac.mp4"], tmp_path / name))
    target = tmp_path / "out.jpg"
    async with open_worker_pool(size=1, timeout=20.0) as pool:
        made = await pool.thumbnail(str(source), str(target), at_seconds=0.1)
    assert made == Picture(320, 240)


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory, samples: dict[str, Path]) -> Path:
    directory = tmp_path_factory.mktemp("broken")
    make_broken_files(directory, samples["h264_aac.mp4"])
    return directory


async def test_files_without_a_picture_fail_naming_the_file(broken: Path, tmp_path: Path) -> None:
    """Sound only, not media, or no file at all: ThumbnailFailed naming it, and no picture."""
    target = tmp_path / "out.jpg"
    cases = {
        "audio_only.mp4": "the file has no video stream",
        "notes.mkv": "Invalid data found when processing input",
        "missing.mp4": "No such file or directory",
    }
    async with open_worker_pool(size=1, timeout=20.0) as pool:
        for name, reason in cases.items():
            with pytest.raises(ThumbnailFailed) as excinfo:
                await pool.thumbnail(str(broken / name), str(target), at_seconds=0.0)
            assert (excinfo.value.path, excinfo.value.reason) == (str(broken / name), reason)
        assert pool.stats.crashed == 0
    assert not await trio.Path(target).exists()
