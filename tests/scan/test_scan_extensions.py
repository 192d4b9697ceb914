"""STOAT_VIDEO_EXTENSIONS reaches the scan: a served scan takes the extra extensions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import trio

from stoat_ferret.protocol import JobStatus
from stoat_ferret.settings import Settings

from ..support.media import copy_as
from ..support.served import serving


async def test_a_scan_takes_the_extensions_added_by_the_setting(
    make_settings: Callable[..., Settings], media_root: Path, samples: dict[str, Path]
) -> None:
    """A file with an extension added by STOAT_VIDEO_EXTENSIONS is scanned; without it, not."""
    await trio.to_thread.run_sync(copy_as, samples["h264_aac.mp4"], media_root / "A001.braw")
    for extensions, found in (((), 0), ((".braw",), 1)):
        async with serving(make_settings(video_extensions=extensions)) as served:
            response = await served.http.post("/api/v1/videos/scan", json={"path": str(media_root)})
            job = await served.job_done(response.json()["job_id"])
            assert job["status"] == JobStatus.COMPLETE
            assert (job["result"]["scanned"], job["result"]["new"]) == (found, found)
