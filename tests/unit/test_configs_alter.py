"""IncrementalAlterConfigs ops on stored overrides."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from moldau.common.configs import (
    BROKER_CONFIGS,
    AlterOp,
    InvalidConfigError,
    InvalidRequestError,
    apply_incremental,
    validate_topic_configs,
)


def test_set_and_delete() -> None:
    cur = {"retention.ms": "1000", "segment.ms": "5"}
    out = apply_incremental(cur, [("retention.ms", AlterOp.SET, "2000"), ("segment.ms", AlterOp.DELETE, None),
                                  ("flush.ms", AlterOp.DELETE, None)])
    assert out == {"retention.ms": "2000"}
    assert cur == {"retention.ms": "1000", "segment.ms": "5"}


def test_append_starts_from_default_and_skips_present_items() -> None:
    out = apply_incremental({}, [("cleanup.policy", AlterOp.APPEND, "compact")])
    assert out == {"cleanup.policy": "delete,compact"}
    out = apply_incremental(out, [("cleanup.policy", AlterOp.APPEND, "compact,delete")])
    assert out == {"cleanup.policy": "delete,compact"}
    validate_topic_configs(out)


def test_append_to_empty_default_has_no_leading_comma() -> None:
    out = apply_incremental({}, [("leader.replication.throttled.replicas", AlterOp.APPEND, "0:1")])
    assert out == {"leader.replication.throttled.replicas": "0:1"}


def test_subtract() -> None:
    out = apply_incremental({"cleanup.policy": "compact,delete"}, [("cleanup.policy", AlterOp.SUBTRACT, "delete")])
    assert out == {"cleanup.policy": "compact"}
    out = apply_incremental({}, [("cleanup.policy", AlterOp.SUBTRACT, "delete")])
    assert out == {"cleanup.policy": ""}


def test_append_on_non_list_is_invalid_config() -> None:
    with pytest.raises(InvalidConfigError, match="Cannot APPEND to config retention.ms: its type is LONG, not LIST"):
        apply_incremental({}, [("retention.ms", AlterOp.APPEND, "1")])
    with pytest.raises(InvalidConfigError, match="SUBTRACT"):
        apply_incremental({}, [("retention.ms", AlterOp.SUBTRACT, "1")])


def test_duplicate_keys_and_unknown_op_are_invalid_request() -> None:
    with pytest.raises(InvalidRequestError, match="duplicate"):
        apply_incremental({}, [("retention.ms", 0, "1"), ("retention.ms", 1, None)])
    with pytest.raises(InvalidRequestError):
        apply_incremental({}, [("retention.ms", 9, "1")])


def test_accepts_protocol_objects_and_broker_definitions() -> None:
    op = SimpleNamespace(name="log.cleanup.policy", config_operation=2, value="compact")
    out = apply_incremental({}, [op], BROKER_CONFIGS)
    assert out == {"log.cleanup.policy": "delete,compact"}
