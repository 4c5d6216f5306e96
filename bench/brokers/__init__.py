"""Drivers that obtain, start, probe and stop each broker under comparison."""

from bench.brokers.base import Broker
from bench.brokers.kafka import KafkaBroker
from bench.brokers.moldau import MoldauBroker
from bench.brokers.noida import NoidaBroker
from bench.brokers.tansu import TansuBroker

DRIVERS: dict[str, type[Broker]] = {
    "moldau": MoldauBroker,
    "kafka": KafkaBroker,
    "noida": NoidaBroker,
    "tansu": TansuBroker,
}
