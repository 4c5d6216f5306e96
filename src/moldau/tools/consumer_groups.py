"""kafka-consumer-groups: list, describe, reset offsets of, and delete consumer groups.

Tables as Kafka 4 prints them (columns padded with spaces; name columns are as wide as
their longest value, at least 15):
  --describe [--offsets]  GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
  --describe --members    GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS [--verbose: CURRENT-EPOCH
                          CURRENT-ASSIGNMENT TARGET-EPOCH TARGET-ASSIGNMENT]
  --describe --state      GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS
  --reset-offsets         GROUP TOPIC PARTITION NEW-OFFSET (or CSV topic,partition,offset with --export)
  --delete-offsets        TOPIC PARTITION STATUS
Unlike Kafka's tool, which prints its error and still exits 0, a missing group, a refused
reset of an active group or a failed deletion exit with status 1 so scripts can tell.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
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

ACTIONS = ("list", "describe", "reset_offsets", "delete", "delete_offsets")
RESET_SPECS = ("to_earliest", "to_latest", "to_offset", "shift_by", "to_datetime", "by_duration",
               "to_current", "from_file")


def build_parser() -> argparse.ArgumentParser:
    p = new_parser("kafka-consumer-groups", "List, describe, reset and delete consumer groups.")
    add_bootstrap(p)
    p.add_argument("--command-config", metavar="FILE", help="properties file for the admin client")
    p.add_argument("--list", action="store_true", help="list all consumer groups")
    p.add_argument("--describe", action="store_true", help="describe groups and their lag")
    p.add_argument("--reset-offsets", action="store_true", help="reset the committed offsets of a group")
    p.add_argument("--delete", action="store_true", help="delete groups")
    p.add_argument("--delete-offsets", action="store_true", help="delete a group's offsets of topics")
    p.add_argument("--group", action="append", metavar="GROUP", help="the group (repeatable for --delete/--describe)")
    p.add_argument("--all-groups", action="store_true", help="every group")
    p.add_argument("--topic", action="append", metavar="TOPIC[:P,...]", help="topic, optionally with partitions")
    p.add_argument("--all-topics", action="store_true", help="every topic the group has offsets for")
    p.add_argument("--members", action="store_true", help="with --describe: list members")
    p.add_argument("--offsets", action="store_true", help="with --describe: offsets and lag (default)")
    p.add_argument("--state", nargs="?", const="", default=None, metavar="STATES",
                   help="with --describe: group state; with --list: show or filter by state")
    p.add_argument("--type", nargs="?", const="", default=None, metavar="TYPES",
                   help="with --list: show or filter by group type (classic, consumer)")
    p.add_argument("--verbose", action="store_true", help="with --members: more columns")
    p.add_argument("--to-earliest", action="store_true")
    p.add_argument("--to-latest", action="store_true")
    p.add_argument("--to-offset", type=int, metavar="N")
    p.add_argument("--shift-by", type=int, metavar="N")
    p.add_argument("--to-datetime", metavar="YYYY-MM-DDTHH:mm:SS.sss")
    p.add_argument("--by-duration", metavar="PnDTnHnMnS")
    p.add_argument("--to-current", action="store_true")
    p.add_argument("--from-file", metavar="CSV")
    p.add_argument("--dry-run", action="store_true", help="show the new offsets only (the default)")
    p.add_argument("--execute", action="store_true", help="commit the new offsets")
    p.add_argument("--export", action="store_true", help="print the plan as CSV")
    p.add_argument("--timeout", type=int, default=30000, metavar="MS", help="request timeout (default 30000)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(_main, argv)


def _main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    chosen = [a for a in ACTIONS if getattr(args, a)]
    if len(chosen) != 1:
        parser.error("command must include exactly one action: --list, --describe, --delete, "
                     "--reset-offsets, --delete-offsets")
    action = chosen[0]
    if action in ("describe", "delete", "reset_offsets") and not (args.group or args.all_groups):
        parser.error(f"option --{action.replace('_', '-')} needs --group or --all-groups")
    if action == "delete_offsets" and (not args.group or len(args.group) != 1 or not args.topic):
        parser.error("option --delete-offsets needs one --group and at least one --topic")
    if action == "reset_offsets":
        specs = [s for s in RESET_SPECS if getattr(args, s) not in (None, False)]
        if len(specs) != 1:
            parser.error("option --reset-offsets needs exactly one of --to-datetime, --by-duration, "
                         "--to-earliest, --to-latest, --shift-by, --from-file, --to-current, --to-offset")
        if not (args.topic or args.all_topics or args.from_file):
            parser.error("option --reset-offsets needs --topic or --all-topics")
        if args.dry_run and args.execute:
            parser.error("--dry-run and --execute cannot be used together")
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    bootstrap = bootstrap_from(args)
    admin = admin_client(bootstrap, args.command_config)
    tool = GroupTool(admin, bootstrap, args.timeout / 1000.0)
    method = "list_groups" if action == "list" else action
    return int(getattr(tool, method)(args))


# ---------------------------------------------------------------- formatting


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[int | None]) -> list[str]:
    """Left-aligned columns separated by one space. A width of None means "as wide as the
    longest value, at least 15"; the last column is not padded."""
    real: list[int] = []
    for i, w in enumerate(widths):
        if w is None:
            w = max([15, len(header[i])] + [len(str(r[i])) for r in rows])
        real.append(w)
    out = []
    for row in [header, *rows]:
        cells = [f"{str(v):<{real[i]}}" if i < len(row) - 1 else str(v) for i, v in enumerate(row)]
        out.append(" ".join(cells))
    return out


