"""Errors raised by the storage layer; the broker maps each to a Kafka error code."""

from __future__ import annotations


class StorageError(Exception):
    """Base class of everything moldau.storage raises on purpose."""


class OffsetOutOfRange(StorageError):
    """A fetch or lookup asked for an offset outside [log start offset, log end offset].

    Carries both bounds so the broker can answer OFFSET_OUT_OF_RANGE and a consumer with
    auto.offset.reset can pick a valid position without another round trip.
    """

    def __init__(self, offset: int, log_start_offset: int, log_end_offset: int) -> None:
        super().__init__(
            f"offset {offset} is outside the log's range "
            f"[{log_start_offset}, {log_end_offset}]"
        )
        self.offset = offset
        self.log_start_offset = log_start_offset
        self.log_end_offset = log_end_offset


class InvalidBatch(StorageError):
    """The bytes handed to append are not whole v2 record batches (the caller validates CRCs;
    this only guards the log's own invariants: sizes, offsets that go forward)."""


class LogClosed(StorageError):
    """The partition log was closed or deleted; the caller holds a stale reference."""


class CorruptCheckpoint(StorageError):
    """A checkpoint file does not parse; raised so the loader can fall back to recovery."""


class RecordBatchTooLarge(StorageError):
    """A batch is larger than segment.bytes (Kafka: RECORD_BATCH_TOO_LARGE)."""
