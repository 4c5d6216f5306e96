"""Value parsing, validators and canonical strings, with Kafka's error wording."""

from __future__ import annotations

import pytest

from moldau.common.configs import (
    BROKER_CONFIGS,
    TOPIC_CONFIGS,
    ConfigError,
    ConfigType,
    format_value,
    parse_value,
)
from moldau.common.configs.types import at_least, between, one_of


@pytest.mark.parametrize(
    ("ctype", "raw", "expected"),
    [
        (ConfigType.BOOLEAN, " TRUE ", True),
        (ConfigType.BOOLEAN, "false", False),
        (ConfigType.INT, " 42 ", 42),
        (ConfigType.INT, "+7", 7),
        (ConfigType.INT, "-2147483648", -(2**31)),
        (ConfigType.SHORT, "32767", 32767),
        (ConfigType.LONG, "9223372036854775807", 2**63 - 1),
        (ConfigType.DOUBLE, "0.5", 0.5),
        (ConfigType.DOUBLE, "1e3", 1000.0),
        (ConfigType.DOUBLE, "2d", 2.0),
        (ConfigType.DOUBLE, ".25", 0.25),
        (ConfigType.LIST, " compact , delete ", ["compact", "delete"]),
        (ConfigType.LIST, "  ", []),
        (ConfigType.STRING, "  x  ", "x"),
        (ConfigType.PASSWORD, " secret ", " secret "),
    ],
)
def test_parse_ok(ctype: ConfigType, raw: str, expected: object) -> None:
    assert parse_value("k", ctype, raw) == expected


@pytest.mark.parametrize(
    ("ctype", "raw", "why"),
    [
        (ConfigType.BOOLEAN, "yes", "Expected value to be either true or false"),
        (ConfigType.INT, "abc", "Not a number of type INT"),
        (ConfigType.INT, "2147483648", "Not a number of type INT"),
        (ConfigType.INT, "1_000", "Not a number of type INT"),
        (ConfigType.INT, "1.0", "Not a number of type INT"),
        (ConfigType.INT, "\u0661", "Not a number of type INT"),
        (ConfigType.SHORT, "40000", "Not a number of type SHORT"),
        (ConfigType.LONG, "9223372036854775808", "Not a number of type LONG"),
        (ConfigType.LONG, "", "Not a number of type LONG"),
        (ConfigType.DOUBLE, "half", "Not a number of type DOUBLE"),
        (ConfigType.DOUBLE, "inf", "Not a number of type DOUBLE"),
    ],
)
def test_parse_errors_in_kafka_words(ctype: ConfigType, raw: str, why: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_value("some.key", ctype, raw)
    assert str(e.value) == f"Invalid value {raw} for configuration some.key: {why}"
    assert e.value.key == "some.key"


def test_huge_value_rejected_without_parsing() -> None:
    with pytest.raises(ConfigError, match="longer than"):
        parse_value("k", ConfigType.LONG, "1" * (2 << 20))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (5, "5"),
        (0.5, "0.5"),
        (1.0, "1.0"),
        (0.9, "0.9"),
        (1e7, "1.0E7"),
        (1.7976931348623157e308, "1.7976931348623157E308"),
        (0.0005, "5.0E-4"),
        (-2.5e9, "-2.5E9"),
        (["a", "b"], "a,b"),
        ([], ""),
        (None, ""),
    ],
)
def test_format_like_java(value: object, text: str) -> None:
    assert format_value(value) == text


def test_range_validators() -> None:
    v = at_least(1)
    v("k", 1)
    with pytest.raises(ConfigError, match="Invalid value 0 for configuration k: Value must be at least 1"):
        v("k", 0)
    b = between(0, 1)
    b("k", 0.5)
    with pytest.raises(ConfigError, match="Value must be no more than 1"):
        b("k", 1.5)
    with pytest.raises(ConfigError, match="Value must be at least 0"):
        b("k", -0.1)
    assert str(b) == "[0,...,1]" and str(v) == "[1,...]"


def test_one_of_validator_for_strings_and_lists() -> None:
    v = one_of("compact", "delete")
    v("k", "delete")
    v("k", ["compact", "delete"])
    with pytest.raises(ConfigError, match="Invalid value cmopact for configuration k: String must be one of: compact, delete"):
        v("k", ["cmopact"])
    with pytest.raises(ConfigError, match="must not be duplicated"):
        v("k", ["delete", "delete"])
    ci = one_of("DISABLED", "UPGRADE", case_insensitive=True)
    ci("k", "upgrade")
    with pytest.raises(ConfigError):
        one_of("x", allow_empty=False)("k", [])


def test_every_default_passes_its_own_validator() -> None:
    for table in (BROKER_CONFIGS, TOPIC_CONFIGS):
        for key in table.values():
            if key.default is not None and key.has_default and key.validator is not None:
                key.validator(key.name, key.default)
            if key.has_default and key.default is not None:
                # the canonical string of a default parses back to the same value
                assert key.parse(format_value(key.default)) == key.default, key.name
