"""OffsetCommit / OffsetFetch / OffsetDelete / expiry: the generation checks and durability."""

from moldau.coordinator.records import OffsetRecord, decode
from moldau.protocol.error_codes import ErrorCode as E

from .harness import Harness, subscription


def test_simple_commit_creates_an_empty_group() -> None:
    h = Harness()
    assert h.commit("g", {("t", 0): 10, ("t", 1): 20}) == [("t", 0, 0), ("t", 1, 0)]
    assert h.committed("g") == {("t", 0): 10, ("t", 1): 20}
    d = h.shard.describe_group("g")
    assert d.group_state == "Empty" and d.protocol_type == ""
    assert [g.group_id for g in h.shard.list_groups()] == ["g"]


def test_commit_with_generation_to_unknown_group() -> None:
    h = Harness()
    assert h.commit("g", {("t", 0): 1}, generation=3, member_id="m", version=8) == [
        ("t", 0, E.ILLEGAL_GENERATION)
    ]
    assert h.commit("g", {("t", 0): 1}, generation=3, member_id="m", version=9) == [
        ("t", 0, E.GROUP_ID_NOT_FOUND)
    ]
    assert "g" not in h.shard.groups and h.log == []


def test_member_commit_checks() -> None:
    h = Harness()
    leader, follower = h.stable_group("g")
    ok = h.commit("g", {("t", 0): 5}, generation=1, member_id=follower.member_id, metadata="meta")
    assert ok == [("t", 0, 0)]
    om = h.shard.fetch_offsets("g", [("t", [0])])[0][2]
    assert om is not None and (om.offset, om.metadata) == (5, "meta")
    # no membership: refused while the group has members
    assert h.commit("g", {("t", 0): 6}) == [("t", 0, E.UNKNOWN_MEMBER_ID)]
    assert h.commit("g", {("t", 0): 6}, generation=1, member_id="zombie") == [
        ("t", 0, E.UNKNOWN_MEMBER_ID)
    ]
    assert h.commit("g", {("t", 0): 6}, generation=0, member_id=follower.member_id) == [
        ("t", 0, E.ILLEGAL_GENERATION)
    ]
    # PreparingRebalance still accepts commits of the current generation
    h.join_new("g")
    assert h.state("g") == "PreparingRebalance"
    assert h.commit("g", {("t", 0): 7}, generation=1, member_id=follower.member_id) == [("t", 0, 0)]
    h.join("g", leader.member_id)
    fj = h.join("g", follower.member_id)
    assert h.state("g") == "CompletingRebalance"
    gen = fj.last.generation_id
    assert h.commit("g", {("t", 0): 8}, generation=gen, member_id=follower.member_id) == [
        ("t", 0, E.REBALANCE_IN_PROGRESS)
    ]
    # a zombie of the previous generation cannot overwrite the newer commit
    assert h.commit("g", {("t", 0): 1}, generation=1, member_id=follower.member_id) == [
        ("t", 0, E.ILLEGAL_GENERATION)
    ]
    assert h.committed("g") == {("t", 0): 7}


def test_evicted_member_cannot_commit() -> None:
    h = Harness()
    leader, follower = h.stable_group("g", session=6000)
    h.advance(6000)
    assert h.commit("g", {("t", 0): 1}, generation=1, member_id=follower.member_id) == [
        ("t", 0, E.UNKNOWN_MEMBER_ID)
    ]


def test_metadata_too_large_is_per_partition() -> None:
    h = Harness(offset_metadata_max_bytes=4)
    out = h.commit("g", {("t", 0): 1}, metadata="12345")
    assert out == [("t", 0, E.OFFSET_METADATA_TOO_LARGE)]
    assert h.commit("g", {("t", 0): 1}, metadata="1234") == [("t", 0, 0)]


def test_failed_append_is_not_applied() -> None:
    h = Harness()
    h.commit("g", {("t", 0): 1})
    h.fail_appends_with = E.NOT_ENOUGH_REPLICAS
    assert h.commit("g", {("t", 0): 2}) == [("t", 0, E.COORDINATOR_NOT_AVAILABLE)]
    assert h.committed("g") == {("t", 0): 1}


def test_fetch_offsets() -> None:
    h = Harness()
    assert h.shard.fetch_offsets("nope", [("t", [0, 1])]) == [("t", 0, None), ("t", 1, None)]
    assert h.shard.fetch_offsets("nope", None) == []
    h.commit("g", {("b", 1): 3, ("a", 0): 2})
    assert [(t, p, om.offset if om else None) for t, p, om in h.shard.fetch_offsets("g", None)] == [
        ("a", 0, 2),
        ("b", 1, 3),
    ]
    assert [
        om.offset if om else None for _, _, om in h.shard.fetch_offsets("g", [("a", [0, 5])])
    ] == [
        2,
        None,
    ]


def test_offsets_and_groups_survive_restart() -> None:
    h = Harness()
    leader, follower = h.stable_group("g", session=10_000)
    h.commit("g", {("t", 0): 11}, generation=1, member_id=leader.member_id)
    h.commit("simple", {("t", 3): 4})
    r = h.restarted()
    assert r.committed("g") == {("t", 0): 11}
    assert r.committed("simple") == {("t", 3): 4}
    d = r.shard.describe_group("g")
    assert d.group_state == "Stable" and len(d.members) == 2
    assert {m.member_assignment for m in d.members} == {
        f"a-{leader.member_id}".encode(),
        f"a-{follower.member_id}".encode(),
    }
    # the members carry on in the same generation...
    assert r.heartbeat("g", 1, leader.member_id) == E.NONE
    assert r.sync("g", 1, follower.member_id).last.assignment == f"a-{follower.member_id}".encode()
    # ...and a member that never comes back is evicted after its session timeout
    r.advance(9_000)
    assert r.heartbeat("g", 1, leader.member_id) == E.NONE
    assert r.state("g") == "Stable"
    r.advance(1_000)  # 10 s since the follower's SyncGroup: evicted
    assert r.heartbeat("g", 1, follower.member_id) == E.UNKNOWN_MEMBER_ID
    assert r.state("g") == "PreparingRebalance"


