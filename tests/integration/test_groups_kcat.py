"""kcat (librdkafka 2.0.2, older API versions) as a balanced consumer: consume, commit, resume."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.integration.test_groups_helpers import create_topic, produce
from tests.support.broker import BrokerProcess

pytestmark = pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat is not installed")


def _kcat_group(bs: str, group: str, topic: str) -> list[str]:
    r = subprocess.run(
        ["kcat", "-b", bs, "-G", group, "-X", "auto.offset.reset=earliest", "-e", "-q"]
        + ["-f", "%s\n", topic],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def test_kcat_balanced_consumer_commits_and_resumes(
    broker: BrokerProcess, topic_name: str, group_name: str
) -> None:
    create_topic(broker.bootstrap, topic_name, 3)
    first = produce(broker.bootstrap, topic_name, 3, 12)
    assert sorted(_kcat_group(broker.bootstrap, group_name, topic_name)) == sorted(first)
    # offsets were committed on exit: a second run sees only what is new
    assert _kcat_group(broker.bootstrap, group_name, topic_name) == []
    more = produce(broker.bootstrap, topic_name, 3, 6, start=100)
    assert sorted(_kcat_group(broker.bootstrap, group_name, topic_name)) == sorted(more)
