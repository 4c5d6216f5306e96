"""Which command lines kafka-server-stop treats as moldau brokers."""

from __future__ import annotations

import pytest

from moldau.tools.server_stop import is_broker_command


@pytest.mark.parametrize("argv", [
    ["/usr/bin/python3", "-m", "moldau.broker", "config/server.properties"],
    ["/usr/bin/python3", "/usr/local/bin/kafka-server-start", "config/server.properties"],
    ["/usr/local/bin/kafka-server-start", "config/server.properties"],
    ["/usr/bin/python3", "/usr/local/bin/moldau", "server", "config/server.properties"],
    ["python", "-m", "moldau.tools.cli", "kafka-server-start", "x.properties"],
    ["python", "-m", "moldau.tools.server_start", "x.properties"],
])
def test_brokers(argv):
    assert is_broker_command(argv)


@pytest.mark.parametrize("argv", [
    ["/usr/bin/python3", "-m", "pytest", "tests/unit/broker"],
    ["vim", "src/moldau/broker/main.py"],
    ["/usr/local/bin/moldau", "topics", "--list"],
    ["grep", "moldau.broker"],
    ["python", "-m", "moldau.tools.cli", "kafka-server-stop"],
    ["/usr/local/bin/kafka-server-stop"],
])
def test_not_brokers(argv):
    assert not is_broker_command(argv)
