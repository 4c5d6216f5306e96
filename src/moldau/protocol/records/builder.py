"""Building v2 record batches (the format is described in `batch.py` and `record.py`).

Used where the broker writes batches itself: control markers, internal topics
(__consumer_offsets, __transaction_state), recompression to a topic's compression.type,
compaction, and tests. The result is complete wire/on-disk bytes with a correct CRC-32C.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from moldau.protocol.records.batch import (
    _HEADER,
    ATTR_COMPRESSION_MASK,
    ATTR_CONTROL,
    ATTR_TIMESTAMP_TYPE,
    ATTR_TRANSACTIONAL,
    HEADER_SIZE,
    LOG_OVERHEAD,
    MAGIC_V2,
    NO_PRODUCER_EPOCH,
    NO_PRODUCER_ID,
    NO_SEQUENCE,
    rewrite_crc,
)
from moldau.protocol.records.compression import Codec, compress
from moldau.protocol.records.record import encode_record

NO_TIMESTAMP = -1

BytesLike = bytes | bytearray | memoryview
HeaderIn = tuple[str, BytesLike | None]


def assemble_batch(
    *,
    payload: BytesLike,
    attributes: int,
    records_count: int,
    last_offset_delta: int,
    base_timestamp: int,
    max_timestamp: int,
    base_offset: int = 0,
    partition_leader_epoch: int = -1,
    producer_id: int = NO_PRODUCER_ID,
    producer_epoch: int = NO_PRODUCER_EPOCH,
    base_sequence: int = NO_SEQUENCE,
) -> bytes:
    """Header + an already encoded (and, per `attributes`, compressed) records section."""
    batch_length = HEADER_SIZE - LOG_OVERHEAD + len(payload)
    out = bytearray(HEADER_SIZE)
    _HEADER.pack_into(
        out,
        0,
        base_offset,
        batch_length,
        partition_leader_epoch,
        MAGIC_V2,
        0,
        attributes,
        last_offset_delta,
        base_timestamp,
        max_timestamp,
        producer_id,
        producer_epoch,
        base_sequence,
        records_count,
    )
    out += payload
    rewrite_crc(out, 0)
    return bytes(out)


class BatchBuilder:
    """Accumulates records, then `build()` returns one batch.

    Offsets default to consecutive deltas from 0; pass `offset_delta` to keep gaps (compaction).
    The base timestamp is the first record's timestamp, as Kafka's producers write it.
    With `log_append_time` set, the batch is marked LogAppendTime and its max timestamp is
    that time (which readers then report for every record).
    """

    __slots__ = (
        "compression",
        "base_offset",
        "partition_leader_epoch",
        "producer_id",
        "producer_epoch",
        "base_sequence",
        "transactional",
        "control",
        "log_append_time",
        "_records",
        "_count",
        "_base_ts",
        "_max_ts",
        "_next_delta",
        "_last_delta",
    )

    def __init__(
        self,
        *,
        compression: int = Codec.NONE,
        base_offset: int = 0,
        partition_leader_epoch: int = -1,
        producer_id: int = NO_PRODUCER_ID,
        producer_epoch: int = NO_PRODUCER_EPOCH,
        base_sequence: int = NO_SEQUENCE,
        transactional: bool = False,
        control: bool = False,
        log_append_time: int | None = None,
    ) -> None:
        if not 0 <= compression <= ATTR_COMPRESSION_MASK:
            raise ValueError(f"compression codec {compression} out of range")
        self.compression = int(compression)
        self.base_offset = base_offset
        self.partition_leader_epoch = partition_leader_epoch
        self.producer_id = producer_id
        self.producer_epoch = producer_epoch
        self.base_sequence = base_sequence
        self.transactional = transactional
        self.control = control
        self.log_append_time = log_append_time
        self._records = bytearray()
        self._count = 0
        self._base_ts: int | None = None
        self._max_ts = NO_TIMESTAMP
        self._next_delta = 0
        self._last_delta = -1

    def __len__(self) -> int:
        return self._count

    def append(
        self,
        timestamp: int,
        key: BytesLike | None,
        value: BytesLike | None,
        headers: Sequence[HeaderIn] = (),
        *,
        offset_delta: int | None = None,
    ) -> int:
        """Add a record; returns its offset delta. Deltas must increase."""
        if offset_delta is None:
            offset_delta = self._next_delta
        elif offset_delta <= self._last_delta:
            raise ValueError(f"offset delta {offset_delta} not above {self._last_delta}")
        if self._base_ts is None:
            self._base_ts = timestamp
        encode_record(self._records, offset_delta, timestamp - self._base_ts, key, value, headers)
        if timestamp > self._max_ts:
            self._max_ts = timestamp
        self._count += 1
        self._last_delta = offset_delta
        self._next_delta = offset_delta + 1
        return offset_delta

    def size_estimate(self) -> int:
        """Uncompressed size the batch would have now."""
        return HEADER_SIZE + len(self._records)

    def build(self, *, last_offset_delta: int | None = None) -> bytes:
        """The batch bytes. `last_offset_delta` overrides the last record's delta (a
        compacted batch keeps the original range even when its last records are gone)."""
        attributes = self.compression
        if self.log_append_time is not None:
            attributes |= ATTR_TIMESTAMP_TYPE
        if self.transactional:
            attributes |= ATTR_TRANSACTIONAL
        if self.control:
            attributes |= ATTR_CONTROL
        if last_offset_delta is None:
            last_offset_delta = self._last_delta if self._count else 0
        elif self._count and last_offset_delta < self._last_delta:
            raise ValueError("last_offset_delta below the last record's delta")
        base_ts = NO_TIMESTAMP if self._base_ts is None else self._base_ts
        max_ts = self._max_ts if self.log_append_time is None else self.log_append_time
        payload = compress(self.compression, self._records) if self.compression else self._records
        return assemble_batch(
            payload=payload,
            attributes=attributes,
            records_count=self._count,
            last_offset_delta=last_offset_delta,
            base_timestamp=base_ts,
            max_timestamp=max_ts,
            base_offset=self.base_offset,
            partition_leader_epoch=self.partition_leader_epoch,
            producer_id=self.producer_id,
            producer_epoch=self.producer_epoch,
            base_sequence=self.base_sequence,
        )


def build_batch(
    records: Iterable[tuple[int, BytesLike | None, BytesLike | None, Sequence[HeaderIn]]],
    **options: object,
) -> bytes:
    """One batch from (timestamp, key, value, headers) tuples; options as for BatchBuilder."""
    builder = BatchBuilder(**options)  # type: ignore[arg-type]
    for timestamp, key, value, headers in records:
        builder.append(timestamp, key, value, headers)
    return builder.build()
