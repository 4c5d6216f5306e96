"""Synchronous on-disk partition logs in Apache Kafka's file format. No network, no asyncio.

Public API (see docs/storage.md): `config.LogConfig`, `manager.LogManager`,
`log.PartitionLog` (+ `AppendInfo`, `FetchSlice`), `errors.*`. The other modules are the
parts they are made of: `segment` (.log files), `offset_index` / `time_index`, `loader`
(start-up recovery), `retention`, `cleaner` (compaction), `leader_epoch`, `checkpoint`
(text files written atomically), `handles` (the open-file LRU). Each module that writes a
file documents its format at the top.
"""
