"""Helpers shared by the consumer-group integration tests (this module holds no tests)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

WAIT = 45.0  # generous upper bound for "eventually"; tests finish as soon as the state is reached


def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    a = AdminClient({"bootstrap.servers": bootstrap})
    a.create_topics([NewTopic(topic, partitions, 1)])[topic].result(10)


def produce(bootstrap: str, topic: str, partitions: int, count: int, start: int = 0) -> list[str]:
    """`count` records spread round-robin over the partitions; values are "v<i>"."""
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    values = []
    for i in range(start, start + count):
        v = f"v{i}"
        p.produce(topic, value=v.encode(), key=str(i).encode(), partition=i % partitions)
        values.append(v)
    assert p.flush(15) == 0
    return values


def consumer(bootstrap: str, group: str, **extra: object) -> Consumer:
    conf: dict[str, object] = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "fetch.wait.max.ms": 100,
        "topic.metadata.refresh.interval.ms": 1000,
    }
    conf.update(extra)
    return Consumer(conf)


def poll_until(
    consumers: Iterable[Consumer],
    done: Callable[[], bool],
    on_message: Callable[[Consumer, object], None] | None = None,
    timeout: float = WAIT,
    what: str = "condition",
) -> None:
    """Poll every consumer in turn (which drives their rebalances) until `done()`."""
    cs = list(consumers)
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        for c in cs:
            m = c.poll(0.05)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(m.error())
            if on_message is not None:
                on_message(c, m)


def assigned(c: Consumer) -> set[int]:
    return {tp.partition for tp in c.assignment()}


def drain(c: Consumer, expected: int, timeout: float = WAIT) -> list[str]:
    """Values of the next `expected` messages of one consumer."""
    out: list[str] = []

    def keep(_: Consumer, m: object) -> None:
        out.append(m.value().decode())  # type: ignore[attr-defined]

    poll_until([c], lambda: len(out) >= expected, keep, timeout, f"{expected} messages")
    return out