def test_rebalance_in_flight_at_restart_resumes_from_last_stable_generation() -> None:
    h = Harness()
    leader, follower = h.stable_group("g")
    h.join_new("g")  # a rebalance starts; nothing about it is written
    r = h.restarted()
    assert r.state("g") == "Stable" and r.shard.groups["g"].generation_id == 1


def test_empty_group_is_remembered_across_restart() -> None:
    h = Harness()
    (leader,) = h.stable_group("g", n=1)
    h.commit("g", {("t", 0): 1}, generation=1, member_id=leader.member_id)
    h.leave("g", (leader.member_id, None))
    r = h.restarted()
    assert r.state("g") == "Empty" and r.shard.groups["g"].generation_id == 2
    assert r.committed("g") == {("t", 0): 1}


def test_delete_offsets() -> None:
    h = Harness()
    assert h.apply(h.shard.delete_offsets("nope", [("t", 0)])) == (E.GROUP_ID_NOT_FOUND, [])
    h.commit("g", {("t", 0): 1, ("t", 1): 2})
    assert h.apply(h.shard.delete_offsets("g", [("t", 0), ("x", 9)])) == (
        0,
        [("t", 0, 0), ("x", 9, 0)],
    )
    assert h.committed("g") == {("t", 1): 2}
    # a consumer group subscribed to the topic refuses, other topics go
    s = [("range", subscription("t"))]
    (leader,) = h.stable_group("c", n=1, protocols=s)
    h.commit("c", {("t", 0): 1, ("u", 0): 1}, generation=1, member_id=leader.member_id)
    assert h.apply(h.shard.delete_offsets("c", [("t", 0), ("u", 0)])) == (
        0,
        [("t", 0, E.GROUP_SUBSCRIBED_TO_TOPIC), ("u", 0, 0)],
    )
    assert h.committed("c") == {("t", 0): 1}
    # a non-consumer group with members refuses as a whole
    (m,) = h.stable_group("k", n=1, protocol_type="connect", protocols=[("default", b"")])
    assert h.apply(h.shard.delete_offsets("k", [("t", 0)])) == (E.NON_EMPTY_GROUP, [])


def test_retention_of_empty_consumer_group_counts_from_when_it_emptied() -> None:
    day = 24 * 3600 * 1000
    h = Harness(offsets_retention_ms=7 * day, offsets_retention_check_interval_ms=600_000)
    h.shard.on_loaded()
    (leader,) = h.stable_group("g", n=1, session=30_000)
    h.commit("g", {("t", 0): 1}, generation=1, member_id=leader.member_id)
    for _ in range(3 * 60):  # keep it alive for an hour
        h.advance(20_000)
        assert h.heartbeat("g", 1, leader.member_id) == E.NONE
    h.leave("g", (leader.member_id, None))
    assert h.state("g") == "Empty"
    h.advance(7 * day - 600_001)
    assert h.committed("g") == {("t", 0): 1}
    h.advance(600_001 + 600_000)
    assert h.committed("g") == {}
    assert "g" not in h.shard.groups  # group gone with its last offset
    kinds = [decode(r.key, r.value) for r in h.log[-2:]]
    assert isinstance(kinds[0], OffsetRecord) and kinds[0].value is None


def test_retention_of_simple_group_is_per_commit_and_explicit_expiry_wins() -> None:
    h = Harness(offsets_retention_ms=100_000, offsets_retention_check_interval_ms=10_000)
    h.shard.on_loaded()
    h.commit("s", {("t", 0): 1})
    h.advance(50_000)
    h.commit("s", {("t", 1): 1})
    h.commit("s", {("t", 2): 1}, retention=5_000)  # OffsetCommit v2-v4 retention_time_ms
    h.advance(10_000)
    assert set(h.committed("s")) == {("t", 0), ("t", 1)}
    h.advance(50_000)
    assert set(h.committed("s")) == {("t", 1)}
    h.advance(50_000)
    assert "s" not in h.shard.groups


def test_stable_group_keeps_offsets_of_subscribed_topics() -> None:
    h = Harness(offsets_retention_ms=100_000, offsets_retention_check_interval_ms=10_000)
    h.shard.on_loaded()
    (leader,) = h.stable_group("g", n=1, session=60_000, protocols=[("range", subscription("t"))])
    h.commit("g", {("t", 0): 1, ("old", 0): 1}, generation=1, member_id=leader.member_id)
    for _ in range(15):
        h.advance(10_000)
        h.heartbeat("g", 1, leader.member_id)
    assert h.committed("g") == {("t", 0): 1}


def test_offsets_of_deleted_topics_are_removed() -> None:
    h = Harness()
    h.commit("a", {("t", 0): 1, ("u", 0): 1})
    h.commit("b", {("t", 1): 1})
    h.apply(h.shard.on_topics_deleted(["t"]))
    assert h.committed("a") == {("u", 0): 1} and h.committed("b") == {}
    r = h.restarted()
    assert r.committed("a") == {("u", 0): 1} and r.committed("b") == {}
