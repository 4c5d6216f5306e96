"""kafka-consumer-groups against a real broker: Kafka's tables, the seed's reset story, and
the refusals (missing group, active group)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tests.integration.tools.toolrun import DEAD_BOOTSTRAP, eventually, run

OFFSETS_HEADER = ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                  "CONSUMER-ID", "HOST", "CLIENT-ID"]


def groups(broker, *args, **kw):
    return run("kafka-consumer-groups", "--bootstrap-server", broker.bootstrap, *args, **kw)


def setup_topic(broker, topic, partitions, lines):
    r = run("kafka-topics", "--bootstrap-server", broker.bootstrap, "--create", "--topic", topic,
            "--partitions", str(partitions))
    assert r.code == 0, r.err
    r = run("kafka-console-producer", "--bootstrap-server", broker.bootstrap, "--topic", topic,
            input="".join(f"{line}\n" for line in lines))
    assert r.code == 0, r.err


def consume(broker, topic, group, n):
    r = run("kafka-console-consumer", "--bootstrap-server", broker.bootstrap, "--topic", topic,
            "--group", group, "--from-beginning", "--max-messages", str(n))
    assert r.code == 0, r.err
    return r


@contextmanager
def active_member(broker, topic, group) -> Iterator[subprocess.Popen]:
    """A console consumer that stays in the group until the block ends."""
    cmd = [sys.executable, "-m", "moldau.tools.cli", "kafka-console-consumer", "--bootstrap-server",
           broker.bootstrap, "--topic", topic, "--group", group, "--from-beginning"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout is not None
        p.stdout.readline()  # it has joined and been assigned partitions once it prints
        yield p
    finally:
        p.terminate()
        p.communicate(timeout=60)


def table(lines: list[str]) -> list[list[str]]:
    """Non-empty lines split on runs of spaces (columns are space padded)."""
    return [line.split() for line in lines if line.strip()]


def test_list_and_state(broker, topic_name, group_name):
    setup_topic(broker, topic_name, 1, ["a"])
    consume(broker, topic_name, group_name, 1)
    r = groups(broker, "--list")
    assert r.code == 0 and group_name in r.lines
    r = groups(broker, "--list", "--state")
    rows = table(r.lines)
    assert rows[0] == ["GROUP", "STATE"]
    assert [group_name, "Empty"] in rows
    r = groups(broker, "--list", "--state", "stable")
    assert group_name not in r.out


def test_describe_lag_of_inactive_group(broker, topic_name, group_name):
    setup_topic(broker, topic_name, 3, [f"m{i}" for i in range(9)])
    consume(broker, topic_name, group_name, 4)
    r = groups(broker, "--describe", "--group", group_name)
    assert r.code == 0, r.err
    assert f"Consumer group '{group_name}' has no active members." in r.lines
    rows = table(r.lines)
    header_at = rows.index(OFFSETS_HEADER)
    data = rows[header_at + 1:]
    assert data and all(len(row) == 9 and row[0] == group_name and row[1] == topic_name for row in data)
    total_end = sum(int(row[4]) for row in data)
    assert total_end == 9
    committed = sum(int(row[3]) for row in data if row[3] != "-")
    assert committed == 4
    for row in data:
        if row[3] != "-":
            assert int(row[5]) == int(row[4]) - int(row[3])
        else:
            assert row[5] == "-"
    assert all(row[6:] == ["-", "-", "-"] for row in data)


def test_describe_active_group_members_and_state(broker, topic_name, group_name):
    setup_topic(broker, topic_name, 2, ["x", "y"])
    with active_member(broker, topic_name, group_name):
        r = groups(broker, "--describe", "--group", group_name)
        rows = table(r.lines)
        assert rows[0] == OFFSETS_HEADER
        assert len(rows) == 3
        assert all(row[6] != "-" and row[8] == "console-consumer" for row in rows[1:])

        r = groups(broker, "--describe", "--group", group_name, "--members")
        rows = table(r.lines)
        assert rows[0] == ["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"]
        assert len(rows) == 2 and rows[1][0] == group_name and rows[1][4] == "2"

        r = groups(broker, "--describe", "--group", group_name, "--members", "--verbose")
        rows = table(r.lines)
        assert rows[0][-4:] == ["CURRENT-EPOCH", "CURRENT-ASSIGNMENT", "TARGET-EPOCH", "TARGET-ASSIGNMENT"]
        assert f"{topic_name}:0,1" in rows[1]

        r = groups(broker, "--describe", "--group", group_name, "--state")
        assert table(r.lines)[0] == ["GROUP", "COORDINATOR", "(ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"]
        row = table(r.lines)[1]
        assert row[0] == group_name and row[-2:] == ["Stable", "1"]

        # Kafka refuses to move the offsets of a group that has members.
        r = groups(broker, "--reset-offsets", "--group", group_name, "--topic", topic_name,
                   "--to-earliest", "--execute")
        assert r.code == 1
        assert (f"Assignments can only be reset if the group '{group_name}' is inactive, but the "
                "current state is Stable.") in r.err

        r = groups(broker, "--delete", "--group", group_name)
        assert r.code == 1 and f"Group '{group_name}' could not be deleted" in r.err


def test_seed_reset_to_earliest_and_reread(broker, topic_name, group_name):
    setup_topic(broker, topic_name, 3, [f"m{i}" for i in range(6)])
    consume(broker, topic_name, group_name, 6)
    r = groups(broker, "--reset-offsets", "--group", group_name, "--topic", topic_name, "--to-earliest")
    assert r.code == 0
    assert "--execute" in r.err
    rows = table(r.lines)
    assert rows[0] == ["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"]
    assert sorted(int(row[2]) for row in rows[1:]) == [0, 1, 2]
    assert all(row[3] == "0" for row in rows[1:])
    # a dry run changed nothing:
    r = run("kafka-console-consumer", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
            "--group", group_name, "--timeout-ms", "3000")
    assert r.lines == []

    r = groups(broker, "--reset-offsets", "--group", group_name, "--topic", topic_name,
               "--to-earliest", "--execute")
    assert r.code == 0, r.err
    assert consume(broker, topic_name, group_name, 6).lines != []


def test_reset_specs(broker, topic_name, group_name, tmp_path):
    setup_topic(broker, topic_name, 1, [f"m{i}" for i in range(10)])
    consume(broker, topic_name, group_name, 10)

    def new_offset(*spec):
        r = groups(broker, "--reset-offsets", "--group", group_name, "--topic", topic_name, *spec,
                   "--execute")
        assert r.code == 0, r.err
        return int(table(r.lines)[1][3])

    assert new_offset("--to-offset", "4") == 4
    assert new_offset("--shift-by", "-3") == 1
    assert new_offset("--shift-by", "100") == 10  # clamped to the log end
    assert new_offset("--to-current") == 10
    assert new_offset("--to-offset", "2") == 2
    assert new_offset("--to-latest") == 10
    assert new_offset("--to-datetime", "2000-01-01T00:00:00.000") == 0
    assert new_offset("--by-duration", "PT0S") == 10  # nothing newer than now
    r = groups(broker, "--reset-offsets", "--group", group_name, "--topic", f"{topic_name}:0",
               "--to-offset", "7", "--dry-run", "--export")
    assert r.lines == [f"{topic_name},0,7"]
    plan = tmp_path / "plan.csv"
    plan.write_text(r.out)
    assert int(table(groups(broker, "--reset-offsets", "--group", group_name, "--from-file", str(plan),
                            "--execute").lines)[1][3]) == 7
    r = groups(broker, "--describe", "--group", group_name)
    row = next(row for row in table(r.lines) if row[:2] == [group_name, topic_name])
    assert row[3:6] == ["7", "10", "3"]


def test_shift_without_committed_offset_fails(broker, topic_name, group_name):
    setup_topic(broker, topic_name, 1, ["a"])
    r = groups(broker, "--reset-offsets", "--group", group_name, "--topic", topic_name,
               "--shift-by", "1", "--execute")
    assert r.code == 1 and "no current committed offset" in r.err


def test_delete_offsets_and_group(broker, topic_name, group_name):
    setup_topic(broker, topic_name, 2, ["a", "b"])
    consume(broker, topic_name, group_name, 2)
    r = groups(broker, "--delete-offsets", "--group", group_name, "--topic", topic_name)
    assert r.code == 0, r.err
    assert r.lines[0] == f"Request succeeded for deleting offsets from group {group_name}."
    rows = table(r.lines)
    assert rows[1] == ["TOPIC", "PARTITION", "STATUS"]
    assert [row[2] for row in rows[2:]] == ["Successful", "Successful"]

    r = groups(broker, "--delete", "--group", group_name)
    assert r.code == 0, r.err
    assert r.lines == [f"Deletion of requested consumer groups ('{group_name}') was successful."]
    assert eventually(lambda: group_name not in groups(broker, "--list").lines)


def test_missing_group(broker, group_name):
    r = groups(broker, "--describe", "--group", group_name)
    assert r.code == 1 and f"Consumer group '{group_name}' does not exist." in r.err
    r = groups(broker, "--delete", "--group", group_name)
    assert r.code == 1 and f"Group '{group_name}' could not be deleted" in r.err


def test_bad_usage_and_unreachable(broker, group_name):
    assert groups(broker, "--describe").code == 1
    assert groups(broker, "--reset-offsets", "--group", group_name, "--all-topics").code == 1
    assert groups(broker, "--list", "--bogus").code == 1
    r = run("kafka-consumer-groups", "--bootstrap-server", DEAD_BOOTSTRAP, "--list")
    assert r.code == 1 and len(r.err.strip().splitlines()) == 1 and "127.0.0.1:1" in r.err


def test_silent_broker_fails_within_timeout(own_broker):
    """A broker that accepts connections but never answers (stopped with SIGSTOP) gives an
    error within --timeout, not a hang and not an empty list that looks complete."""
    import os
    import signal

    import pytest

    if own_broker.external or own_broker.proc is None:
        pytest.skip("needs a broker process of its own to stop")
    r = groups(own_broker, "--list")
    assert r.code == 0
    os.kill(own_broker.proc.pid, signal.SIGSTOP)
    try:
        r = groups(own_broker, "--list", "--timeout", "2000")
    finally:
        os.kill(own_broker.proc.pid, signal.SIGCONT)
    assert r.code == 1
    assert len(r.err.strip().splitlines()) == 1, r.err
