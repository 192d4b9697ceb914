"""Content fingerprints: who a file is, wherever it lives. Synchronous: run in a worker thread.

A fingerprint is the file's size and a BLAKE2b hash of its first and last 64 KiB (the
whole file when it is 128 KiB or smaller). Those are the parts ffprobe reads anyway
(headers at the front; an MP4's index or an MXF footer at the back), so the pages are
usually in the cache already, and fingerprinting a 10,000-file card costs about 1.3 GB
of reads however large the files are. Name, folder and times play no part: a moved,
renamed or copied file keeps its fingerprint, and a file whose first or last 64 KiB or
whose size changes gets a new one.

BLAKE2b is in the standard library and, at about 0.2 ms of CPU per file (measured on
this project's 2-core machine, with the GIL released while it hashes), costs far less
than reading the 128 KiB it hashes; a faster non-cryptographic hash would not make a
scan measurably quicker.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Sequence

import attrs

#: Bytes hashed from each end of the file.
CHUNK = 64 * 1024
#: Bytes of digest kept: 128 bits, so unrelated files never collide in practice.
DIGEST_SIZE = 16


class FingerprintError(Exception):
    """A file could not be fingerprinted; ``reason`` says why in words a person can act on."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@attrs.frozen
class Fingerprint:
    """A file's size in bytes and the hex BLAKE2b digest of its two ends."""

    size: int
    digest: str

    def __str__(self) -> str:
        return f"{self.size}:{self.digest}"

    @classmethod
    def parse(cls, text: str) -> Fingerprint:
        """Read the text form ``<size>:<hex digest>``; raises ValueError for anything else."""
        size, colon, digest = text.partition(":")
        if (
            not colon
            or not (size.isdecimal() and size.isascii())
            or len(digest) != 2 * DIGEST_SIZE
            or digest.strip("0123456789abcdef")
        ):
            raise ValueError(f"not a fingerprint: {text!r}")
        return cls(int(size), digest)


def fingerprint_file(path: str) -> Fingerprint:
    """The fingerprint of the file at ``path`` (a symlink is followed).

    Raises :class:`FingerprintError` if the file cannot be read, is not a regular file
    (any more), or changes while it is read.
    """
    try:
        # O_NONBLOCK: should the path have become a FIFO, opening it must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise FingerprintError(path, _reason(exc)) from exc
    try:
        before = os.fstat(fd)
        if stat.S_ISDIR(before.st_mode):
            raise FingerprintError(path, "the path is now a directory, not a file")
        if not stat.S_ISREG(before.st_mode):
            raise FingerprintError(path, "the path is no longer a regular file")
        size = before.st_size
        hasher = hashlib.blake2b(digest_size=DIGEST_SIZE)
        hasher.update(_read_exactly(path, fd, 0, min(size, CHUNK)))
        if size > CHUNK:
            tail_start = max(CHUNK, size - CHUNK)
            hasher.update(_read_exactly(path, fd, tail_start, size - tail_start))
        after = os.fstat(fd)
    except OSError as exc:
        raise FingerprintError(path, _reason(exc)) from exc
    finally:
        os.close(fd)
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        raise FingerprintError(path, _CHANGING)
    return Fingerprint(size, hasher.hexdigest())


def fingerprint_files(paths: Sequence[str]) -> list[Fingerprint | FingerprintError]:
    """The fingerprint of each file in ``paths``, or why it could not be read, in order.

    For many small reads in one worker-thread call rather than one call each.
    """
    results: list[Fingerprint | FingerprintError] = []
    for path in paths:
        try:
            results.append(fingerprint_file(path))
        except FingerprintError as exc:
            results.append(exc)
    return results


_CHANGING = "the file changed while it was read (is it still being copied?)"


def _read_exactly(path: str, fd: int, offset: int, length: int) -> bytes:
    parts: list[bytes] = []
    while length > 0:
        data = os.pread(fd, length, offset)
        if not data:
            raise FingerprintError(path, _CHANGING)
        parts.append(data)
        offset += len(data)
        length -= len(data)
    return b"".join(parts)


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "the file no longer exists (moved or deleted since it was listed)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied: the service's user may not read this file"
    if exc.errno == errno.EISDIR:
        return "the path is now a directory, not a file"
    if exc.errno in (errno.ENOTDIR, errno.ELOOP):
        return "the path no longer leads to a file (a folder on the way has changed)"
    if exc.errno == errno.EIO:
        return "the disk reported a read error (the drive or card may be failing)"
    return f"cannot read the file: {exc.strerror or exc}"
