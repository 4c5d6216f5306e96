"""Helpers shared by the load generators: output protocol, topic creation, units.

Units: MB means 10^6 bytes everywhere in this harness (the Java perf tools print MiB; their
figures are recomputed from records/s x record size so that every column uses one unit).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

MB = 1_000_000


def emit(metrics: dict[str, Any]) -> None:
    print(json.dumps({"metrics": metrics}), flush=True)


def run_main(
    fn: Callable[[argparse.Namespace], dict[str, Any]], parser: argparse.ArgumentParser
) -> None:
    """Parse args, run ``fn`` and print its metrics, or the error, as the last JSON line."""
    args = parser.parse_args()
    try:
        metrics = fn(args)
    except KeyboardInterrupt:
        print(json.dumps({"error": "interrupted"}), flush=True)
        sys.exit(130)
    except Exception as exc:  # reported to the harness, which prints it per broker
        traceback.print_exc(file=sys.stderr)
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"[:500]}), flush=True)
        sys.exit(1)
    emit(metrics)


def ensure_topic(bootstrap: str, topic: str, partitions: int, timeout: float = 30.0) -> float:
    """Create ``topic`` (replication 1) and wait until every partition has a leader.

    Returns the seconds taken. Uses librdkafka's admin client (CreateTopics); the caller
    sees a clear error if the broker refuses.
    """
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 10000})
    t0 = time.monotonic()
    fut = admin.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=1)],
        request_timeout=timeout,
        operation_timeout=timeout,
    )[topic]
    try:
        fut.result(timeout)
    except Exception as exc:
        if "TOPIC_ALREADY_EXISTS" not in str(exc):
            raise RuntimeError(f"CreateTopics {topic} x{partitions}: {exc}") from exc
    deadline = t0 + timeout
    while time.monotonic() < deadline:
        md = admin.list_topics(topic, timeout=10)
        tm = md.topics.get(topic)
        if (
            tm is not None
            and tm.error is None
            and len(tm.partitions) >= partitions
            and all(p.leader >= 0 and p.error is None for p in tm.partitions.values())
        ):
            return time.monotonic() - t0
        time.sleep(0.05)
    raise RuntimeError(f"topic {topic} not ready with {partitions} leaders within {timeout:.0f} s")


def base_parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--bootstrap", required=True, help="host:port of the broker")
    p.add_argument("--topic", required=True)
    return p
