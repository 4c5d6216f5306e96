"""moldau.protocol.records: record batch v2.

Modules: `batch` (61-byte header view, CRC-32C, in-place edits), `record` (records inside a
batch), `compression` (gzip/snappy/lz4/zstd), `builder`, `control` (transaction markers),
`validate` (Kafka's checks on a client's batch, recompression), `errors` (with Kafka error
codes). Import from the submodules; this package keeps no re-exports so that importing the
header view stays cheap.
"""
