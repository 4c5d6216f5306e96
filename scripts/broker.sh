#!/usr/bin/env bash
# Set up a fresh machine and run one broker with config/server.properties (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e .
exec kafka-server-start config/server.properties "$@"
