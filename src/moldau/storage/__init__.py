"""Synchronous on-disk partition logs in Apache Kafka's file format. No network, no asyncio."""
