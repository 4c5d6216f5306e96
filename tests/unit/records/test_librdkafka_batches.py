"""Record batches written by librdkafka itself decode with our code.

confluent-kafka (librdkafka 2.16) and kcat (the distribution's librdkafka, 2.0.2 here)
produce to a fake broker that keeps each Produce request's records blob; every codec must
really be used (librdkafka falls back to no compression silently when it thinks the broker
cannot take it), pass validate_client_batch, decode to what was sent, and survive
recompression into every codec. librdkafka writes raw snappy (no xerial framing), so this is
also the real-client check of that read path.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
from confluent_kafka import Producer

from moldau.protocol.records.record import iter_records
from moldau.protocol.records.validate import recompress_batch, validate_client_batch

from .fake_produce_broker import FakeProduceBroker

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
N = 20


def _value(i: int) -> bytes:
    return f"value-{i}-".encode() * 20


def _wait_for(broker: FakeProduceBroker, count: int) -> list[bytes]:
    deadline = time.monotonic() + 20
    while len(broker.batches) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return list(broker.batches)


@pytest.fixture(scope="module")
def confluent_batches() -> Iterator[dict[str, list[bytes]]]:
    out: dict[str, list[bytes]] = {}
    for name in CODECS:
        broker = FakeProduceBroker("records-test")
        producer = Producer(
            {
                "bootstrap.servers": broker.bootstrap,
                "compression.type": name,
                "linger.ms": 20,
                "acks": 1,
                "enable.idempotence": False,
            }
        )
        for i in range(N):
            producer.produce(
                "records-test",
                key=f"k{i}".encode(),
                value=_value(i),
                headers=[("h", b"v"), ("n", None)],
                partition=0,
                timestamp=1_700_000_000_000 + i,
            )
        assert producer.flush(20) == 0, "librdkafka could not deliver to the fake broker"
        out[name] = list(broker.batches)
        broker.close()
    yield out


@pytest.mark.parametrize("name", CODECS)
def test_confluent_kafka_batches(confluent_batches: dict[str, list[bytes]], name: str) -> None:
    batches = confluent_batches[name]
    assert batches
    records = []
    for raw in batches:
        header = validate_client_batch(raw)
        assert header.compression == CODECS[name]
        records += list(iter_records(raw))
        for target in CODECS.values():
            again = recompress_batch(raw, target)
            assert validate_client_batch(again).compression == target
            assert [bytes(r.value) for r in iter_records(again)] == [  # type: ignore[arg-type]
                bytes(r.value)  # type: ignore[arg-type]
                for r in iter_records(raw)
            ]
    assert [bytes(r.key) for r in records] == [f"k{i}".encode() for i in range(N)]  # type: ignore[arg-type]
    assert [bytes(r.value) for r in records] == [_value(i) for i in range(N)]  # type: ignore[arg-type]
    assert [r.timestamp for r in records] == [1_700_000_000_000 + i for i in range(N)]
    assert all(r.headers == [("h", b"v"), ("n", None)] for r in records)


@pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat is not installed")
@pytest.mark.parametrize("name", CODECS)
def test_kcat_batches(name: str) -> None:
    broker = FakeProduceBroker("records-test")
    try:
        lines = "".join(f"k{i}:{_value(i).decode()}\n" for i in range(N))
        cmd = ["kcat", "-P", "-b", broker.bootstrap, "-t", "records-test", "-p", "0"]
        cmd += ["-z", name, "-K:", "-H", "h=v", "-X", "linger.ms=50"]
        done = subprocess.run(cmd, input=lines.encode(), capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        batches = _wait_for(broker, 1)
    finally:
        broker.close()
    assert batches
    records = []
    for raw in batches:
        assert validate_client_batch(raw).compression == CODECS[name]
        records += list(iter_records(raw))
    assert [bytes(r.key) for r in records] == [f"k{i}".encode() for i in range(N)]  # type: ignore[arg-type]
    assert [bytes(r.value) for r in records] == [_value(i) for i in range(N)]  # type: ignore[arg-type]
    assert all(r.headers == [("h", b"v")] for r in records)
