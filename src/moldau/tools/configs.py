"""kafka-configs: show and change topic and broker configs.

Output (as Kafka 4 prints it):
  Dynamic configs for topic T are:            (or "All configs for ..." with --all)
    name=value sensitive=false synonyms={SOURCE:name=value, ...}
  Completed updating config for topic T.
Without --all only configs set dynamically on that entity are shown (for a topic: its
overrides; for a broker: its dynamic broker configs; with --entity-default: the cluster-wide
broker defaults). Changes use IncrementalAlterConfigs, so keys not named stay as they are.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from moldau.tools._common import (
    ToolError,
    add_bootstrap,
    admin_client,
    bootstrap_from,
    kafka_error_code,
    kafka_error_text,
    load_properties,
    new_parser,
    run_tool,
    wait,
)

SOURCE_NAMES = {
    0: "UNKNOWN_CONFIG",
    1: "DYNAMIC_TOPIC_CONFIG",
    2: "DYNAMIC_BROKER_CONFIG",
    3: "DYNAMIC_DEFAULT_BROKER_CONFIG",
    4: "STATIC_BROKER_CONFIG",
    5: "DEFAULT_CONFIG",
    6: "DYNAMIC_BROKER_LOGGER_CONFIG",
}
ENTITY_TYPES = ("topics", "brokers")


def build_parser() -> argparse.ArgumentParser:
    p = new_parser("kafka-configs", "Describe or change topic and broker configs.")
    add_bootstrap(p)
    p.add_argument("--command-config", metavar="FILE", help="properties file for the admin client")
    p.add_argument("--describe", action="store_true", help="show configs")
    p.add_argument("--alter", action="store_true", help="change configs")
    p.add_argument("--entity-type", choices=ENTITY_TYPES, help="topics or brokers")
    p.add_argument("--entity-name", help="the topic name or broker id")
    p.add_argument("--entity-default", action="store_true", help="the cluster-wide broker defaults")
    p.add_argument("--topic", help="same as --entity-type topics --entity-name TOPIC")
    p.add_argument("--broker", help="same as --entity-type brokers --entity-name ID")
    p.add_argument("--broker-defaults", action="store_true",
                   help="same as --entity-type brokers --entity-default")
    p.add_argument("--all", action="store_true", help="with --describe: every config, not only dynamic ones")
    p.add_argument("--add-config", metavar="K=V[,K=V]",
                   help="configs to set; a value with commas goes in brackets: k=[a,b]")
    p.add_argument("--add-config-file", metavar="FILE", help="a properties file of configs to set")
    p.add_argument("--delete-config", metavar="K[,K]", help="configs to remove")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(_main, argv)


def _entity(args: argparse.Namespace, parser: argparse.ArgumentParser) -> tuple[str, str | None]:
    """(entity type, name or None for the default entity) from either spelling of the flags."""
    shortcuts = [("topics", args.topic), ("brokers", args.broker)]
    chosen = [(t, n) for t, n in shortcuts if n is not None]
    if args.broker_defaults:
        chosen.append(("brokers", None))
    if args.entity_type:
        if args.entity_name is not None and args.entity_default:
            parser.error("--entity-name and --entity-default cannot be used together")
        chosen.append((args.entity_type, None if args.entity_default else args.entity_name))
    if len(chosen) != 1:
        parser.error("exactly one entity is needed: --entity-type with --entity-name/--entity-default, "
                     "or --topic/--broker/--broker-defaults")
    kind, name = chosen[0]
    if name is None and not (args.entity_default or args.broker_defaults):
        if kind == "topics" and args.describe:
            return kind, ""  # every topic
        if kind == "brokers" and args.describe:
            return kind, ""  # every broker
        parser.error(f"--entity-name is required for {kind}")
    if kind != "brokers" and name is None:
        parser.error("--entity-default is only available for brokers")
    return kind, name


def parse_add_config(text: str) -> dict[str, str]:
    """`k1=v1,k2=[a,b]`: commas split pairs except inside brackets, which are dropped."""
    out: dict[str, str] = {}
    depth, current = 0, ""
    pieces = []
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            pieces.append(current)
            current = ""
        else:
            current += ch
    pieces.append(current)
    for piece in pieces:
        if not piece.strip():
            continue
        key, sep, value = piece.partition("=")
        if not sep or not key.strip():
            raise ToolError(f"Invalid entity config: all configs to be added must be in the format "
                            f"\"key=val\"; got '{piece}'")
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            value = value[1:-1]
        out[key.strip()] = value
    return out


def _resource(kind: str, name: str) -> Any:
    from confluent_kafka.admin import ConfigResource

    type_ = {"topics": ConfigResource.Type.TOPIC, "brokers": ConfigResource.Type.BROKER}[kind]
    return ConfigResource(type_, name)


def _label(kind: str, name: str | None) -> str:
    if name is None:
        return "default configs for brokers in the cluster"
    return {"topics": "topic", "brokers": "broker"}[kind] + f" {name}"


def _main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.describe == args.alter:
        parser.error("command must include exactly one action: --describe, --alter")
    kind, name = _entity(args, parser)
    if args.alter and not (args.add_config or args.add_config_file or args.delete_config):
        parser.error("--alter needs --add-config, --add-config-file or --delete-config")
    admin = admin_client(bootstrap_from(args), args.command_config)
    if args.describe:
        return describe(admin, kind, name, args.all)
    return alter(admin, kind, name, args)


def _describe_one(admin: Any, kind: str, name: str) -> dict[str, Any] | None:
    from confluent_kafka import KafkaError, KafkaException

    res = _resource(kind, name)
    futures = admin.describe_configs([res], request_timeout=30)
    try:
        return dict(wait(next(iter(futures.values()))))
    except KafkaException as e:
        if kafka_error_code(e) == KafkaError.UNKNOWN_TOPIC_OR_PART:
            return None
        raise ToolError(kafka_error_text(e)) from None


def describe(admin: Any, kind: str, name: str | None, show_all: bool) -> int:
    if name == "":
        if kind == "topics":
            names = sorted(t for t in admin.list_topics(timeout=30).topics)
        else:
            names = sorted(str(b) for b in admin.list_topics(timeout=30).brokers)
    elif name is None:
        # librdkafka cannot name the default entity; every broker reports the cluster-wide
        # defaults among its own configs with source DYNAMIC_DEFAULT_BROKER_CONFIG.
        names = [str(min(admin.list_topics(timeout=30).brokers))]
    else:
        names = [name]
    status = 0
    for n in names:
        entries = _describe_one(admin, kind, n)
        if entries is None:
            print(f"The {_label(kind, n).split()[0]} '{n}' doesn't exist and doesn't have dynamic config.",
                  file=sys.stderr)
            status = 1
            continue
        if name is None:
            wanted = {3}
            print("Default configs for brokers in the cluster are:")
        else:
            wanted = {1} if kind == "topics" else {2}
            print(f"{'All' if show_all else 'Dynamic'} configs for {_label(kind, n)} are:")
        for key in sorted(entries):
            e = entries[key]
            if not show_all and int(e.source) not in wanted:
                continue
            print(f"  {format_entry(e)}")
    return status


def format_entry(e: Any) -> str:
    value = "null" if e.is_sensitive or e.value is None else e.value
    synonyms = ", ".join(
        f"{SOURCE_NAMES.get(int(s.source), 'UNKNOWN_CONFIG')}:{s.name}={'null' if e.is_sensitive else s.value}"
        for s in e.synonyms.values()
    )
    return f"{e.name}={value} sensitive={'true' if e.is_sensitive else 'false'} synonyms={{{synonyms}}}"


def alter(admin: Any, kind: str, name: str | None, args: argparse.Namespace) -> int:
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry

    to_set = load_properties(args.add_config_file)
    if args.add_config:
        to_set.update(parse_add_config(args.add_config))
    to_delete = [k.strip() for k in (args.delete_config or "").split(",") if k.strip()]
    both = set(to_set) & set(to_delete)
    if both:
        raise ToolError(f"Invalid entity config: these keys are both added and deleted: {sorted(both)}")
    if name is None:
        raise ToolError("changing the cluster-wide broker defaults (--entity-default) is not "
                        "available in this tool; set them per broker with --entity-name ID")
    resource_name = name
    if to_delete:
        current = _describe_one(admin, kind, resource_name)
        if current is None:
            raise ToolError(f"The {_label(kind, resource_name).split()[0]} '{resource_name}' doesn't exist")
        dynamic = {1} if kind == "topics" else ({3} if name is None else {2})
        missing = [k for k in to_delete if k not in current or int(current[k].source) not in dynamic]
        if missing:
            raise ToolError(f"Invalid config(s): {','.join(missing)}")
    res = _resource(kind, resource_name)
    for k, v in to_set.items():
        res.add_incremental_config(ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET))
    for k in to_delete:
        res.add_incremental_config(ConfigEntry(k, None, incremental_operation=AlterConfigOpType.DELETE))
    futures = admin.incremental_alter_configs([res], request_timeout=30)
    try:
        wait(next(iter(futures.values())))
    except KafkaException as e:
        raise ToolError(f"while executing config command: {kafka_error_text(e)}") from None
    print(f"Completed updating config for {_label(kind, name)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
