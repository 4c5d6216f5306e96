"""Consumer groups with kafka-python and aiokafka (their own group-protocol implementations)."""

from __future__ import annotations

import asyncio
import threading
import time

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient

from tests.integration.test_groups_helpers import WAIT, create_topic, produce
from tests.support.broker import BrokerProcess


def _kp_consumer(bs: str, group: str, topic: str) -> KafkaConsumer:
    return KafkaConsumer(
        topic,
        bootstrap_servers=bs,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
        # the rebalance timeout: a member that misses a rebalance is dropped after 10 s, not 5 min
        max_poll_interval_ms=10000,
        consumer_timeout_ms=100,
    )


class _PollingThread(threading.Thread):
    """Drives one kafka-python consumer from its own thread, as applications do.

    Why a thread per consumer: kafka-python 3.0.x loses a finished JoinGroup/SyncGroup
    round when ``poll`` times out while it is in flight and it completes before the next
    ``poll`` (the heartbeat stays disabled and the member is later dropped; seen against
    moldau and reachable against Kafka). Polling two members alternately from one
    thread with short timeouts hits that window; a long timeout per thread keeps every
    round awaited.
    """

    def __init__(self, consumer: KafkaConsumer) -> None:
        super().__init__(daemon=True)
        self.consumer = consumer
        self.values: list[str] = []
        self.partitions: set[int] = set()
        self.stop_event = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop_event.is_set():
                for batch in self.consumer.poll(timeout_ms=2000).values():
                    self.values.extend(r.value.decode() for r in batch)
                self.partitions = {tp.partition for tp in self.consumer.assignment()}
        except BaseException as e:  # surfaced by the test
            self.error = e

    def finish(self) -> None:
        self.stop_event.set()
        self.join(WAIT)
        assert not self.is_alive(), "poll thread did not stop"
        if self.error is not None:
            raise self.error


