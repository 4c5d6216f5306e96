from __future__ import annotations

import gzip
import os

import lz4.frame
import pytest
import snappy
from hypothesis import given, settings
from hypothesis import strategies as st

from moldau.protocol.records.compression import XERIAL_MAGIC, compress, decompress
from moldau.protocol.records.errors import (
    CorruptRecordError,
    RecordTooLargeError,
    UnsupportedCompressionError,
)

CODECS = [0, 1, 2, 3, 4]
SAMPLES = [b"a", os.urandom(5000), b"kafka " * 40_000, os.urandom(70_000) + b"\0" * 70_000]


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("data", SAMPLES, ids=["one", "random", "repetitive", "mixed"])
def test_round_trip(codec: int, data: bytes) -> None:
    assert bytes(decompress(codec, compress(codec, data))) == data


@settings(max_examples=60)
@given(st.sampled_from(CODECS), st.binary(max_size=3000))
def test_round_trip_any(codec: int, data: bytes) -> None:
    assert bytes(decompress(codec, compress(codec, data))) == data


def test_snappy_is_xerial_framed() -> None:
    out = compress(2, b"x" * 100_000)
    assert out.startswith(XERIAL_MAGIC + b"\x00\x00\x00\x01\x00\x00\x00\x01")
    # 100 000 bytes in 32 KiB blocks = 4 blocks, each [int32 length][raw snappy]
    pos, blocks = 16, 0
    while pos < len(out):
        n = int.from_bytes(out[pos : pos + 4], "big")
        assert snappy.decompress(out[pos + 4 : pos + 4 + n])  # raw snappy block
        pos += 4 + n
        blocks += 1
    assert pos == len(out) and blocks == 4


def test_reads_raw_snappy() -> None:
    data = b"raw snappy, no xerial header " * 1000
    assert bytes(decompress(2, snappy.compress(data))) == data


def test_lz4_frame_has_kafka_descriptor_and_reads_foreign_frames() -> None:
    data = os.urandom(1000) * 200
    out = compress(3, data)
    assert out[:7] == bytes.fromhex("04224d18604082")
    info = lz4.frame.get_frame_info(out)
    assert info["block_linked"] is False and info["content_checksum"] is False
    assert lz4.frame.decompress(out) == data
    foreign = lz4.frame.compress(data, block_linked=True, content_checksum=True, store_size=True)
    assert bytes(decompress(3, foreign)) == data


def test_gzip_reads_concatenated_members() -> None:
    assert bytes(decompress(1, gzip.compress(b"abc") + gzip.compress(b"def"))) == b"abcdef"


@pytest.mark.parametrize("codec", [1, 2, 3, 4])
def test_decompression_limit(codec: int) -> None:
    bomb = compress(codec, b"\0" * 4_000_000)
    assert len(bomb) < 300_000
    with pytest.raises(RecordTooLargeError) as info:
        decompress(codec, bomb, max_size=1_000_000)
    assert info.value.error_code == 10
    assert len(decompress(codec, bomb, max_size=4_000_000)) == 4_000_000


def test_uncompressed_limit() -> None:
    with pytest.raises(RecordTooLargeError):
        decompress(0, b"x" * 11, max_size=10)


@pytest.mark.parametrize("codec", [1, 2, 3, 4])
@pytest.mark.parametrize("bad", [b"", b"garbage!" * 5, b"\xff" * 40])
def test_garbage_is_corrupt(codec: int, bad: bytes) -> None:
    with pytest.raises(CorruptRecordError):
        decompress(codec, bad)


@pytest.mark.parametrize("codec", [1, 2, 3, 4])
def test_truncated_is_corrupt(codec: int) -> None:
    out = compress(codec, os.urandom(10_000))
    with pytest.raises(CorruptRecordError):
        decompress(codec, out[: len(out) // 2])


def test_lying_size_hints_are_harmless() -> None:
    # gzip ISIZE claims 4 GiB, zstd header says 1 byte: both still decode (or hit the limit).
    data = b"y" * 200_000
    gz = bytearray(compress(1, data))
    gz[-4:] = b"\xff\xff\xff\xff"
    with pytest.raises(CorruptRecordError):  # the gzip trailer check catches the lie
        decompress(1, bytes(gz))
    assert bytes(decompress(4, compress(4, data), max_size=200_000)) == data


def test_xerial_bad_block_length() -> None:
    bad = XERIAL_MAGIC + b"\x00\x00\x00\x01\x00\x00\x00\x01" + b"\x7f\xff\xff\xff" + b"abc"
    with pytest.raises(CorruptRecordError):
        decompress(2, bad)


@pytest.mark.parametrize("codec", [5, 6, 7])
def test_unknown_codec(codec: int) -> None:
    with pytest.raises(UnsupportedCompressionError) as info:
        decompress(codec, b"abc")
    assert info.value.error_code == 76
    with pytest.raises(UnsupportedCompressionError):
        compress(codec, b"abc")


def test_codec_from_config() -> None:
    from moldau.protocol.records.compression import codec_from_config

    assert codec_from_config("producer") is None
    assert [codec_from_config(n) for n in ("uncompressed", "none", "gzip", "snappy")] == [
        0,
        0,
        1,
        2,
    ]
    assert codec_from_config("LZ4") == 3 and codec_from_config("zstd") == 4
    with pytest.raises(ValueError):
        codec_from_config("brotli")
