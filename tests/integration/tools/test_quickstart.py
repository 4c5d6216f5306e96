"""The quickstart in docs/tools.md, run step by step: the user's notes (section CODING!) told
with moldau. Every `$ ` command of the quickstart must be a step here (checked below), so
the document cannot drift from what is tested.

Names are made fresh per run (first_topic -> t-..., groups -> g-...) and the bootstrap
address is the test broker's. Consumers that run until Ctrl-C in the document get
--max-messages or --timeout-ms here so the test ends.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from tests.integration.tools.toolrun import Result, run
from tests.support.broker import REPO

DOC = REPO / "docs" / "tools.md"
DOC_BOOTSTRAP = "127.0.0.1:9092"


@dataclass
class Step:
    command: str                      # exactly as in the document
    check: Callable[[Result, dict], None] = lambda r, ctx: None
    stdin: str | None = None
    extra: list[str] = field(default_factory=list)  # added by the test only
    background: bool = False          # keep running (a group member) until the story ends


def _rows(r: Result) -> list[list[str]]:
    return [line.split() for line in r.lines if line.strip()]


def _created(r, ctx):
    assert r.code == 0, r.err
    assert r.lines[-1] == f"Created topic {ctx['first_topic']}."


def _listed(r, ctx):
    assert ctx["first_topic"] in r.lines


def _described(r, ctx):
    assert re.match(rf"^Topic: {ctx['first_topic']}\tTopicId: \S+\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: ",
                    r.lines[0]), r.lines[0]
    assert len(r.lines) == 4 and all(line.startswith(f"\tTopic: {ctx['first_topic']}\tPartition: ")
                                     for line in r.lines[1:])


def _ok(r, ctx):
    assert r.code == 0, r.err


def _reads(n: int, must_contain: tuple[str, ...] = ()):
    def check(r, ctx):
        assert r.code == 0, r.err
        assert len(r.lines) == n, r.lines
        for line in must_contain:
            assert line in r.lines
        assert f"Processed a total of {n} messages" in r.err
    return check


def _two_members(r, ctx):
    rows = _rows(r)
    assert rows[0][:3] == ["GROUP", "TOPIC", "PARTITION"]
    members = {row[6] for row in rows[1:]}
    assert len(rows) == 4 and len(members) == 2 and "-" not in members, r.out


def _lag(total: int):
    def check(r, ctx):
        rows = _rows(r)
        header = rows.index(["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                             "CONSUMER-ID", "HOST", "CLIENT-ID"])
        assert sum(int(row[5]) for row in rows[header + 1:]) == total, r.out
    return check


def _reset(r, ctx):
    assert r.code == 0, r.err
    rows = _rows(r)
    assert rows[0] == ["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"]
    assert [row[3] for row in rows[1:]] == ["0", "0", "0"]


def _deleted(r, ctx):
    assert r.code == 0 and r.out == "", r.err


B = DOC_BOOTSTRAP
STORY = [
    Step(f"kafka-topics --bootstrap-server {B} --topic first_topic --create --partitions 3 --replication-factor 1", _created),
    Step(f"kafka-topics --bootstrap-server {B} --list", _listed),
    Step(f"kafka-topics --bootstrap-server {B} --topic first_topic --describe", _described),
    Step(f"kafka-console-producer --broker-list {B} --topic first_topic --producer-property acks=all", _ok,
         stdin="hello\nworld\n"),
    Step(f"kafka-console-producer --broker-list {B} --topic first_topic --property parse.key=true --property key.separator=,",
         _ok, stdin="key,value\nanother key,another value\n"),
    Step(f"kafka-console-consumer --bootstrap-server {B} --topic first_topic", _reads(0), extra=["--timeout-ms", "3000"]),
    Step(f"kafka-console-consumer --bootstrap-server {B} --topic first_topic --from-beginning",
         _reads(4, ("hello", "world", "value", "another value")), extra=["--max-messages", "4"]),
    Step(f"kafka-console-consumer --bootstrap-server {B} --topic first_topic --from-beginning --property print.key=true --property key.separator=,",
         _reads(4, ("null,hello", "key,value", "another key,another value")), extra=["--max-messages", "4"]),
    Step(f"kafka-console-consumer --bootstrap-server {B} --topic first_topic --group my-first-application",
         background=True),
    Step(f"kafka-console-consumer --bootstrap-server {B} --topic first_topic --group my-first-application",
         background=True),
    Step(f"kafka-consumer-groups --bootstrap-server {B} --group my-first-application --describe", _two_members),
    Step(f"kafka-console-consumer --bootstrap-server {B} --topic first_topic --group my-second-application --from-beginning",
         _reads(4), extra=["--max-messages", "4"]),
    Step(f"kafka-console-consumer --bootstrap-server {B} --topic first_topic --group my-second-application --from-beginning",
         _reads(0), extra=["--timeout-ms", "3000"]),
    Step(f"kafka-console-producer --broker-list {B} --topic first_topic", _ok, stdin="more\nmessages\n"),
    Step(f"kafka-consumer-groups --bootstrap-server {B} --group my-second-application --describe", _lag(2)),
    Step(f"kafka-consumer-groups --bootstrap-server {B} --group my-second-application --reset-offsets --to-earliest --execute --topic first_topic",
         _reset),
    Step(f"kafka-console-consumer --bootstrap-server {B} --topic first_topic --group my-second-application",
         _reads(6), extra=["--max-messages", "6"]),
    Step(f"kafka-topics --bootstrap-server {B} --topic second_topic --create", _ok),
    Step(f"kafka-topics --bootstrap-server {B} --topic second_topic --delete", _deleted),
]


def doc_commands() -> list[str]:
    text = DOC.read_text()
    start = text.index("<!-- quickstart:begin -->")
    end = text.index("<!-- quickstart:end -->")
    return [line[2:].strip() for line in text[start:end].splitlines() if line.startswith("$ ")]


def test_document_lists_exactly_the_tested_commands():
    server = "kafka-server-start config/server.properties"
    assert doc_commands() == [server] + [s.command for s in STORY]


@pytest.mark.timeout(600)
def test_quickstart_story(broker):
    ctx = {
        "first_topic": f"t-{uuid.uuid4().hex[:10]}",
        "second_topic": f"t-{uuid.uuid4().hex[:10]}",
        "my-first-application": f"g-{uuid.uuid4().hex[:10]}",
        "my-second-application": f"g-{uuid.uuid4().hex[:10]}",
    }
    members: list[subprocess.Popen] = []
    try:
        for step in STORY:
            argv = shlex.split(step.command)
            argv = [ctx.get(a, a).replace(DOC_BOOTSTRAP, broker.bootstrap) for a in argv] + step.extra
            if step.background:
                p = subprocess.Popen([sys.executable, "-m", "moldau.tools.cli", *argv],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                members.append(p)
                if len(members) == 2:
                    _wait_for_two_members(broker, ctx["my-first-application"])
                continue
            r = run(argv[0], *argv[1:], input=step.stdin)
            step.check(r, ctx)
    finally:
        for p in members:
            p.terminate()
        for p in members:
            try:
                p.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def _wait_for_two_members(broker, group: str) -> None:
    """The second member's join triggers a rebalance; wait until both hold partitions."""
    from tests.integration.tools.toolrun import eventually

    def two() -> bool:
        r = run("kafka-consumer-groups", "--bootstrap-server", broker.bootstrap, "--describe", "--group",
                group, "--members")
        rows = _rows(r)
        return len(rows) == 3 and all(row[-1] != "0" for row in rows[1:])

    assert eventually(two, attempts=120, pause=0.5)
