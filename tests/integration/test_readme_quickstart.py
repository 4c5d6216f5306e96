"""Runs the README's quickstart, command by command, against a real broker.

The commands are read from README.md between the quickstart markers, so the README cannot go
stale: a changed flag, output or exit code fails here. Only the port is rewritten (the broker
runs on a free port); the output of each step is checked for the shape Kafka's tools print.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def quickstart_commands() -> list[str]:
    text = README.read_text()
    block = text.split("<!-- quickstart:begin", 1)[1].split("<!-- quickstart:end", 1)[0]
    lines = [ln.strip() for ln in block.splitlines()]
    return [
        ln for ln in lines if ln and not ln.startswith(("```", "<!--", "(")) and "-->" not in ln
    ]


# Output checks per step (regular expressions that must match the combined output).
EXPECT = {
    0: [r"Created topic first_topic\."],
    1: [r"^first_topic$"],
    2: [
        r"Topic: first_topic\tTopicId: \S+\tPartitionCount: 3\tReplicationFactor: 1\tConfigs:",
        r"\tTopic: first_topic\tPartition: 0\tLeader: \d+\tReplicas: \d+\tIsr: \d+",
        r"\tTopic: first_topic\tPartition: 2\t",
    ],
    5: [
        r"^key1,value1$",
        r"^key2,value2$",
        r"^null,hello$",
        r"^null,world$",
        r"Processed a total of 4 messages",
    ],
    6: [r"Processed a total of 4 messages"],
    7: [
        r"GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID\s+HOST\s+CLIENT-ID",
        r"my-first-application\s+first_topic\s+\d\s+(\d+)\s+\1\s+0\s",
    ],
    8: [r"GROUP\s+TOPIC\s+PARTITION\s+NEW-OFFSET", r"my-first-application\s+first_topic\s+\d\s+0"],
    9: [r"Processed a total of 4 messages"],
    10: [r"^my-first-application$"],
    11: [r"Completed updating config for topic first_topic\."],
    12: [r"retention\.ms=86400000"],
}


def test_quickstart_has_the_seed_story() -> None:
    cmds = quickstart_commands()
    assert len(cmds) == 14
    assert any("--reset-offsets --to-earliest --execute" in c for c in cmds)


@pytest.mark.skipif(
    shutil.which("kafka-topics") is None, reason="console scripts not installed (pip install -e .)"
)
def test_readme_quickstart_runs_as_written(own_broker) -> None:
    for i, cmd in enumerate(quickstart_commands()):
        cmd = cmd.replace("127.0.0.1:9092", own_broker.bootstrap)
        proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=90)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"step {i}: {cmd}\n{out}"
        for pattern in EXPECT.get(i, []):
            assert re.search(pattern, out, re.M), (
                f"step {i}: {cmd}\nno match for {pattern!r} in:\n{out}"
            )
    listing = subprocess.run(
        ["kafka-topics", "--bootstrap-server", own_broker.bootstrap, "--list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "first_topic" not in listing.stdout.split()
