"""noida-db 0.2.0 from PyPI, installed into its own venv in the cache.

Pinned to 0.2.0 because newer releases need a newer glibc than this machine has. Only its
Kafka service is enabled (``--only kafka``); it keeps data in memory with snapshots under
``--data-dir``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.brokers.base import CACHE, HOST, Broker, BrokerMissing

NOIDA_VERSION = "0.2.0"


def venv() -> Path:
    return CACHE / "noida" / "venv"


class NoidaBroker(Broker):
    name = "noida"

    def describe(self) -> str:
        return f"noida-db {NOIDA_VERSION} (PyPI; --only kafka, memory with snapshots)"

    def ensure(self) -> None:
        exe = venv() / "bin" / "noida-db"
        if not exe.exists():
            venv().parent.mkdir(parents=True, exist_ok=True)
            steps = [
                [sys.executable, "-m", "venv", str(venv())],
                [str(venv() / "bin" / "pip"), "install", "-q", f"noida-db=={NOIDA_VERSION}"],
            ]
            for argv in steps:
                res = subprocess.run(argv, capture_output=True, text=True, timeout=600)
                if res.returncode != 0:
                    raise BrokerMissing(
                        f"{' '.join(argv[:3])} failed: {(res.stdout + res.stderr)[-300:]}"
                    )
        res = subprocess.run([str(exe), "version"], capture_output=True, text=True, timeout=60)
        if NOIDA_VERSION not in res.stdout:
            raise BrokerMissing(
                f"expected noida-db {NOIDA_VERSION}, got {(res.stdout + res.stderr).strip()[-200:]!r}"
            )

    def command(self, port: int, data_dir: Path) -> list[str]:
        return [
            str(venv() / "bin" / "noida-db"),
            "start",
            "--data-dir",
            str(data_dir),
            "--host",
            HOST,
            "--only",
            "kafka",
            "--kafka-port",
            str(port),
        ]
