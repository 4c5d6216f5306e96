#!/usr/bin/env bash
# Set up a fresh machine and run one broker with config/server.properties (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e .
# Byte-compile once: with PYTHONDONTWRITEBYTECODE set (as on these machines) every broker
# process would otherwise recompile each protocol module on first use.
python3 -m compileall -q -j 0 src >/dev/null
exec kafka-server-start config/server.properties "$@"
