"""Producer-state snapshot files: `<20-digit offset>.snapshot` in a partition directory.

A snapshot holds the idempotent-producer state of one partition as it stood when every batch
below `offset` (the file's name) had been applied. Recovery loads the newest snapshot at or
below the log end offset and replays only the batches from there on, instead of the whole log.
The name follows Kafka's convention; the content is moldau's own format (Kafka's is a
different versioned struct, so the files are not interchangeable).

Binary format, version 1, all integers big-endian:

    off size field
      0   4  magic                   b"MPSS" (moldau producer-state snapshot)
      4   2  version                 1
      6   4  crc                     CRC-32C of every byte from offset 10 to the end of file
     10   4  entry count             number of producer entries that follow (>= 0)
     14   .. entries, each:
              8  producer id
              2  producer epoch
              4  coordinator epoch   -1 while transactions are not served
              8  last timestamp      max timestamp of the producer's latest batch (ms)
              8  txn first offset    first offset of the open transaction, -1 for none
              1  batch count         0..5, the retained batches oldest first, each:
                   4  first sequence
                   4  last sequence
                   8  last offset
                   4  offset delta   last offset - first offset of that batch
                   8  timestamp      max timestamp of that batch (ms)

A file that is shorter or longer than its entry count implies, has another magic or version,
a batch count above 5 or a CRC mismatch raises `CorruptSnapshot`; the caller then deletes it
and falls back to an older snapshot or to a replay of the log.

Files are written to `<name>.tmp`, optionally fsynced, then renamed over the final name, so
a crash leaves either no snapshot or a complete one for that offset.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
from collections.abc import Iterable

import crc32c as _crc32c

SNAPSHOT_SUFFIX = ".snapshot"
MAGIC = b"MPSS"
VERSION = 1
MAX_RETAINED_BATCHES = 5

_PREFIX = struct.Struct(">4shI")  # magic, version, crc
_COUNT = struct.Struct(">i")
_ENTRY = struct.Struct(">qhiqqB")  # pid, epoch, coordinator epoch, last ts, txn first offset, n
_BATCH = struct.Struct(">iiqiq")  # first seq, last seq, last offset, offset delta, timestamp
_NAME = re.compile(r"^(\d{20})\.snapshot$")
# A snapshot can never need more than this; refuse to read something absurd into memory.
_MAX_FILE_BYTES = 1 << 30

SnapshotBatch = tuple[int, int, int, int, int]
"""(first seq, last seq, last offset, offset delta, timestamp)"""
SnapshotEntry = tuple[int, int, int, int, int, list[SnapshotBatch]]
"""(producer id, epoch, coordinator epoch, last timestamp, txn first offset, batches)"""


class CorruptSnapshot(Exception):
    """A snapshot file does not parse or fails its CRC."""


def snapshot_name(offset: int) -> str:
    return f"{offset:020d}{SNAPSHOT_SUFFIX}"


def snapshot_path(dir_path: str, offset: int) -> str:
    return os.path.join(dir_path, snapshot_name(offset))


def offset_of(name: str) -> int | None:
    """The offset a snapshot file name stands for, or None for any other file."""
    m = _NAME.match(name)
    return int(m.group(1)) if m else None


def list_snapshots(dir_path: str) -> list[int]:
    """Offsets of the snapshot files in `dir_path`, ascending (no directory: none)."""
    try:
        names = os.listdir(dir_path)
    except FileNotFoundError:
        return []
    offsets = [o for o in (offset_of(n) for n in names) if o is not None]
    return sorted(offsets)


def encode(entries: Iterable[SnapshotEntry]) -> bytes:
    body = bytearray(_COUNT.size)
    count = 0
    for pid, epoch, coord_epoch, last_ts, txn_first, batches in entries:
        if len(batches) > MAX_RETAINED_BATCHES:
            raise ValueError(f"producer {pid} has {len(batches)} batches, at most 5 are kept")
        body += _ENTRY.pack(pid, epoch, coord_epoch, last_ts, txn_first, len(batches))
        for batch in batches:
            body += _BATCH.pack(*batch)
        count += 1
    _COUNT.pack_into(body, 0, count)
    return _PREFIX.pack(MAGIC, VERSION, _crc32c.crc32c(body)) + bytes(body)


def decode(data: bytes | bytearray | memoryview) -> list[SnapshotEntry]:
    mv = memoryview(data)
    if len(mv) < _PREFIX.size + _COUNT.size:
        raise CorruptSnapshot(f"snapshot of {len(mv)} bytes is shorter than its header")
    magic, version, crc = _PREFIX.unpack_from(mv, 0)
    if magic != MAGIC:
        raise CorruptSnapshot(f"bad snapshot magic {bytes(magic)!r}")
    if version != VERSION:
        raise CorruptSnapshot(f"unsupported snapshot version {version}")
    if _crc32c.crc32c(mv[_PREFIX.size :]) != crc:
        raise CorruptSnapshot("snapshot CRC mismatch")
    pos = _PREFIX.size
    (count,) = _COUNT.unpack_from(mv, pos)
    pos += _COUNT.size
    # Every entry takes at least _ENTRY.size bytes: a count that cannot fit is corrupt, and
    # checking it first keeps a bad count from driving a long loop.
    if count < 0 or count * _ENTRY.size > len(mv) - pos:
        raise CorruptSnapshot(f"entry count {count} does not fit in {len(mv)} bytes")
    out: list[SnapshotEntry] = []
    for _ in range(count):
        if pos + _ENTRY.size > len(mv):
            raise CorruptSnapshot("snapshot truncated inside an entry")
        pid, epoch, coord_epoch, last_ts, txn_first, n = _ENTRY.unpack_from(mv, pos)
        pos += _ENTRY.size
        if n > MAX_RETAINED_BATCHES:
            raise CorruptSnapshot(f"producer {pid} claims {n} batches, at most 5 are kept")
        if pos + n * _BATCH.size > len(mv):
            raise CorruptSnapshot("snapshot truncated inside a batch list")
        batches = [_BATCH.unpack_from(mv, pos + i * _BATCH.size) for i in range(n)]
        pos += n * _BATCH.size
        out.append((pid, epoch, coord_epoch, last_ts, txn_first, batches))
    if pos != len(mv):
        raise CorruptSnapshot(f"{len(mv) - pos} trailing bytes after the last entry")
    return out


def write_snapshot(
    dir_path: str, offset: int, entries: Iterable[SnapshotEntry], *, fsync: bool = True
) -> str:
    """Write the snapshot for `offset` atomically and return its path."""
    path = snapshot_path(dir_path, offset)
    data = encode(entries)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    if fsync:
        _fsync_dir(dir_path)
    return path


def read_snapshot(path: str) -> list[SnapshotEntry]:
    """The entries of one snapshot file. Raises CorruptSnapshot (and OSError if unreadable)."""
    with open(path, "rb") as f:
        data = f.read(_MAX_FILE_BYTES + 1)
    if len(data) > _MAX_FILE_BYTES:
        raise CorruptSnapshot(f"{path}: larger than {_MAX_FILE_BYTES} bytes")
    try:
        return decode(data)
    except CorruptSnapshot as exc:
        raise CorruptSnapshot(f"{path}: {exc}") from None


def delete_snapshot(dir_path: str, offset: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(snapshot_path(dir_path, offset))


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
