"""Committed offsets and groups survive a broker restart (clean and SIGKILL)."""

from __future__ import annotations

import time

import pytest
from confluent_kafka import ConsumerGroupState, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient

from tests.integration.test_groups_helpers import (
    WAIT,
    assigned,
    consumer,
    create_topic,
    drain,
    poll_until,
    produce,
)
from tests.support.broker import BrokerProcess


def _commit_half(bs: str, topic: str, group: str) -> tuple[list[str], list[str]]:
    create_topic(bs, topic, 3)
    values = produce(bs, topic, 3, 90)
    c = consumer(bs, group)
    c.subscribe([topic])
    first = drain(c, 45)
    c.commit(asynchronous=False)
    c.close()
    simple = consumer(bs, group + "-simple")
    simple.assign([TopicPartition(topic, 1, 0)])
    simple.commit(offsets=[TopicPartition(topic, 1, 17, metadata="kept")], asynchronous=False)
    simple.close()
    return values, first


def _offsets(admin: AdminClient, group: str) -> list[tuple[int, int, str]]:
    res = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])
    tps = res[group].result(15).topic_partitions
    return sorted((tp.partition, tp.offset, tp.metadata) for tp in tps)


@pytest.mark.parametrize("clean", [True, False], ids=["sigterm", "sigkill"])
def test_committed_offsets_and_groups_survive_a_restart(
    own_broker: BrokerProcess, topic_name: str, group_name: str, clean: bool
) -> None:
    bs = own_broker.bootstrap
    _commit_half(bs, topic_name, group_name)
    admin = AdminClient({"bootstrap.servers": bs})
    before = _offsets(admin, group_name)
    assert sum(off for _, off, _ in before) == 45

    own_broker.restart(clean=clean)

    admin = AdminClient({"bootstrap.servers": bs})
    groups = {g.group_id: g for g in admin.list_consumer_groups().result(15).valid}
    assert groups[group_name].state == ConsumerGroupState.EMPTY
    assert not groups[group_name].is_simple_consumer_group
    assert group_name + "-simple" in groups
    assert _offsets(admin, group_name) == before
    assert _offsets(admin, group_name + "-simple") == [(1, 17, "kept")]


def test_the_next_consumer_resumes_after_a_broker_restart(
    own_broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    bs = own_broker.bootstrap
    values, first = _commit_half(bs, topic_name, group_name)
    own_broker.restart(clean=True)
    again = consumer(bs, group_name)
    again.subscribe([topic_name])
    try:
        rest = drain(again, 45)
        assert sorted(first + rest) == sorted(values)
        assert not set(first) & set(rest)
    finally:
        again.close()


def test_deleting_a_topic_right_after_a_restart_removes_its_offsets(
    own_broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    # The group coordinator runs from broker start, not from the first group request: a
    # topic deleted before any client asked about groups still takes its offsets along.
    bs = own_broker.bootstrap
    _commit_half(bs, topic_name, group_name)
    own_broker.restart(clean=True)
    admin = AdminClient({"bootstrap.servers": bs})
    admin.delete_topics([topic_name])[topic_name].result(15)
    deadline = time.monotonic() + WAIT
    while _offsets(admin, group_name) or _offsets(admin, group_name + "-simple"):
        assert time.monotonic() < deadline, "offsets of the deleted topic are still there"
        time.sleep(0.1)


def test_a_stable_group_comes_back_stable_after_a_restart(
    own_broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    bs = own_broker.bootstrap
    create_topic(bs, topic_name, 2)
    c = consumer(bs, group_name, **{"session.timeout.ms": 30000, "group.instance.id": "s1"})
    c.subscribe([topic_name])
    poll_until([c], lambda: assigned(c) == {0, 1}, what="assignment")
    own_broker.restart(clean=True)
    admin = AdminClient({"bootstrap.servers": bs})
    d = admin.describe_consumer_groups([group_name])[group_name].result(15)
    # loaded from __consumer_offsets: the member and its assignment are back
    assert d.state == ConsumerGroupState.STABLE
    assert [m.group_instance_id for m in d.members] == ["s1"]
    assert {tp.partition for tp in d.members[0].assignment.topic_partitions} == {0, 1}
    # and the consumer, reconnected, keeps consuming
    values = produce(bs, topic_name, 2, 10)
    try:
        assert sorted(drain(c, 10)) == sorted(values)
    finally:
        c.close()


def test_shutdown_answers_a_parked_join(
    own_broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    bs = own_broker.bootstrap
    create_topic(bs, topic_name, 2)
    # sessions longer than the broker's 10 s drain: only an answer can end the parked join
    c1 = consumer(bs, group_name, **{"session.timeout.ms": 30000})
    c2 = consumer(bs, group_name, **{"session.timeout.ms": 30000})
    try:
        c1.subscribe([topic_name])
        poll_until([c1], lambda: assigned(c1) == {0, 1}, what="assignment")
        # c1 is not polled any more, so it does not rejoin: c2's JoinGroup stays parked
        c2.subscribe([topic_name])
        for _ in range(20):
            c2.poll(0.05)
        admin = AdminClient({"bootstrap.servers": bs})
        d = admin.describe_consumer_groups([group_name])[group_name].result(15)
        assert d.state == ConsumerGroupState.PREPARING_REBALANCING
        assert own_broker.stop() == 0
        # the parked request was answered at once instead of holding the drain
        assert "still running" not in own_broker.log()
    finally:
        # librdkafka's close() can block for a long time with no broker to leave the group
        # at; bring the broker back so both consumers close normally.
        if own_broker.proc is None:
            own_broker.start()
        c1.close()
        c2.close()
