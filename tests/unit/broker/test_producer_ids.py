"""ProducerIdManager: unique ids, each handed out only after its block was persisted."""

from __future__ import annotations

import asyncio

import pytest

from moldau.broker.producer_ids import ProducerIdManager, ProducerIdsExhausted


class FakeStore:
    """A block counter; `persisted` lists the blocks whose reservation completed."""

    def __init__(self, delay: float = 0.0, start: int = 0) -> None:
        self.next = start
        self.delay = delay
        self.persisted: list[range] = []
        self.calls = 0
        self.fail_next = False

    async def reserve(self, count: int) -> int:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.fail_next:
            self.fail_next = False
            raise OSError("disk full")
        first = self.next
        self.next += count
        self.persisted.append(range(first, first + count))
        return first


def persisted(store: FakeStore, pid: int) -> bool:
    return any(pid in r for r in store.persisted)


def test_ids_are_unique_and_come_from_persisted_blocks():
    async def run() -> None:
        store = FakeStore()
        mgr = ProducerIdManager(store.reserve, block_size=10)
        seen = []
        for _ in range(95):
            pid = await mgr.next_id()
            assert persisted(store, pid)
            seen.append(pid)
        assert seen == list(range(95))
        assert store.calls <= 11  # ten blocks used, at most one spare reserved ahead
        await mgr.close()

    asyncio.run(run())


def test_concurrent_callers_share_reservations():
    async def run() -> None:
        store = FakeStore(delay=0.01)
        mgr = ProducerIdManager(store.reserve, block_size=10)
        ids = await asyncio.gather(*(mgr.next_id() for _ in range(100)))
        assert sorted(ids) == list(range(100))
        assert all(persisted(store, pid) for pid in ids)
        assert store.calls <= 11
        await mgr.close()

    asyncio.run(run())


def test_a_failed_reservation_is_reported_and_retried():
    async def run() -> None:
        store = FakeStore()
        store.fail_next = True
        mgr = ProducerIdManager(store.reserve, block_size=5)
        with pytest.raises(OSError):
            await mgr.next_id()
        assert await mgr.next_id() == 0
        await mgr.close()

    asyncio.run(run())


def test_ids_continue_after_the_previous_blocks_on_restart():
    """A new manager (a restarted broker) starts at the store's counter, past every block an
    earlier process reserved, used or not."""

    async def run() -> None:
        store = FakeStore()
        first = ProducerIdManager(store.reserve, block_size=10)
        used = [await first.next_id() for _ in range(3)]
        second = ProducerIdManager(store.reserve, block_size=10)  # same durable counter
        assert await second.next_id() > max(used)
        await first.close()
        await second.close()

    asyncio.run(run())


def test_exhausted_id_space_is_an_error():
    async def run() -> None:
        store = FakeStore(start=2**63 - 5)
        mgr = ProducerIdManager(store.reserve, block_size=10)
        with pytest.raises(ProducerIdsExhausted):
            await mgr.next_id()

    asyncio.run(run())


def test_with_the_local_metadata_store_across_a_crash(tmp_path):
    """Blocks reserved in the real single-broker store are never handed out again by a
    store reopened without a clean close (kill -9)."""
    from moldau.cluster.metadata_local import LocalMetadataStore

    async def run() -> None:
        store = LocalMetadataStore(str(tmp_path), 0, "127.0.0.1", 9092)
        store.load()
        mgr = ProducerIdManager(store.allocate_producer_ids, block_size=1000)
        used = [await mgr.next_id() for _ in range(5)]
        reopened = LocalMetadataStore(str(tmp_path), 0, "127.0.0.1", 9092)
        reopened.load()
        mgr2 = ProducerIdManager(reopened.allocate_producer_ids, block_size=1000)
        assert await mgr2.next_id() > max(used)

    asyncio.run(run())
