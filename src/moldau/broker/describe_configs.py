"""The broker's bridge to `moldau.common.configs` for the config APIs.

Topic and broker config values as DescribeConfigs reports them (value, source, synonyms,
type, documentation), and the validation CreateTopics / AlterConfigs apply before a topic's
overrides are stored. The definitions and the resolution rules (override, else the first
broker synonym set, else the default) live in `moldau.common.configs`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from moldau.broker.config import BrokerConfig
from moldau.common import configs as kc
from moldau.common.configs import ConfigEntry, InvalidConfigError, InvalidRequestError

__all__ = [
    "ConfigEntry",
    "InvalidConfigError",
    "InvalidRequestError",
    "apply_incremental",
    "describe_broker",
    "describe_topic",
    "validate_topic_configs",
]


def validate_topic_configs(
    configs: Mapping[str, str | None], broker: BrokerConfig
) -> dict[str, str]:
    """Canonical overrides, or InvalidConfigError naming the key and why.

    On top of Kafka's definitions, the storage layer's own checks (LogConfig) run too, so a
    value the log cannot use is refused here rather than failing later.
    """
    from moldau.storage.config import LogConfig

    canonical = kc.validate_topic_configs(configs, broker.common)
    merged = broker.topic_defaults()
    merged.update(canonical)
    try:
        LogConfig.from_topic_configs(merged)
    except ValueError as exc:
        raise InvalidConfigError("", str(exc)) from None
    return canonical


def describe_topic(
    overrides: Mapping[str, str],
    broker: BrokerConfig,
    include_synonyms: bool = False,
    names: Iterable[str] | None = None,
) -> list[ConfigEntry]:
    return kc.describe_topic(
        overrides, broker.common, include_synonyms, None if names is None else list(names)
    )


def describe_broker(
    broker: BrokerConfig, include_synonyms: bool = False, names: Iterable[str] | None = None
) -> list[ConfigEntry]:
    return kc.describe_broker(broker.common, include_synonyms, names)


def apply_incremental(current: Mapping[str, str], ops: Iterable[Any]) -> dict[str, str]:
    return kc.apply_incremental(current, ops)
