"""Kafka's default partitioner hash: 32-bit MurmurHash2 with Kafka's seed.

Java, kafka-python, aiokafka, kafkajs and franz-go place a keyed record in partition
`(murmur2(key) & 0x7fffffff) % partitions`; the broker-side tools must agree so that
`kafka-console-producer --property parse.key=true` lands keys where a Java client would.
Note the mask, not abs(): the sign bit is simply dropped.

murmur2 here: seed 0x9747b28c, multiplier 0x5bd1e995, shift 24; h = seed ^ len; each
little-endian 4-byte word k is mixed (k *= m; k ^= k >> 24; k *= m) into h (h *= m; h ^= k);
the 1-3 tail bytes are xored in from the highest down, then h *= m; finally h ^= h >> 13,
h *= m, h ^= h >> 15. All arithmetic is modulo 2**32 with logical shifts; the result is
returned as Java's signed int.
"""

from __future__ import annotations

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes | bytearray | memoryview) -> int:
    """Kafka's murmur2 of `data` as a signed 32-bit integer (Java's `Utils.murmur2`)."""
    buf = bytes(data)
    length = len(buf)
    h = (_SEED ^ length) & _MASK
    words = length & ~3
    for i in range(0, words, 4):
        k = int.from_bytes(buf[i : i + 4], "little")
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = length & 3
    if tail:
        if tail == 3:
            h ^= buf[words + 2] << 16
        if tail >= 2:
            h ^= buf[words + 1] << 8
        h ^= buf[words]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h - 0x100000000 if h & 0x80000000 else h


def to_positive(value: int) -> int:
    """Java's `Utils.toPositive`: drop the sign bit (not the absolute value)."""
    return value & 0x7FFFFFFF


def partition_for_key(key: bytes | bytearray | memoryview, num_partitions: int) -> int:
    """The partition Kafka's default partitioner picks for a non-null key."""
    if num_partitions <= 0:
        raise ValueError(f"number of partitions must be positive, got {num_partitions}")
    return to_positive(murmur2(key)) % num_partitions
