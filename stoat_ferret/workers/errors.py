"""Why a request to a media worker gave no result.

WorkerError                 subject (the file), reason (words a person can act on)
 ├── WorkerTimeout          over its time: the worker's process group was killed
 ├── WorkerCrashed          the worker died (or broke the protocol) during the request
 ├── WorkerUnavailable      no worker could be started (PyAV missing, bad Python, …)
 └── WorkerRefused          the worker answered with an error; ``kind`` says which

The pool's own methods translate these at their boundary: :meth:`WorkerPool.probe`
into the probe family (:mod:`stoat_ferret.probe.errors`), the picture methods into
:class:`~stoat_ferret.thumbs.ffmpeg.ThumbnailFailed`.
"""

from __future__ import annotations


class WorkerError(Exception):
    """A request about ``subject`` gave no result; ``reason`` says why."""

    def __init__(self, subject: str, reason: str) -> None:
        super().__init__(f"{subject}: {reason}")
        self.subject = subject
        self.reason = reason


class WorkerTimeout(WorkerError):
    """The request took longer than its limit; its worker was killed and will be replaced."""


class WorkerCrashed(WorkerError):
    """The worker died while working on the request; it will be replaced."""


class WorkerUnavailable(WorkerError):
    """No worker could be started to take the request."""


class WorkerRefused(WorkerError):
    """The worker answered the request with an error of ``kind`` (a protocol ErrorKind)."""

    def __init__(self, subject: str, reason: str, *, kind: str) -> None:
        super().__init__(subject, reason)
        self.kind = kind