def _dash(v: Any) -> str:
    return "-" if v is None else str(v)


@dataclass
class Row:
    topic: str
    partition: int
    committed: int | None
    end: int | None
    consumer_id: str | None
    host: str | None
    client_id: str | None


# ---------------------------------------------------------------- the tool


class GroupTool:
    def __init__(self, admin: Any, bootstrap: str, timeout: float) -> None:
        self.admin = admin
        self.bootstrap = bootstrap
        self.timeout = timeout

    # -- admin calls

    def _groups(self) -> list[Any]:
        result = wait(self.admin.list_consumer_groups(request_timeout=self.timeout), self.timeout + 5)
        if result.errors:
            # A broker that did not answer: a partial list would look complete, so fail.
            raise ToolError(f"Executing consumer group command failed due to {kafka_error_text(result.errors[0])}")
        return sorted(result.valid, key=lambda g: g.group_id)

    def _describe(self, group: str) -> Any | None:
        """The group's description, or None when the broker does not know the group."""
        from confluent_kafka import ConsumerGroupState, KafkaError, KafkaException

        futures = self.admin.describe_consumer_groups([group], request_timeout=self.timeout)
        try:
            d = wait(futures[group], self.timeout + 5)
        except KafkaException as e:
            err = e.args[0] if e.args else None
            if err is not None and err.code() == KafkaError.GROUP_ID_NOT_FOUND:
                return None
            raise ToolError(kafka_error_text(e)) from None
        if d.state == ConsumerGroupState.DEAD and not d.members:
            return None
        return d

    def _committed(self, group: str) -> dict[tuple[str, int], int]:
        from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException

        req = [ConsumerGroupTopicPartitions(group)]
        try:
            res = wait(self.admin.list_consumer_group_offsets(req, request_timeout=self.timeout)[group],
                       self.timeout + 5)
        except KafkaException as e:
            raise ToolError(kafka_error_text(e)) from None
        return {(tp.topic, tp.partition): tp.offset for tp in res.topic_partitions if tp.offset >= 0}

    def _offsets(self, tps: list[tuple[str, int]], spec: Any) -> dict[tuple[str, int], int]:
        from confluent_kafka import KafkaException, TopicPartition

        if not tps:
            return {}
        req = {TopicPartition(t, p): spec for t, p in tps}
        futures = self.admin.list_offsets(req, request_timeout=self.timeout)
        out: dict[tuple[str, int], int] = {}
        for tp, fut in futures.items():
            try:
                out[(tp.topic, tp.partition)] = wait(fut, self.timeout + 5).offset
            except KafkaException as e:
                raise ToolError(kafka_error_text(e)) from None
        return out

    def _latest(self, tps: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
        from confluent_kafka.admin import OffsetSpec

        return self._offsets(tps, OffsetSpec.latest())

    def _earliest(self, tps: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
        from confluent_kafka.admin import OffsetSpec

        return self._offsets(tps, OffsetSpec.earliest())

    def _topic_partitions(self, topic: str) -> list[int]:
        md = self.admin.list_topics(topic, timeout=self.timeout)
        t = md.topics.get(topic)
        if t is None or t.error is not None or not t.partitions:
            raise ToolError(f"Topic '{topic}' does not exist")
        return sorted(t.partitions)

    def _target_groups(self, args: argparse.Namespace) -> list[str]:
        if args.all_groups:
            return [g.group_id for g in self._groups()]
        return list(dict.fromkeys(args.group))

    # -- --list

    def list_groups(self, args: argparse.Namespace) -> int:
        groups = self._groups()
        if args.state is None and args.type is None:
            for g in groups:
                print(g.group_id)
            return 0
        wanted_states = {s.strip().lower() for s in (args.state or "").split(",") if s.strip()}
        wanted_types = {s.strip().lower() for s in (args.type or "").split(",") if s.strip()}
        width = max([len("GROUP")] + [len(g.group_id) for g in groups]) + 10
        rows = []
        for g in groups:
            state = _state_name(g.state)
            kind = _type_name(getattr(g, "type", None))
            if wanted_states and state.lower() not in wanted_states:
                continue
            if wanted_types and kind.lower() not in wanted_types:
                continue
            rows.append((g.group_id, kind, state))
        header = ["GROUP"]
        if args.type is not None:
            header.append("TYPE")
        if args.state is not None:
            header.append("STATE")
        fmt_widths = [width] + [20] * (len(header) - 1)
        for cells in [tuple(header)] + [
            tuple([r[0]] + ([r[1]] if args.type is not None else []) + ([r[2]] if args.state is not None else []))
            for r in rows
        ]:
            print(" ".join(f"{c:<{fmt_widths[i]}}" for i, c in enumerate(cells)))
        return 0

    # -- --describe

    def describe(self, args: argparse.Namespace) -> int:
        failed = False
        for group in self._target_groups(args):
            d = self._describe(group)
            committed = self._committed(group) if d is not None else {}
            if d is None and not committed:
                print(f"Error: Consumer group '{group}' does not exist.", file=sys.stderr)
                failed = True
                continue
            print()
            if d is None or not d.members:
                print(f"Consumer group '{group}' has no active members.")
                print()
            if args.state is not None:
                self._print_state(group, d)
            elif args.members:
                self._print_members(group, d, args.verbose)
            else:
                self._print_offsets(group, d, committed)
        return 1 if failed else 0

    def _print_state(self, group: str, d: Any) -> None:
        coord = "-"
        strategy, state, members = "-", "Dead", 0
        if d is not None:
            if d.coordinator is not None:
                coord = f"{d.coordinator.host}:{d.coordinator.port}  ({d.coordinator.id})"
            strategy = d.partition_assignor or "-"
            state = _state_name(d.state)
            members = len(d.members)
        header = ["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"]
        rows = [[group, coord, strategy, state, members]]
        for line in table(header, rows, [None, 25, 20, 20, 0]):
            print(line)

    def _print_members(self, group: str, d: Any, verbose: bool) -> None:
        header = ["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"]
        widths: list[int | None] = [None, None, None, None, 15]
        if verbose:
            header += ["CURRENT-EPOCH", "CURRENT-ASSIGNMENT", "TARGET-EPOCH", "TARGET-ASSIGNMENT"]
            widths += [15, 20, 15, 20]
        rows = []
        for m in sorted(d.members if d is not None else [], key=lambda m: m.member_id):
            tps = list(m.assignment.topic_partitions) if m.assignment else []
            row = [group, m.member_id, m.host, m.client_id, len(tps)]
            if verbose:
                row += ["-", _assignment_text(tps), "-", "-"]
            rows.append(row)
        for line in table(header, rows, widths):
            print(line.rstrip() if not rows else line)

    def _rows(self, d: Any, committed: dict[tuple[str, int], int]) -> list[Row]:
        owners: dict[tuple[str, int], Any] = {}
        for m in d.members if d is not None else []:
            for tp in m.assignment.topic_partitions if m.assignment else []:
                owners[(tp.topic, tp.partition)] = m
        tps = sorted(set(owners) | set(committed))
        ends = self._latest(tps)
        rows = []
        for tp in tps:
            m = owners.get(tp)
            rows.append(Row(tp[0], tp[1], committed.get(tp), ends.get(tp),
                            m.member_id if m else None, m.host if m else None, m.client_id if m else None))
        return rows

    def _print_offsets(self, group: str, d: Any, committed: dict[tuple[str, int], int]) -> None:
        rows = self._rows(d, committed)
        header = ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                  "CONSUMER-ID", "HOST", "CLIENT-ID"]
        cells = []
        for r in rows:
            lag = r.end - r.committed if r.end is not None and r.committed is not None else None
            cells.append([group, r.topic, r.partition, _dash(r.committed), _dash(r.end), _dash(lag),
                          _dash(r.consumer_id), _dash(r.host), _dash(r.client_id)])
        for line in table(header, cells, [None, None, 10, 15, 15, 15, None, None, 0]):
            print(line)

    # -- --delete

    def delete(self, args: argparse.Namespace) -> int:
        from confluent_kafka import KafkaException

        groups = self._target_groups(args)
        if not groups:
            print("Error: no consumer group to delete.", file=sys.stderr)
            return 1
        futures = self.admin.delete_consumer_groups(groups, request_timeout=self.timeout)
        failures = []
        for g in groups:
            try:
                wait(futures[g], self.timeout + 5)
            except KafkaException as e:
                failures.append((g, kafka_error_text(e)))
        ok = [g for g in groups if g not in {f[0] for f in failures}]
        if not failures:
            names = ", ".join(f"'{g}'" for g in groups)
            print(f"Deletion of requested consumer groups ({names}) was successful.")
            return 0
        print(file=sys.stderr)
        print("Error: Deletion of some consumer groups failed:", file=sys.stderr)
        for g, reason in failures:
            print(f"* Group '{g}' could not be deleted due to: {reason}", file=sys.stderr)
        if ok:
            print()
            print("These consumer groups were deleted successfully:")
            for g in ok:
                print(f"'{g}'")
        return 1

    # -- --delete-offsets

    def delete_offsets(self, args: argparse.Namespace) -> int:
        from moldau.tools._offset_delete import delete_offsets

        group = args.group[0]
        topics: dict[str, list[int]] = {}
        for spec in args.topic:
            name, parts = _parse_topic_spec(spec)
            topics[name] = parts if parts is not None else self._topic_partitions(name)
        result = delete_offsets(self.bootstrap, group, topics, self.timeout)
        if result.error_code:
            text = _code_text(result.error_code)
            print(f"\nError: {text}", file=sys.stderr)
            statuses = {(t, p): result.error_code for t, ps in topics.items() for p in ps}
        else:
            statuses = result.partitions
            if any(statuses.values()):
                print("\nError: Encountered some partition-level error, see the follow-up details.",
                      file=sys.stderr)
            else:
                print(f"Request succeeded for deleting offsets from group {group}.")
        print()
        rows = [[t, p, "Successful" if code == 0 else f"Error: {_code_text(code)}"]
                for (t, p), code in sorted(statuses.items())]
        for line in table(["TOPIC", "PARTITION", "STATUS"], rows, [None, 10, 15]):
            print(line)
        return 1 if result.error_code or any(statuses.values()) else 0

    # -- --reset-offsets

    def reset_offsets(self, args: argparse.Namespace) -> int:
        if not args.dry_run and not args.execute:
            print("WARN: No action will be performed as the --execute option is missing. "
                  "Add --execute to reset the offsets, or --dry-run to only show them "
                  "(and silence this warning).", file=sys.stderr)
        groups = self._target_groups(args)
        plans: dict[str, dict[tuple[str, int], int]] = {}
        for group in groups:
            d = self._describe(group)
            if d is not None and _state_name(d.state) not in ("Empty", "Dead"):
                print(f"\nError: Assignments can only be reset if the group '{group}' is inactive, "
                      f"but the current state is {_state_name(d.state)}.", file=sys.stderr)
                return 1
            committed = self._committed(group) if d is not None else {}
            plans[group] = self._plan(args, committed)
        if args.execute:
            self._commit(plans)
        if args.export:
            for group, plan in plans.items():
                for (t, p), off in sorted(plan.items()):
                    print(f"{group},{t},{p},{off}" if len(plans) > 1 else f"{t},{p},{off}")
            return 0
        print()
        rows = [[g, t, p, off] for g, plan in plans.items() for (t, p), off in sorted(plan.items())]
        for line in table(["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"], rows, [30, 30, 10, 15]):
            print(line)
        return 0

    def _scope(self, args: argparse.Namespace, committed: dict[tuple[str, int], int]) -> list[tuple[str, int]]:
        if args.all_topics:
            return sorted(committed)
        tps: list[tuple[str, int]] = []
        for spec in args.topic or []:
            name, parts = _parse_topic_spec(spec)
            available = self._topic_partitions(name)
            for p in parts if parts is not None else available:
                if p not in available:
                    raise ToolError(f"Partition {p} of topic '{name}' does not exist")
                tps.append((name, p))
        return tps

    def _plan(self, args: argparse.Namespace, committed: dict[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        if args.from_file:
            return _read_plan(args.from_file)
        tps = self._scope(args, committed)
        earliest = self._earliest(tps)
        latest = self._latest(tps)

        def clamp(tp: tuple[str, int], offset: int) -> int:
            if offset < earliest[tp]:
                print(f"WARN New offset ({offset}) is lower than earliest offset for topic partition "
                      f"{tp[0]}-{tp[1]}. Value will be set to {earliest[tp]}", file=sys.stderr)
                return earliest[tp]
            if offset > latest[tp]:
                print(f"WARN New offset ({offset}) is higher than latest offset for topic partition "
                      f"{tp[0]}-{tp[1]}. Value will be set to {latest[tp]}", file=sys.stderr)
                return latest[tp]
            return offset

        if args.to_earliest:
            return {tp: earliest[tp] for tp in tps}
        if args.to_latest:
            return {tp: latest[tp] for tp in tps}
        if args.to_offset is not None:
            return {tp: clamp(tp, args.to_offset) for tp in tps}
        if args.to_current:
            return {tp: committed.get(tp, latest[tp]) for tp in tps}
        if args.shift_by is not None:
            plan = {}
            for tp in tps:
                if tp not in committed:
                    raise ToolError(f"Cannot shift offset for partition {tp[0]}-{tp[1]} since there "
                                    "is no current committed offset")
                plan[tp] = clamp(tp, committed[tp] + args.shift_by)
            return plan
        if args.to_datetime:
            ts = parse_datetime(args.to_datetime)
        else:
            ts = int(time.time() * 1000) - parse_duration(args.by_duration)
        return self._by_time(tps, ts, latest)

    def _by_time(self, tps: list[tuple[str, int]], ts: int, latest: dict[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        from confluent_kafka.admin import OffsetSpec

        found = self._offsets(tps, OffsetSpec.for_timestamp(ts))
        plan = {}
        for tp in tps:
            off = found.get(tp, -1)
            if off < 0:
                print(f"\nWarn: Partition {tp[1]} from topic {tp[0]} is empty. Falling back to latest "
                      "known offset.", file=sys.stderr)
                off = latest[tp]
            plan[tp] = off
        return plan

    def _commit(self, plans: dict[str, dict[tuple[str, int], int]]) -> None:
        from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition

        for group, plan in plans.items():
            if not plan:
                continue
            req = [ConsumerGroupTopicPartitions(group, [TopicPartition(t, p, o) for (t, p), o in sorted(plan.items())])]
            fut = self.admin.alter_consumer_group_offsets(req, request_timeout=self.timeout)[group]
            try:
                res = wait(fut, self.timeout + 5)
            except KafkaException as e:
                raise ToolError(f"Executing consumer group command failed due to {kafka_error_text(e)}") from None
            for tp in res.topic_partitions:
                if tp.error is not None:
                    raise ToolError(f"Failed to reset offset of {tp.topic}-{tp.partition}: {tp.error.str()}")


# ---------------------------------------------------------------- parsing helpers


def _parse_topic_spec(spec: str) -> tuple[str, list[int] | None]:
    """`topic` or `topic:0,1,2`."""
    name, sep, parts = spec.partition(":")
    if not sep:
        return name, None
    try:
        return name, [int(p) for p in parts.split(",") if p.strip()]
    except ValueError:
        raise ToolError(f"invalid partitions in --topic '{spec}'") from None


def _read_plan(path: str) -> dict[tuple[str, int], int]:
    """--from-file CSV: `topic,partition,offset` per line (Kafka's --export format)."""
    plan: dict[tuple[str, int], int] = {}
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise ToolError(f"cannot read {path}: {e.strerror}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        fields = line.split(",")
        try:
            topic, partition, offset = fields[-3], int(fields[-2]), int(fields[-1])
        except (IndexError, ValueError):
            raise ToolError(f"{path} line {n}: expected topic,partition,offset") from None
        plan[(topic, partition)] = offset
    return plan


def parse_datetime(text: str) -> int:
    """Kafka's --to-datetime: YYYY-MM-DDTHH:mm:SS.sss with an optional zone (Z, +hh:mm);
    without a zone the local time zone applies. Returns epoch milliseconds."""
    s = text.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    m = re.fullmatch(r"(.*T\d\d:\d\d:\d\d)(\.\d{1,6})?([+-]\d\d:?\d\d)?", s)
    if not m:
        raise ToolError(f"Error parsing timestamp '{text}': expected YYYY-MM-DDTHH:mm:SS.sss")
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise ToolError(f"Error parsing timestamp '{text}': expected YYYY-MM-DDTHH:mm:SS.sss") from None
    if dt.tzinfo is None:
        dt = dt.astimezone()
    return int(dt.astimezone(UTC).timestamp() * 1000)


def parse_duration(text: str) -> int:
    """ISO-8601 duration as Kafka's --by-duration takes it: PnDTnHnMnS (milliseconds)."""
    m = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", text.strip().upper())
    if not m or text.strip().upper() in ("P", "PT"):
        raise ToolError(f"Error parsing duration '{text}': expected PnDTnHnMnS, e.g. PT1H30M")
    d, h, mi, s = m.groups()
    seconds = int(d or 0) * 86400 + int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)
    return int(seconds * 1000)


def _code_text(code: int) -> str:
    from confluent_kafka import KafkaError

    return str(KafkaError(code).str()).removeprefix("Broker: ")


def _state_name(state: Any) -> str:
    name = getattr(state, "name", str(state))
    return {"PREPARING_REBALANCE": "PreparingRebalance", "COMPLETING_REBALANCE": "CompletingRebalance",
            "ASSIGNING": "Assigning", "RECONCILING": "Reconciling"}.get(name, name.capitalize())


def _type_name(kind: Any) -> str:
    if kind is None:
        return "Classic"
    name = getattr(kind, "name", str(kind))
    return name.capitalize()


def _assignment_text(tps: list[Any]) -> str:
    by_topic: dict[str, list[int]] = {}
    for tp in tps:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    if not by_topic:
        return "-"
    return ";".join(f"{t}:{','.join(map(str, sorted(ps)))}" for t, ps in sorted(by_topic.items()))


if __name__ == "__main__":
    sys.exit(main())

