"""kafka-topics: create, list, describe, alter and delete topics, with Kafka's flags and
output lines.

Output shapes (tab-separated, as Kafka 4 prints them):
  --create    `Created topic NAME.`
  --list      one topic name per line, sorted
  --describe  `Topic: T<TAB>TopicId: ID<TAB>PartitionCount: N<TAB>ReplicationFactor: R<TAB>Configs: k=v,...`
              then per partition `<TAB>Topic: T<TAB>Partition: P<TAB>Leader: L<TAB>Replicas: a,b<TAB>Isr: a,b<TAB>Elr: <TAB>LastKnownElr: `
Errors print `Error while executing topic command : REASON` and exit with status 1.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any

from moldau import __version__
from moldau.tools._common import (
    REQUEST_TIMEOUT_S,
    ToolError,
    add_bootstrap,
    admin_client,
    bootstrap_from,
    kafka_error_text,
    new_parser,
    run_tool,
    wait,
)

# Topics the broker keeps for itself; --exclude-internal hides them.
INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state", "__share_group_state"})

ZOOKEEPER_MESSAGE = (
    "--zookeeper is not supported yet: moldau runs as a single broker without ZooKeeper, "
    "so connect with --bootstrap-server HOST:PORT (for example --bootstrap-server 127.0.0.1:9092). "
    "Apache Kafka 4 removed --zookeeper as well; moldau's planned cluster mode keeps its "
    "metadata in ZooKeeper and will accept --zookeeper then."
)

ACTIONS = ("create", "list", "describe", "alter", "delete")


class TopicCommandError(ToolError):
    """Printed with Kafka's prefix for topic command failures."""


def build_parser() -> argparse.ArgumentParser:
    p = new_parser("kafka-topics", "Create, delete, describe, or change a topic.")
    add_bootstrap(p)
    p.add_argument("--command-config", metavar="FILE", help="properties file for the admin client")
    p.add_argument("--zookeeper", metavar="HOST:PORT", help=argparse.SUPPRESS)
    for action in ACTIONS:
        p.add_argument(f"--{action}", action="store_true", help=f"{action} topics")
    p.add_argument("--topic", "--topics", dest="topic", metavar="TOPIC",
                   help="the topic name; a regular expression except with --create")
    p.add_argument("--topic-id", metavar="ID", help="the topic id to describe")
    p.add_argument("--partitions", type=int, metavar="N", help="number of partitions")
    p.add_argument("--replication-factor", type=int, metavar="N", help="replicas per partition")
    p.add_argument("--replica-assignment", metavar="B1:B2,B3:B4,...",
                   help="brokers of each partition: partitions separated by ',', replicas by ':'")
    p.add_argument("--config", action="append", metavar="NAME=VALUE",
                   help="a topic config override for --create (repeatable)")
    p.add_argument("--delete-config", metavar="NAME", help=argparse.SUPPRESS)
    p.add_argument("--if-not-exists", action="store_true", help="with --create: no error if it exists")
    p.add_argument("--if-exists", action="store_true",
                   help="with --alter/--delete/--describe: act only if the topic exists")
    p.add_argument("--exclude-internal", action="store_true", help="leave out internal topics")
    p.add_argument("--under-replicated-partitions", action="store_true",
                   help="with --describe: only partitions with fewer in-sync replicas than replicas")
    p.add_argument("--unavailable-partitions", action="store_true",
                   help="with --describe: only partitions without a leader")
    p.add_argument("--under-min-isr-partitions", action="store_true",
                   help="with --describe: only partitions with fewer in-sync replicas than min.insync.replicas")
    p.add_argument("--at-min-isr-partitions", action="store_true",
                   help="with --describe: only partitions with exactly min.insync.replicas in sync")
    p.add_argument("--topics-with-overrides", action="store_true",
                   help="with --describe: only topics that have config overrides")
    p.add_argument("--partition-size-limit-per-response", type=int, help=argparse.SUPPRESS)
    p.add_argument("--version", action="store_true", help="print the version and exit")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(_main, argv)


