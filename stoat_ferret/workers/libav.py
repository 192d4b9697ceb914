"""The media worker: ``python -m stoat_ferret.workers.libav [--memory-limit BYTES] [--nice N]``.

A plain synchronous program, started and owned by :mod:`stoat_ferret.workers.pool`.
It reads one request line at a time from stdin, does the work in-process with PyAV
(probe, thumbnail, scrub strip) and writes one response line to stdout
(:mod:`stoat_ferret.workers.protocol`). It exits when stdin closes.

Before anything else it makes its stdout carry nothing but protocol lines: the
protocol gets a private copy of file descriptor 1, and descriptor 1 itself (where
C code and stray prints would write) is pointed at stderr. Then it lowers its CPU
priority, caps its address space (``RLIMIT_AS``) so that one hostile file cannot
take the machine's memory, turns core dumps off, and only then imports PyAV.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

from .protocol import (
    CRASH_ON_ENV,
    HANG_ON_ENV,
    HELLO_ID,
    TEST_OPS,
    TEST_OPS_ENV,
    ErrorKind,
    Fault,
    Op,
    ProtocolError,
    Request,
    Response,
    decode_request,
    encode_response,
)

#: The most frames one scrub strip may hold.
MAX_STRIP_FRAMES = 100
#: Exit status when PyAV cannot be imported.
EXIT_MISSING = 3

INSTALL_HINT = "PyAV is not installed: install stoat-ferret[libav] to use the libav prober"


class WorkerFailure(Exception):
    """A request failed in a way the worker reports as a :class:`Fault`."""

    def __init__(self, kind: ErrorKind, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def take_stdout() -> IO[bytes]:
    """A private stream onto the real stdout; descriptor 1 now leads to stderr."""
    protocol = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol


def limit_self(*, memory_limit: int, nice: int) -> None:
    if nice:
        os.nice(nice)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))


class Worker:
    """Answers requests with PyAV; built once PyAV has been imported."""

    def __init__(self, *, test_ops: bool) -> None:
        import av
        import av.logging

        from . import describe, pictures

        self._av = av
        self._describe = describe
        self._pictures = pictures
        # FFmpeg logs to stderr; only its errors are worth a line there.
        av.logging.set_level(av.logging.ERROR)
        self._test_ops = test_ops
        self._crash_on = os.environ.get(CRASH_ON_ENV) if test_ops else None
        self._hang_on = os.environ.get(HANG_ON_ENV) if test_ops else None
        self._handlers: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            Op.PROBE: self.probe,
            Op.THUMBNAIL: self.thumbnail,
            Op.STRIP: self.strip,
            Op.CRASH: _crash,
            Op.HANG: _hang,
            Op.ALLOCATE: _allocate,
            Op.SPAWN: _spawn,
            Op.NOISE: _noise,
        }

    def hello(self) -> dict[str, Any]:
        versions = {name: ".".join(map(str, v)) for name, v in self._av.library_versions.items()}
        return {"ready": True, "pid": os.getpid(), "pyav": self._av.__version__, **versions}

    def handle(self, request: Request) -> Response:
        handler = self._handlers.get(request.op)
        if handler is None or (request.op in TEST_OPS and not self._test_ops):
            return _fault(request.id, ErrorKind.BAD_REQUEST, f"unknown operation {request.op!r}")
        try:
            return Response(request.id, result=handler(request.args))
        except WorkerFailure as exc:
            return _fault(request.id, exc.kind, exc.reason)
        except self._av.error.FFmpegError as exc:
            return _fault(request.id, *self._ffmpeg_fault(exc))
        except MemoryError:
            return _fault(request.id, ErrorKind.MEMORY, "ran out of memory")
        except OSError as exc:
            return _fault(request.id, ErrorKind.OS_ERROR, exc.strerror or str(exc))
        except self._pictures.NoPicture as exc:
            return _fault(request.id, ErrorKind.NO_PICTURE, str(exc))
        except Exception as exc:
            # A defect in the worker: answered, so the pool reports it for this file and
            # the worker goes on serving the next.
            return _fault(request.id, ErrorKind.INTERNAL, f"{type(exc).__name__}: {exc}")

    def _ffmpeg_fault(self, exc: Exception) -> tuple[ErrorKind, str]:
        error = self._av.error
        reason = getattr(exc, "strerror", None) or str(exc)
        if isinstance(exc, error.MemoryError):
            return ErrorKind.MEMORY, reason
        if isinstance(exc, OSError):
            return ErrorKind.OS_ERROR, reason
        return ErrorKind.INVALID_DATA, reason

    def probe(self, args: Mapping[str, Any]) -> dict[str, Any]:
        filename = self._describe.ffprobe_filename(_text(args, "path"))
        if self._crash_on and self._crash_on in os.path.basename(filename):
            os.abort()
        self._maybe_hang(filename, None)
        with self._pictures.open_input(filename) as container:
            document = self._describe.describe(container, filename)
        return {"ffprobe_json": _json(document)}

    def thumbnail(self, args: Mapping[str, Any]) -> dict[str, Any]:
        source = self._describe.ffprobe_filename(_text(args, "source"))
        self._maybe_hang(source, _text(args, "target"))
        at_seconds = _number(args, "at_seconds")
        with self._pictures.open_input(source) as container:
            picture = self._pictures.thumbnail(
                container, _text(args, "target"), at_seconds=at_seconds, width=_width(args)
            )
        return {"width": picture.width, "height": picture.height, "at_seconds": at_seconds}

    def strip(self, args: Mapping[str, Any]) -> dict[str, Any]:
        source = self._describe.ffprobe_filename(_text(args, "source"))
        self._maybe_hang(source, _text(args, "target"))
        times = _times(args, "times", 1, MAX_STRIP_FRAMES)
        with self._pictures.open_input(source) as container:
            picture = self._pictures.strip(
                container, _text(args, "target"), times=times, width=_width(args)
            )
        return {"width": picture.width, "height": picture.height, "frames": len(times)}

    def _maybe_hang(self, filename: str, target: str | None) -> None:
        """With the test-only operations: hang on a file named for it, half a picture written."""
        if not self._hang_on or self._hang_on not in os.path.basename(filename):
            return
        if target is not None:
            with open(target, "wb") as partial:
                partial.write(b"\xff\xd8\xff half a picture")
        _hang({})


def _text(args: Mapping[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not value:
        raise WorkerFailure(ErrorKind.BAD_REQUEST, f"{key!r} must be a non-empty string")
    return value


def _number(args: Mapping[str, Any], key: str) -> float:
    value = args.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise WorkerFailure(ErrorKind.BAD_REQUEST, f"{key!r} must be a number, at least 0")
    return float(value)


def _times(args: Mapping[str, Any], key: str, low: int, high: int) -> list[float]:
    value = args.get(key)
    if (
        not isinstance(value, list)
        or not low <= len(value) <= high
        or not all(isinstance(t, int | float) and not isinstance(t, bool) and t >= 0 for t in value)
    ):
        raise WorkerFailure(
            ErrorKind.BAD_REQUEST,
            f"{key!r} must be a list of {low}-{high} numbers, each at least 0",
        )
    return [float(t) for t in value]


def _integer(args: Mapping[str, Any], key: str, low: int, high: int) -> int:
    value = args.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise WorkerFailure(ErrorKind.BAD_REQUEST, f"{key!r} must be a whole number, {low}-{high}")
    return value


def _width(args: Mapping[str, Any]) -> int:
    width = _integer(args, "width", 2, 7680)
    if width % 2:
        raise WorkerFailure(ErrorKind.BAD_REQUEST, "'width' must be even")
    return width


def _json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=True, indent=None)


def _fault(request_id: int, kind: ErrorKind, reason: str) -> Response:
    return Response(request_id, error=Fault(kind, reason))


# -- test-only operations (obeyed only with STOAT_WORKER_TEST_OPS=1) -------------------------


def _crash(args: Mapping[str, Any]) -> dict[str, Any]:
    if args.get("how") == "segfault":
        import ctypes

        ctypes.string_at(0)  # reads address 0: SIGSEGV, as a bug in C code would
    os.abort()


def _hang(_args: Mapping[str, Any]) -> dict[str, Any]:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(3600)  # noqa: TID251 - a synchronous program: no event loop to block


def _allocate(args: Mapping[str, Any]) -> dict[str, Any]:
    held = bytearray(_integer(args, "bytes", 0, 2**62))
    return {"allocated": len(held)}


def _spawn(args: Mapping[str, Any]) -> dict[str, Any]:
    # A grandchild in the worker's process group, as a library that forks would leave.
    # TID251: the worker is a synchronous program, with no event loop to block.
    child = subprocess.Popen(["sleep", "3600"], stdin=subprocess.DEVNULL)  # noqa: TID251
    with open(_text(args, "pid_file"), "w") as pid_file:
        pid_file.write(f"{child.pid}\n")
    return _hang(args)


def _noise(args: Mapping[str, Any]) -> dict[str, Any]:
    text = _text(args, "text").encode()
    os.write(1, text)  # where C code writing to "stdout" ends up
    print(text.decode(), flush=True)  # and Python code printing
    return {"written": len(text)}


# -- main ------------------------------------------------------------------------------------


def serve(worker: Worker, requests: IO[bytes], responses: IO[bytes]) -> None:
    """Answer requests until stdin closes."""
    for line in requests:
        try:
            request = decode_request(line)
        except ProtocolError as exc:
            # Without an id the pool cannot match an answer: say why and stop.
            responses.write(encode_response(_fault(-1, ErrorKind.BAD_REQUEST, str(exc))))
            return
        responses.write(encode_response(worker.handle(request)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stoat_ferret.workers.libav")
    parser.add_argument("--memory-limit", type=int, default=0, help="RLIMIT_AS in bytes (0: none)")
    parser.add_argument("--nice", type=int, default=0, help="niceness to run at")
    args = parser.parse_args(argv)
    responses = take_stdout()
    limit_self(memory_limit=args.memory_limit, nice=args.nice)
    try:
        worker = Worker(test_ops=os.environ.get(TEST_OPS_ENV) == "1")
    except ImportError as exc:
        print(f"media worker: {exc}", file=sys.stderr)
        responses.write(encode_response(_fault(HELLO_ID, ErrorKind.MISSING, INSTALL_HINT)))
        return EXIT_MISSING
    responses.write(encode_response(Response(HELLO_ID, result=worker.hello())))
    serve(worker, sys.stdin.buffer, responses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
