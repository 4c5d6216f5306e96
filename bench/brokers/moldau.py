"""moldau from this checkout, started exactly as a user would start it.

``python -m moldau.broker config/server.properties`` with overrides for the listener and
the data directory. While the server does not start (or the config file is absent), the
harness reports "failed to start: <reason>" for moldau and carries on with the others.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.brokers.base import HOST, Broker, BrokerMissing

REPO = Path(__file__).resolve().parents[2]


class MoldauBroker(Broker):
    name = "moldau"

    def describe(self) -> str:
        try:
            import moldau

            version = getattr(moldau, "__version__", "?")
        except ImportError:
            version = "not importable"
        return (
            f"moldau {version} (this checkout; python -m moldau.broker, {sys.version.split()[0]})"
        )

    def ensure(self) -> None:
        try:
            import moldau  # noqa: F401
        except ImportError as exc:
            raise BrokerMissing(f"moldau is not importable: {exc}") from exc

    def command(self, port: int, data_dir: Path) -> list[str]:
        listener = f"PLAINTEXT://{HOST}:{port}"
        return [
            sys.executable,
            "-m",
            "moldau.broker",
            str(REPO / "config" / "server.properties"),
            "--override",
            f"listeners={listener}",
            "--override",
            f"advertised.listeners={listener}",
            "--override",
            f"log.dirs={data_dir}",
        ]