def _main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        print(f"moldau {__version__}")
        return 0
    if args.zookeeper and not args.bootstrap_server:
        raise ToolError(ZOOKEEPER_MESSAGE)
    chosen = [a for a in ACTIONS if getattr(args, a)]
    if len(chosen) != 1:
        parser.error("command must include exactly one action: --list, --describe, --create, --alter or --delete")
    if args.delete_config:
        parser.error("--delete-config is no longer supported; use kafka-configs --alter --delete-config")
    if chosen[0] in ("create", "alter", "delete") and not args.topic:
        parser.error(f"--{chosen[0]} requires --topic")
    if args.config and chosen[0] != "create":
        parser.error("--config is only supported with --create; use kafka-configs to change topic configs")
    bootstrap = bootstrap_from(args)
    admin = admin_client(bootstrap, args.command_config)
    try:
        return ACTION_FUNCS[chosen[0]](admin, args)
    except TopicCommandError as e:
        print(f"Error while executing topic command : {e}", file=sys.stderr)
        return 1


# ---------------------------------------------------------------- helpers


def _raise(exc: BaseException) -> None:
    raise TopicCommandError(kafka_error_text(exc)) from None


def _all_topics(admin: Any) -> dict[str, Any]:
    from confluent_kafka import KafkaException

    try:
        md = admin.list_topics(timeout=REQUEST_TIMEOUT_S)
    except KafkaException as e:
        _raise(e)
    return dict(md.topics)


def _matching(admin: Any, args: argparse.Namespace) -> list[str]:
    """Topic names the --topic argument selects: a full-match regular expression as Kafka
    treats it (a plain name matches itself), minus internal topics with --exclude-internal."""
    names = sorted(_all_topics(admin))
    if args.topic:
        try:
            pattern = re.compile(args.topic)
        except re.error as e:
            raise TopicCommandError(f"invalid topic regular expression '{args.topic}': {e}") from None
        names = [n for n in names if n == args.topic or pattern.fullmatch(n)]
    if args.exclude_internal:
        names = [n for n in names if n not in INTERNAL_TOPICS]
    return names


def _ensure_found(names: list[str], args: argparse.Namespace) -> bool:
    """Kafka's rule: naming a topic that matches nothing is an error unless --if-exists."""
    if names or not args.topic:
        return True
    if args.if_exists:
        return False
    raise TopicCommandError(f"Topic '{args.topic}' does not exist as expected")


def _warn_metric_collision(topic: str) -> None:
    if "." in topic or "_" in topic:
        print(
            "WARNING: Due to limitations in metric names, topics with a period ('.') or "
            "underscore ('_') could collide. To avoid issues it is best to use either, but not both."
        )


def parse_replica_assignment(text: str) -> list[list[int]]:
    """`0:1,1:2` -> [[0, 1], [1, 2]]: partitions separated by commas, replicas by colons."""
    out: list[list[int]] = []
    for part in text.split(","):
        try:
            replicas = [int(b) for b in part.strip().split(":")]
        except ValueError:
            raise ToolError(f"invalid --replica-assignment '{text}': broker ids must be integers") from None
        if len(set(replicas)) != len(replicas):
            raise ToolError(f"partition {len(out)} has duplicate replicas in --replica-assignment")
        if out and len(replicas) != len(out[0]):
            raise ToolError("every partition in --replica-assignment needs the same number of replicas")
        out.append(replicas)
    return out


# ---------------------------------------------------------------- actions


