"""Content fingerprints of real files: size plus a hash of the first and last 64 KiB."""

from __future__ import annotations

import errno
import hashlib
import os
import threading
from pathlib import Path

import pytest

from stoat_ferret.scan.fingerprint import (
    CHUNK,
    Fingerprint,
    FingerprintError,
    fingerprint_file,
)

MIB = 1024 * 1024


def data_of(size: int, seed: int = 0) -> bytes:
    """``size`` bytes that differ at every position from other seeds' and other offsets'."""
    block = hashlib.sha256(str(seed).encode()).digest()
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(block + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:size])


def write(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


def test_known_value(tmp_path: Path) -> None:
    """A small file's fingerprint is its size and the BLAKE2b-128 of its bytes."""
    path = write(tmp_path / "a.mp4", b"hello")
    expected = hashlib.blake2b(b"hello", digest_size=16).hexdigest()
    assert fingerprint_file(path) == Fingerprint(5, expected)
    assert str(fingerprint_file(path)) == f"5:{expected}"


def test_large_file_hashes_its_two_ends(tmp_path: Path) -> None:
    """A file over 128 KiB is fingerprinted from its first and last 64 KiB only."""
    data = data_of(3 * MIB)
    path = write(tmp_path / "big.mov", data)
    digest = hashlib.blake2b(data[:CHUNK] + data[-CHUNK:], digest_size=16).hexdigest()
    assert fingerprint_file(path) == Fingerprint(3 * MIB, digest)


def test_same_content_anywhere_has_the_same_fingerprint(tmp_path: Path) -> None:
    """A copy under another name, folder and mtime has the same fingerprint; a move keeps it."""
    data = data_of(MIB + 123)
    original = write(tmp_path / "card" / "C0001.MP4", data)
    before = fingerprint_file(original)
    copy = write(tmp_path / "project" / "media" / "interview.mp4", data)
    os.utime(copy, ns=(1, 1_000_000_000))
    moved = str(tmp_path / "elsewhere.mp4")
    os.rename(original, moved)
    assert fingerprint_file(copy) == before
    assert fingerprint_file(moved) == before


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK - 1, 2 * CHUNK])
def test_small_files_are_hashed_whole(tmp_path: Path, size: int) -> None:
    """A file of 128 KiB or less is hashed whole, with no byte read twice."""
    data = data_of(size)
    path = write(tmp_path / "small.mp4", data)
    expected = hashlib.blake2b(data, digest_size=16).hexdigest()
    assert fingerprint_file(path) == Fingerprint(size, expected)


@pytest.mark.parametrize(
    "offset",
    [0, CHUNK - 1, 2 * CHUNK - 1, 2 * CHUNK],
    ids=["first byte", "end of head", "start of tail", "middle of a small file"],
)
def test_any_changed_byte_of_a_small_file_changes_it(tmp_path: Path, offset: int) -> None:
    """In a file between 64 and 128 KiB + 1, every byte counts, wherever it is."""
    data = bytearray(data_of(2 * CHUNK + 1))
    path = tmp_path / "clip.mp4"
    before = fingerprint_file(write(path, bytes(data)))
    data[offset] ^= 0xFF
    assert fingerprint_file(write(path, bytes(data))) != before


@pytest.mark.parametrize(
    ("offset", "changes"),
    [
        (0, True),
        (CHUNK - 1, True),
        (CHUNK, False),
        (MIB, False),
        (2 * MIB - CHUNK - 1, False),
        (2 * MIB - CHUNK, True),
        (2 * MIB - 1, True),
    ],
)
def test_a_changed_byte_counts_only_in_the_ends(tmp_path: Path, offset: int, changes: bool) -> None:
    """In a 2 MiB file, a byte changed in the first or last 64 KiB changes the fingerprint;
    one in the middle does not (the size still does, below)."""
    data = bytearray(data_of(2 * MIB))
    path = tmp_path / "clip.mxf"
    before = fingerprint_file(write(path, bytes(data)))
    data[offset] ^= 0x01
    after = fingerprint_file(write(path, bytes(data)))
    assert (after != before) is changes


def test_a_different_size_is_a_different_fingerprint(tmp_path: Path) -> None:
    """Two files with the same two ends but different lengths differ by their size."""
    head, tail = data_of(CHUNK, 1), data_of(CHUNK, 2)
    short = fingerprint_file(write(tmp_path / "a.mp4", head + b"\0" * 1000 + tail))
    long = fingerprint_file(write(tmp_path / "b.mp4", head + b"\0" * 2000 + tail))
    assert short.digest == long.digest
    assert short != long
    assert (short.size, long.size) == (2 * CHUNK + 1000, 2 * CHUNK + 2000)


def test_text_form_round_trips() -> None:
    """The text form parses back to the same fingerprint; anything else is refused."""
    fingerprint = Fingerprint(1234, "0123456789abcdef" * 2)
    assert Fingerprint.parse(str(fingerprint)) == fingerprint
    for bad in ["", "1234", "1234:", "x:" + "0" * 32, "12:" + "0" * 31, "12:" + "G" * 32,
                "-1:" + "0" * 32, "12:" + "0" * 32 + ":"]:  # fmt: skip
        with pytest.raises(ValueError, match="not a fingerprint"):
            Fingerprint.parse(bad)


