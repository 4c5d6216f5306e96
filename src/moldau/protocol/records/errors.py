"""Errors for record batches, each carrying the Kafka error code a broker answers with.

All of them are `ProtocolError`s, so code that only wants "bad bytes" needs one `except`;
the produce path reads `error_code` instead of keeping a mapping table.
"""

from __future__ import annotations

from moldau.protocol.errors import ProtocolError

CORRUPT_MESSAGE = 2
MESSAGE_TOO_LARGE = 10
UNSUPPORTED_COMPRESSION_TYPE = 76
INVALID_RECORD = 87


class RecordBatchError(ProtocolError):
    """A record batch (or a record inside one) that cannot be accepted."""

    error_code: int = INVALID_RECORD


class CorruptRecordError(RecordBatchError):
    """The bytes were damaged: CRC mismatch, undecodable compressed data, impossible length."""

    error_code = CORRUPT_MESSAGE


class InvalidRecordError(RecordBatchError):
    """Well-formed bytes that break a rule: wrong magic, count mismatch, control batch from a
    client, missing sequence number, trailing bytes, malformed records."""

    error_code = INVALID_RECORD


class UnsupportedCompressionError(RecordBatchError):
    """A codec the request version may not use (zstd before Produce v7) or an unknown codec id."""

    error_code = UNSUPPORTED_COMPRESSION_TYPE


class RecordTooLargeError(RecordBatchError):
    """A batch above message.max.bytes, or one that decompresses past the configured limit."""

    error_code = MESSAGE_TOO_LARGE
