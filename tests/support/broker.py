"""Start a real moldau broker as a subprocess on a free 127.0.0.1 port, for integration tests.

Set MOLDAU_TEST_BOOTSTRAP=host:port to point the tests at an already running broker instead
(for example Apache Kafka, to check that a test expects what Kafka really does); tests that
restart or kill the broker are skipped then, with that reason.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"broker exited with code {proc.returncode} before serving")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


class BrokerProcess:
    """One broker subprocess with its own data directory and log file."""

    def __init__(self, data_dir: Path, overrides: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.host = "127.0.0.1"
        self.log_path = data_dir / "broker.log"
        self.overrides = {
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "log.dirs": str(data_dir / "kafka-logs"),
            "group.initial.rebalance.delay.ms": "0",
        }
        self.overrides.update(overrides or {})
        self.proc: subprocess.Popen | None = None
        self.external = False

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        args = [sys.executable, "-m", "moldau.broker", str(REPO / "config" / "server.properties")]
        for key, value in self.overrides.items():
            args += ["--override", f"{key}={value}"]
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the process's lifetime
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        log.close()
        try:
            wait_for_port(self.host, self.port, timeout, self.proc)
        except Exception:
            self.stop()
            raise RuntimeError(f"broker did not start; log:\n{self.log()}") from None

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM and wait: a clean shutdown."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        return code

    def kill(self) -> None:
        """SIGKILL: an unclean stop, as a power cut would leave it."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def restart(self, clean: bool = True) -> None:
        if clean:
            self.stop()
        else:
            self.kill()
        self.start()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


class ExternalBroker(BrokerProcess):
    """A broker somebody else runs (MOLDAU_TEST_BOOTSTRAP)."""

    def __init__(self, bootstrap: str, data_dir: Path) -> None:
        super().__init__(data_dir)
        host, _, port = bootstrap.rpartition(":")
        self.host, self.port = host, int(port)
        self.external = True

    def start(self, timeout: float = 30.0) -> None:
        wait_for_port(self.host, self.port, timeout)

    def stop(self, timeout: float = 20.0) -> int | None:
        return None

    def kill(self) -> None:
        import pytest

        pytest.skip("the broker is external (MOLDAU_TEST_BOOTSTRAP); it cannot be killed here")

    def restart(self, clean: bool = True) -> None:
        import pytest

        pytest.skip("the broker is external (MOLDAU_TEST_BOOTSTRAP); it cannot be restarted here")


def make_broker(data_dir: Path, overrides: dict[str, str] | None = None) -> BrokerProcess:
    bootstrap = os.environ.get("MOLDAU_TEST_BOOTSTRAP")
    if bootstrap:
        return ExternalBroker(bootstrap, data_dir)
    return BrokerProcess(data_dir, overrides)
