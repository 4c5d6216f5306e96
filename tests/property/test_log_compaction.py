"""Compaction against a model: after any sequence of keyed appends, cleanings, clock moves
and restarts, the log below the cleaner's checkpoint holds exactly the last record of each
key (tombstones may go once old enough), everything above it is untouched, and offsets only
ever increase."""

from __future__ import annotations

import shutil
import tempfile

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from moldau.common.clock import ManualClock
from moldau.storage import cleaner
from moldau.storage.config import LogConfig
from moldau.storage.manager import LogManager
from tests.unit.storage.batches import keyed_batch, read_all

KEYS = [b"a", b"b", b"c", b"d", b"e"]


class CompactionModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.mkdtemp(prefix="compactmodel-")
        self.clock = ManualClock()
        self.config = LogConfig(
            cleanup_policy="compact", segment_bytes=400, index_interval_bytes=60,
            delete_retention_ms=10_000, min_cleanable_dirty_ratio=0.0,
        )
        self.manager = self._open()
        self.log = self.manager.create("c", 0)
        self.records: list[tuple[int, bytes, bytes | None]] = []  # everything ever appended

    def _open(self) -> LogManager:
        m = LogManager([self.tmp], self.clock, self.config)
        m.load({"c": self.config})
        return m

    def teardown(self) -> None:
        self.manager.shutdown()
        shutil.rmtree(self.tmp, ignore_errors=True)

    @rule(
        items=st.lists(
            st.tuples(st.sampled_from(KEYS), st.one_of(st.none(), st.binary(max_size=40))),
            min_size=1, max_size=4,
        ),
        compression=st.sampled_from([0, 1, 4]),
    )
    def append(self, items: list[tuple[bytes, bytes | None]], compression: int) -> None:
        info = self.log.append(keyed_batch(items, ts=self.clock.now_ms(), compression=compression))
        self.log.high_watermark = self.log.log_end_offset
        for i, (k, v) in enumerate(items):
            self.records.append((info.base_offset + i, k, v))

    @rule()
    def clean(self) -> None:
        cleaner.clean_log(self.log, self.clock.now_ms())

    @rule(ms=st.integers(1, 20_000))
    def advance(self, ms: int) -> None:
        self.clock.advance(ms)

    @rule()
    def restart(self) -> None:
        self.manager.shutdown()
        self.manager = self._open()
        log = self.manager.get("c", 0)
        assert log is not None
        self.log = log

    @invariant()
    def compacted_exactly(self) -> None:
        present = read_all(self.log)
        offsets = [r[0] for r in present]
        assert offsets == sorted(set(offsets))
        assert set(present) <= set(self.records)
        dirty = self.log.first_dirty_offset
        below = [r for r in self.records if r[0] < dirty]
        last_below = {k: (o, k, v) for o, k, v in below}
        for rec in below:
            latest = last_below[rec[1]] == rec
            if not latest:
                assert rec not in present, f"superseded record {rec} survived"
            elif rec[2] is not None:
                assert rec in present, f"latest record {rec} was lost"
            # a latest tombstone may be present or gone (delete.retention.ms)
        for rec in self.records:
            if rec[0] >= dirty:
                assert rec in present, f"record {rec} above the cleaner checkpoint was touched"
        assert self.log.log_end_offset == (self.records[-1][0] + 1 if self.records else 0)


TestCompactionModel = CompactionModel.TestCase
TestCompactionModel.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
