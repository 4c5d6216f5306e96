import pytest

from moldau.coordinator.config import GroupConfig


def test_defaults_are_kafkas() -> None:
    c = GroupConfig()
    assert c.offsets_topic_num_partitions == 50
    assert c.group_min_session_timeout_ms == 6000
    assert c.group_max_session_timeout_ms == 1_800_000
    assert c.group_initial_rebalance_delay_ms == 3000
    assert c.offsets_retention_ms == 7 * 24 * 3600 * 1000


def test_from_properties() -> None:
    c = GroupConfig.from_properties(
        {
            "offsets.topic.num.partitions": "3",
            "group.initial.rebalance.delay.ms": "0",
            "offsets.retention.minutes": "2",
            "unrelated": "x",
        }
    )
    assert c.offsets_topic_num_partitions == 3
    assert c.group_initial_rebalance_delay_ms == 0
    assert c.offsets_retention_ms == 120_000
    assert c.group_min_session_timeout_ms == 6000


@pytest.mark.parametrize(
    "props",
    [
        {"offsets.topic.num.partitions": "0"},
        {"group.min.session.timeout.ms": "x"},
        {"group.min.session.timeout.ms": "10", "group.max.session.timeout.ms": "5"},
    ],
)
def test_bad_values_are_rejected(props: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        GroupConfig.from_properties(props)
