"""Property-based checks of the config definitions and validators."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import moldau.common.configs as configs_pkg
from moldau.common.configs import (
    BROKER_CONFIGS,
    TOPIC_CONFIGS,
    BrokerConfig,
    ConfigError,
    ConfigType,
    InvalidConfigError,
    format_value,
    validate_topic_configs,
)
from moldau.common.configs.types import _Range

_INT_KEYS = sorted(
    n for n, k in TOPIC_CONFIGS.items() if k.type in (ConfigType.INT, ConfigType.LONG) and isinstance(k.validator, _Range)
)
_BOUNDS = {ConfigType.INT: (-(2**31), 2**31 - 1), ConfigType.LONG: (-(2**63), 2**63 - 1)}


@given(st.sampled_from(_INT_KEYS), st.integers(min_value=-(2**64), max_value=2**64))
def test_integer_topic_configs_accept_exactly_their_range(name: str, value: int) -> None:
    key = TOPIC_CONFIGS[name]
    rng = key.validator
    assert isinstance(rng, _Range)
    lo, hi = _BOUNDS[key.type]
    if rng.lo is not None:
        lo = max(lo, int(rng.lo))
    if rng.hi is not None:
        hi = min(hi, int(rng.hi))
    ok = lo <= value <= hi
    try:
        out = validate_topic_configs({name: str(value)})
    except InvalidConfigError as e:
        assert not ok, e.message
        assert e.key == name
        assert e.message.startswith(f"Invalid value {value} for configuration {name}: ")
    else:
        assert ok
        assert out == {name: str(value)}


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_double_round_trips_through_its_canonical_string(x: float) -> None:
    key = TOPIC_CONFIGS["min.cleanable.dirty.ratio"]
    try:
        v = key.parse(format_value(x))
    except ConfigError:
        assert not 0 <= x <= 1
    else:
        assert v == x


_names = st.sampled_from(sorted(TOPIC_CONFIGS) + ["nope", "", "retention.hours"])
_values = st.one_of(
    st.text(max_size=20),
    st.integers().map(str),
    st.sampled_from(["true", "false", "compact,delete", "gzip", "CreateTime", "*", "0:1"]),
)


@given(st.dictionaries(_names, _values, max_size=6))
def test_topic_validation_raises_only_invalid_config(configs: dict[str, str]) -> None:
    try:
        out = validate_topic_configs(configs)
    except InvalidConfigError as e:
        assert e.key in configs or e.key in ("min.compaction.lag.ms", "max.compaction.lag.ms")
    else:
        assert set(out) == set(configs)
        assert validate_topic_configs(out) == out  # canonical form is a fixed point


_broker_names = st.sampled_from(sorted(BROKER_CONFIGS) + ["unknown.key"])


@given(st.dictionaries(_broker_names, _values, max_size=6))
def test_broker_config_never_crashes(props: dict[str, str]) -> None:
    cfg = BrokerConfig({"node.id": "1", **props})
    try:
        cfg.validate()
    except ConfigError as e:
        assert e.key is not None
        assert str(e)


def test_package_imports_only_the_standard_library() -> None:
    """moldau.common is the bottom layer: nothing outside the stdlib and this package."""
    pkg_dir = Path(configs_pkg.__file__).parent
    for path in pkg_dir.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                mods = [node.module]
            else:
                continue
            for mod in mods:
                top = mod.split(".")[0]
                assert top in sys.stdlib_module_names or mod.startswith("moldau.common.configs") or top == "__future__", (
                    f"{path.name} imports {mod}"
                )
