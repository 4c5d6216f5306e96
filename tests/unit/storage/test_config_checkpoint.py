"""LogConfig from Kafka topic configs; checkpoint file parsing and atomic writes."""

from __future__ import annotations

import pytest

from moldau.storage.checkpoint import (
    read_epoch_checkpoint,
    read_offset_checkpoint,
    write_epoch_checkpoint,
    write_offset_checkpoint,
)
from moldau.storage.config import LONG_MAX, LogConfig
from moldau.storage.errors import CorruptCheckpoint


def test_defaults_are_kafkas():
    c = LogConfig()
    assert c.segment_bytes == 1 << 30 and c.segment_ms == 604_800_000
    assert c.segment_index_bytes == 10 << 20 and c.index_interval_bytes == 4096
    assert c.retention_ms == 604_800_000 and c.retention_bytes == -1
    assert c.cleanup_policy == "delete" and c.delete_retention_ms == 86_400_000
    assert c.min_cleanable_dirty_ratio == 0.5 and c.flush_messages == LONG_MAX
    assert c.file_delete_delay_ms == 60_000 and c.message_timestamp_type == "CreateTime"


def test_from_topic_configs():
    base = LogConfig(retention_ms=1000)
    c = LogConfig.from_topic_configs(
        {"cleanup.policy": "delete,compact", "segment.bytes": "2048", "unrelated.key": "x",
         "min.cleanable.dirty.ratio": "0.25", "message.timestamp.type": "LogAppendTime"},
        base,
    )
    assert c.cleanup_policy == "compact,delete" and c.compact and c.delete
    assert c.segment_bytes == 2048 and c.retention_ms == 1000
    assert c.min_cleanable_dirty_ratio == 0.25 and c.log_append_time
    assert LogConfig.from_topic_configs(c.to_topic_configs()) == c


@pytest.mark.parametrize(
    "key, value",
    [("segment.bytes", "abc"), ("segment.bytes", "1"), ("cleanup.policy", "forever"),
     ("retention.ms", "-2"), ("min.cleanable.dirty.ratio", "1.5"),
     ("message.timestamp.type", "Whenever")],
)
def test_bad_values_name_the_key(key, value):
    with pytest.raises(ValueError):
        LogConfig.from_topic_configs({key: value})


def test_offset_checkpoint_roundtrip_and_format(tmp_path):
    path = str(tmp_path / "cp")
    write_offset_checkpoint(path, {("b", 1): 5, ("a", 0): 7})
    assert (tmp_path / "cp").read_text() == "0\n2\na 0 7\nb 1 5\n"
    assert read_offset_checkpoint(path) == {("a", 0): 7, ("b", 1): 5}
    assert not (tmp_path / "cp.tmp").exists()
    assert read_offset_checkpoint(str(tmp_path / "missing")) == {}


@pytest.mark.parametrize(
    "text",
    ["", "1\n0\n", "0\n2\na 0 1\n", "0\nx\n", "0\n1\na b c\n", "0\n1\na 0\n", "\xff"],
)
def test_corrupt_offset_checkpoints(tmp_path, text):
    (tmp_path / "cp").write_bytes(text.encode("latin-1"))
    with pytest.raises(CorruptCheckpoint):
        read_offset_checkpoint(str(tmp_path / "cp"))


def test_epoch_checkpoint(tmp_path):
    path = str(tmp_path / "leader-epoch-checkpoint")
    write_epoch_checkpoint(path, [(0, 0), (3, 17)])
    assert read_epoch_checkpoint(path) == [(0, 0), (3, 17)]
