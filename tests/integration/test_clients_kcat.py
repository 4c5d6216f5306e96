"""kcat (librdkafka 2.0.2, the Debian package) producing and consuming."""

from __future__ import annotations

import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat is not installed")


def _kcat(*args: str, data: bytes | None = None, timeout: float = 30) -> bytes:
    proc = subprocess.run(["kcat", *args], input=data, capture_output=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout


def test_kcat_round_trip_with_keys_and_headers(broker, topic_name):
    lines = b"".join(f"key-{i}:value-{i}\n".encode() for i in range(50))
    _kcat("-b", broker.bootstrap, "-P", "-t", topic_name, "-K", ":", "-H", "h=1", data=lines)
    out = _kcat(
        "-b",
        broker.bootstrap,
        "-C",
        "-t",
        topic_name,
        "-e",
        "-o",
        "beginning",
        "-f",
        "%k|%s|%o|%h\n",
    )
    rows = [line.split("|") for line in out.decode().splitlines()]
    assert [r[0] for r in rows] == [f"key-{i}" for i in range(50)]
    assert [r[1] for r in rows] == [f"value-{i}" for i in range(50)]
    assert [int(r[2]) for r in rows] == list(range(50))
    assert all(r[3] == "h=1" for r in rows)


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_kcat_compressed(broker, topic_name, codec):
    lines = b"".join(f"v{i}\n".encode() * 1 for i in range(100))
    _kcat("-b", broker.bootstrap, "-P", "-t", topic_name, "-z", codec, data=lines)
    out = _kcat("-b", broker.bootstrap, "-C", "-t", topic_name, "-e", "-o", "beginning")
    assert out.decode().splitlines() == [f"v{i}" for i in range(100)]


def test_kcat_metadata_and_tail_offsets(broker, topic_name):
    _kcat("-b", broker.bootstrap, "-P", "-t", topic_name, data=b"a\nb\nc\n")
    meta = _kcat("-b", broker.bootstrap, "-L", "-t", topic_name).decode()
    assert f'topic "{topic_name}" with 1 partitions' in meta
    # -o -1: the last message only (a ListOffsets latest lookup)
    out = _kcat("-b", broker.bootstrap, "-C", "-t", topic_name, "-o", "-1", "-e")
    assert out.decode().splitlines() == ["c"]
