"""Every tool is installed under Kafka's script name, answers --help, and is reachable as
`moldau <command>` too."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from moldau.tools.cli import COMMANDS, resolve
from tests.support.broker import REPO

SCRIPTS = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
KAFKA_SCRIPTS = sorted(name for name in SCRIPTS if name != "moldau")


def _installed(name: str) -> str | None:
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else shutil.which(name)


def test_every_kafka_script_has_a_moldau_command():
    assert sorted(script for _module, script in COMMANDS.values()) == KAFKA_SCRIPTS
    for name in KAFKA_SCRIPTS:
        assert SCRIPTS[name] == f"moldau.tools.{resolve(name)}:main"


@pytest.mark.parametrize("script", KAFKA_SCRIPTS)
def test_script_installed_and_helps(script):
    path = _installed(script)
    if path is None:
        pytest.skip(f"{script} is not installed in this environment (pip install -e .)")
    p = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip()


@pytest.mark.parametrize("short", sorted(COMMANDS))
def test_moldau_short_commands_help(short):
    p = subprocess.run([sys.executable, "-m", "moldau.tools.cli", short, "--help"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr


def test_moldau_usage_and_unknown_command():
    p = subprocess.run([sys.executable, "-m", "moldau.tools.cli"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "usage: moldau COMMAND" in p.stdout
    p = subprocess.run([sys.executable, "-m", "moldau.tools.cli", "frobnicate"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 1 and "unknown command 'frobnicate'" in p.stderr
