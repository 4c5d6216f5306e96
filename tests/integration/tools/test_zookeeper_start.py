"""zookeeper-server-start: runs an installed Apache ZooKeeper, or says clearly that none is."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest

from moldau.tools.zookeeper_start import DEBIAN_JAR
from tests.integration.tools.toolrun import run
from tests.support.broker import REPO, free_port, wait_for_port


def test_clear_message_when_zookeeper_home_is_wrong(tmp_path):
    env = dict(os.environ, ZOOKEEPER_HOME=str(tmp_path))
    p = subprocess.run([sys.executable, "-m", "moldau.tools.cli", "zookeeper-server-start",
                        str(REPO / "config" / "zookeeper.properties")],
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 1
    assert "does not contain Apache ZooKeeper" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_usage():
    r = run("zookeeper-server-start")
    assert r.code == 1 and "USAGE: zookeeper-server-start" in r.err
    r = run("zookeeper-server-start", "/nonexistent/zookeeper.properties")
    assert r.code == 1 and "no such file" in r.err


@pytest.mark.skipif(not DEBIAN_JAR.is_file() and not os.environ.get("ZOOKEEPER_HOME"),
                    reason="Apache ZooKeeper is not installed (apt-get install zookeeper)")
def test_starts_installed_zookeeper(tmp_path):
    port = free_port()
    cfg = tmp_path / "zookeeper.properties"
    cfg.write_text(f"dataDir={tmp_path / 'zk'}\nclientPort={port}\nclientPortAddress=127.0.0.1\n"
                   "maxClientCnxns=0\nadmin.enableServer=false\n4lw.commands.whitelist=ruok\n")
    proc = subprocess.Popen([sys.executable, "-m", "moldau.tools.cli", "zookeeper-server-start", str(cfg)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for_port("127.0.0.1", port, 60, proc)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"ruok")
            assert s.recv(4) == b"imok"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
