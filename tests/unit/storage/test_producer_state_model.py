"""A model of an idempotent client over a connection that breaks at random points.

The client keeps at most 5 batches in flight. Each round it (re)sends its unacknowledged
batches in order; the connection breaks after some of them reached the broker and after
some of the answers came back; the client then retries the rest, in order, as real clients
do. Whatever happens, the rules of `ProducerStateManager` must leave every batch in the log
exactly once, in sequence order, with every acknowledgement naming its real offset, and
never reject a batch.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from moldau.storage.producer_state import ProducerStateManager
from tests.unit.storage.test_producer_state import FakeLog, Hdr

MAX_IN_FLIGHT = 5


@settings(max_examples=300, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 4), min_size=1, max_size=30),
    breaks=st.lists(
        st.tuples(st.integers(0, MAX_IN_FLIGHT), st.integers(0, MAX_IN_FLIGHT)), max_size=200
    ),
    start_seq=st.sampled_from([0, 7, 2**31 - 6]),
)
def test_retries_through_a_breaking_connection_are_exactly_once_in_order(sizes, breaks, start_seq):
    state = ProducerStateManager(None)
    log = FakeLog()
    pid, epoch = 9, 0

    batches = []  # (first seq, record count), in send order
    seq = start_seq
    for n in sizes:
        batches.append((seq, n))
        seq = (seq + n) % 2**31
    acked: dict[int, int] = {}  # batch index -> acknowledged base offset
    plan = iter(breaks)
    rounds = 0
    while len(acked) < len(batches):
        rounds += 1
        assert rounds < 1000, "no progress"
        unacked = [i for i in range(len(batches)) if i not in acked]
        window = unacked[:MAX_IN_FLIGHT]
        reach, answered = next(plan, (MAX_IN_FLIGHT, MAX_IN_FLIGHT))  # then a good network
        reached = window[:reach]
        for pos, i in enumerate(reached):
            first, n = batches[i]
            h = Hdr(pid, epoch, first, last_offset_delta=n - 1)
            out = state.check_and_update(h, lambda h=h: log.append(h))
            if pos < answered:  # the answer made it back
                acked[i] = out.base_offset

    # exactly once, in order
    in_log = [(h.base_sequence, h.last_offset_delta + 1) for h in log.appended]
    assert in_log == batches
    # every acknowledgement names the offset where the batch really is
    assert acked == {i: h.base_offset for i, h in enumerate(log.appended)}
