"""parse_request_header against a spelled-out reading of the header layout.

The parser works on the frame with flat helpers and takes the header version from a table;
this checks it for every api key and version (plus unknown keys), several client ids, header
tagged fields, and that every truncation of a header raises a ProtocolError.
"""

from __future__ import annotations

import struct

import pytest

from moldau.protocol import quirks
from moldau.protocol._generated import APIS
from moldau.protocol.errors import ProtocolError


def header_bytes(key: int, version: int, corr: int, client_id: str | None, tags: bytes) -> bytes:
    out = struct.pack(">hhi", key, version, corr)
    if client_id is None:
        out += struct.pack(">h", -1)
    else:
        data = client_id.encode()
        out += struct.pack(">h", len(data)) + data
    return out + tags


def flexible(key: int, version: int) -> bool:
    spec = APIS.get(key)
    return spec is not None and spec.flexible_min is not None and version >= spec.flexible_min


CLIENT_IDS = [None, "", "rdkafka", "clïent-ß"]
TAGS = {
    "none": b"\x00",
    "two": b"\x02" + b"\x00\x03abc" + b"\x05\x01z",  # tag 0 (3 bytes), tag 5 (1 byte)
}


@pytest.mark.parametrize("client_id", CLIENT_IDS)
def test_every_api_and_version(client_id: str | None) -> None:
    for key, spec in [*APIS.items(), (9999, None)]:
        top = spec.max_version + 1 if spec is not None else 3
        for v in range(0, top + 1):
            for tag_name, tags in TAGS.items():
                flex = flexible(key, v)
                frame = header_bytes(key, v, 42, client_id, tags if flex else b"") + b"BODY"
                h = quirks.parse_request_header(memoryview(frame))
                assert (h.api_key, h.api_version, h.correlation_id) == (key, v, 42)
                assert h.client_id == client_id
                assert h.header_version == (2 if flex else 1)
                assert h.header_version == quirks.request_header_version(key, v)
                assert frame[h.body_offset :] == b"BODY", (key, v, tag_name)


@pytest.mark.parametrize("tag_name", sorted(TAGS))
def test_truncated_headers_raise_protocol_errors(tag_name: str) -> None:
    frame = header_bytes(0, 9, 1, "client", TAGS[tag_name])
    for cut in range(len(frame)):
        with pytest.raises(ProtocolError):
            quirks.parse_request_header(memoryview(frame[:cut]))


def test_bad_client_ids_raise_protocol_errors() -> None:
    base = struct.pack(">hhi", 18, 0, 1)
    for bad in (
        struct.pack(">h", -2),
        struct.pack(">h", 5) + b"abc",
        struct.pack(">h", 2) + b"\xff\xfe",
    ):
        with pytest.raises(ProtocolError):
            quirks.parse_request_header(memoryview(base + bad))


def test_tagged_field_longer_than_the_frame_raises() -> None:
    frame = header_bytes(0, 9, 1, None, b"\x01\x00\x7f" + b"x" * 10)
    with pytest.raises(ProtocolError):
        quirks.parse_request_header(memoryview(frame))
