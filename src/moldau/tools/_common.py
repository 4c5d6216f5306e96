"""What every command-line tool shares: argument parsing with Kafka's conventions, the
client configuration, the fast "is the broker there at all" check, and error reporting.

The tools are ordinary Kafka clients (confluent-kafka, i.e. librdkafka). librdkafka retries
an unreachable broker forever, so every tool first checks that a TCP connection to one of
the bootstrap servers can be made at all and gives up with one clear line when none can;
after that every admin call carries a timeout, so no tool can hang.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn

# How long a tool waits for the first TCP connection, and for each admin request.
CONNECT_TIMEOUT_S = 5.0
REQUEST_TIMEOUT_S = 30.0

# Exit status for a failed command, as Kafka's tools use.
EXIT_FAILURE = 1


class ToolError(Exception):
    """A failure the user can act on: printed as one line, exit status 1."""


class KafkaArgumentParser(argparse.ArgumentParser):
    """argparse with Kafka's conventions: a bad or missing flag prints the reason and the
    usage, then exits with status 1 (Kafka's tools do; argparse alone would use 2)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(EXIT_FAILURE)


def new_parser(prog: str, description: str) -> KafkaArgumentParser:
    return KafkaArgumentParser(prog=prog, description=description, allow_abbrev=True)


def add_bootstrap(parser: argparse.ArgumentParser, *, broker_list: bool = False) -> None:
    """--bootstrap-server (and the older --broker-list where Kafka still accepts it)."""
    parser.add_argument(
        "--bootstrap-server",
        metavar="HOST:PORT[,HOST:PORT...]",
        help="the broker(s) to connect to",
    )
    if broker_list:
        parser.add_argument(
            "--broker-list",
            metavar="HOST:PORT[,HOST:PORT...]",
            help="older name of --bootstrap-server, still accepted",
        )


def parse_properties_text(text: str) -> dict[str, str]:
    """Parse Java .properties text: `key=value`, `key: value` or `key value`; `#` and `!`
    start comments; a trailing backslash continues the line. Escapes beyond `\\\\` and a
    continued line are not interpreted (Kafka's files do not use them)."""
    props: dict[str, str] = {}
    pending = ""
    for raw in text.splitlines():
        line = raw.strip() if not pending else raw.lstrip()
        if not pending and (not line or line[0] in "#!"):
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending += line[:-1]
            continue
        line, pending = pending + line, ""
        key, value = _split_property(line)
        props[key] = value
    if pending:
        key, value = _split_property(pending)
        props[key] = value
    return props


def _split_property(line: str) -> tuple[str, str]:
    for i, ch in enumerate(line):
        if ch in "=:":
            return line[:i].strip(), line[i + 1 :].strip()
        if ch.isspace():
            rest = line[i:].lstrip()
            if rest[:1] in ("=", ":"):
                rest = rest[1:]
            return line[:i].strip(), rest.strip()
    return line.strip(), ""


def load_properties(path: str | None) -> dict[str, str]:
    """Read a .properties file named on the command line; a missing file is a ToolError."""
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            return parse_properties_text(f.read())
    except OSError as e:
        raise ToolError(f"cannot read properties file {path}: {e.strerror or e}") from None


def parse_key_values(items: Iterable[str] | None, what: str) -> dict[str, str]:
    """Turn repeated `k=v` arguments into a dict. As in Kafka, each flag carries one pair and
    only the first `=` splits, so values may contain `=` and commas."""
    out: dict[str, str] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ToolError(f"invalid {what} '{item}': expected key=value")
        out[key.strip()] = value.strip()
    return out


def bootstrap_from(args: argparse.Namespace, *, required: bool = True) -> str:
    value = getattr(args, "bootstrap_server", None) or getattr(args, "broker_list", None)
    if not value and required:
        raise ToolError("Missing required argument \"[bootstrap-server]\"")
    return str(value or "")


def split_host_port(server: str) -> tuple[str, int]:
    server = server.strip()
    for prefix in ("PLAINTEXT://", "plaintext://"):
        if server.startswith(prefix):
            server = server[len(prefix) :]
    host, sep, port = server.rpartition(":")
    if not sep or not port.isdigit():
        raise ToolError(f"invalid bootstrap server '{server}': expected HOST:PORT")
    host = host.strip("[]") or "localhost"
    return host, int(port)


def ensure_reachable(bootstrap: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Fail fast, with one line, when no bootstrap server accepts a TCP connection."""
    servers = [s for s in bootstrap.split(",") if s.strip()]
    if not servers:
        raise ToolError("no bootstrap server given (--bootstrap-server HOST:PORT)")
    reasons = []
    for server in servers:
        host, port = split_host_port(server)
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return
        except socket.gaierror as e:
            reasons.append(f"{host}:{port}: cannot resolve host ({e.strerror})")
        except TimeoutError:
            reasons.append(f"{host}:{port}: timed out after {timeout:g}s")
        except OSError as e:
            reasons.append(f"{host}:{port}: {e.strerror or e}")
    raise ToolError("cannot connect to any bootstrap server: " + "; ".join(reasons))


def client_config(bootstrap: str, *extra: dict[str, str]) -> dict[str, Any]:
    """librdkafka configuration for a tool: quiet logging (the tool reports errors itself)
    plus the user's properties, which win."""
    conf: dict[str, Any] = {"bootstrap.servers": bootstrap, "log_level": 0}
    for props in extra:
        conf.update(props)
    return conf


def admin_client(bootstrap: str, command_config: str | None = None) -> Any:
    """An AdminClient after checking that the broker can be reached at all."""
    from confluent_kafka.admin import AdminClient

    ensure_reachable(bootstrap)
    conf = client_config(bootstrap, load_properties(command_config))
    try:
        return AdminClient(conf)
    except Exception as e:  # a bad property in --command-config
        raise ToolError(f"invalid client configuration: {e}") from None


def kafka_error_text(exc: BaseException) -> str:
    """The human part of a confluent-kafka error (its str() is a tuple-like dump)."""
    from confluent_kafka import KafkaError, KafkaException

    err = exc.args[0] if isinstance(exc, KafkaException) and exc.args else exc
    if isinstance(err, KafkaError):
        text = err.str() or err.name()
        # librdkafka marks errors that came from the broker with this prefix; Kafka's tools don't.
        return text.removeprefix("Broker: ")
    return str(exc)


def kafka_error_code(exc: BaseException) -> int | None:
    from confluent_kafka import KafkaError, KafkaException

    err = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
    return err.code() if isinstance(err, KafkaError) else None


def wait(future: Any, timeout: float = REQUEST_TIMEOUT_S) -> Any:
    """A future's result within the tool's request timeout, as a ToolError when it fails
    (the caller catches KafkaException itself when it wants the error code)."""
    import concurrent.futures

    try:
        return future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        raise ToolError(f"the broker did not answer within {timeout:g}s") from None


def run_tool(body: Callable[[Sequence[str]], int], argv: Sequence[str] | None) -> int:
    """Run a tool's body and turn every expected failure into one line on stderr and a
    non-zero status, never a traceback. Ctrl-C ends with Kafka's status for SIGINT (130)."""
    from confluent_kafka import KafkaException

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return body(args)
    except ToolError as e:
        print(f"Error: {e}", file=sys.stderr)
        return EXIT_FAILURE
    except KafkaException as e:
        print(f"Error: {kafka_error_text(e)}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): not an error of ours.
        with contextlib.suppress(OSError):
            sys.stdout = open("/dev/null", "w")  # noqa: SIM115 - silence the final flush
        return 0
