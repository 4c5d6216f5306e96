"""Request and response headers, and the protocol's special cases, each explained once.

Header versions:
- Request header v1: api_key int16, api_version int16, correlation_id int32, client_id.
  v2 (used when the API version is flexible) adds a tagged-field section after client_id.
  (v0, without client_id, belonged to ControlledShutdown v0 only, which no longer exists.)
- Response header v0: correlation_id int32. v1 (flexible versions) adds a tagged-field section.

Quirks:
1. client_id is ALWAYS a classic int16-length nullable string, even in header v2, so that any
   broker can read the header of an ApiVersions request of any version.
2. ApiVersions responses ALWAYS use response header v0, even for flexible versions (3+): a
   client that does not yet know our versions must be able to read the answer.
3. ApiVersions with a version we do not know is answered with a v0 body holding
   UNSUPPORTED_VERSION (35) and our supported range for ApiVersions, so the client can retry
   with a version we speak (librdkafka then falls back to v0).
4. Produce v0-2 no longer exist in Kafka 4, but librdkafka < 2.1 disables features when the
   advertised Produce minimum is above 0 (KAFKA-18659): brokers advertise 0 and reject 0-2.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moldau.protocol._generated import APIS, ApiKey
from moldau.protocol.errors import ProtocolError, TruncatedError, UnsupportedVersionError
from moldau.protocol.primitives import Reader, Writer, read_string16, read_uvarint, truncated

_HEADER_FIXED = struct.Struct(">hhi")
_HEADER_WITH_LENGTH = struct.Struct(">hhih")  # the fixed fields and client_id's length
_I32 = struct.Struct(">i")

# Response header: size, correlation id (v0) and an empty tagged-field section (v1).
_RESPONSE_HEADER_V0 = struct.Struct(">ii")
_RESPONSE_HEADER_V1 = struct.Struct(">iiB")
_NEVER = 1 << 16  # above every api version

# Advertised minimum for Produce although versions below 3 are refused (quirk 4).
PRODUCE_ADVERTISED_MIN_VERSION = 0


@dataclass(slots=True)
class RequestHeader:
    api_key: int
    api_version: int
    correlation_id: int
    client_id: str | None
    header_version: int
    body_offset: int  # where the request body starts in the frame


def is_flexible(api_key: int, api_version: int) -> bool:
    spec = APIS.get(api_key)
    return spec is not None and spec.flexible_min is not None and api_version >= spec.flexible_min


def request_header_version(api_key: int, api_version: int) -> int:
    return 2 if is_flexible(api_key, api_version) else 1


def response_header_version(api_key: int, api_version: int) -> int:
    if api_key == ApiKey.API_VERSIONS:  # quirk 2
        return 0
    return 1 if is_flexible(api_key, api_version) else 0


def _first_version(header_version: Callable[[int, int], int], wanted: int) -> dict[int, int]:
    """api key -> first version for which `header_version` says `wanted` (_NEVER if none).

    The per-request paths below compare against these thresholds instead of calling the
    functions above, which stay the one statement of the rules (quirk 2 included)."""
    return {
        key: next((v for v in range(_last(spec) + 1) if header_version(key, v) == wanted), _NEVER)
        for key, spec in APIS.items()
    }


def _last(spec: Any) -> int:
    # flexibility starts at flexible_min even when that is above the valid versions
    return max(spec.max_version, spec.flexible_min or 0)


# unknown keys: request header v1, response header v0
_REQUEST_HEADER_V2_FROM = _first_version(request_header_version, 2)
_RESPONSE_HEADER_V1_FROM = _first_version(response_header_version, 1)


def parse_request_header(frame: memoryview) -> RequestHeader:
    """Decode the header at the start of a request frame (the size prefix already removed).

    Unknown api keys still yield a header (api key, version and correlation id are all we need
    to answer or to log), with header version 1; the caller decides what to do with them.
    Runs once per request: flat helpers on the frame, header version from a table.
    """
    end = len(frame)
    if end < _HEADER_FIXED.size:
        raise TruncatedError(f"request of {end} bytes is shorter than a request header")
    # quirk 1: client_id is never compact; its int16 length is read with the fixed fields
    if end >= _HEADER_WITH_LENGTH.size:
        api_key, api_version, correlation_id, n = _HEADER_WITH_LENGTH.unpack_from(frame, 0)
    else:
        api_key, api_version, correlation_id = _HEADER_FIXED.unpack_from(frame, 0)
        n = -2  # truncated: read_string16 below says so
    pos = _HEADER_WITH_LENGTH.size
    if 0 <= n <= end - pos:
        try:
            client_id: str | None = str(frame[pos : pos + n], "utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(f"string at offset {pos} is not valid UTF-8") from exc
        pos += n
    else:  # null, or a bad length: the helper returns None or raises
        client_id, pos = read_string16(frame, _HEADER_FIXED.size, end, True)
    if api_version >= _REQUEST_HEADER_V2_FROM.get(api_key, _NEVER):
        if pos < end and not frame[pos]:
            pos += 1  # no header tagged fields, the usual case
        else:  # header tagged fields: none are defined that we use
            count, pos = read_uvarint(frame, pos, end)
            while count > 0:
                count -= 1
                _tag, pos = read_uvarint(frame, pos, end)
                size, pos = read_uvarint(frame, pos, end)
                if pos + size > end:
                    truncated(pos, size, end)
                pos += size
        return RequestHeader(api_key, api_version, correlation_id, client_id, 2, pos)
    return RequestHeader(api_key, api_version, correlation_id, client_id, 1, pos)


def decode_request(frame: memoryview) -> tuple[RequestHeader, object]:
    """Header and body of a request; every decoding failure is a `ProtocolError`."""
    header = parse_request_header(frame)
    if header.api_key not in APIS:
        raise UnsupportedVersionError(
            f"unknown api key {header.api_key}", header.api_key, header.api_version
        )
    from moldau.protocol._generated import request_class

    cls = request_class(header.api_key)
    lo, hi = cls.VALID_VERSIONS
    if not lo <= header.api_version <= hi:
        raise UnsupportedVersionError(
            f"{cls.NAME} v{header.api_version} is outside {lo}-{hi}",
            header.api_key,
            header.api_version,
        )
    r = Reader(frame, header.body_offset)
    try:
        body = cls.read(r, header.api_version)
    except ProtocolError:
        raise
    except (struct.error, IndexError, ValueError, OverflowError, MemoryError) as exc:
        raise ProtocolError(f"malformed {cls.NAME} v{header.api_version}: {exc}") from exc
    return header, body


def encode_response(
    api_key: int, api_version: int, correlation_id: int, body: object
) -> list[bytes | bytearray | memoryview]:
    """A complete response frame (size prefix included) as a list of buffers for writelines.

    Runs once per response, so the header version comes from a table (the same answer as
    `response_header_version`) and a frame without big by-reference buffers skips `chunks()`.
    """
    w = Writer()
    buf = w.buf
    if api_version >= _RESPONSE_HEADER_V1_FROM.get(api_key, _NEVER):
        buf += _RESPONSE_HEADER_V1.pack(0, correlation_id, 0)  # size filled in below
    else:
        buf += _RESPONSE_HEADER_V0.pack(0, correlation_id)
    body.write(w, api_version)  # type: ignore[attr-defined]
    if not w._chunks:
        _I32.pack_into(buf, 0, len(buf) - 4)
        return [buf]
    chunks = w.chunks()
    _I32.pack_into(chunks[0], 0, w.size() - 4)
    return chunks


def encode_request(
    api_key: int,
    api_version: int,
    correlation_id: int,
    client_id: str | None,
    body: object,
) -> bytes:
    """A complete request frame (size prefix included); used by our own client and tests."""
    w = Writer()
    w.buf += b"\0\0\0\0"
    w.int16(api_key)
    w.int16(api_version)
    w.int32(correlation_id)
    w.string(client_id, False, True)
    if request_header_version(api_key, api_version) == 2:
        w.buf.append(0)
    body.write(w, api_version)  # type: ignore[attr-defined]
    out = bytearray(w.getvalue())
    _I32.pack_into(out, 0, len(out) - 4)
    return bytes(out)


def decode_response(api_key: int, api_version: int, frame: memoryview) -> tuple[int, object]:
    """(correlation id, body) of a response frame without its size prefix."""
    from moldau.protocol._generated import response_class

    r = Reader(frame)
    try:
        correlation_id = r.int32()
        if response_header_version(api_key, api_version) == 1:
            for _ in range(r.uvarint()):
                r.uvarint()
                r.skip(r.uvarint())
        body = response_class(api_key).read(r, api_version)
    except ProtocolError:
        raise
    except (struct.error, IndexError, ValueError, OverflowError, MemoryError) as exc:
        raise ProtocolError(f"malformed response for api key {api_key}: {exc}") from exc
    return correlation_id, body
