"""Kafka broker and topic configs: definitions, server.properties parsing, validation,
DescribeConfigs entries and IncrementalAlterConfigs (see docs/configs.md).

Public interface (import from here):

* ``load_properties(path)``, ``parse_properties(text)``, ``apply_overrides(props, ["k=v"])``
* ``BrokerConfig(props).validate()``; ``cfg.get_int("num.partitions")`` or ``cfg.num_partitions``;
  ``cfg.warnings`` lists unknown keys
* ``describe_broker(cfg)``, ``describe_topic(overrides, cfg, include_synonyms)`` -> ConfigEntry
* ``validate_topic_configs(configs, cfg)`` -> canonical strings, raises InvalidConfigError
* ``effective_topic_config(overrides, cfg)`` (strings), ``effective_topic_values`` (parsed)
* ``internal_topic_spec("__consumer_offsets", cfg)`` -> (partitions, rf, overrides)
* ``apply_incremental(current, ops)``; ``validate_broker_alter(configs, per_broker)``
* ``BROKER_CONFIGS``, ``TOPIC_CONFIGS``, ``TOPIC_SYNONYMS``; enums ``ConfigSource``,
  ``ConfigType``, ``AlterOp``; errors ``ConfigError``, ``InvalidConfigError`` (INVALID_CONFIG),
  ``InvalidRequestError`` (INVALID_REQUEST)
"""

from moldau.common.configs.alter import AlterOp, apply_incremental
from moldau.common.configs.broker import (
    BrokerConfig,
    Listener,
    broker_config_synonyms,
    describe_broker,
    parse_listeners,
    validate_broker_alter,
)
from moldau.common.configs.broker_defs import BROKER_CONFIGS
from moldau.common.configs.entries import ConfigEntry, ConfigSynonym
from moldau.common.configs.errors import ConfigError, InvalidConfigError, InvalidRequestError
from moldau.common.configs.properties import (
    PropertiesError,
    apply_overrides,
    load_properties,
    parse_properties,
)
from moldau.common.configs.topic import (
    INTERNAL_TOPICS,
    broker_topic_defaults,
    describe_topic,
    effective_topic_config,
    effective_topic_values,
    internal_topic_spec,
    validate_topic_configs,
)
from moldau.common.configs.topic_defs import TOPIC_CONFIGS, TOPIC_SYNONYMS
from moldau.common.configs.types import (
    ConfigKey,
    ConfigSource,
    ConfigType,
    Importance,
    UpdateMode,
    format_value,
    parse_value,
)

__all__ = [
    "BROKER_CONFIGS",
    "INTERNAL_TOPICS",
    "TOPIC_CONFIGS",
    "TOPIC_SYNONYMS",
    "AlterOp",
    "BrokerConfig",
    "ConfigEntry",
    "ConfigError",
    "ConfigKey",
    "ConfigSource",
    "ConfigSynonym",
    "ConfigType",
    "Importance",
    "InvalidConfigError",
    "InvalidRequestError",
    "Listener",
    "PropertiesError",
    "UpdateMode",
    "apply_incremental",
    "apply_overrides",
    "broker_config_synonyms",
    "broker_topic_defaults",
    "describe_broker",
    "describe_topic",
    "effective_topic_config",
    "effective_topic_values",
    "format_value",
    "internal_topic_spec",
    "load_properties",
    "parse_listeners",
    "parse_properties",
    "parse_value",
    "validate_broker_alter",
    "validate_topic_configs",
]
