"""JoinGroup / SyncGroup / Heartbeat / LeaveGroup and the timers, on one shard."""

from moldau.protocol.error_codes import ErrorCode as E

from .harness import Harness, subscription


def test_first_join_requires_member_id_then_completes_after_initial_delay() -> None:
    h = Harness(group_initial_rebalance_delay_ms=3000)
    first = h.join("g", client_id="cli")
    assert first.last.error_code == E.MEMBER_ID_REQUIRED
    mid = first.last.member_id
    assert mid.startswith("cli-")
    assert h.state("g") == "Empty"  # a pending member is not a member yet
    second = h.join("g", mid)
    assert not second.done and h.state("g") == "PreparingRebalance"
    h.advance(2999)
    assert not second.done
    h.advance(1)
    r = second.last
    assert (r.error_code, r.generation_id, r.leader, r.member_id) == (0, 1, mid, mid)
    assert r.protocol_type == "consumer" and r.protocol_name == "range"
    assert [m.member_id for m in r.members] == [mid]
    assert h.state("g") == "CompletingRebalance"
    sync = h.sync("g", 1, mid, {mid: b"assign"})
    assert sync.last.error_code == 0 and sync.last.assignment == b"assign"
    assert h.state("g") == "Stable"
    assert len(h.log) == 1  # the group metadata with the assignment


def test_old_join_versions_get_an_id_at_once() -> None:
    h = Harness()
    box = h.join("g", version=3)
    assert not box.done
    h.advance(0)
    assert box.last.error_code == 0 and box.last.member_id.startswith("c-")


def test_initial_delay_extends_while_members_arrive() -> None:
    h = Harness(group_initial_rebalance_delay_ms=3000)
    a = h.join_new("g", rebalance=10_000)
    h.advance(2000)
    b = h.join_new("g", rebalance=10_000)
    h.advance(1000)  # first delay ends; a member arrived meanwhile: wait another delay
    assert not a.done and not b.done
    h.advance(3000)
    assert a.last.error_code == 0 and b.last.error_code == 0
    assert a.last.generation_id == 1 and len(a.last.members) == 2


def test_follower_sync_waits_for_the_leader() -> None:
    h = Harness()
    a = h.join_new("g")
    b = h.join_new("g")
    h.advance(0)
    leader, follower = (a.last, b.last) if a.last.leader == a.last.member_id else (b.last, a.last)
    assert follower.members == []
    fs = h.sync("g", follower.generation_id, follower.member_id)
    assert not fs.done
    ls = h.sync(
        "g",
        leader.generation_id,
        leader.member_id,
        {follower.member_id: b"F", leader.member_id: b"L"},
    )
    assert fs.last.assignment == b"F" and ls.last.assignment == b"L"
    # a member left out of the leader's assignment gets an empty one; unknown ids are ignored
    assert h.state("g") == "Stable"


def test_leader_assignment_for_missing_member_is_empty() -> None:
    h = Harness()
    a = h.join_new("g")
    b = h.join_new("g")
    h.advance(0)
    leader, follower = (a.last, b.last) if a.last.leader == a.last.member_id else (b.last, a.last)
    fs = h.sync("g", 1, follower.member_id)
    h.sync("g", 1, leader.member_id, {leader.member_id: b"L", "stranger": b"S"})
    assert fs.last.error_code == 0 and fs.last.assignment == b""


def test_new_member_triggers_rebalance_and_heartbeat_reports_it() -> None:
    h = Harness()
    leader, follower = h.stable_group("g")
    newcomer = h.join_new("g")
    assert h.state("g") == "PreparingRebalance"
    assert h.heartbeat("g", 1, follower.member_id) == E.REBALANCE_IN_PROGRESS
    assert h.heartbeat("g", 1, leader.member_id) == E.REBALANCE_IN_PROGRESS
    lj = h.join("g", leader.member_id)
    assert not newcomer.done
    fj = h.join("g", follower.member_id)
    # everyone rejoined: completes at once, no timer needed
    assert lj.last.generation_id == fj.last.generation_id == newcomer.last.generation_id == 2
    assert len(lj.last.members) == 3 and lj.last.leader == leader.member_id
    assert h.heartbeat("g", 1, follower.member_id) == E.ILLEGAL_GENERATION
    assert h.heartbeat("g", 2, follower.member_id) == E.NONE  # CompletingRebalance


