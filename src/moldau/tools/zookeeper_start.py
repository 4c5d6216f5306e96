"""zookeeper-server-start [-daemon] config/zookeeper.properties

Runs an installed Apache ZooKeeper with the given properties file, the way Kafka's script
does: `java -cp CLASSPATH org.apache.zookeeper.server.quorum.QuorumPeerMain FILE`. moldau's
single broker needs no ZooKeeper; this is for the planned cluster mode and for following
tutorials. ZooKeeper is looked for in this order:
  1. $ZOOKEEPER_HOME (an Apache ZooKeeper binary release: lib/*.jar, conf/)
  2. Debian's `zookeeper` package (/usr/share/java/zookeeper.jar, /etc/zookeeper/conf)
Java is $JAVA_HOME/bin/java or `java` on PATH. With -daemon, output goes to
$LOG_DIR/zookeeper.log (LOG_DIR defaults to ./logs).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

USAGE = "USAGE: zookeeper-server-start [-daemon] zookeeper.properties"
MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
DEBIAN_JAR = Path("/usr/share/java/zookeeper.jar")
DEBIAN_CONF = Path("/etc/zookeeper/conf")
NOT_INSTALLED = (
    "Apache ZooKeeper is not installed. Install it with `apt-get install zookeeper` (Debian/Ubuntu) "
    "or unpack an Apache ZooKeeper release and set ZOOKEEPER_HOME to it. A single moldau broker "
    "does not need ZooKeeper: start it with `kafka-server-start config/server.properties`."
)


class SetupError(Exception):
    pass


def find_classpath(env: dict[str, str] | None = None) -> str:
    env = dict(os.environ if env is None else env)
    home = env.get("ZOOKEEPER_HOME")
    if home:
        lib = Path(home) / "lib"
        jars = sorted(lib.glob("*.jar")) if lib.is_dir() else []
        jars += sorted(Path(home).glob("zookeeper-*.jar"))
        if not any(j.name.startswith("zookeeper-") or j.name == "zookeeper.jar" for j in jars):
            raise SetupError(f"ZOOKEEPER_HOME={home} does not contain Apache ZooKeeper "
                             "(expected lib/zookeeper-*.jar)")
        parts = [str(Path(home) / "conf")] + [str(j) for j in jars]
        return os.pathsep.join(parts)
    if DEBIAN_JAR.is_file():
        return os.pathsep.join([str(DEBIAN_CONF), str(DEBIAN_JAR)])
    raise SetupError(NOT_INSTALLED)


def find_java(env: dict[str, str] | None = None) -> str:
    env = dict(os.environ if env is None else env)
    java_home = env.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise SetupError("Java is needed to run ZooKeeper: install a JRE (apt-get install default-jre) "
                         "or set JAVA_HOME")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    daemon = "-daemon" in args or "--daemon" in args
    rest = [a for a in args if a not in ("-daemon", "--daemon")]
    if len(rest) != 1:
        print(USAGE, file=sys.stderr)
        return 1
    config = Path(rest[0])
    if not config.is_file():
        print(f"Error: cannot read the ZooKeeper configuration {config}: no such file", file=sys.stderr)
        return 1
    try:
        cmd = [find_java(), "-Xmx512M", "-Xms512M", "-cp", find_classpath(), MAIN_CLASS, str(config)]
    except SetupError as e:
        print(f"Error: {e}", file=sys.stderr)
        return 1
    if daemon:
        logs = Path(os.environ.get("LOG_DIR") or "logs")
        logs.mkdir(parents=True, exist_ok=True)
        with open(logs / "zookeeper.log", "ab") as out:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        print(f"ZooKeeper started in the background (pid {proc.pid}); output in {logs / 'zookeeper.log'}")
        return 0
    sys.stdout.flush()
    os.execv(cmd[0], cmd)  # ZooKeeper takes over this process, so Ctrl-C and signals reach it
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
