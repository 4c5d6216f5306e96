"""What a coordinator operation returns, and the timer interface a shard schedules work on.

An operation on a shard is synchronous and deterministic: it reads the shard's state, makes
the in-memory changes that need no durability (members joining, waiting requests), and returns
a `Result`: the records to append to the shard's `__consumer_offsets` partition, the response
(or None when the response is delivered later through a waiter), and callbacks that run once
the append has succeeded or failed. The runtime appends the records, replays the ones marked
for replay into the shard (offsets, deletions: the same code that loads the partition after a
restart), then runs the callbacks. Records are replayed only after a successful append, so the
offsets a shard serves are always ones that are in the log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from moldau.coordinator.records import CoordinatorRecord

AppendCallback = Callable[[int], None]
"""Called with 0 after a successful append, else with the Kafka error code to report."""


@dataclass(slots=True)
class Result:
    records: list[CoordinatorRecord] = field(default_factory=list)
    replay: list[bool] = field(default_factory=list)
    response: Any = None
    callbacks: list[AppendCallback] = field(default_factory=list)

    def add(self, record: CoordinatorRecord, replay: bool = True) -> None:
        self.records.append(record)
        self.replay.append(replay)

    def then(self, callback: AppendCallback) -> None:
        self.callbacks.append(callback)


class Timer(Protocol):
    """Per-shard timers, keyed so that rescheduling a key replaces the pending one.

    When a timer fires, the runtime runs `op` as an operation of the shard (serialized with
    every other operation) and appends the records of its Result. A cancelled or replaced
    timer's op never runs, even if it was already due.
    """

    def schedule(self, key: str, delay_ms: int, op: Callable[[], Result]) -> None: ...

    def cancel(self, key: str) -> None: ...
