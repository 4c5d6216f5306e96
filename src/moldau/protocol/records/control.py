"""Control records: the COMMIT/ABORT markers that end a transaction in each partition.

A marker is a batch with the control and transactional attribute bits, the producer's id and
epoch, no sequence (-1), and one record:

    key    int16 version (0)  int16 type (0 = ABORT, 1 = COMMIT)
    value  int16 version (0)  int32 coordinator epoch          (EndTxnMarker)

Readers accept higher versions as long as the fields above are present, so a newer writer's
extra fields are ignored rather than rejected.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from moldau.protocol.records.builder import BatchBuilder
from moldau.protocol.records.errors import InvalidRecordError
from moldau.protocol.records.record import Record

_KEY = struct.Struct(">hh")
_VALUE = struct.Struct(">hi")

CONTROL_KEY_VERSION = 0
END_TXN_MARKER_VERSION = 0


class ControlType(IntEnum):
    ABORT = 0
    COMMIT = 1


@dataclass(frozen=True, slots=True)
class ControlMarker:
    type: int
    coordinator_epoch: int


def control_key(control_type: int) -> bytes:
    return _KEY.pack(CONTROL_KEY_VERSION, control_type)


def end_txn_marker_value(coordinator_epoch: int) -> bytes:
    return _VALUE.pack(END_TXN_MARKER_VERSION, coordinator_epoch)


def build_control_batch(
    control_type: ControlType | int,
    *,
    producer_id: int,
    producer_epoch: int,
    coordinator_epoch: int,
    timestamp: int,
    base_offset: int = 0,
    partition_leader_epoch: int = -1,
) -> bytes:
    """A one-record COMMIT or ABORT marker batch."""
    if int(control_type) not in (ControlType.ABORT, ControlType.COMMIT):
        raise ValueError(f"not a transaction marker type: {control_type}")
    builder = BatchBuilder(
        base_offset=base_offset,
        partition_leader_epoch=partition_leader_epoch,
        producer_id=producer_id,
        producer_epoch=producer_epoch,
        transactional=True,
        control=True,
    )
    builder.append(
        timestamp, control_key(int(control_type)), end_txn_marker_value(coordinator_epoch)
    )
    return builder.build()


def control_type_of(key: bytes | bytearray | memoryview | None) -> int:
    """The control type in a control record's key (any type number, not just 0/1)."""
    if key is None or len(key) < _KEY.size:
        raise InvalidRecordError("control record key shorter than 4 bytes")
    version, control_type = _KEY.unpack_from(key, 0)
    if version < 0:
        raise InvalidRecordError(f"control record key version {version}")
    return int(control_type)


def parse_marker(record: Record) -> ControlMarker:
    """The transaction marker in a control record (COMMIT or ABORT)."""
    control_type = control_type_of(record.key)
    if control_type not in (ControlType.ABORT, ControlType.COMMIT):
        raise InvalidRecordError(f"control type {control_type} is not a transaction marker")
    value = record.value
    if value is None or len(value) < _VALUE.size:
        raise InvalidRecordError("end transaction marker value shorter than 6 bytes")
    version, coordinator_epoch = _VALUE.unpack_from(value, 0)
    if version < 0:
        raise InvalidRecordError(f"end transaction marker version {version}")
    return ControlMarker(control_type, int(coordinator_epoch))