def create(admin: Any, args: argparse.Namespace) -> int:
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import NewTopic

    from moldau.tools._common import kafka_error_code, parse_key_values

    topic = args.topic
    configs = parse_key_values(args.config, "--config")
    if args.partitions is not None and args.partitions < 1:
        raise TopicCommandError("The partitions must be greater than 0")
    if args.replication_factor is not None and args.replication_factor < 1:
        raise TopicCommandError("The replication factor must be greater than 0")
    kwargs: dict[str, Any] = {"config": configs}
    if args.replica_assignment:
        if args.partitions is not None or args.replication_factor is not None:
            raise TopicCommandError(
                "--replica-assignment cannot be combined with --partitions or --replication-factor"
            )
        assignment = parse_replica_assignment(args.replica_assignment)
        kwargs["replica_assignment"] = assignment
        kwargs["num_partitions"] = len(assignment)
    else:
        kwargs["num_partitions"] = args.partitions if args.partitions is not None else -1
        kwargs["replication_factor"] = (
            args.replication_factor if args.replication_factor is not None else -1
        )
    _warn_metric_collision(topic)
    futures = admin.create_topics([NewTopic(topic, **kwargs)], request_timeout=REQUEST_TIMEOUT_S)
    try:
        wait(futures[topic])
    except KafkaException as e:
        if kafka_error_code(e) == KafkaError.TOPIC_ALREADY_EXISTS:
            if args.if_not_exists:
                return 0
            raise TopicCommandError(f"Topic '{topic}' already exists.") from None
        _raise(e)
    print(f"Created topic {topic}.")
    return 0


def list_topics(admin: Any, args: argparse.Namespace) -> int:
    for name in _matching(admin, args):
        print(name)
    return 0


def delete(admin: Any, args: argparse.Namespace) -> int:
    from confluent_kafka import KafkaException

    names = _matching(admin, args)
    if not _ensure_found(names, args):
        return 0
    for name in names:
        if name in INTERNAL_TOPICS:
            raise TopicCommandError(
                f"Topic {name} is a kafka internal topic and is not allowed to be marked for deletion."
            )
    futures = admin.delete_topics(names, request_timeout=REQUEST_TIMEOUT_S)
    for name in names:
        try:
            wait(futures[name])
        except KafkaException as e:
            _raise(e)
    return 0


def alter(admin: Any, args: argparse.Namespace) -> int:
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import NewPartitions

    names = _matching(admin, args)
    if not _ensure_found(names, args):
        return 0
    if args.partitions is None:
        if args.replica_assignment:
            raise TopicCommandError("--replica-assignment with --alter needs --partitions")
        return 0
    for name in names:
        if name in INTERNAL_TOPICS:
            raise TopicCommandError(f"The number of partitions for the internal topic {name} cannot be changed.")
    assignment = None
    if args.replica_assignment:
        assignment = parse_replica_assignment(args.replica_assignment)
    current = _all_topics(admin)
    requests = []
    for name in names:
        if assignment is not None:
            # As in Kafka, the list names every partition's replicas; only the new ones are sent.
            existing = len(current[name].partitions) if name in current else 0
            if len(assignment) != args.partitions:
                raise TopicCommandError(f"--replica-assignment lists {len(assignment)} partitions but "
                                        f"--partitions is {args.partitions}")
            requests.append(NewPartitions(name, args.partitions, assignment[existing:]))
        else:
            requests.append(NewPartitions(name, args.partitions))
    futures = admin.create_partitions(requests, request_timeout=REQUEST_TIMEOUT_S)
    for name in names:
        try:
            wait(futures[name])
        except KafkaException as e:
            _raise(e)
    return 0


