"""Group administration with confluent-kafka's AdminClient: list, describe, offsets, delete."""

from __future__ import annotations

import time

from confluent_kafka import (
    ConsumerGroupState,
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient

from tests.integration.test_groups_helpers import (
    assigned,
    consumer,
    create_topic,
    drain,
    poll_until,
    produce,
)
from tests.support.broker import BrokerProcess


def _offsets(admin: AdminClient, group: str) -> dict[tuple[str, int], int]:
    res = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(10)
    return {(tp.topic, tp.partition): tp.offset for tp in res.topic_partitions}


def test_list_and_describe_groups(broker: BrokerProcess, topic_name: str, group_name: str) -> None:
    create_topic(broker.bootstrap, topic_name, 4)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    c1 = consumer(broker.bootstrap, group_name, **{"client.id": "desc-client"})
    c2 = consumer(broker.bootstrap, group_name, **{"client.id": "desc-client"})
    try:
        c1.subscribe([topic_name])
        c2.subscribe([topic_name])
        poll_until([c1, c2], lambda: len(assigned(c1)) == 2 and len(assigned(c2)) == 2, what="2/2")
        listed = admin.list_consumer_groups().result(10)
        mine = [g for g in listed.valid if g.group_id == group_name]
        assert len(mine) == 1 and mine[0].state == ConsumerGroupState.STABLE
        assert not mine[0].is_simple_consumer_group
        stable = admin.list_consumer_groups(states={ConsumerGroupState.STABLE}).result(10)
        assert group_name in {g.group_id for g in stable.valid}
        empty = admin.list_consumer_groups(states={ConsumerGroupState.EMPTY}).result(10)
        assert group_name not in {g.group_id for g in empty.valid}

        d = admin.describe_consumer_groups([group_name])[group_name].result(10)
        assert d.state == ConsumerGroupState.STABLE
        assert d.partition_assignor == "range"
        assert len(d.members) == 2
        got: set[int] = set()
        for m in d.members:
            assert m.client_id == "desc-client"
            assert m.host == "/127.0.0.1"
            parts = {tp.partition for tp in m.assignment.topic_partitions}
            assert {tp.topic for tp in m.assignment.topic_partitions} == {topic_name}
            assert len(parts) == 2
            got |= parts
        assert got == {0, 1, 2, 3}
    finally:
        c1.close()
        c2.close()
    d = admin.describe_consumer_groups([group_name])[group_name].result(10)
    assert d.state == ConsumerGroupState.EMPTY and d.members == []


def test_list_alter_and_reread_group_offsets(
    broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    create_topic(broker.bootstrap, topic_name, 2)
    values = produce(broker.bootstrap, topic_name, 2, 20)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    c = consumer(broker.bootstrap, group_name)
    c.subscribe([topic_name])
    drain(c, 20)
    c.commit(asynchronous=False)
    c.close()
    assert _offsets(admin, group_name) == {(topic_name, 0): 10, (topic_name, 1): 10}

    fut = admin.alter_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(group_name, [TopicPartition(topic_name, 0, 7)])]
    )[group_name]
    assert [tp.error for tp in fut.result(10).topic_partitions] == [None]
    assert _offsets(admin, group_name) == {(topic_name, 0): 7, (topic_name, 1): 10}
    # a consumer of the group resumes from the altered offset
    again = consumer(broker.bootstrap, group_name)
    again.subscribe([topic_name])
    assert drain(again, 3) == [v for i, v in enumerate(values) if i % 2 == 0][7:]
    again.close()


def test_alter_offsets_of_an_active_group_is_refused(
    broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    create_topic(broker.bootstrap, topic_name, 1)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    c = consumer(broker.bootstrap, group_name)
    c.subscribe([topic_name])
    try:
        poll_until([c], lambda: assigned(c) == {0}, what="assignment")
        fut = admin.alter_consumer_group_offsets(
            [ConsumerGroupTopicPartitions(group_name, [TopicPartition(topic_name, 0, 1)])]
        )[group_name]
        try:
            res = fut.result(10)
            errors = [tp.error for tp in res.topic_partitions]
        except KafkaException as e:
            errors = [e.args[0]]
        assert errors and errors[0] is not None
        assert errors[0].code() == KafkaError.UNKNOWN_MEMBER_ID
    finally:
        c.close()


def test_delete_empty_group_and_refuse_a_non_empty_one(
    broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    create_topic(broker.bootstrap, topic_name, 1)
    produce(broker.bootstrap, topic_name, 1, 3)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    c = consumer(broker.bootstrap, group_name)
    c.subscribe([topic_name])
    drain(c, 3)
    c.commit(asynchronous=False)
    try:
        busy = admin.delete_consumer_groups([group_name])[group_name]
        try:
            busy.result(10)
            raise AssertionError("deleting an active group must fail")
        except KafkaException as e:
            assert e.args[0].code() == KafkaError.NON_EMPTY_GROUP
    finally:
        c.close()
    admin.delete_consumer_groups([group_name])[group_name].result(10)
    listed = admin.list_consumer_groups().result(10)
    assert group_name not in {g.group_id for g in listed.valid}
    assert _offsets(admin, group_name) == {}
    missing = admin.delete_consumer_groups([group_name])[group_name]
    try:
        missing.result(10)
        raise AssertionError("deleting a deleted group must fail")
    except KafkaException as e:
        assert e.args[0].code() == KafkaError.GROUP_ID_NOT_FOUND


def test_offsets_of_a_deleted_topic_are_removed(
    broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    keep = topic_name + "-keep"
    create_topic(broker.bootstrap, topic_name, 1)
    create_topic(broker.bootstrap, keep, 1)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    c = consumer(broker.bootstrap, group_name)
    c.assign([TopicPartition(topic_name, 0, 0)])
    c.commit(
        offsets=[TopicPartition(topic_name, 0, 3), TopicPartition(keep, 0, 4)], asynchronous=False
    )
    c.close()
    assert _offsets(admin, group_name) == {(topic_name, 0): 3, (keep, 0): 4}
    admin.delete_topics([topic_name])[topic_name].result(10)
    deadline = time.monotonic() + 20
    while _offsets(admin, group_name) != {(keep, 0): 4}:
        assert time.monotonic() < deadline, _offsets(admin, group_name)
        time.sleep(0.1)