def test_member_that_does_not_rejoin_is_dropped_at_rebalance_timeout() -> None:
    h = Harness()
    leader, follower = h.stable_group("g", rebalance=5000)
    h.join_new("g", rebalance=5000)
    lj = h.join("g", leader.member_id, rebalance=5000)
    h.advance(4999)
    assert not lj.done
    h.advance(1)
    assert lj.last.error_code == 0 and lj.last.generation_id == 2
    assert follower.member_id not in {m.member_id for m in lj.last.members}
    assert h.heartbeat("g", 2, follower.member_id) == E.UNKNOWN_MEMBER_ID


def test_session_timeout_evicts_a_silent_member() -> None:
    h = Harness()
    leader, follower = h.stable_group("g", session=6000)
    h.advance(5000)
    assert h.heartbeat("g", 1, leader.member_id) == E.NONE
    assert h.heartbeat("g", 1, follower.member_id) == E.NONE
    h.advance(5999)
    assert h.heartbeat("g", 1, leader.member_id) == E.NONE
    assert h.state("g") == "Stable"
    h.advance(1)
    # the follower's last heartbeat was 6 s ago: evicted, and a rebalance began
    assert h.heartbeat("g", 1, follower.member_id) == E.UNKNOWN_MEMBER_ID
    assert h.state("g") == "PreparingRebalance"
    assert h.heartbeat("g", 1, leader.member_id) == E.REBALANCE_IN_PROGRESS
    lj = h.join("g", leader.member_id, session=6000)
    assert lj.last.generation_id == 2 and [m.member_id for m in lj.last.members] == [
        leader.member_id
    ]


def test_commit_counts_as_heartbeat() -> None:
    h = Harness()
    (leader,) = h.stable_group("g", n=1, session=6000)
    for _ in range(4):
        h.advance(5000)
        assert h.commit("g", {("t", 0): 1}, generation=1, member_id=leader.member_id) == [
            ("t", 0, 0)
        ]
    assert h.state("g") == "Stable"


def test_pending_member_that_never_returns_expires() -> None:
    h = Harness()
    (leader,) = h.stable_group("g", n=1, session=6000)
    pending = h.join("g", session=6000)
    assert pending.last.error_code == E.MEMBER_ID_REQUIRED
    assert h.state("g") == "Stable"  # handing out an id does not start a rebalance
    h.advance(5000)
    assert h.heartbeat("g", 1, leader.member_id) == E.NONE
    h.advance(1000)  # the pending id expires
    assert h.state("g") == "Stable"
    assert h.join("g", pending.last.member_id, session=6000).last.error_code == E.UNKNOWN_MEMBER_ID


def test_rebalance_waits_for_pending_member() -> None:
    h = Harness()
    (leader,) = h.stable_group("g", n=1, session=6000)
    pending = h.join("g", session=6000)
    assert pending.last.error_code == E.MEMBER_ID_REQUIRED
    # the leader asks for a rebalance; the pending member may still come back, so it waits
    lj = h.join("g", leader.member_id, session=6000, protocols=[("range", subscription("t", "u"))])
    h.advance(5999)
    assert not lj.done
    h.advance(1)  # the pending member's session ran out
    assert lj.last.error_code == 0 and lj.last.generation_id == 2 and len(lj.last.members) == 1


def test_sync_timeout_removes_members_that_never_sync() -> None:
    h = Harness()
    a = h.join_new("g", rebalance=4000)
    b = h.join_new("g", rebalance=4000)
    h.advance(0)
    leader, follower = (a.last, b.last) if a.last.leader == a.last.member_id else (b.last, a.last)
    h.sync("g", 1, leader.member_id, {leader.member_id: b"L", follower.member_id: b"F"})
    assert h.state("g") == "Stable"
    h.advance(4000)  # the follower never sent SyncGroup
    assert h.state("g") == "PreparingRebalance"
    assert h.heartbeat("g", 1, follower.member_id) == E.UNKNOWN_MEMBER_ID


def test_leave_triggers_rebalance_and_last_leave_empties_the_group() -> None:
    h = Harness()
    leader, follower = h.stable_group("g")
    top, per = h.leave("g", (follower.member_id, None))
    assert top == 0 and per == [(follower.member_id, None, 0)]
    assert h.state("g") == "PreparingRebalance"
    lj = h.join("g", leader.member_id)
    assert lj.last.generation_id == 2 and len(lj.last.members) == 1
    h.sync("g", 2, leader.member_id, {leader.member_id: b"x"})
    n = len(h.log)
    h.leave("g", (leader.member_id, None))
    assert h.state("g") == "Empty"
    d = h.shard.describe_group("g")
    assert d.protocol_type == "consumer" and d.members == []
    assert h.shard.groups["g"].generation_id == 3
    assert len(h.log) == n + 1  # the Empty group is written


