"""kafka-delete-records: move the log start offset of partitions forward, deleting the
records before it.

--offset-json-file names a JSON file in Kafka's format:
  {"version": 1, "partitions": [{"topic": "t", "partition": 0, "offset": 10}, ...]}
offset -1 means "up to the high watermark" (delete everything). Output, per partition:
  partition: t-0<TAB>low_watermark: 10      or      partition: t-0<TAB>error: REASON
Kafka's tool exits 0 even when a partition fails; this one exits 1 then.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from moldau.tools._common import (
    ToolError,
    add_bootstrap,
    admin_client,
    bootstrap_from,
    kafka_error_text,
    new_parser,
    run_tool,
    wait,
)


def build_parser() -> argparse.ArgumentParser:
    p = new_parser("kafka-delete-records", "Delete records up to an offset in partitions.")
    add_bootstrap(p)
    p.add_argument("--command-config", metavar="FILE", help="properties file for the admin client")
    p.add_argument("--offset-json-file", required=True, metavar="FILE",
                   help='{"partitions": [{"topic": "t", "partition": 0, "offset": 10}], "version": 1}')
    return p


def read_plan(path: str) -> list[tuple[str, int, int]]:
    try:
        with open(path, encoding="utf-8") as f:
            doc: Any = json.load(f)
    except OSError as e:
        raise ToolError(f"Unable to read file {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise ToolError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("partitions"), list):
        raise ToolError(f'{path}: expected {{"partitions": [...], "version": 1}}')
    if doc.get("version", 1) != 1:
        raise ToolError(f"{path}: unknown version {doc.get('version')}")
    plan: list[tuple[str, int, int]] = []
    seen = set()
    for i, entry in enumerate(doc["partitions"]):
        try:
            topic, partition, offset = entry["topic"], int(entry["partition"]), int(entry["offset"])
        except (KeyError, TypeError, ValueError):
            raise ToolError(f"{path}: partitions[{i}] needs topic, partition and offset") from None
        if not isinstance(topic, str) or not topic:
            raise ToolError(f"{path}: partitions[{i}] has no topic name")
        if (topic, partition) in seen:
            raise ToolError(f"Offset json file contains duplicate topic partitions: {topic}-{partition}")
        seen.add((topic, partition))
        plan.append((topic, partition, offset))
    if not plan:
        raise ToolError(f"{path}: no partitions given")
    return plan


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(_main, argv)


def _main(argv: Sequence[str]) -> int:
    from confluent_kafka import OFFSET_END, KafkaException, TopicPartition

    args = build_parser().parse_args(argv)
    plan = read_plan(args.offset_json_file)
    admin = admin_client(bootstrap_from(args), args.command_config)
    md = admin.list_topics(timeout=30)
    print("Executing records delete operation")
    requests = []
    results: dict[tuple[str, int], str] = {}
    failed = False
    for topic, partition, offset in plan:
        t = md.topics.get(topic)
        if t is None or t.error is not None or partition not in t.partitions:
            results[(topic, partition)] = "error: This server does not host this topic-partition."
            failed = True
            continue
        requests.append(TopicPartition(topic, partition, OFFSET_END if offset == -1 else offset))
    if requests:
        futures = admin.delete_records(requests, request_timeout=30)
        for tp, fut in futures.items():
            try:
                res = wait(fut)
                results[(tp.topic, tp.partition)] = f"low_watermark: {res.low_watermark}"
            except KafkaException as e:
                results[(tp.topic, tp.partition)] = f"error: {kafka_error_text(e)}"
                failed = True
    print("Records delete operation completed:")
    for topic, partition, _ in plan:
        print(f"partition: {topic}-{partition}\t{results[(topic, partition)]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
