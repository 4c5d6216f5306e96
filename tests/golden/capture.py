"""Record the requests real clients send, as golden frames for the codec tests.

    python -m tests.golden.capture [--bootstrap HOST:PORT]

Without --bootstrap it starts Apache Kafka (the benchmark harness's driver, fetched from Maven
Central into a cache outside git) listening on one port and advertising another, where a
recording proxy sits; every client connection therefore goes through the proxy. Each client
(confluent-kafka, kcat, kafka-python, aiokafka) then creates/produces with every codec,
consumes in a group and commits. The first frame of each (api, version) per client is written
to tests/golden/frames/<client>/<Api>-v<version>[-<codec>].bin (payload without size prefix).

Not run in CI (it needs a JVM broker and a minute); the frames it wrote are checked in and
decoded by tests/golden/test_golden_frames.py.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from moldau.protocol._generated import APIS
from moldau.protocol.framing import FrameSplitter
from moldau.protocol.quirks import decode_request

OUT = Path(__file__).resolve().parent / "frames"
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


class Recorder:
    """Keeps the first frame of each (client, api, version, codec)."""

    def __init__(self) -> None:
        self.client = "unknown"
        self.codec = ""
        self.seen: set[tuple[str, int, int, str]] = set()
        self.count = 0

    def record(self, frame: bytes) -> None:
        if len(frame) < 4:
            return
        api_key = int.from_bytes(frame[0:2], "big", signed=True)
        version = int.from_bytes(frame[2:4], "big", signed=True)
        spec = APIS.get(api_key)
        if spec is None:
            return
        codec = self.codec if spec.name == "Produce" else ""
        key = (self.client, api_key, version, codec)
        if key in self.seen:
            return
        self.seen.add(key)
        suffix = f"-{codec}" if codec else ""
        path = OUT / self.client / f"{spec.name}-v{version}{suffix}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(frame)
        self.count += 1


def run_proxy(listen_port: int, target_port: int, rec: Recorder) -> None:
    async def pipe(reader, writer, split: FrameSplitter | None) -> None:
        try:
            while data := await reader.read(65536):
                if split is not None:
                    for frame in split.feed(data):
                        rec.record(bytes(frame))
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def handle(c_reader, c_writer) -> None:
        try:
            b_reader, b_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            c_writer.close()
            return
        await asyncio.gather(
            pipe(c_reader, b_writer, FrameSplitter()), pipe(b_reader, c_writer, None)
        )

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def scenario_confluent(bootstrap: str, rec: Recorder) -> None:
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    rec.client = "confluent-kafka"
    topic = f"golden-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 3, 1)])[topic].result(15)
    for codec in CODECS:
        rec.codec = codec
        p = Producer({"bootstrap.servers": bootstrap, "compression.type": codec, "linger.ms": 5})
        for i in range(20):
            p.produce(topic, key=f"k{i}".encode(), value=b"v" * 100, headers=[("h", b"1")])
        p.flush(15)
    c = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"g-{topic}", "auto.offset.reset": "earliest", "enable.auto.commit": False}
    )
    c.subscribe([topic])
    got = 0
    deadline = time.time() + 30
    while got < 100 and time.time() < deadline:
        m = c.poll(1.0)
        if m is not None and not m.error():
            got += 1
    c.commit(asynchronous=False)
    c.close()


def scenario_kcat(bootstrap: str, rec: Recorder) -> None:
    if shutil.which("kcat") is None:
        print("kcat not installed; skipped", file=sys.stderr)
        return
    rec.client = "kcat"
    topic = f"golden-{uuid.uuid4().hex[:8]}"
    for codec in CODECS:
        rec.codec = codec
        data = "".join(f"k{i}:{'value-' * 20}{i}\n" for i in range(20))
        subprocess.run(
            ["kcat", "-b", bootstrap, "-P", "-t", topic, "-K:", "-z", codec],
            input=data, text=True, timeout=30, check=False,
        )
    subprocess.run(
        ["kcat", "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q"],
        capture_output=True, timeout=30, check=False,
    )
    subprocess.run(
        ["kcat", "-b", bootstrap, "-G", f"g-{topic}", "-o", "beginning", "-e", "-q", topic],
        capture_output=True, timeout=40, check=False,
    )


def scenario_kafka_python(bootstrap: str, rec: Recorder) -> None:
    from kafka import KafkaConsumer, KafkaProducer

    rec.client = "kafka-python"
    topic = f"golden-{uuid.uuid4().hex[:8]}"
    for codec in CODECS:
        rec.codec = codec
        p = KafkaProducer(bootstrap_servers=bootstrap, compression_type=None if codec == "none" else codec)
        for i in range(20):
            p.send(topic, key=f"k{i}".encode(), value=b"v" * 100, headers=[("h", b"1")])
        p.flush(15)
        p.close()
    c = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"g-{topic}", auto_offset_reset="earliest",
        enable_auto_commit=False, consumer_timeout_ms=5000,
    )
    for _ in c:
        pass
    c.commit()
    c.close()


def scenario_aiokafka(bootstrap: str, rec: Recorder) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    rec.client = "aiokafka"
    topic = f"golden-{uuid.uuid4().hex[:8]}"

    async def main() -> None:
        for codec in CODECS:
            rec.codec = codec
            p = AIOKafkaProducer(bootstrap_servers=bootstrap, compression_type=None if codec == "none" else codec)
            await p.start()
            for i in range(20):
                await p.send_and_wait(topic, key=f"k{i}".encode(), value=b"v" * 100, headers=[("h", b"1")])
            await p.stop()
        c = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, group_id=f"g-{topic}", auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await c.start()
        await c.getmany(timeout_ms=5000)
        await c.commit()
        await c.stop()

    asyncio.run(main())


class _ProxiedKafka:
    """Apache Kafka listening on one port while advertising the proxy's port."""

    def __init__(self, advertised_port: int) -> None:
        from bench.brokers.kafka import KafkaBroker

        adv = advertised_port

        class Proxied(KafkaBroker):
            def _write_config(self, port: int, data_dir: Path) -> Path:
                conf = super()._write_config(port, data_dir)
                text = re.sub(
                    r"^advertised\.listeners=.*$",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{adv}",
                    conf.read_text(),
                    flags=re.M,
                )
                conf.write_text(text)
                return conf

        self.broker = Proxied()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", default="confluent-kafka,kcat,kafka-python,aiokafka")
    args = ap.parse_args()
    from tests.support.broker import free_port

    proxy_port, broker_port = free_port(), free_port()
    kafka = _ProxiedKafka(proxy_port).broker
    kafka.ensure()
    tmp = Path(tempfile.mkdtemp(prefix="golden-"))
    kafka.start(broker_port, tmp / "data")
    rec = Recorder()
    threading.Thread(target=run_proxy, args=(proxy_port, broker_port, rec), daemon=True).start()
    time.sleep(0.5)
    bootstrap = f"127.0.0.1:{proxy_port}"
    scenarios = {
        "confluent-kafka": scenario_confluent,
        "kcat": scenario_kcat,
        "kafka-python": scenario_kafka_python,
        "aiokafka": scenario_aiokafka,
    }
    try:
        for name in args.clients.split(","):
            scenarios[name](bootstrap, rec)
    finally:
        kafka.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"recorded {rec.count} frames under {OUT}")
    # Sanity: everything recorded must decode with our codec.
    bad = 0
    for path in sorted(OUT.rglob("*.bin")):
        try:
            decode_request(memoryview(path.read_bytes()))
        except Exception as exc:  # noqa: BLE001 - report every failure
            bad += 1
            print(f"{path}: {exc}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
