"""Broker config loading: the shipped server.properties, overrides, errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from moldau.broker.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[3]


def test_shipped_server_properties():
    cfg = load_config(REPO / "config" / "server.properties")
    assert cfg.node_id == 0
    assert [(li.name, li.host, li.port) for li in cfg.listeners] == [("PLAINTEXT", "", 9092)]
    assert str(cfg.log_dir) == "/tmp/kafka-logs"
    assert cfg["num.partitions"] == 1
    assert cfg["auto.create.topics.enable"] is True
    assert cfg["message.max.bytes"] == 1048588
    assert cfg.retention_ms == 168 * 3_600_000
    assert cfg.unknown == []
    assert cfg.topic_defaults()["retention.ms"] == str(168 * 3_600_000)


def test_overrides_and_unknown_keys(tmp_path):
    cfg = load_config(
        REPO / "config" / "server.properties",
        [
            "listeners=PLAINTEXT://127.0.0.1:0",
            f"log.dirs={tmp_path}",
            "log.retention.ms=5000",
            "no.such.key=1",
        ],
    )
    assert cfg.listeners[0].host == "127.0.0.1"
    assert cfg.log_dir == tmp_path
    assert cfg.retention_ms == 5000
    assert any("no.such.key" in w for w in cfg.unknown)


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("num.partitions=zero", "num.partitions"),
        ("socket.request.max.bytes=-1", "socket.request.max.bytes"),
        ("listeners=nonsense", "listeners"),
        ("auto.create.topics.enable=maybe", "auto.create.topics.enable"),
    ],
)
def test_invalid_values_name_the_key(override, key):
    with pytest.raises(ConfigError) as e:
        load_config(REPO / "config" / "server.properties", [override])
    assert key in str(e.value)


def test_missing_file():
    with pytest.raises(ConfigError):
        load_config("/no/such/server.properties")