def test_leave_errors() -> None:
    h = Harness()
    assert h.leave("nope", ("m", None)) == (0, [("m", None, E.UNKNOWN_MEMBER_ID)])
    h.stable_group("g", n=1)
    assert h.leave("g", ("stranger", None))[1] == [("stranger", None, E.UNKNOWN_MEMBER_ID)]
    assert h.leave("", ("m", None))[0] == E.INVALID_GROUP_ID


def test_removed_member_waiting_in_join_gets_unknown_member_id() -> None:
    h = Harness()
    leader, follower = h.stable_group("g")
    fj = h.join("g", follower.member_id, protocols=[("range", subscription("t", "u"))])
    assert not fj.done  # changed metadata: a rebalance, the follower waits for the others
    h.leave("g", (follower.member_id, None))
    assert fj.last.error_code == E.UNKNOWN_MEMBER_ID


def test_join_errors() -> None:
    h = Harness()
    assert h.join("", version=9).last.error_code == E.INVALID_GROUP_ID
    assert h.join("g", session=5999).last.error_code == E.INVALID_SESSION_TIMEOUT
    assert h.join("g", session=1_800_001).last.error_code == E.INVALID_SESSION_TIMEOUT
    assert h.join("g", "made-up").last.error_code == E.UNKNOWN_MEMBER_ID
    assert "g" not in h.shard.groups
    assert h.join("g", protocol_type="").last.error_code == E.INCONSISTENT_GROUP_PROTOCOL
    assert h.join("g", protocols=[]).last.error_code == E.INCONSISTENT_GROUP_PROTOCOL
    assert "g" not in h.shard.groups
    h.stable_group("g", n=1)
    other = h.join("g", protocols=[("roundrobin", b"")])
    assert other.last.error_code == E.INCONSISTENT_GROUP_PROTOCOL
    assert h.join("g", protocol_type="connect").last.error_code == E.INCONSISTENT_GROUP_PROTOCOL


def test_protocol_chosen_is_one_every_member_supports() -> None:
    h = Harness()
    both = [("range", subscription("t")), ("roundrobin", subscription("t"))]
    a = h.join_new("g", protocols=both)
    b = h.join_new("g", protocols=[("roundrobin", subscription("t"))])
    h.advance(0)
    assert a.last.protocol_name == b.last.protocol_name == "roundrobin"


def test_follower_rejoin_with_same_metadata_in_stable_gets_current_generation() -> None:
    h = Harness()
    leader, follower = h.stable_group("g")
    fj = h.join("g", follower.member_id)
    assert fj.last.error_code == 0 and fj.last.generation_id == 1 and fj.last.members == []
    assert h.state("g") == "Stable"
    changed = h.join("g", follower.member_id, protocols=[("range", subscription("t", "u"))])
    assert not changed.done and h.state("g") == "PreparingRebalance"


def test_sync_errors() -> None:
    h = Harness()
    assert h.sync("nope", 1, "m").last.error_code == E.UNKNOWN_MEMBER_ID
    leader, follower = h.stable_group("g")
    assert h.sync("g", 1, "stranger").last.error_code == E.UNKNOWN_MEMBER_ID
    assert h.sync("g", 7, leader.member_id).last.error_code == E.ILLEGAL_GENERATION
    bad = h.sync("g", 1, leader.member_id, protocol_name="roundrobin")
    assert bad.last.error_code == E.INCONSISTENT_GROUP_PROTOCOL
    ok = h.sync("g", 1, follower.member_id, protocol_type="consumer", protocol_name="range")
    assert ok.last.error_code == 0 and ok.last.assignment == f"a-{follower.member_id}".encode()
    h.join_new("g")
    assert h.sync("g", 1, follower.member_id).last.error_code == E.REBALANCE_IN_PROGRESS


def test_rebalance_during_completing_answers_waiting_syncs() -> None:
    h = Harness()
    a = h.join_new("g")
    b = h.join_new("g")
    h.advance(0)
    follower = a.last if a.last.leader != a.last.member_id else b.last
    fs = h.sync("g", 1, follower.member_id)
    h.join_new("g")  # a newcomer while the leader is still assigning
    assert fs.last.error_code == E.REBALANCE_IN_PROGRESS
    assert h.state("g") == "PreparingRebalance"


