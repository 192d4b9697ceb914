"""A stand-in for ffprobe, for injecting hangs, delays and failures.

Run through the wrapper that :func:`make_prober` writes: the wrapper records its
process id, then ``exec``s this script (same pid), so a test can check that every
prober process it started is gone afterwards. Modes:

``hang``        sleep forever (ignoring SIGTERM), to be killed by the service
``hang-on=W``   hang for files whose name contains W; behave as ``real`` otherwise
``slow=S``      sleep S seconds, then become the real ffprobe
``real``        become the real ffprobe at once (counts spawns)
``fail``        print an error and exit 1
``vanish-on=W`` for files whose name contains W, probe with the real ffprobe, then delete
                the file before answering: it is gone by the time the scan reads it again
``dir-on=W``    the same, but the file is replaced by a directory of the same name

As a stand-in for ffmpeg (each becomes the real ffmpeg unless an argument holds W):

``ffmpeg-hang-if=W``   write a few bytes to the output file (the last argument), then hang
``ffmpeg-fail-if=W``   print an error and exit 1
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def _real(args: list[str]) -> None:
    os.execvp("ffprobe", ["ffprobe", *args])


def _probe_then(args: list[str], change: str) -> None:
    """Probe with the real ffprobe, change the file as ``change`` says, then answer."""
    done = subprocess.run(["ffprobe", *args], capture_output=True, check=False)
    path = args[-1].removeprefix("file:")
    os.remove(path)
    if change == "dir":
        os.mkdir(path)
    sys.stdout.buffer.write(done.stdout)
    sys.stderr.buffer.write(done.stderr)
    sys.exit(done.returncode)


def _hang() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(3600)


def _as_ffmpeg(mode: str, args: list[str]) -> None:
    kind, _, word = mode.partition("=")
    if any(word in arg for arg in args):
        if kind == "ffmpeg-hang-if":
            with open(args[-1].removeprefix("file:"), "wb") as output:
                output.write(b"\xff\xd8\xff half a picture")
            _hang()
        print("fake ffmpeg: simulated failure", file=sys.stderr)
        sys.exit(1)
    os.execvp("ffmpeg", ["ffmpeg", *args])


def main() -> None:
    mode, args = sys.argv[1], sys.argv[2:]
    if mode.startswith(("ffmpeg-hang-if=", "ffmpeg-fail-if=")):
        _as_ffmpeg(mode, args)
    if mode == "hang":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            time.sleep(3600)
    if mode.startswith("hang-on="):
        word = mode.partition("=")[2]
        if args and word in os.path.basename(args[-1]):
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            while True:
                time.sleep(3600)
        _real(args)
    if mode.startswith("slow="):
        time.sleep(float(mode.partition("=")[2]))
        _real(args)
    for change in ("vanish", "dir"):
        if mode.startswith(f"{change}-on="):
            word = mode.partition("=")[2]
            if args and word in os.path.basename(args[-1]):
                _probe_then(args, change)
            _real(args)
    if mode == "fail":
        print("fake prober: simulated failure", file=sys.stderr)
        sys.exit(1)
    _real(args)


if __name__ == "__main__":
    main()