def _describe_partitions(admin: Any, names: list[str]) -> dict[str, tuple[str, list[tuple[int, int, list[int], list[int]]]]]:
    """name -> (topic id, [(partition, leader, replicas, isr)]). Uses DescribeTopics when the
    broker answers it (for the topic id) and plain Metadata otherwise."""
    from confluent_kafka import KafkaException, TopicCollection

    out: dict[str, tuple[str, list[tuple[int, int, list[int], list[int]]]]] = {}
    if not names:
        return out
    try:
        futures = admin.describe_topics(TopicCollection(names), request_timeout=REQUEST_TIMEOUT_S)
        for name in names:
            d = wait(futures[name])
            parts = [
                (
                    p.id,
                    p.leader.id if p.leader is not None else -1,
                    [n.id for n in p.replicas],
                    [n.id for n in p.isr],
                )
                for p in d.partitions
            ]
            out[name] = (str(d.topic_id), sorted(parts))
        return out
    except KafkaException:
        pass
    md = _all_topics(admin)
    for name in names:
        t = md.get(name)
        if t is None:
            continue
        parts = [(p.id, p.leader, list(p.replicas), list(p.isrs)) for p in t.partitions.values()]
        out[name] = ("AAAAAAAAAAAAAAAAAAAAAA", sorted(parts))
    return out


def _topic_configs(admin: Any, names: list[str]) -> dict[str, list[tuple[str, str]]]:
    """name -> the configs that are set for the topic rather than defaulted."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import ConfigResource

    out: dict[str, list[tuple[str, str]]] = {n: [] for n in names}
    if not names:
        return out
    resources = [ConfigResource(ConfigResource.Type.TOPIC, n) for n in names]
    futures = admin.describe_configs(resources, request_timeout=REQUEST_TIMEOUT_S)
    for res, fut in futures.items():
        try:
            entries = wait(fut)
        except KafkaException:
            continue
        out[res.name] = [
            (e.name, "" if e.value is None else str(e.value))
            for e in entries.values()
            if not e.is_default
        ]
    return out


def describe(admin: Any, args: argparse.Namespace) -> int:
    names = _matching(admin, args)
    if not _ensure_found(names, args):
        return 0
    details = _describe_partitions(admin, names)
    if args.topic_id:
        # The client library describes topics by name only: describe them all, keep the one.
        details = {n: d for n, d in details.items() if d[0] == args.topic_id}
        names = [n for n in names if n in details]
        if not names:
            if args.if_exists:
                return 0
            raise TopicCommandError(f"Topic with id '{args.topic_id}' does not exist")
    configs = _topic_configs(admin, names)
    partition_filter = (
        args.under_replicated_partitions
        or args.unavailable_partitions
        or args.under_min_isr_partitions
        or args.at_min_isr_partitions
    )
    for name in names:
        if name not in details:
            continue
        topic_id, parts = details[name]
        overrides = configs.get(name, [])
        if args.topics_with_overrides and not overrides:
            continue
        if not partition_filter:
            rf = len(parts[0][2]) if parts else 0
            cfg = ",".join(f"{k}={v}" for k, v in overrides)
            print(
                f"Topic: {name}\tTopicId: {topic_id}\tPartitionCount: {len(parts)}\t"
                f"ReplicationFactor: {rf}\tConfigs: {cfg}"
            )
        if args.topics_with_overrides:
            continue
        min_isr = _int_config(overrides, "min.insync.replicas", 1)
        for pid, leader, replicas, isr in parts:
            if args.under_replicated_partitions and len(isr) >= len(replicas):
                continue
            if args.unavailable_partitions and leader >= 0:
                continue
            if args.under_min_isr_partitions and len(isr) >= min_isr:
                continue
            if args.at_min_isr_partitions and len(isr) != min_isr:
                continue
            leader_text = str(leader) if leader >= 0 else "none"
            print(
                f"\tTopic: {name}\tPartition: {pid}\tLeader: {leader_text}\t"
                f"Replicas: {','.join(map(str, replicas))}\tIsr: {','.join(map(str, isr))}\t"
                f"Elr: \tLastKnownElr: "
            )
    return 0


def _int_config(entries: list[tuple[str, str]], key: str, default: int) -> int:
    for k, v in entries:
        if k == key:
            try:
                return int(v)
            except ValueError:
                return default
    return default


ACTION_FUNCS = {
    "create": create,
    "list": list_topics,
    "describe": describe,
    "alter": alter,
    "delete": delete,
}

if __name__ == "__main__":
    sys.exit(main())
