"""The file-descriptor bound: many partitions, a small budget of open files."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from moldau.common.clock import ManualClock
from moldau.storage.config import LogConfig
from moldau.storage.handles import HandleCache
from moldau.storage.manager import LogManager

from .batches import make_batch, read_all

PARTITIONS = 1500
BUDGET = 100


@pytest.fixture
def fast_dir(tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A tmpfs directory when there is one: this test is about descriptors, and on a real
    disk the thousands of fsyncs of creating and shutting down logs dominate its run time."""
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        d = tempfile.mkdtemp(prefix="moldau-fds-", dir="/dev/shm")
        yield d
        shutil.rmtree(d, ignore_errors=True)
    else:
        yield str(tmp_path)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_many_partitions_stay_within_the_fd_budget(fast_dir):
    base = open_fds()
    peak = 0
    m = LogManager([fast_dir], ManualClock(), LogConfig(segment_bytes=400), max_open_files=BUDGET)
    m.load()
    for p in range(PARTITIONS):
        log = m.create("many", p)
        log.append(make_batch(1, tag=p, value_size=300))
        log.append(make_batch(1, tag=p, value_size=300))  # rolls: 2 segments per partition
        if p % 100 == 0:
            peak = max(peak, open_fds() - base)
    for p in range(0, PARTITIONS, 7):  # reads reopen evicted segments
        log = m.get("many", p)
        assert log is not None
        assert [r[0] for r in read_all(log)] == [0, 1]
        peak = max(peak, open_fds() - base)
    assert len(m.handles) <= BUDGET // 2
    assert peak <= BUDGET
    m.shutdown()
    assert open_fds() - base <= 0 + 1  # everything closed (slack: /proc listing itself)

    m2 = LogManager([fast_dir], ManualClock(), LogConfig(segment_bytes=400), max_open_files=BUDGET)
    m2.load()
    assert len(m2.all_logs()) == PARTITIONS
    assert open_fds() - base <= BUDGET
    for p in range(0, PARTITIONS, 11):
        log = m2.get("many", p)
        assert log is not None and log.log_end_offset == 2
        assert log.append(make_batch(1)).base_offset == 2
    assert open_fds() - base <= BUDGET
    m2.shutdown()


def test_eviction_keeps_a_live_fetch_view_readable(tmp_path):
    m = LogManager([str(tmp_path)], ManualClock(), LogConfig(), max_open_files=2)  # 1 segment
    m.load()
    a = m.create("a", 0)
    b = m.create("b", 0)
    a.append(make_batch(3, tag=1))
    got = a.read(0, 1 << 20, None)
    assert got is not None
    before = b"".join(bytes(x) for x in got.buffers)
    b.append(make_batch(3, tag=2))  # evicts a's segment while the view is alive
    assert b"".join(bytes(x) for x in got.buffers) == before
    assert read_all(a)[0][0] == 0
    m.shutdown()


def test_handle_cache_rejects_silly_budget():
    with pytest.raises(ValueError):
        HandleCache(1)
