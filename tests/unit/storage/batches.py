"""Test helpers: build v2 batches with moldau's builder and decode what a log returns."""

from __future__ import annotations

from moldau.protocol.records.batch import BatchHeader, iter_batches
from moldau.protocol.records.builder import BatchBuilder
from moldau.protocol.records.record import iter_records


def make_batch(
    n: int = 1,
    *,
    ts: int = 1_000,
    key: bytes | None = b"k",
    value_size: int = 10,
    compression: int = 0,
    tag: int = 0,
) -> bytearray:
    """A batch of `n` records; record i has timestamp ts + i and a value that encodes `tag`
    and i, so tests can tell batches apart after a round trip."""
    b = BatchBuilder(compression=compression)
    for i in range(n):
        value = f"{tag}:{i}:".encode().ljust(value_size, b"x")
        b.append(ts + i, key, value)
    return bytearray(b.build())


def keyed_batch(items: list[tuple[bytes, bytes | None]], *, ts: int = 1_000, compression: int = 0) -> bytearray:
    b = BatchBuilder(compression=compression)
    for i, (k, v) in enumerate(items):
        b.append(ts + i, k, v)
    return bytearray(b.build())


def headers_of(data: bytes | bytearray | memoryview) -> list[BatchHeader]:
    mv = memoryview(bytes(data))
    return list(iter_batches(mv))


def slice_bytes(fetch) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(bytes(b) for b in fetch.buffers)


def records_of(data: bytes | bytearray | memoryview) -> list[tuple[int, bytes | None, bytes | None]]:
    """(offset, key, value) of every record in a byte string of whole batches."""
    out = []
    for h in headers_of(data):
        for r in iter_records(h):
            out.append(
                (
                    r.offset,
                    None if r.key is None else bytes(r.key),
                    None if r.value is None else bytes(r.value),
                )
            )
    return out


def read_all(log, start: int | None = None) -> list[tuple[int, bytes | None, bytes | None]]:  # type: ignore[no-untyped-def]
    """Every record from `start` (default: log start) to the LEO, following the fetch path."""
    offset = log.log_start_offset if start is None else start
    out: list[tuple[int, bytes | None, bytes | None]] = []
    while offset < log.log_end_offset:
        got = log.read(offset, 1 << 20, log.log_end_offset)
        if got is None:
            break
        recs = [r for r in records_of(slice_bytes(got)) if r[0] >= offset]
        hs = headers_of(slice_bytes(got))
        out.extend(recs)
        offset = hs[-1].next_offset
    return out
