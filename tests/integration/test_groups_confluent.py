"""Consumer groups with confluent-kafka (librdkafka): rebalances, commits, resets, statics."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from confluent_kafka import Consumer, KafkaError, TopicPartition
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


def _split(cs: list[Consumer], sizes: list[int]) -> bool:
    parts = [assigned(c) for c in cs]
    union = set().union(*parts)
    return [len(p) for p in parts] == sizes and len(union) == sum(sizes)


def test_two_consumers_split_six_partitions_a_third_rebalances_a_closed_one_hands_over(
    broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    create_topic(broker.bootstrap, topic_name, 6)
    c1, c2 = consumer(broker.bootstrap, group_name), consumer(broker.bootstrap, group_name)
    c3 = consumer(broker.bootstrap, group_name)
    try:
        c1.subscribe([topic_name])
        c2.subscribe([topic_name])
        poll_until([c1, c2], lambda: _split([c1, c2], [3, 3]), what="a 3/3 split")
        c3.subscribe([topic_name])
        poll_until([c1, c2, c3], lambda: _split([c1, c2, c3], [2, 2, 2]), what="a 2/2/2 split")
        c3.close()
        poll_until([c1, c2], lambda: _split([c1, c2], [3, 3]), what="the hand-over")
        # the group still works: every record is read exactly once by the two members
        values = produce(broker.bootstrap, topic_name, 6, 60)
        seen: list[str] = []
        poll_until(
            [c1, c2],
            lambda: len(seen) >= 60,
            lambda _c, m: seen.append(m.value().decode()),  # type: ignore[attr-defined]
            what="all records",
        )
        assert sorted(seen) == sorted(values)
    finally:
        c1.close()
        c2.close()


def test_consume_half_commit_close_and_the_next_consumer_continues(
    broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    create_topic(broker.bootstrap, topic_name, 6)
    values = produce(broker.bootstrap, topic_name, 6, 120)
    first = consumer(broker.bootstrap, group_name)
    first.subscribe([topic_name])
    got1 = drain(first, 60)
    first.commit(asynchronous=False)
    committed = first.committed([TopicPartition(topic_name, p) for p in range(6)], timeout=10)
    assert sum(tp.offset for tp in committed if tp.offset >= 0) == 60
    first.close()

    second = consumer(broker.bootstrap, group_name)
    second.subscribe([topic_name])
    try:
        got2 = drain(second, 60)
        # nothing more arrives: no record is delivered twice
        extra: list[str] = []
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            m = second.poll(0.2)
            if m is not None and not m.error():
                extra.append(m.value().decode())
        assert extra == []
        assert sorted(got1 + got2) == sorted(values)
        assert not set(got1) & set(got2)
    finally:
        second.close()


def test_auto_offset_reset_earliest_latest_and_error(
    broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    create_topic(broker.bootstrap, topic_name, 1)
    old = produce(broker.bootstrap, topic_name, 1, 5)

    early = consumer(
        broker.bootstrap, group_name + "-earliest", **{"auto.offset.reset": "earliest"}
    )
    early.subscribe([topic_name])
    assert drain(early, 5) == old
    early.close()

    late = consumer(broker.bootstrap, group_name + "-latest", **{"auto.offset.reset": "latest"})
    late.subscribe([topic_name])
    poll_until([late], lambda: assigned(late) == {0}, what="assignment")
    # write one new record at a time until the consumer sees one: whenever it resolved
    # "latest", it must never see the records that were there before
    got: list[str] = []
    new: list[str] = []
    deadline = time.monotonic() + WAIT
    while not got:
        assert time.monotonic() < deadline, "the latest-reset consumer received nothing"
        new += produce(broker.bootstrap, topic_name, 1, 1, start=100 + len(new))
        for _ in range(5):
            m = late.poll(0.1)
            if m is not None and not m.error():
                got.append(m.value().decode())
    assert not set(got) & set(old) and set(got) <= set(new)
    late.close()

    # "error" (Kafka's "none"): no committed offset is an error for the application...
    strict = consumer(broker.bootstrap, group_name + "-none", **{"auto.offset.reset": "error"})
    strict.subscribe([topic_name])
    deadline = time.monotonic() + WAIT
    err = None
    while err is None and time.monotonic() < deadline:
        m = strict.poll(0.1)
        if m is not None and m.error():
            err = m.error()
    strict.close()
    assert err is not None and err.code() == KafkaError._AUTO_OFFSET_RESET

    # ...but with a committed offset the same setting simply resumes from it
    c = consumer(broker.bootstrap, group_name + "-none")
    c.assign([TopicPartition(topic_name, 0, 2)])
    c.commit(offsets=[TopicPartition(topic_name, 0, 2)], asynchronous=False)
    c.close()
    resumed = consumer(broker.bootstrap, group_name + "-none", **{"auto.offset.reset": "error"})
    resumed.subscribe([topic_name])
    assert drain(resumed, 3 + len(new)) == old[2:] + new
    resumed.close()


def test_a_second_group_reads_everything_independently(
    broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    create_topic(broker.bootstrap, topic_name, 3)
    values = produce(broker.bootstrap, topic_name, 3, 30)
    a = consumer(broker.bootstrap, group_name + "-a")
    a.subscribe([topic_name])
    assert sorted(drain(a, 30)) == sorted(values)
    a.commit(asynchronous=False)
    a.close()
    b = consumer(broker.bootstrap, group_name + "-b")
    b.subscribe([topic_name])
    assert sorted(drain(b, 30)) == sorted(values)
    b.close()


def test_cooperative_sticky_keeps_partitions_while_rebalancing(
    broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    create_topic(broker.bootstrap, topic_name, 6)
    coop = {"partition.assignment.strategy": "cooperative-sticky"}
    revoked: list[set[int]] = []

    def on_revoke(_c: Consumer, parts: list[TopicPartition]) -> None:
        revoked.append({tp.partition for tp in parts})

    c1 = consumer(broker.bootstrap, group_name, **coop)
    c2 = consumer(broker.bootstrap, group_name, **coop)
    try:
        c1.subscribe([topic_name], on_revoke=on_revoke)
        poll_until([c1], lambda: assigned(c1) == set(range(6)), what="all six to the first")
        c2.subscribe([topic_name])
        poll_until([c1, c2], lambda: _split([c1, c2], [3, 3]), what="a 3/3 split")
        # incremental: the first consumer gave up exactly the three it lost, nothing else
        assert revoked and set().union(*revoked) == assigned(c2)
        values = produce(broker.bootstrap, topic_name, 6, 30)
        seen: list[str] = []
        poll_until(
            [c1, c2],
            lambda: len(seen) >= 30,
            lambda _c, m: seen.append(m.value().decode()),  # type: ignore[attr-defined]
            what="all records",
        )
        assert sorted(seen) == sorted(values)
    finally:
        c1.close()
        c2.close()


def test_static_member_comes_back_without_a_rebalance(
    broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    create_topic(broker.bootstrap, topic_name, 6)
    s = {"session.timeout.ms": 30000}
    revokes: list[int] = []
    c1 = consumer(broker.bootstrap, group_name, **{"group.instance.id": "one"}, **s)
    c2 = consumer(broker.bootstrap, group_name, **{"group.instance.id": "two"}, **s)
    c2.subscribe([topic_name], on_revoke=lambda _c, _p: revokes.append(1))
    c1.subscribe([topic_name])
    poll_until([c1, c2], lambda: _split([c1, c2], [3, 3]), what="a 3/3 split")
    mine, theirs = assigned(c1), assigned(c2)
    revokes.clear()  # c2 may have held all six before c1 joined
    c1.close()  # a static member does not leave the group on close
    again = consumer(broker.bootstrap, group_name, **{"group.instance.id": "one"}, **s)
    again.subscribe([topic_name])
    try:
        poll_until([again, c2], lambda: assigned(again) == mine, what="the old assignment")
        assert assigned(c2) == theirs and revokes == []
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})  # keep it alive meanwhile
        desc = admin.describe_consumer_groups([group_name])[group_name].result(10)
        assert sorted(m.group_instance_id for m in desc.members) == ["one", "two"]
        # a duplicate of a live static member fences the older one
        dup = consumer(broker.bootstrap, group_name, **{"group.instance.id": "two"}, **s)
        dup.subscribe([topic_name])
        fenced = None
        deadline = time.monotonic() + WAIT
        while fenced is None and time.monotonic() < deadline:
            for c in (c2, dup, again):
                m = c.poll(0.05)
                if m is not None and m.error() and m.error().code() == KafkaError._FATAL:
                    # librdkafka turns FENCED_INSTANCE_ID into a fatal error of that consumer
                    assert "fenced" in str(m.error()), m.error()
                    fenced = c
        assert fenced is c2
        dup.close()
    finally:
        again.close()
        c2.close()


_CHILD = textwrap.dedent(
    """
    import sys
    from confluent_kafka import Consumer
    c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": sys.argv[2],
                  "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
                  "auto.offset.reset": "earliest"})
    c.subscribe([sys.argv[3]])
    last = None
    while True:
        c.poll(0.1)
        parts = sorted(tp.partition for tp in c.assignment())
        if parts != last:
            print(",".join(map(str, parts)), flush=True)
            last = parts
    """
)


def test_a_sigkilled_consumer_is_evicted_after_the_session_timeout(
    broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    create_topic(broker.bootstrap, topic_name, 6)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, broker.bootstrap, group_name, topic_name],
        stdout=subprocess.PIPE,
        text=True,
    )
    c = consumer(broker.bootstrap, group_name)
    try:
        poll_until([], lambda: bool(child.stdout and child.stdout.readline().strip()))
        c.subscribe([topic_name])
        poll_until([c], lambda: len(assigned(c)) == 3, what="a 3/3 split with the child")
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        poll_until([c], lambda: assigned(c) == set(range(6)), what="eviction of the killed one")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        c.close()
