"""LocalMetadataStore: persistence under the log dir, Kafka's errors, listeners."""

from __future__ import annotations

import asyncio
import json

import pytest

from moldau.cluster.metadata import (
    TOPIC_CREATED,
    TOPIC_DELETED,
    MetadataError,
    new_topic_id,
    topic_name_error,
)
from moldau.cluster.metadata_local import METADATA_JSON, LocalMetadataStore
from moldau.protocol.error_codes import ErrorCode


def _store(tmp_path, node_id: int = 0) -> LocalMetadataStore:
    s = LocalMetadataStore(tmp_path, node_id, "127.0.0.1", 9092)
    s.load()
    return s


def test_meta_properties_written_and_kept(tmp_path):
    s = _store(tmp_path)
    text = (tmp_path / "meta.properties").read_text()
    assert f"cluster.id={s.cluster_id}" in text
    assert "node.id=0" in text and "version=1" in text
    assert len(s.cluster_id) == 22
    assert _store(tmp_path).cluster_id == s.cluster_id


def test_other_node_id_refused(tmp_path):
    _store(tmp_path, 0)
    with pytest.raises(MetadataError, match="node.id"):
        _store(tmp_path, 5)


def test_topics_persist_with_ids_and_configs(tmp_path):
    s = _store(tmp_path)
    events = []
    s.add_listener(lambda ev, t: events.append((ev, t.name)))

    async def go():
        t = await s.create_topic("orders", 3, 1, {"retention.ms": "1000"})
        await s.create_partitions("orders", 5)
        await s.set_topic_configs("orders", {"cleanup.policy": "compact"})
        await s.create_topic("gone", 1, 1, {})
        await s.delete_topic("gone")
        return t

    t = asyncio.run(go())
    assert t.topic_id.int > 1
    assert events[0] == (TOPIC_CREATED, "orders") and (TOPIC_DELETED, "gone") in events
    again = _store(tmp_path)
    o = again.topic("orders")
    assert o is not None and o.topic_id == t.topic_id
    assert [p.index for p in o.partitions] == [0, 1, 2, 3, 4]
    assert o.configs == {"cleanup.policy": "compact"}
    assert again.topic("gone") is None
    assert again.topic_by_id(t.topic_id) is o
    doc = json.loads((tmp_path / METADATA_JSON).read_text())
    assert doc["version"] == 1 and "orders" in doc["topics"]


def test_errors(tmp_path):
    s = _store(tmp_path)

    async def go():
        await s.create_topic("t", 1, 1, {})
        with pytest.raises(MetadataError) as e:
            await s.create_topic("t", 1, 1, {})
        assert e.value.error_code == ErrorCode.TOPIC_ALREADY_EXISTS
        with pytest.raises(MetadataError) as e:
            await s.create_topic("u", 1, 3, {})
        assert e.value.error_code == ErrorCode.INVALID_REPLICATION_FACTOR
        with pytest.raises(MetadataError) as e:
            await s.create_partitions("t", 1)
        assert e.value.error_code == ErrorCode.INVALID_PARTITIONS
        with pytest.raises(MetadataError) as e:
            await s.delete_topic("nope")
        assert e.value.error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION

    asyncio.run(go())


def test_corrupt_file_stops_start_up(tmp_path):
    _store(tmp_path)
    (tmp_path / METADATA_JSON).write_text("{not json")
    with pytest.raises(MetadataError, match="corrupt"):
        _store(tmp_path)


def test_producer_id_blocks_never_overlap_across_restarts(tmp_path):
    s = _store(tmp_path)
    a = asyncio.run(s.allocate_producer_ids(1000))
    b = asyncio.run(_store(tmp_path).allocate_producer_ids(1000))
    assert b >= a + 1000


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("a", True),
        ("a.b-c_D9", True),
        ("", False),
        (".", False),
        ("..", False),
        ("x" * 249, True),
        ("x" * 250, False),
        ("a/b", False),
        ("ü", False),
        ("a b", False),
    ],
)
def test_topic_name_rules(name, ok):
    assert (topic_name_error(name) is None) == ok


def test_topic_ids_are_never_reserved():
    assert all(new_topic_id().int > 1 for _ in range(100))


def test_failed_write_leaves_memory_unchanged(tmp_path, monkeypatch):
    s = _store(tmp_path)
    asyncio.run(s.create_topic("kept", 1, 1, {}))

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("moldau.cluster.metadata_local._write_atomic", broken)

    async def go():
        with pytest.raises(MetadataError) as e:
            await s.create_topic("new", 1, 1, {})
        assert e.value.error_code == ErrorCode.KAFKA_STORAGE_ERROR
        with pytest.raises(MetadataError):
            await s.delete_topic("kept")
        with pytest.raises(MetadataError):
            await s.create_partitions("kept", 3)
        with pytest.raises(MetadataError):
            await s.set_topic_configs("kept", {"retention.ms": "1"})

    asyncio.run(go())
    assert s.topic("new") is None
    kept = s.topic("kept")
    assert kept is not None and len(kept.partitions) == 1 and kept.configs == {}


def test_a_cancelled_caller_does_not_interrupt_the_change(tmp_path):
    s = _store(tmp_path)
    seen = []
    s.add_listener(lambda ev, t: seen.append((ev, t.name)))

    async def go():
        task = asyncio.create_task(s.create_topic("c", 2, 1, {}))
        await asyncio.sleep(0)  # the change has started
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for _ in range(2000):  # let the shielded change finish (up to 20 s on a slow disk)
            if seen:
                break
            await asyncio.sleep(0.01)

    asyncio.run(go())
    assert seen == [(TOPIC_CREATED, "c")]
    assert _store(tmp_path).topic("c") is not None
