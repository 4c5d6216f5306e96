import pytest
from hypothesis import given
from hypothesis import strategies as st

from moldau.coordinator.records import (
    CorruptCoordinatorRecordError,
    GroupRecord,
    OffsetAndMetadata,
    OffsetRecord,
    decode,
    group_metadata_record,
    group_tombstone,
    offset_commit_record,
    offset_tombstone,
)
from moldau.protocol._generated.group_coordinator.group_metadata_value import (
    GroupMetadataValue,
    MemberMetadata,
)
from moldau.protocol._generated.group_coordinator.offset_commit_key import OffsetCommitKey
from moldau.protocol._generated.group_coordinator.offset_commit_value import OffsetCommitValue
from moldau.protocol.primitives import Writer


def test_offset_key_layout_is_kafkas() -> None:
    rec = offset_commit_record(
        "g", "t", 3, OffsetAndMetadata(offset=42, metadata="m", commit_timestamp_ms=7)
    )
    # int16 type 1, then string group, string topic, int32 partition
    assert rec.key == b"\x00\x01" + b"\x00\x01g" + b"\x00\x01t" + b"\x00\x00\x00\x03"
    # value v3: offset int64, leader epoch int32, metadata string, commit timestamp int64
    assert rec.value == (
        b"\x00\x03"
        + (42).to_bytes(8, "big")
        + b"\xff\xff\xff\xff"
        + b"\x00\x01m"
        + (7).to_bytes(8, "big")
    )


def test_offset_round_trip_and_expiry_version() -> None:
    om = OffsetAndMetadata(offset=5, leader_epoch=2, metadata="x", commit_timestamp_ms=10)
    d = decode(*_kv(offset_commit_record("grp", "topic", 1, om)))
    assert d == OffsetRecord("grp", "topic", 1, om)
    with_expiry = OffsetAndMetadata(
        offset=5, metadata="", commit_timestamp_ms=10, expire_timestamp_ms=99
    )
    rec = offset_commit_record("grp", "topic", 1, with_expiry)
    assert rec.value is not None and rec.value[:2] == b"\x00\x01"  # v1 carries the expire timestamp
    assert decode(*_kv(rec)) == OffsetRecord("grp", "topic", 1, with_expiry)


def test_tombstones() -> None:
    assert decode(*_kv(offset_tombstone("g", "t", 0))) == OffsetRecord("g", "t", 0, None)
    assert decode(*_kv(group_tombstone("g"))) == GroupRecord("g", None)


def test_group_metadata_round_trip() -> None:
    v = GroupMetadataValue(
        protocol_type="consumer",
        generation=3,
        protocol="range",
        leader="m1",
        current_state_timestamp=123,
        members=[
            MemberMetadata(
                member_id="m1",
                group_instance_id="i1",
                client_id="c",
                client_host="/127.0.0.1",
                rebalance_timeout=300,
                session_timeout=100,
                subscription=b"sub",
                assignment=b"asg",
            )
        ],
    )
    rec = group_metadata_record("g", v)
    assert rec.key == b"\x00\x02\x00\x01g"
    assert rec.value is not None and rec.value[:2] == b"\x00\x03"
    d = decode(*_kv(rec))
    assert isinstance(d, GroupRecord) and d.value == v


def test_records_of_other_group_types_are_skipped() -> None:
    assert decode(b"\x00\x03\x00\x01g", b"\x00\x00") is None  # ConsumerGroupMetadata (KIP-848)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (b"", None),
        (b"\x00\x01\x00", None),  # truncated key
        (b"\x00\x02\x00\x01gXX", None),  # trailing bytes
        (b"\xff\xff", None),  # negative type
        (b"\x00\x01\x00\x01g\x00\x01t\x00\x00\x00\x00", b"\x00\x09"),  # unknown value version
        (b"\x00\x01\x00\x01g\x00\x01t\x00\x00\x00\x00", b"\x00\x03\x00"),  # truncated value
        (b"\x00\x02\x00\x01g", b"\x00\x03\x00\x7f"),  # truncated group value
    ],
)
def test_corrupt_records_raise_one_error_type(key: bytes, value: bytes | None) -> None:
    with pytest.raises(CorruptCoordinatorRecordError):
        decode(key, value)


def _kv(rec):  # type: ignore[no-untyped-def]
    return rec.key, rec.value


@given(
    group=st.text(max_size=40),
    topic=st.text(max_size=40),
    partition=st.integers(-(2**31), 2**31 - 1),
    offset=st.integers(-(2**63), 2**63 - 1),
    epoch=st.integers(-(2**31), 2**31 - 1),
    metadata=st.text(max_size=60),
    ts=st.integers(0, 2**62),
    expire=st.one_of(st.just(-1), st.integers(0, 2**62)),
)
def test_packed_offset_records_equal_the_generated_codec(
    group: str,
    topic: str,
    partition: int,
    offset: int,
    epoch: int,
    metadata: str,
    ts: int,
    expire: int,
) -> None:
    om = OffsetAndMetadata(offset, epoch if expire < 0 else -1, metadata, ts, expire)
    rec = offset_commit_record(group, topic, partition, om)
    w = Writer()
    w.int16(1)
    OffsetCommitKey(group=group, topic=topic, partition=partition).write(w, 0)
    assert rec.key == w.getvalue()
    version = 1 if expire >= 0 else 3
    w = Writer()
    w.int16(version)
    OffsetCommitValue(
        offset=offset,
        leader_epoch=om.leader_epoch,
        metadata=metadata,
        commit_timestamp=ts,
        expire_timestamp=expire,
    ).write(w, version)
    assert rec.value == w.getvalue()
    assert decode(rec.key, rec.value) == OffsetRecord(group, topic, partition, om)


def test_oversized_strings_are_refused() -> None:
    with pytest.raises(ValueError):
        offset_commit_record("g" * 40000, "t", 0, OffsetAndMetadata(1))
    with pytest.raises(ValueError):
        offset_commit_record("g", "t", 0, OffsetAndMetadata(1, metadata="m" * 40000))
