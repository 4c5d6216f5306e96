"""encode_response frames: the header version it writes agrees with response_header_version.

encode_response looks the header version up in a precomputed table (it runs once per
response); this pins the table to the documented rule, quirk 2 (ApiVersions always v0)
included, for every api key and version, and checks the size prefix of both buffer paths.
"""

from __future__ import annotations

import struct

from moldau.protocol import quirks
from moldau.protocol._generated import APIS, ApiKey
from moldau.protocol.primitives import ZERO_COPY_THRESHOLD, Writer


class RawBody:
    """A body that writes fixed bytes (small ones copied, big ones kept by reference)."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def write(self, w: Writer, v: int) -> None:
        w.raw(self.payload)


def test_header_version_of_every_api_and_version() -> None:
    for key, spec in APIS.items():
        for v in range(0, spec.max_version + 2):
            frame = b"".join(bytes(c) for c in quirks.encode_response(key, v, 77, RawBody(b"x")))
            expected = quirks.response_header_version(key, v)
            header = frame[4:-1]
            assert struct.unpack(">i", header[:4])[0] == 77
            assert header[4:] == (b"\0" if expected == 1 else b""), (key, v)
            assert struct.unpack(">i", frame[:4])[0] == len(frame) - 4


def test_api_versions_always_uses_header_v0() -> None:
    frame = quirks.encode_response(ApiKey.API_VERSIONS, 4, 5, RawBody(b""))
    assert b"".join(bytes(c) for c in frame) == struct.pack(">ii", 4, 5)


def test_unknown_api_key_gets_header_v0() -> None:
    frame = quirks.encode_response(9999, 1, 5, RawBody(b"ab"))
    assert b"".join(bytes(c) for c in frame) == struct.pack(">ii", 6, 5) + b"ab"


def test_size_prefix_counts_buffers_kept_by_reference() -> None:
    big = b"r" * ZERO_COPY_THRESHOLD
    chunks = quirks.encode_response(ApiKey.FETCH, 12, 9, RawBody(big))
    assert any(c is big for c in chunks)  # not copied
    frame = b"".join(bytes(c) for c in chunks)
    assert struct.unpack(">i", frame[:4])[0] == len(frame) - 4 == 4 + 1 + len(big)
