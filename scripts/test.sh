#!/usr/bin/env bash
# Set up a fresh machine and run the whole test suite (what CI runs).
#
# Installs: the package with its test extras (pip), kcat and zookeeper (Debian), kafkajs (npm, into
# tests/js/node_modules), kafka-clients (Maven Central, into ~/.m2, for the Java-client test), franz-go (Go
# module proxy, into the Go module cache). Then: code generation check (when ../shared is present), ruff,
# mypy, import-linter, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

log "installing python packages"
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
# Byte-compile once: with PYTHONDONTWRITEBYTECODE set (as on these machines) every broker
# process would otherwise recompile each protocol module on first use.
python3 -m compileall -q -j 0 src >/dev/null

# Debian packages: kcat (a librdkafka 2.0.2 client) and Apache ZooKeeper (for
# zookeeper-server-start and, later, cluster mode).
missing=""
command -v kcat >/dev/null 2>&1 || missing="$missing kcat"
[ -e /usr/share/java/zookeeper.jar ] || [ -n "${ZOOKEEPER_HOME:-}" ] || missing="$missing zookeeper"
if [ -n "$missing" ]; then
  log "installing Debian packages:$missing"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  # shellcheck disable=SC2086
  ($sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing) >/dev/null
fi

if [ -f tests/js/package.json ] && command -v npm >/dev/null 2>&1; then
  log "installing kafkajs"
  (cd tests/js && npm install --silent --no-audit --no-fund >/dev/null)
fi

if command -v mvn >/dev/null 2>&1 && ! ls ~/.m2/repository/org/apache/kafka/kafka-clients/4.* >/dev/null 2>&1; then
  log "fetching the Java client (kafka-clients) from Maven Central for the Java-client tests"
  mvn -q -B dependency:get -Dartifact=org.apache.kafka:kafka-clients:4.3.1 >/dev/null \
    || echo "could not fetch kafka-clients; the Java-client tests will say they are skipped"
fi

if command -v go >/dev/null 2>&1 && [ -f tests/go/go.mod ]; then
  log "fetching franz-go (Go module proxy) for the franz-go client test"
  (cd tests/go && GOFLAGS=-mod=mod go mod download) \
    || echo "could not fetch franz-go; the franz-go test will say it is skipped"
fi

if [ -d ../shared/kafka-protocol ]; then
  log "checking generated protocol code is up to date"
  python3 -m codegen --check
fi

log "ruff"
python3 -m ruff check src tests codegen bench
log "mypy"
python3 -m mypy
log "import-linter"
lint-imports

log "pytest"
python3 -m pytest -q -p no:cacheprovider "$@"
