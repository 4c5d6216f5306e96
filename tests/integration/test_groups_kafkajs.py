"""kafkajs 2.2.4 group consumer (tests/js/consume_group.js): commits and resumes in a group."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_groups_helpers import create_topic, produce
from tests.support.broker import BrokerProcess

JS = Path(__file__).resolve().parents[1] / "js"
pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (JS / "node_modules" / "kafkajs").is_dir(),
    reason="node or kafkajs missing (run `npm install` in tests/js)",
)


def _consume(bs: str, topic: str, group: str, n: int) -> list[dict]:
    proc = subprocess.run(
        ["node", str(JS / "consume_group.js"), bs, topic, group, str(n)],
        capture_output=True,
        timeout=90,
        cwd=JS,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    rows: list[dict] = json.loads(proc.stdout)
    return rows


def test_kafkajs_group_commits_and_the_next_run_resumes(
    broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    create_topic(broker.bootstrap, topic_name, 3)
    first = produce(broker.bootstrap, topic_name, 3, 15)
    rows = _consume(broker.bootstrap, topic_name, group_name, 15)
    assert sorted(r["value"] for r in rows) == sorted(first)
    more = produce(broker.bootstrap, topic_name, 3, 6, start=100)
    rows = _consume(broker.bootstrap, topic_name, group_name, 6)
    assert sorted(r["value"] for r in rows) == sorted(more)
    assert all(int(r["offset"]) >= 5 for r in rows)
