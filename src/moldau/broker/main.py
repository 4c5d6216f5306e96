"""`python -m moldau.broker config/server.properties [--override key=value ...]`.

Exit codes: 0 after a clean shutdown (SIGTERM / SIGINT), 1 when the configuration is invalid
or start-up fails (the message names the key or the cause).

Log lines follow Kafka's layout, `[2026-01-01 12:00:00,000] INFO message (logger)`: a banner
with the listeners and the effective configuration, one line per topic created or deleted,
WARN for client errors, nothing per request at INFO.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time

log = logging.getLogger("moldau.broker")

_LEVELS = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
}


class _KafkaFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        t = time.localtime(record.created)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", t) + f",{int(record.msecs):03d}"
        level = "WARN" if record.levelno == logging.WARNING else record.levelname
        text = f"[{stamp}] {level} {record.getMessage()} ({record.name})"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_KafkaFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(_LEVELS.get(level.upper(), logging.INFO))


def _parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="moldau-broker", description="Start a moldau broker (Kafka-compatible)."
    )
    p.add_argument("config", nargs="?", help="server.properties file")
    p.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a property of the file (repeatable)",
    )
    return p.parse_args(argv)


def _install_event_loop_policy() -> None:
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def _serve(config: object) -> int:
    from moldau.broker.server import Broker

    broker = Broker(config)  # type: ignore[arg-type]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    from moldau.broker.config import ConfigError

    try:
        await broker.start()
    except ConfigError as exc:
        log.error("Invalid configuration: %s", exc)
        await broker.shutdown()
        return 1
    except OSError as exc:
        log.error("Cannot start the broker: %s", exc)
        await broker.shutdown()
        return 1
    _banner(broker)
    await stop.wait()
    await broker.shutdown()
    return 0


def _banner(broker: object) -> None:
    from moldau.broker.registry import advertised_versions
    from moldau.broker.server import Broker

    assert isinstance(broker, Broker)
    cfg = broker.config
    log.info("KafkaConfig values:\n\t" + "\n\t".join(cfg.banner_lines()))
    for warning in cfg.unknown:
        log.warning("%s", warning)
    log.info(
        "[KafkaServer id=%d] started: cluster id %s, listeners %s, advertised %s:%d, "
        "%d topic(s), %d APIs, log dir %s",
        broker.node_id,
        broker.metadata.cluster_id,
        ",".join(
            f"{li.name}://{li.host}:{port}" for li, port in zip(cfg.listeners, broker.bound_ports)
        ),
        broker.advertised_host,
        broker.advertised_port,
        len(broker.metadata.topics()),
        len(advertised_versions()),
        cfg.log_dir,
    )


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging()
    from moldau.broker.config import ConfigError, load_config

    try:
        config = load_config(args.config, args.override)
    except ConfigError as exc:
        log.error("Invalid configuration: %s", exc)
        return 1
    _install_event_loop_policy()
    try:
        return asyncio.run(_serve(config))
    except KeyboardInterrupt:
        return 0
    except Exception as exc:
        from moldau.cluster.metadata import MetadataError

        if isinstance(exc, MetadataError):
            log.error("Cannot start the broker: %s", exc)
            return 1
        log.exception("Fatal error")
        return 1