def test_kafka_python_group_splits_commits_and_resumes(
    broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    bs = broker.bootstrap
    create_topic(bs, topic_name, 6)
    a = _kp_consumer(bs, group_name, topic_name)
    b = _kp_consumer(bs, group_name, topic_name)
    threads = [_PollingThread(a), _PollingThread(b)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + WAIT
        while not all(len(t.partitions) == 3 for t in threads):
            assert time.monotonic() < deadline, (
                f"no 3/3 split: {[sorted(t.partitions) for t in threads]}"
            )
            time.sleep(0.05)
        assert threads[0].partitions | threads[1].partitions == set(range(6))
        values = produce(bs, topic_name, 6, 60)
        while len(threads[0].values) + len(threads[1].values) < 60:
            got = len(threads[0].values) + len(threads[1].values)
            assert time.monotonic() < deadline, f"only {got} of 60 records"
            time.sleep(0.05)
        for t in threads:
            t.finish()
        assert sorted(threads[0].values + threads[1].values) == sorted(values)
        a.commit()
        b.commit()
        committed = {p: a.committed(TopicPartition(topic_name, p)) for p in range(6)}
        assert committed == {p: 10 for p in range(6)}
    finally:
        for t in threads:
            t.stop_event.set()
        for t in threads:
            t.join(WAIT)
        a.close()
        b.close()

    admin = KafkaAdminClient(bootstrap_servers=bs)
    try:
        # OffsetFetch v8: several groups in one request
        offsets = admin.list_group_offsets({group_name: None, group_name + "-none": None})
        assert {tp.partition: om.offset for tp, om in offsets[group_name].items()} == {
            p: 10 for p in range(6)
        }
        assert offsets[group_name + "-none"] == {}
        desc = admin.describe_groups([group_name])[group_name]
        assert (desc["group_state"], desc["protocol_type"], desc["members"]) == (
            "Empty",
            "consumer",
            [],
        )
        listed = {g["group_id"]: g for g in admin.list_groups()}
        assert listed[group_name]["group_state"] == "Empty"
        assert listed[group_name]["group_type"] == "classic"
        # OffsetDelete on an empty group, then the next consumer starts that partition over
        admin.delete_group_offsets(group_name, [TopicPartition(topic_name, 5)])
        left = admin.list_group_offsets({group_name: None})[group_name]
        assert sorted(tp.partition for tp in left) == [0, 1, 2, 3, 4]
    finally:
        admin.close()

    more = produce(bs, topic_name, 6, 12, start=1000)
    c = _kp_consumer(bs, group_name, topic_name)
    got: list[str] = []
    replayed = [v for i, v in enumerate(values) if i % 6 == 5]  # partition 5 starts over
    try:
        deadline = time.monotonic() + WAIT
        while len(got) < 12 + len(replayed) and time.monotonic() < deadline:
            for batch in c.poll(timeout_ms=2000).values():
                got.extend(r.value.decode() for r in batch)
        assert sorted(got) == sorted(more + replayed)
    finally:
        c.close()


def test_aiokafka_group_consumes_commits_and_resumes(
    broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    from aiokafka import AIOKafkaConsumer

    bs = broker.bootstrap
    create_topic(bs, topic_name, 4)
    values = produce(bs, topic_name, 4, 40)

    async def consume(expected: int) -> list[str]:
        c = AIOKafkaConsumer(
            topic_name,
            bootstrap_servers=bs,
            group_id=group_name,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            session_timeout_ms=6000,
            heartbeat_interval_ms=500,
        )
        async with asyncio.timeout(WAIT):
            await c.start()
        out: list[str] = []
        try:
            async with asyncio.timeout(WAIT):
                while len(out) < expected:
                    batches = await c.getmany(timeout_ms=200, max_records=expected - len(out))
                    for records in batches.values():
                        out.extend(r.value.decode() for r in records)
            await c.commit()
        finally:
            async with asyncio.timeout(WAIT):
                await c.stop()
        return out

    async def two_members() -> tuple[set[int], set[int]]:
        def make() -> AIOKafkaConsumer:
            return AIOKafkaConsumer(
                topic_name,
                bootstrap_servers=bs,
                group_id=group_name + "-pair",
                session_timeout_ms=6000,
                heartbeat_interval_ms=500,
            )

        x, y = make(), make()
        async with asyncio.timeout(WAIT):
            await x.start()
            await y.start()
        try:
            async with asyncio.timeout(WAIT):
                while not (len(x.assignment()) == 2 and len(y.assignment()) == 2):
                    await asyncio.gather(x.getmany(timeout_ms=100), y.getmany(timeout_ms=100))
            return {tp.partition for tp in x.assignment()}, {tp.partition for tp in y.assignment()}
        finally:
            await x.stop()
            await y.stop()

    first = asyncio.run(consume(20))
    rest = asyncio.run(consume(20))
    assert sorted(first + rest) == sorted(values) and not set(first) & set(rest)
    px, py = asyncio.run(two_members())
    assert px | py == {0, 1, 2, 3} and not px & py


def test_kafka_python_admin_removes_static_members_in_one_leave_group(
    broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    from kafka.admin import MemberToRemove

    from tests.integration.test_groups_helpers import assigned, consumer, poll_until

    bs = broker.bootstrap
    create_topic(bs, topic_name, 2)
    c = consumer(bs, group_name, **{"group.instance.id": "removable", "session.timeout.ms": 30000})
    c.subscribe([topic_name])
    admin = KafkaAdminClient(bootstrap_servers=bs)
    try:
        poll_until([c], lambda: assigned(c) == {0, 1}, what="assignment")
        # LeaveGroup v3+: several members at once, by instance id, each with its own result
        result = admin.remove_group_members(
            group_name,
            [
                MemberToRemove(group_instance_id="removable"),
                MemberToRemove(group_instance_id="nobody"),
            ],
        )
        by_instance = {
            (m if isinstance(m, str) else m.group_instance_id): err.__name__
            for m, err in result.items()
        }
        assert by_instance == {"removable": "NoError", "nobody": "UnknownMemberIdError"}
        # the removed consumer learns it at its next heartbeat and joins again
        desc = admin.describe_groups([group_name])[group_name]
        assert desc["group_state"] in ("PreparingRebalance", "Empty")
        poll_until(
            [c],
            lambda: admin.describe_groups([group_name])[group_name]["group_state"] == "Stable",
            what="the member back",
        )
        members = admin.describe_groups([group_name])[group_name]["members"]
        assert [m["group_instance_id"] for m in members] == ["removable"]
    finally:
        admin.close()
        c.close()
