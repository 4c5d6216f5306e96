"""Sans-I/O Kafka wire protocol: bytes in, messages out. Imports no network or threading module."""
