"""KIP-345 static members: rejoin without a rebalance, fencing of the old incarnation."""

from moldau.protocol.error_codes import ErrorCode as E

from .harness import Harness, subscription


def _static_group(h: Harness) -> tuple[str, str]:
    a = h.join("g", instance="ia", version=5)  # static members skip MEMBER_ID_REQUIRED
    b = h.join("g", instance="ib", version=5)
    h.advance(0)
    la, lb = a.last, b.last
    assert la.member_id.startswith("ia-") and lb.member_id.startswith("ib-")
    leader, follower = (la, lb) if la.leader == la.member_id else (lb, la)
    h.sync("g", 1, follower.member_id, instance=follower.member_id.split("-")[0])
    h.sync(
        "g",
        1,
        leader.member_id,
        {la.member_id: b"A", lb.member_id: b"B"},
        instance=leader.member_id.split("-")[0],
    )
    assert h.state("g") == "Stable"
    return la.member_id, lb.member_id


def test_static_follower_rejoins_without_rebalance_and_old_id_is_fenced() -> None:
    h = Harness()
    ma, mb = _static_group(h)
    leader_id = h.shard.groups["g"].leader_id
    follower_old = mb if leader_id == ma else ma
    inst = follower_old.split("-")[0]
    rejoin = h.join("g", instance=inst, version=5)
    r = rejoin.last
    assert r.error_code == 0 and r.generation_id == 1 and r.member_id != follower_old
    assert r.leader == leader_id and r.members == [] and not r.skip_assignment
    assert h.state("g") == "Stable"
    # its assignment is still there
    s = h.sync("g", 1, r.member_id, instance=inst)
    assert s.last.assignment == (b"B" if inst == "ib" else b"A")
    # the old incarnation is a zombie now
    assert h.heartbeat("g", 1, follower_old, inst) == E.FENCED_INSTANCE_ID
    assert h.commit("g", {("t", 0): 1}, generation=1, member_id=follower_old, instance=inst) == [
        ("t", 0, E.FENCED_INSTANCE_ID)
    ]
    assert h.sync("g", 1, follower_old, instance=inst).last.error_code == E.FENCED_INSTANCE_ID
    assert h.leave("g", (follower_old, inst))[1] == [(follower_old, inst, E.FENCED_INSTANCE_ID)]
    # the replacement was persisted
    assert any(rec.key[:2] == b"\x00\x02" for rec in h.log[-1:])


def test_static_leader_rejoin_v9_skips_assignment_and_older_versions_keep_old_leader() -> None:
    for version, expect_skip in ((9, True), (8, False)):
        h = Harness()
        ma, mb = _static_group(h)
        old_leader = h.shard.groups["g"].leader_id
        assert old_leader is not None
        inst = old_leader.split("-")[0]
        r = h.join("g", instance=inst, version=version).last
        assert r.error_code == 0 and r.generation_id == 1
        assert r.skip_assignment is expect_skip
        if expect_skip:
            assert r.leader == r.member_id and len(r.members) == 2
        else:
            assert r.leader == old_leader and r.members == []
        assert h.state("g") == "Stable"


def test_static_member_with_changed_protocol_triggers_rebalance() -> None:
    h = Harness()
    _static_group(h)
    rejoin = h.join(
        "g", instance="ia", version=5, protocols=[("range", subscription("t")), ("rr", b"")]
    )
    # same selected protocol -> no rebalance even with a longer protocol list
    assert rejoin.done and h.state("g") == "Stable"
    rejoin2 = h.join("g", instance="ia", version=5, protocols=[("roundrobin", subscription("t"))])
    assert rejoin2.last.error_code == E.INCONSISTENT_GROUP_PROTOCOL


def test_static_member_evicted_only_by_session_timeout_and_rejoin_keeps_assignment() -> None:
    h = Harness()
    ma, mb = _static_group(h)
    # a static member that restarts within the session timeout: no rebalance at all
    h.advance(5000)
    for m in (ma, mb):
        h.heartbeat("g", 1, m, m.split("-")[0])
    r = h.join("g", instance="ia", version=5).last
    assert r.generation_id == 1 and h.state("g") == "Stable"
    h.advance(9999)
    h.heartbeat("g", 1, r.member_id, "ia")
    h.advance(1)  # ib stayed silent for 10 s: evicted
    assert h.state("g") == "PreparingRebalance"


def test_unknown_instance_with_member_id_is_unknown_member() -> None:
    h = Harness()
    ma, _ = _static_group(h)
    assert h.heartbeat("g", 1, ma, "other") == E.UNKNOWN_MEMBER_ID
    assert h.join("g", ma, instance="other", version=5).last.error_code == E.UNKNOWN_MEMBER_ID


def test_admin_removes_static_member_by_instance_id() -> None:
    h = Harness()
    _static_group(h)
    top, per = h.leave("g", ("", "ia"), ("", "nobody"))
    assert top == 0 and per == [("", "ia", 0), ("", "nobody", E.UNKNOWN_MEMBER_ID)]
    assert h.state("g") == "PreparingRebalance"


def test_static_rejoin_during_completing_rebalance_rebalances_again() -> None:
    h = Harness()
    a = h.join("g", instance="ia", version=5)
    b = h.join("g", instance="ib", version=5)
    h.advance(0)
    old = a.last.member_id
    assert h.state("g") == "CompletingRebalance"
    again = h.join("g", instance="ia", version=5)
    assert h.state("g") == "PreparingRebalance" and not again.done
    assert h.heartbeat("g", 1, old, "ia") == E.FENCED_INSTANCE_ID
    del b
