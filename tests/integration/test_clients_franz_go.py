"""franz-go (github.com/twmb/franz-go): admin (kadm), acks=all producer with its default
Kafka-compatible partitioner, consumer.

Builds tests/go with the Go module cache only (GOPROXY=off, GOFLAGS=-mod=mod): nothing is
downloaded here, so the test is skipped where the modules are not cached (fetch them with
`cd tests/go && go mod download`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from moldau.common.murmur2 import murmur2

GO_DIR = Path(__file__).resolve().parents[1] / "go"
pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="go is not installed")


@pytest.fixture(scope="module")
def franz_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("franz") / "franzcheck"
    env = dict(os.environ, GOPROXY="off", GOFLAGS="-mod=mod", GOTOOLCHAIN="local")
    proc = subprocess.run(
        ["go", "build", "-o", str(out), "."], cwd=GO_DIR, env=env, capture_output=True, timeout=300
    )
    if proc.returncode != 0:
        pytest.skip(f"franz-go modules not in the Go module cache: {proc.stderr.decode()[-300:]}")
    return out


def test_franz_go_client(broker, topic_name, franz_binary):
    proc = subprocess.run(
        [str(franz_binary), broker.bootstrap, topic_name], capture_output=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    lines = [line.split("=", 1) for line in proc.stdout.decode().splitlines() if "=" in line]
    found = dict(lines)
    assert "fetch.error" not in found
    assert found["created"] == topic_name
    assert found["partitions"] == "3" and found["topic.id.zero"] == "false"
    assert found["retention.ms"] == "3600000"
    assert found["rf3"] == "true"
    for i in range(6):
        key = f"key-{i}".encode()
        sent = {v for k, v in lines if k == f"sent.key-{i}"}
        assert sent == {str((murmur2(key) & 0x7FFFFFFF) % 3)}
    assert found["too.big"] == "true"
    assert (found["consumed"], found["end.total"], found["ordered"]) == ("33", "33", "true")
    assert (found["tombstones"], found["empty"], found["big"], found["headers"]) == (
        "1",
        "1",
        "1",
        "30",
    )
    assert found["deleted"] == "true"
