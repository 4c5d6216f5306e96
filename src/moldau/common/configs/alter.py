"""IncrementalAlterConfigs operations applied to a resource's stored overrides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import IntEnum
from typing import Any

from moldau.common.configs.errors import InvalidConfigError, InvalidRequestError
from moldau.common.configs.topic_defs import TOPIC_CONFIGS
from moldau.common.configs.types import ConfigKey, ConfigType, format_value

__all__ = ["AlterOp", "apply_incremental"]


class AlterOp(IntEnum):
    """IncrementalAlterConfigs ``ConfigOperation`` numbers."""

    SET = 0
    DELETE = 1
    APPEND = 2
    SUBTRACT = 3


def _unpack(op: Any) -> tuple[str, int, str | None]:
    if isinstance(op, tuple | list):
        name, code, value = op
        return str(name), int(code), value
    return op.name, int(op.config_operation), op.value


def _split(value: str | None) -> list[str]:
    if not value:
        return []
    return [p.strip() for p in value.split(",") if p.strip()]


def apply_incremental(
    current: Mapping[str, str],
    ops: Iterable[Any],
    definitions: Mapping[str, ConfigKey] = TOPIC_CONFIGS,
) -> dict[str, str]:
    """Apply IncrementalAlterConfigs ops to ``current`` overrides; return the new overrides.

    Each op is ``(name, op, value)`` or an object with ``name``, ``config_operation`` and
    ``value`` (the generated AlterableConfig). SET replaces, DELETE removes, APPEND and
    SUBTRACT add/remove list elements and are allowed only on LIST-typed configs. APPEND
    starts from the current override, else the config's default. The result is not
    validated: pass it to validate_topic_configs (or validate_broker_alter).

    Raises InvalidRequestError for a key named twice or an unknown operation, and
    InvalidConfigError for APPEND/SUBTRACT on a non-list config or an unknown name.
    """
    result = dict(current)
    seen: set[str] = set()
    unpacked = [_unpack(op) for op in ops]
    for name, _, _ in unpacked:
        if name in seen:
            raise InvalidRequestError(f"Error due to duplicate config keys: {name}", name)
        seen.add(name)
    for name, code, value in unpacked:
        if code == AlterOp.SET:
            if value is None:
                raise InvalidConfigError(name, f"Null value not supported for : {name}")
            result[name] = value
        elif code == AlterOp.DELETE:
            result.pop(name, None)
        elif code in (AlterOp.APPEND, AlterOp.SUBTRACT):
            key = definitions.get(name)
            if key is None:
                raise InvalidConfigError(name, f"Unknown config name: {name}")
            if key.type is not ConfigType.LIST:
                op_name = AlterOp(code).name
                raise InvalidConfigError(name, f"Cannot {op_name} to config {name}: its type is {key.type.name}, not LIST")
            if name in result:
                base = _split(result[name])
            else:
                base = list(key.default) if isinstance(key.default, list) else _split(format_value(key.default))
            items = _split(value)
            if code == AlterOp.APPEND:
                new = base + [v for v in items if v not in base]
            else:
                new = [v for v in base if v not in items]
            result[name] = ",".join(new)
        else:
            raise InvalidRequestError(f"Unknown config operation {code} for config {name}", name)
    return result
