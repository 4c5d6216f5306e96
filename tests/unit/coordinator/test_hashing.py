import pytest

from moldau.coordinator.hashing import java_abs, java_string_hash, partition_for


@pytest.mark.parametrize(
    ("s", "h"),
    [
        ("", 0),
        ("a", 97),
        ("abc", 96354),
        ("hello", 99162322),
        ("polygenelubricants", -(2**31)),  # Java's Integer.MIN_VALUE
        ("\U0001f600", 0xD83D * 31 + 0xDE00),  # hashed as a UTF-16 surrogate pair
        ("é", 0xE9),
    ],
)
def test_java_string_hash(s: str, h: int) -> None:
    assert java_string_hash(s) == h


def test_java_abs_of_min_value_is_zero() -> None:
    assert java_abs(-(2**31)) == 0
    assert java_abs(-5) == 5


def test_partition_for_matches_kafka_placement() -> None:
    # "hello".hashCode() = 99162322 -> 99162322 % 50 = 22
    assert partition_for("hello", 50) == 22
    assert partition_for("polygenelubricants", 50) == 0
    # a negative hash: abs before the modulo (not Python's floor modulo of a negative)
    h = java_string_hash("console-consumer-12345")
    assert partition_for("console-consumer-12345", 50) == abs(h) % 50
    with pytest.raises(ValueError):
        partition_for("g", 0)


def test_partition_for_is_stable_across_processes() -> None:
    # Python's hash() is salted per process; ours must not be.
    assert partition_for("my-group", 50) == java_abs(java_string_hash("my-group")) % 50
