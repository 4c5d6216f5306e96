"""The records of `__consumer_offsets`, in the format of Kafka's group coordinator.

Every record is a (key, value) pair of byte strings inside an ordinary record batch of the
compacted `__consumer_offsets` topic. The format is Kafka's own (schemas in
`../shared/kafka-protocol/internal/group-coordinator/`), so the topic means what it means in
Kafka and tools that decode it work unchanged:

    key   = int16 record type + key body (always encoded at version 0)
    value = int16 value version + value body encoded at that version,
            or null: a tombstone that deletes whatever the key names (and lets
            compaction drop it)

    type 0  LegacyOffsetCommitKey{group, topic, partition}   (written by old Kafka; read only)
    type 1  OffsetCommitKey{group, topic, partition} -> OffsetCommitValue
              v1 when the commit carries an explicit expire timestamp (OffsetCommit v2-v4
              retention_time_ms), else v3 (offset, leader epoch, metadata, commit time)
    type 2  GroupMetadataKey{group} -> GroupMetadataValue v3 (protocol type, generation,
              protocol, leader, state timestamp, members with their subscription and
              assignment bytes exactly as the clients sent them)
    3..23   KIP-848 consumer/share/streams group records: not used by this coordinator; a
            loader skips them (`decode` returns None).

Compaction keeps the newest record per key, so the latest GroupMetadataValue of a group and the
latest OffsetCommitValue of each (group, topic, partition) are what a restart replays.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from moldau.protocol._generated.group_coordinator.group_metadata_key import GroupMetadataKey
from moldau.protocol._generated.group_coordinator.group_metadata_value import (
    GroupMetadataValue,
)
from moldau.protocol._generated.group_coordinator.offset_commit_key import OffsetCommitKey
from moldau.protocol._generated.group_coordinator.offset_commit_value import OffsetCommitValue
from moldau.protocol.errors import ProtocolError
from moldau.protocol.primitives import Reader, Writer

LEGACY_OFFSET_COMMIT_TYPE = 0
OFFSET_COMMIT_TYPE = 1
GROUP_METADATA_TYPE = 2

OFFSET_VALUE_VERSION = 3
OFFSET_VALUE_VERSION_WITH_EXPIRY = 1
GROUP_METADATA_VALUE_VERSION = 3


class CorruptCoordinatorRecordError(ProtocolError):
    """A `__consumer_offsets` record whose key or value does not decode."""


@dataclass(frozen=True, slots=True)
class CoordinatorRecord:
    """One record for `__consumer_offsets`; `value` None is a tombstone.

    Records made here also carry their decoded form, so replaying the coordinator's own
    writes does not decode the bytes it has just encoded (loading decodes them).
    """

    key: bytes
    value: bytes | None
    parsed: OffsetRecord | GroupRecord | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True)
class OffsetAndMetadata:
    """A committed offset as the coordinator keeps it (and as OffsetCommitValue stores it)."""

    offset: int
    leader_epoch: int = -1
    metadata: str = ""
    commit_timestamp_ms: int = 0
    expire_timestamp_ms: int = -1  # -1: expiry follows offsets.retention.minutes


@dataclass(frozen=True, slots=True)
class OffsetRecord:
    """A decoded offset-commit record; `value` None deletes the committed offset."""

    group: str
    topic: str
    partition: int
    value: OffsetAndMetadata | None


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """A decoded group-metadata record; `value` None deletes the group."""

    group: str
    value: GroupMetadataValue | None


_I16 = struct.Struct(">h")
_KEY_HEAD = struct.Struct(">hh")  # record type, group length
_I32 = struct.Struct(">i")
_V3_HEAD = struct.Struct(">hqi")  # version, offset, leader epoch
_V1_HEAD = struct.Struct(">hq")  # version, offset
_I64 = struct.Struct(">q")
_I64X2 = struct.Struct(">qq")
_MAX_STRING = 0x7FFF


def _str(s: str) -> bytes:
    data = s.encode("utf-8")
    if len(data) > _MAX_STRING:
        raise ValueError(f"string of {len(data)} bytes does not fit an int16 length")
    return _I16.pack(len(data)) + data


# Offset commits are the hot path (one record per committed partition), so their key and value
# are packed directly; tests check the bytes against the generated OffsetCommitKey/Value codec.


def _offset_key(group: str, topic: str, partition: int) -> bytes:
    g = group.encode("utf-8")
    if len(g) > _MAX_STRING:
        raise ValueError(f"group id of {len(g)} bytes does not fit an int16 length")
    return _KEY_HEAD.pack(OFFSET_COMMIT_TYPE, len(g)) + g + _str(topic) + _I32.pack(partition)


def offset_commit_record(
    group: str, topic: str, partition: int, om: OffsetAndMetadata
) -> CoordinatorRecord:
    if om.expire_timestamp_ms >= 0:
        value = (
            _V1_HEAD.pack(OFFSET_VALUE_VERSION_WITH_EXPIRY, om.offset)
            + _str(om.metadata)
            + _I64X2.pack(om.commit_timestamp_ms, om.expire_timestamp_ms)
        )
    else:
        value = (
            _V3_HEAD.pack(OFFSET_VALUE_VERSION, om.offset, om.leader_epoch)
            + _str(om.metadata)
            + _I64.pack(om.commit_timestamp_ms)
        )
    return CoordinatorRecord(
        _offset_key(group, topic, partition), value, OffsetRecord(group, topic, partition, om)
    )


def offset_tombstone(group: str, topic: str, partition: int) -> CoordinatorRecord:
    return CoordinatorRecord(
        _offset_key(group, topic, partition), None, OffsetRecord(group, topic, partition, None)
    )


def _group_key(group: str) -> bytes:
    w = Writer()
    w.int16(GROUP_METADATA_TYPE)
    GroupMetadataKey(group=group).write(w, 0)
    return w.getvalue()


def group_metadata_record(group: str, value: GroupMetadataValue) -> CoordinatorRecord:
    w = Writer()
    w.int16(GROUP_METADATA_VALUE_VERSION)
    value.write(w, GROUP_METADATA_VALUE_VERSION)
    return CoordinatorRecord(_group_key(group), w.getvalue(), GroupRecord(group, value))


def group_tombstone(group: str) -> CoordinatorRecord:
    return CoordinatorRecord(_group_key(group), None, GroupRecord(group, None))


def decode(
    key: bytes | memoryview, value: bytes | memoryview | None
) -> OffsetRecord | GroupRecord | None:
    """Decode one record; None for record types this coordinator does not own.

    Raises CorruptCoordinatorRecordError when the bytes do not decode (truncated, bad
    version, trailing garbage).
    """
    try:
        kr = Reader(key)
        rtype = kr.int16()
        if rtype in (LEGACY_OFFSET_COMMIT_TYPE, OFFSET_COMMIT_TYPE):
            k = OffsetCommitKey.read(kr, 0)
            _check_consumed(kr, "key")
            om = None
            if value is not None:
                vr = Reader(value)
                v = OffsetCommitValue.read(vr, vr.int16())
                om = OffsetAndMetadata(
                    offset=v.offset,
                    leader_epoch=v.leader_epoch,
                    metadata=v.metadata,
                    commit_timestamp_ms=v.commit_timestamp,
                    expire_timestamp_ms=v.expire_timestamp,
                )
            return OffsetRecord(k.group, k.topic, k.partition, om)
        if rtype == GROUP_METADATA_TYPE:
            g = GroupMetadataKey.read(kr, 0)
            _check_consumed(kr, "key")
            gv = None
            if value is not None:
                vr = Reader(value)
                gv = GroupMetadataValue.read(vr, vr.int16())
                for m in gv.members:
                    m.subscription = bytes(m.subscription)
                    m.assignment = bytes(m.assignment)
            return GroupRecord(g.group, gv)
        if rtype < 0:
            raise CorruptCoordinatorRecordError(f"negative record type {rtype}")
        return None
    except CorruptCoordinatorRecordError:
        raise
    except ProtocolError as e:
        raise CorruptCoordinatorRecordError(f"undecodable __consumer_offsets record: {e}") from e


def _check_consumed(r: Reader, what: str) -> None:
    if r.remaining():
        raise CorruptCoordinatorRecordError(f"{r.remaining()} trailing bytes after the {what}")
