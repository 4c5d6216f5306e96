"""kafka-server-start / kafka-server-stop driving a real moldau broker (always moldau: these
start their own broker, whatever MOLDAU_TEST_BOOTSTRAP says)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys

from tests.integration.tools.toolrun import eventually, run
from tests.support.broker import REPO, free_port, wait_for_port


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def _args(tmp_path, port):
    return [str(REPO / "config" / "server.properties"),
            "--override", f"listeners=PLAINTEXT://127.0.0.1:{port}",
            "--override", f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
            "--override", f"log.dirs={tmp_path / 'kafka-logs'}"]


def test_foreground_start_then_stop(tmp_path):
    port = free_port()
    cmd = [sys.executable, "-m", "moldau.tools.cli", "kafka-server-start", *_args(tmp_path, port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_port("127.0.0.1", port, 30, proc)
        r = run("kafka-topics", "--bootstrap-server", f"127.0.0.1:{port}", "--create", "--topic", "t1")
        assert r.code == 0, r.err
        r = run("kafka-server-stop", "--match", str(tmp_path))
        assert r.code == 0, r.out + r.err
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_daemon_start_writes_log_and_stops(tmp_path):
    port = free_port()
    env = dict(os.environ, LOG_DIR=str(tmp_path / "logs"))
    r = subprocess.run([sys.executable, "-m", "moldau.tools.cli", "kafka-server-start", "-daemon",
                        *_args(tmp_path, port)], capture_output=True, text=True, env=env, timeout=60)
    try:
        assert r.returncode == 0, r.stderr
        assert "started in the background" in r.stdout
        wait_for_port("127.0.0.1", port, 30)
        assert (tmp_path / "logs" / "server.log").exists()
    finally:
        stop = run("kafka-server-stop", "--match", str(tmp_path))
    assert stop.code == 0
    assert eventually(lambda: not _listening(port), attempts=300)


def test_start_usage_and_bad_config(tmp_path):
    r = run("kafka-server-start")
    assert r.code == 1 and "USAGE: kafka-server-start" in r.err
    r = run("kafka-server-start", str(tmp_path / "missing.properties"))
    assert r.code == 1 and "missing.properties" in r.err
    env = dict(os.environ, LOG_DIR=str(tmp_path / "logs"))
    bad = tmp_path / "bad.properties"
    bad.write_text("listeners=NOT A LISTENER\n")
    p = subprocess.run([sys.executable, "-m", "moldau.tools.cli", "kafka-server-start", "-daemon", str(bad),
                        "--override", f"log.dirs={tmp_path / 'd'}"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 1 and "exited at start-up" in p.stderr


def test_stop_when_nothing_matches(tmp_path):
    r = run("kafka-server-stop", "--match", f"{tmp_path}/no-broker-here")
    assert r.code == 1 and r.out.strip() == "No kafka server to stop"
