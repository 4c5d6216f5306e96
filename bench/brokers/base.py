"""What every broker driver does: obtain it, start it, see it serve, stop it.

A driver never hides a broker: ``ensure`` raises ``BrokerMissing`` with the reason when the
broker cannot be obtained here, and ``start`` raises ``BrokerStartFailed`` with the last
lines of its log when it does not answer ApiVersions in time; the harness prints both.
"""

from __future__ import annotations

import os
import subprocess
import time
from abc import ABC, abstractmethod
from pathlib import Path

from bench import procs
from bench.loadgen.wire import wait_until_serving

HOST = "127.0.0.1"
CACHE = Path(os.environ.get("MOLDAU_BENCH_CACHE", "/root/.cache/moldau-bench"))


class BrokerMissing(Exception):
    """The broker cannot be obtained on this machine."""


class BrokerStartFailed(Exception):
    """The broker was obtained but did not start serving."""


def tail(path: Path, lines: int = 8) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return " | ".join(text.strip().splitlines()[-lines:]) or "(empty log)"


class Broker(ABC):
    """One broker under test. Subclasses say how to obtain and how to launch it."""

    name: str = ""
    #: seconds to wait for the first answered ApiVersions
    start_timeout: float = 30.0

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.data_dir = Path()
        self.log_path = Path()

    # ---- to implement -------------------------------------------------------
    @abstractmethod
    def ensure(self) -> None:
        """Fetch/install into CACHE if needed; raise BrokerMissing with the reason."""

    @abstractmethod
    def command(self, port: int, data_dir: Path) -> list[str]:
        """argv that starts the broker listening on 127.0.0.1:port with data in data_dir."""

    def prepare(self, data_dir: Path) -> None:
        """One-time set-up of a fresh data dir before the first start (e.g. format)."""
        return None

    def env(self) -> dict[str, str] | None:
        return None

    def describe(self) -> str:
        """Version and relevant settings, printed with the results."""
        return self.name

    # ---- common ---------------------------------------------------------------
    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError(f"{self.name} is not running")
        return self.proc.pid

    def start(self, port: int, data_dir: Path, *, fresh: bool = True) -> float:
        """Start and wait until it serves; return seconds from spawn to first answer."""
        self.port = port
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        if fresh:
            self.prepare(data_dir)
        t0 = time.monotonic()
        self.proc = procs.spawn(
            self.command(port, data_dir), log_path=self.log_path, env=self.env()
        )
        proc = self.proc
        ok = wait_until_serving(
            HOST, port, t0 + self.start_timeout, alive=lambda: proc.poll() is None
        )
        elapsed = time.monotonic() - t0
        if not ok:
            rc = proc.poll()
            self.stop()
            why = (
                f"exited with code {rc}"
                if rc is not None
                else f"no ApiVersions answer within {self.start_timeout:.0f} s"
            )
            raise BrokerStartFailed(f"{why}; log: {tail(self.log_path)}")
        return elapsed

    def stop(self) -> None:
        if self.proc is not None:
            procs.stop(self.proc)
            self.proc = None

    def kill9(self) -> None:
        if self.proc is not None:
            procs.kill9(self.proc)
            procs.stop(self.proc, grace=1.0)
            self.proc = None
