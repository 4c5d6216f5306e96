from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kafka.partitioner.default import murmur2 as kafka_python_murmur2

from moldau.common.murmur2 import murmur2, partition_for_key, to_positive

# Kafka's UtilsTest.testMurmur2 vectors.
VECTORS = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


@pytest.mark.parametrize(("key", "expected"), VECTORS.items())
def test_kafka_vectors(key: bytes, expected: int) -> None:
    assert murmur2(key) == expected


def test_partition_for_key_examples() -> None:
    assert partition_for_key(b"foobar", 12) == 6
    assert partition_for_key(b"abc", 6) == 3
    assert partition_for_key(b"key-0", 3) == 1


def test_to_positive_masks_rather_than_abs() -> None:
    assert to_positive(-1) == 0x7FFFFFFF
    assert to_positive(-(2**31)) == 0


def test_rejects_zero_partitions() -> None:
    with pytest.raises(ValueError):
        partition_for_key(b"x", 0)


@given(st.binary(max_size=64))
def test_matches_kafka_python(data: bytes) -> None:
    assert murmur2(data) & 0xFFFFFFFF == kafka_python_murmur2(data) & 0xFFFFFFFF
    assert -(2**31) <= murmur2(data) < 2**31


@given(st.binary(max_size=64), st.integers(1, 1000))
def test_partition_in_range(data: bytes, n: int) -> None:
    assert 0 <= partition_for_key(data, n) < n
