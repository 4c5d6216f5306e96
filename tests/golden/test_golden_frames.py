"""Requests captured from real clients (tests/golden/capture.py) decode with our codec.

Each frame must decode, re-encode to exactly the captured bytes (so no field is lost or
reordered), and Produce frames must carry valid record batches in the codec named by the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from moldau.protocol.quirks import decode_request, encode_request
from moldau.protocol.records.record import iter_records
from moldau.protocol.records.validate import validate_client_batch

FRAMES = sorted((Path(__file__).parent / "frames").rglob("*.bin"))
CODEC_IDS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def test_frames_were_captured_from_every_client() -> None:
    clients = {p.parent.name for p in FRAMES}
    assert clients >= {"confluent-kafka", "kcat", "kafka-python", "aiokafka"}
    apis = {p.name.split("-v")[0] for p in FRAMES}
    assert apis >= {"ApiVersions", "Metadata", "Produce", "Fetch", "JoinGroup", "OffsetCommit"}


@pytest.mark.parametrize("path", FRAMES, ids=[f"{p.parent.name}/{p.stem}" for p in FRAMES])
def test_frame_decodes_and_reencodes_identically(path: Path) -> None:
    frame = path.read_bytes()
    header, body = decode_request(memoryview(frame))
    again = encode_request(header.api_key, header.api_version, header.correlation_id, header.client_id, body)
    assert again[4:] == frame


PRODUCE = [p for p in FRAMES if p.name.startswith("Produce-")]


@pytest.mark.parametrize("path", PRODUCE, ids=[f"{p.parent.name}/{p.stem}" for p in PRODUCE])
def test_produce_frames_carry_valid_batches(path: Path) -> None:
    codec = CODEC_IDS[path.stem.rsplit("-", 1)[1]]
    _, body = decode_request(memoryview(path.read_bytes()))
    batches = [p.records for t in body.topic_data for p in t.partition_data if p.records is not None]
    assert batches
    for records in batches:
        header = validate_client_batch(records)
        assert header.compression == codec
        recs = list(iter_records(header))
        assert len(recs) == header.records_count > 0
        assert all(r.value is not None for r in recs)