def test_vanished_file(tmp_path: Path) -> None:
    """A file deleted after it was listed gives a reason saying it no longer exists."""
    path = str(tmp_path / "gone.mp4")
    with pytest.raises(FingerprintError) as excinfo:
        fingerprint_file(path)
    assert excinfo.value.path == path
    assert (
        excinfo.value.reason == "the file no longer exists (moved or deleted since it was listed)"
    )


def test_unreadable_file(tmp_path: Path) -> None:
    """A file the service may not read gives a permission reason (skipped as root)."""
    path = write(tmp_path / "locked.mp4", b"data")
    os.chmod(path, 0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: chmod 000 does not deny reading")
        with pytest.raises(FingerprintError) as excinfo:
            fingerprint_file(path)
    finally:
        os.chmod(path, 0o644)
    assert excinfo.value.reason == "permission denied: the service's user may not read this file"


def test_path_that_is_now_a_directory(tmp_path: Path) -> None:
    """A path that became a directory is refused as one."""
    path = tmp_path / "clip.mp4"
    path.mkdir()
    with pytest.raises(FingerprintError) as excinfo:
        fingerprint_file(str(path))
    assert excinfo.value.reason == "the path is now a directory, not a file"


def test_parent_that_is_now_a_file(tmp_path: Path) -> None:
    """A path whose folder was replaced by a file says a folder on the way has changed."""
    write(tmp_path / "folder", b"not a folder any more")
    with pytest.raises(FingerprintError) as excinfo:
        fingerprint_file(str(tmp_path / "folder" / "clip.mp4"))
    assert excinfo.value.reason == (
        "the path no longer leads to a file (a folder on the way has changed)"
    )


@pytest.fixture
def fifo(tmp_path: Path) -> str:
    path = str(tmp_path / "pipe.mp4")
    os.mkfifo(path)
    return path


def test_fifo_is_refused_without_waiting(fifo: str) -> None:
    """A path that became a FIFO is refused at once: opening it does not wait for a writer."""
    outcome: list[BaseException | Fingerprint] = []

    def attempt() -> None:
        try:
            outcome.append(fingerprint_file(fifo))
        except BaseException as exc:  # handed to the test's thread, which asserts on it
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=30)
    if worker.is_alive():
        # Release the stuck open() so the thread can end, then fail.
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join()
        pytest.fail("fingerprint_file blocked opening a FIFO")
    [result] = outcome
    assert isinstance(result, FingerprintError)
    assert result.reason == "the path is no longer a regular file"


def test_symlink_is_followed(tmp_path: Path) -> None:
    """A symlink is fingerprinted as the file it points to."""
    target = write(tmp_path / "store" / "data.bin", data_of(5000))
    link = tmp_path / "clip.mp4"
    os.symlink(target, link)
    assert fingerprint_file(str(link)) == fingerprint_file(target)


def test_file_growing_while_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that grows between the two ends being read (a copy in progress) is refused."""
    path = write(tmp_path / "copying.mp4", data_of(3 * CHUNK))
    real_pread = os.pread

    def pread_then_append(fd: int, length: int, offset: int) -> bytes:
        data = real_pread(fd, length, offset)
        if offset == 0:
            with open(path, "ab") as more:
                more.write(b"more bytes arriving")
        return data

    monkeypatch.setattr(os, "pread", pread_then_append)
    with pytest.raises(FingerprintError) as excinfo:
        fingerprint_file(path)
    assert excinfo.value.reason == "the file changed while it was read (is it still being copied?)"


def test_file_truncated_while_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file cut short after its size was taken is refused rather than hashed short."""
    path = write(tmp_path / "shrinking.mp4", data_of(3 * CHUNK))
    real_pread = os.pread

    def pread_then_truncate(fd: int, length: int, offset: int) -> bytes:
        data = real_pread(fd, length, offset)
        if offset == 0:
            os.truncate(path, CHUNK + 10)
        return data

    monkeypatch.setattr(os, "pread", pread_then_truncate)
    with pytest.raises(FingerprintError) as excinfo:
        fingerprint_file(path)
    assert excinfo.value.reason == "the file changed while it was read (is it still being copied?)"


def test_no_descriptor_is_left_open(tmp_path: Path) -> None:
    """Successes and failures alike close the file they opened."""
    path = write(tmp_path / "a.mp4", data_of(3 * CHUNK))
    (tmp_path / "dir.mp4").mkdir()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        fingerprint_file(path)
        with pytest.raises(FingerprintError):
            fingerprint_file(str(tmp_path / "dir.mp4"))
    assert len(os.listdir("/proc/self/fd")) == before


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.EACCES, "permission denied: the service's user may not read this file"),
        (errno.EPERM, "permission denied: the service's user may not read this file"),
        (errno.EIO, "the disk reported a read error (the drive or card may be failing)"),
        (errno.ELOOP, "the path no longer leads to a file (a folder on the way has changed)"),
        (errno.ESTALE, "cannot read the file: Stale file handle"),
    ],
)
def test_open_failures_have_reasons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, reason: str
) -> None:
    """Each way opening can fail (as root, chmod cannot show some) maps to its own reason."""
    path = write(tmp_path / "a.mp4", b"data")

    def failing_open(*_args: object, **_kwargs: object) -> int:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "open", failing_open)
    with pytest.raises(FingerprintError) as excinfo:
        fingerprint_file(path)
    assert excinfo.value.reason == reason
