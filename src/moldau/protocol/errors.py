"""The one exception family raised by the codec for bytes that do not make a valid message.

Everything the decoder can trip over (truncated buffers, negative or huge lengths, bad varints,
array counts larger than the bytes present, unknown api keys or versions) ends up as a
`ProtocolError`, so callers need exactly one `except` clause and never see `struct.error`,
`IndexError` or `MemoryError`.
"""

from __future__ import annotations


class ProtocolError(Exception):
    """Bytes that cannot be decoded as the Kafka protocol message they claim to be."""


class TruncatedError(ProtocolError):
    """The buffer ended before the value being read."""


class InvalidLengthError(ProtocolError):
    """A length or count prefix is negative (where null is not allowed) or larger than the data."""


class InvalidVarintError(ProtocolError):
    """A varint runs past 5 (int32) or 10 (int64) bytes."""


class UnsupportedVersionError(ProtocolError):
    """An api key we do not know, or a version outside the range we can decode."""

    def __init__(self, message: str, api_key: int = -1, api_version: int = -1) -> None:
        super().__init__(message)
        self.api_key = api_key
        self.api_version = api_version


class UnsupportedFieldError(ProtocolError):
    """Writing a non-default value into a field that the target version does not have.

    Kafka raises in this case unless the field is marked ignorable in the spec; so do we.
    """


class FrameTooLargeError(ProtocolError):
    """A size prefix above the configured maximum (socket.request.max.bytes)."""
