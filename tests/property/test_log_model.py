"""PartitionLog against a simple in-memory model: a list of batches with their offsets.

Random sequences of append / read / truncate / roll / reopen (clean and unclean) /
timestamp lookups on a log with tiny segments and a tiny index interval, so rolls, index
lookups and multi-segment reads happen all the time.
"""

from __future__ import annotations

import shutil
import tempfile

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from moldau.common.clock import ManualClock
from moldau.protocol.records.batch import iter_batches
from moldau.storage.config import LogConfig
from moldau.storage.errors import OffsetOutOfRange
from moldau.storage.handles import HandleCache
from moldau.storage.loader import open_log
from moldau.storage.log import PartitionLog
from tests.unit.storage.batches import make_batch, slice_bytes


class LogModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.mkdtemp(prefix="logmodel-")
        self.dir = self.tmp + "/t-0"
        self.clock = ManualClock()
        self.config = LogConfig(segment_bytes=1500, index_interval_bytes=150, segment_index_bytes=48)
        self.handles = HandleCache(6)  # tiny: segments get evicted and reopened constantly
        self.log = PartitionLog.create(self.dir, "t", 0, self.config, self.clock, self.handles)
        # model: (base, last, bytes, [(offset, ts)])
        self.batches: list[tuple[int, int, bytes, list[tuple[int, int]]]] = []
        self.leo = 0
        self.lso = 0
        self.tag = 0

    def teardown(self) -> None:
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    @rule(n=st.integers(1, 5), size=st.integers(0, 200), ts=st.integers(0, 10_000))
    def append(self, n: int, size: int, ts: int) -> None:
        self.tag += 1
        b = make_batch(n, ts=ts, value_size=size, tag=self.tag)
        info = self.log.append(b)
        assert info.base_offset == self.leo and info.last_offset == self.leo + n - 1
        self.batches.append((self.leo, self.leo + n - 1, bytes(b), [(self.leo + i, ts + i) for i in range(n)]))
        self.leo += n

    @rule(
        data=st.data(),
        max_bytes=st.integers(0, 3000),
        min_one=st.booleans(),
    )
    def read(self, data: st.DataObject, max_bytes: int, min_one: bool) -> None:
        fetch = data.draw(st.integers(-1, self.leo + 1))
        max_offset = data.draw(st.integers(0, self.leo + 1))
        try:
            got = self.log.read(fetch, max_bytes, max_offset, min_one)
        except OffsetOutOfRange:
            assert fetch < self.lso or fetch > self.leo
            return
        assert self.lso <= fetch <= self.leo
        upper = min(max_offset, self.leo)
        expected: list[tuple[int, bytes]] = []
        if fetch >= upper:
            assert got is None
            return
        total = 0
        for base, last, raw, _ in self.batches:
            if last < fetch:
                continue
            if base >= upper:
                break
            if total + len(raw) > max_bytes and (expected or not min_one):
                break
            expected.append((base, raw))
            total += len(raw)
        if not expected:
            assert got is None
            return
        assert got is not None
        raw = slice_bytes(got)
        got_batches = [(h.base_offset, bytes(h.view())) for h in iter_batches(memoryview(raw))]
        assert got.size == len(raw) and got.first_offset == got_batches[0][0]
        # a read stays within one segment, so it may stop early, but only at a segment start
        assert got_batches == expected[: len(got_batches)]
        if len(got_batches) < len(expected):
            bases = {s.base_offset for s in self.log.segments}
            assert expected[len(got_batches)][0] in bases

    @rule(data=st.data())
    def truncate(self, data: st.DataObject) -> None:
        offset = data.draw(st.integers(0, self.leo + 2))
        self.log.truncate_to(offset)
        if offset < self.lso:
            self.batches = []
            self.leo = self.lso = offset
        elif offset < self.leo:
            kept = [b for b in self.batches if b[1] < offset]
            removed = self.batches[len(kept)]
            self.batches = kept
            self.leo = min(offset, removed[0])
            self.lso = min(self.lso, self.leo)

    @rule(data=st.data())
    def delete_records(self, data: st.DataObject) -> None:
        self.log.high_watermark = self.leo
        offset = data.draw(st.integers(0, self.leo))
        assert self.log.delete_records_before(offset) == max(self.lso, offset)
        self.lso = max(self.lso, offset)

    @rule()
    def roll(self) -> None:
        self.log.roll()

    @rule(unclean=st.booleans())
    def reopen(self, unclean: bool) -> None:
        log = self.log
        if unclean:
            for seg in log.segment_list:  # drop handles without writing indexes
                self.handles.forget(seg)
                seg.release_handles()
        else:
            log.close()
        self.log = open_log(
            self.dir, "t", 0, self.config, self.clock, self.handles,
            recovery_point=log.recovery_point, log_start_offset=log.log_start_offset,
            high_watermark=log.high_watermark, clean_shutdown=not unclean,
        )

    @precondition(lambda self: self.batches)
    @rule(data=st.data())
    def timestamp_lookup(self, data: st.DataObject) -> None:
        target = data.draw(st.integers(-5, 10_010))
        records = [r for b in self.batches for r in b[3] if r[0] >= self.lso]
        expected = next(((o, t) for o, t in records if t >= target), None)
        assert self.log.offset_for_timestamp(target) == expected

    @precondition(lambda self: any(b[1] >= self.lso for b in self.batches))
    @rule()
    def max_timestamp(self) -> None:
        records = [r for b in self.batches for r in b[3] if r[0] >= self.lso]
        best = max(t for _, t in records)
        assert self.log.max_timestamp_offset() == next((o, t) for o, t in records if t == best)

    @invariant()
    def offsets_agree(self) -> None:
        assert self.log.log_end_offset == self.leo
        assert self.log.log_start_offset == self.lso
        assert self.log.size_bytes == sum(len(b[2]) for b in self.batches)


TestLogModel = LogModel.TestCase
TestLogModel.settings = settings(
    max_examples=120, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
