"""The temporary tree a benchmark works in: generated clips, media folders, prober wrappers."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import attrs

#: Distinct clips a library is copied from: file name -> ffmpeg output arguments.
CLIPS: dict[str, list[str]] = {
    "h264_aac.mp4": [
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"),
    ],
    "h264_vorbis.mkv": ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "libvorbis"],
    "vp9_opus.webm": [
        *("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus"),
    ],
    "mpeg4_mp3.avi": ["-c:v", "mpeg4", "-c:a", "libmp3lame"],
    "mjpeg_pcm.mov": ["-c:v", "mjpeg", "-c:a", "pcm_s16le"],
}
#: Seconds each clip lasts, its frame rate, and so its frames.
CLIP_SECONDS = 0.5
CLIP_RATE = 25
CLIP_FRAMES = round(CLIP_SECONDS * CLIP_RATE)


class BenchError(Exception):
    """Something a measurement depends on went wrong; the run cannot go on."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise BenchError(message)


@attrs.frozen
class Workspace:
    """Where a run works: ``root`` holds clips, media, data, logs and wrapper scripts."""

    root: Path
    ffprobe: str
    ffmpeg: str
    cpus: int

    @property
    def media(self) -> Path:
        """The only allowed scan root."""
        return self.root / "media"

    @property
    def library(self) -> Path:
        return self.media / "library"

    @property
    def small_dir(self) -> Path:
        return self.media / "small"

    def database(self, name: str) -> Path:
        return self.root / "data" / f"{name}.db"

    def scratch(self, name: str) -> Path:
        """An empty directory for one measurement's output (thumbnails, …)."""
        directory = self.root / "scratch" / name
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        return directory

    def library_files(self) -> list[Path]:
        return sorted(self.library.iterdir())

    def wrapper(self, name: str) -> tuple[Path, Path]:
        """The path of wrapper script ``name`` and of the pid log it appends to."""
        return self.root / "bin" / name, self.root / "logs" / f"{name}.pids"


def generate_clip(target: Path, output_args: Sequence[str]) -> None:
    """A test pattern with a tone, 64x48, in the container ``target``'s suffix names."""
    picture = f"testsrc=size=64x48:rate={CLIP_RATE}:duration={CLIP_SECONDS}"
    sources = ["-f", "lavfi", "-i", picture]
    sources += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={CLIP_SECONDS}"]
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *sources]
    subprocess.run([*command, *output_args, str(target)], check=True, capture_output=True)


def fill_directory(directory: Path, clips: Sequence[Path], count: int) -> None:
    """``count`` byte copies of ``clips``, round robin, each under a name of its own."""
    directory.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        clip = clips[index % len(clips)]
        shutil.copyfile(clip, directory / f"{index:05d}-{clip.name}")


def write_wrapper(ws: Workspace, name: str, body: str) -> Path:
    """An executable shell script that appends its pid to its log, then runs ``body``.

    The body ``exec``s its program, so the logged pid is the process the service ran.
    """
    script, pid_log = ws.wrapper(name)
    script.parent.mkdir(parents=True, exist_ok=True)
    pid_log.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(f"#!/bin/sh\necho $$ >> {shlex.quote(str(pid_log))}\n{body}\n")
    script.chmod(0o755)
    return script


def prepare_workspace(root: Path, files: int, *, small_files: int = 4) -> Workspace:
    """Generate the clips, fill the library (``files``) and the small directory."""
    ffprobe, ffmpeg = shutil.which("ffprobe"), shutil.which("ffmpeg")
    if ffprobe is None or ffmpeg is None:
        raise BenchError("ffmpeg and ffprobe must be on PATH")
    ws = Workspace(root=root, ffprobe=ffprobe, ffmpeg=ffmpeg, cpus=os.cpu_count() or 1)
    clip_dir = root / "clips"
    clip_dir.mkdir(parents=True, exist_ok=True)
    clips = []
    for name, output_args in CLIPS.items():
        generate_clip(clip_dir / name, output_args)
        clips.append(clip_dir / name)
    fill_directory(ws.library, clips, files)
    fill_directory(ws.small_dir, clips, small_files)
    return ws
