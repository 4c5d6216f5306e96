"""Small text files that record where things stand, written atomically.

Offset checkpoints (at each log dir root: `recovery-point-offset-checkpoint`,
`log-start-offset-checkpoint`, `replication-offset-checkpoint`) use Kafka's text format:

    0                      <- format version
    2                      <- number of entry lines that follow
    orders 0 1234          <- "<topic> <partition> <offset>", one per partition
    orders 1 977

The per-partition `leader-epoch-checkpoint` has the same shape with "<epoch> <start offset>"
lines, and `partition.metadata` holds the topic id as two "key: value" lines:

    version: 0
    topic_id: <the 16-byte UUID in URL-safe base64 without padding, 22 characters>

Every write goes to `<name>.tmp`, is fsynced, renamed over the real name and the directory is
fsynced, so a crash leaves either the old or the new file, never a torn one.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterable

from .errors import CorruptCheckpoint

RECOVERY_POINT_FILE = "recovery-point-offset-checkpoint"
LOG_START_OFFSET_FILE = "log-start-offset-checkpoint"
REPLICATION_OFFSET_FILE = "replication-offset-checkpoint"
LEADER_EPOCH_FILE = "leader-epoch-checkpoint"
PARTITION_METADATA_FILE = "partition.metadata"
CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown"

_VERSION = 0
_MAX_CHECKPOINT_BYTES = 256 * 1024 * 1024  # refuse to slurp something absurd


def write_atomically(path: str, data: bytes, *, fsync: bool = True) -> None:
    """Replace `path` with `data` so that readers see the old or the new content only."""
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
        fsync_dir(os.path.dirname(path) or ".")


def fsync_path(path: str) -> None:
    """fsync a file by name (any descriptor of an inode flushes it); a file that is gone
    (renamed or deleted meanwhile) needs nothing."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: str) -> None:
    """Make a rename/create in `path` durable (a no-op where directories cannot be opened)."""
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


def _read_text(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            raw = f.read(_MAX_CHECKPOINT_BYTES + 1)
    except FileNotFoundError:
        return None
    if len(raw) > _MAX_CHECKPOINT_BYTES:
        raise CorruptCheckpoint(f"{path}: larger than {_MAX_CHECKPOINT_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CorruptCheckpoint(f"{path}: not UTF-8") from None


def _parse_entries(path: str, text: str, width: int) -> list[list[str]]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) < 2:
        raise CorruptCheckpoint(f"{path}: missing version or count line")
    if lines[0].strip() != str(_VERSION):
        raise CorruptCheckpoint(f"{path}: unsupported version {lines[0]!r}")
    try:
        count = int(lines[1])
    except ValueError:
        raise CorruptCheckpoint(f"{path}: bad count line {lines[1]!r}") from None
    body = lines[2:]
    if count != len(body):
        raise CorruptCheckpoint(f"{path}: count {count} but {len(body)} entries")
    entries = []
    for line in body:
        parts = line.split(" ")
        if len(parts) != width:
            raise CorruptCheckpoint(f"{path}: malformed line {line!r}")
        entries.append(parts)
    return entries


def read_offset_checkpoint(path: str) -> dict[tuple[str, int], int]:
    """{(topic, partition): offset}; an absent file is empty. Raises CorruptCheckpoint."""
    text = _read_text(path)
    if text is None:
        return {}
    out: dict[tuple[str, int], int] = {}
    for topic, partition, offset in _parse_entries(path, text, 3):
        try:
            out[(topic, int(partition))] = int(offset)
        except ValueError:
            raise CorruptCheckpoint(f"{path}: bad numbers in {topic} {partition} {offset}") from None
    return out


def write_offset_checkpoint(path: str, offsets: dict[tuple[str, int], int]) -> None:
    lines = [str(_VERSION), str(len(offsets))]
    lines += [f"{t} {p} {o}" for (t, p), o in sorted(offsets.items())]
    write_atomically(path, ("\n".join(lines) + "\n").encode())


def read_epoch_checkpoint(path: str) -> list[tuple[int, int]]:
    """[(epoch, start offset)] in file order; an absent file is empty."""
    text = _read_text(path)
    if text is None:
        return []
    try:
        return [(int(e), int(o)) for e, o in _parse_entries(path, text, 2)]
    except ValueError:
        raise CorruptCheckpoint(f"{path}: bad numbers") from None


def write_epoch_checkpoint(
    path: str, entries: Iterable[tuple[int, int]], *, fsync: bool = True
) -> None:
    items = list(entries)
    lines = [str(_VERSION), str(len(items))] + [f"{e} {o}" for e, o in items]
    write_atomically(path, ("\n".join(lines) + "\n").encode(), fsync=fsync)


def topic_id_to_str(topic_id: uuid.UUID) -> str:
    """Kafka's Uuid.toString: URL-safe base64 of the 16 bytes, padding stripped."""
    return base64.urlsafe_b64encode(topic_id.bytes).decode().rstrip("=")


def topic_id_from_str(text: str) -> uuid.UUID:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != 16:
        raise ValueError(f"not a 16-byte topic id: {text!r}")
    return uuid.UUID(bytes=raw)


def write_partition_metadata(dir_path: str, topic_id: uuid.UUID) -> None:
    body = f"version: 0\ntopic_id: {topic_id_to_str(topic_id)}\n"
    write_atomically(os.path.join(dir_path, PARTITION_METADATA_FILE), body.encode())


def read_partition_metadata(dir_path: str) -> uuid.UUID | None:
    """The topic id stored for a partition, or None when there is no file."""
    path = os.path.join(dir_path, PARTITION_METADATA_FILE)
    text = _read_text(path)
    if text is None:
        return None
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    if fields.get("version") != "0" or "topic_id" not in fields:
        raise CorruptCheckpoint(f"{path}: expected version 0 and a topic_id")
    try:
        return topic_id_from_str(fields["topic_id"])
    except (ValueError, TypeError):
        raise CorruptCheckpoint(f"{path}: bad topic id {fields['topic_id']!r}") from None