def test_failed_assignment_write_resets_and_rebalances() -> None:
    h = Harness()
    a = h.join_new("g")
    h.advance(0)
    h.fail_appends_with = E.NOT_LEADER_OR_FOLLOWER
    s = h.sync("g", 1, a.last.member_id, {a.last.member_id: b"x"})
    assert s.last.error_code == E.NOT_COORDINATOR
    assert h.state("g") == "PreparingRebalance"


def test_heartbeat_errors() -> None:
    h = Harness()
    assert h.heartbeat("nope", 1, "m") == E.UNKNOWN_MEMBER_ID
    assert h.heartbeat("", 1, "m") == E.INVALID_GROUP_ID
    leader, _ = h.stable_group("g")
    assert h.heartbeat("g", 1, "stranger") == E.UNKNOWN_MEMBER_ID
    assert h.heartbeat("g", 0, leader.member_id) == E.ILLEGAL_GENERATION


def test_group_max_size() -> None:
    h = Harness(group_max_size=1)
    h.stable_group("g", n=1)
    assert h.join("g", version=3).last.error_code == E.GROUP_MAX_SIZE_REACHED


def test_a_second_join_while_parked_answers_the_first() -> None:
    h = Harness()
    leader, follower = h.stable_group("g")
    first = h.join("g", follower.member_id, protocols=[("range", subscription("t", "u"))])
    assert not first.done
    second = h.join("g", follower.member_id, protocols=[("range", subscription("t", "u"))])
    # the superseded request is answered so the connection's later responses are not stuck
    assert first.last.error_code == E.REBALANCE_IN_PROGRESS and not second.done
    h.join("g", leader.member_id)
    assert second.last.error_code == 0 and second.last.generation_id == 2


def test_lost_join_response_in_completing_rebalance_is_answered_again() -> None:
    h = Harness()
    a = h.join_new("g")
    b = h.join_new("g")
    h.advance(0)
    r = a.last
    again = h.join("g", r.member_id)
    assert again.last.generation_id == r.generation_id and again.last.error_code == 0
    assert (len(again.last.members) > 0) == (r.leader == r.member_id)
    assert h.state("g") == "CompletingRebalance"
    del b


def test_leader_rejoin_in_stable_starts_a_rebalance() -> None:
    h = Harness()
    leader, follower = h.stable_group("g")
    lj = h.join("g", leader.member_id)
    assert not lj.done and h.state("g") == "PreparingRebalance"
    assert h.heartbeat("g", 1, follower.member_id) == E.REBALANCE_IN_PROGRESS


def test_unload_answers_parked_requests() -> None:
    h = Harness()
    leader, follower = h.stable_group("g")
    parked = h.join("g", leader.member_id, protocols=[("range", subscription("x"))])
    h.shard.unload(E.NOT_COORDINATOR)
    assert parked.last.error_code == E.NOT_COORDINATOR


def test_heartbeats_move_the_deadline_without_rearming_the_timer() -> None:
    h = Harness()
    (leader,) = h.stable_group("g", n=1, session=10_000)
    before = h.timer.scheduled
    for _ in range(50):
        h.advance(100)
        assert h.heartbeat("g", 1, leader.member_id) == E.NONE
    assert h.timer.scheduled == before  # 50 heartbeats, no timer work
    h.advance(9_999)  # the armed timer fired at the old deadline and re-armed for the rest
    assert h.state("g") == "Stable" and h.timer.scheduled == before + 1
    h.advance(1)  # 10 s after the last heartbeat
    assert h.state("g") == "Empty"


def test_strings_too_long_for_the_group_records_are_refused() -> None:
    h = Harness()
    long_id = "g" * 40_000
    assert h.join(long_id).last.error_code == E.INVALID_GROUP_ID
    assert h.join("g", instance="i" * 40_000, version=5).last.error_code == E.INVALID_REQUEST
    assert h.join("g", protocols=[("p" * 40_000, b"")]).last.error_code == E.INVALID_REQUEST
    assert h.commit(long_id, {("t", 0): 1}) == [("t", 0, E.INVALID_GROUP_ID)]
    assert h.shard.groups == {} and h.log == []
    # multi-byte characters count in bytes
    assert h.join("é" * 20_000).last.error_code == E.INVALID_GROUP_ID
    assert h.join("é" * 10_000).last.error_code == E.MEMBER_ID_REQUIRED
