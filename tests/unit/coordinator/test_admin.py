"""DescribeGroups / ListGroups / DeleteGroups on one shard."""

from moldau.protocol.error_codes import ErrorCode as E

from .harness import Harness, subscription


def test_describe_stable_group_has_metadata_and_assignments() -> None:
    h = Harness()
    sub = subscription("t")
    leader, follower = h.stable_group("g", protocols=[("range", sub)], client_id="cid")
    d = h.shard.describe_group("g")
    assert (d.error_code, d.group_state, d.protocol_type, d.protocol_data) == (
        0,
        "Stable",
        "consumer",
        "range",
    )
    by_id = {m.member_id: m for m in d.members}
    assert set(by_id) == {leader.member_id, follower.member_id}
    m = by_id[follower.member_id]
    assert (m.client_id, m.client_host, m.member_metadata) == ("cid", "/127.0.0.1", sub)
    assert m.member_assignment == f"a-{follower.member_id}".encode()


def test_describe_rebalancing_group_hides_protocol_and_unknown_group_is_dead() -> None:
    h = Harness()
    h.stable_group("g")
    h.join_new("g")
    d = h.shard.describe_group("g")
    assert d.group_state == "PreparingRebalance" and d.protocol_data == ""
    assert all(m.member_metadata == b"" and m.member_assignment == b"" for m in d.members)
    u = h.shard.describe_group("unknown")
    assert (u.error_code, u.group_state, u.members) == (0, "Dead", [])


def test_list_groups_with_filters() -> None:
    h = Harness()
    h.stable_group("stable")
    h.commit("simple", {("t", 0): 1})
    names = lambda gs: sorted(g.group_id for g in gs)  # noqa: E731
    assert names(h.shard.list_groups()) == ["simple", "stable"]
    assert names(h.shard.list_groups(states=["stable"])) == ["stable"]
    assert names(h.shard.list_groups(states=["Empty", "Dead"])) == ["simple"]
    assert names(h.shard.list_groups(types=["Classic"])) == ["simple", "stable"]
    assert names(h.shard.list_groups(types=["consumer"])) == []
    listed = {g.group_id: g for g in h.shard.list_groups()}
    assert (listed["stable"].protocol_type, listed["stable"].group_state) == ("consumer", "Stable")
    assert listed["simple"].group_type == "classic"


def test_delete_groups() -> None:
    h = Harness()
    h.stable_group("busy")
    h.commit("idle", {("t", 0): 1, ("t", 1): 2})
    res = h.apply(h.shard.delete_groups(["busy", "idle", "nope"]))
    assert res == [("busy", E.NON_EMPTY_GROUP), ("idle", 0), ("nope", E.GROUP_ID_NOT_FOUND)]
    assert "idle" not in h.shard.groups and h.committed("idle") == {}
    assert h.apply(h.shard.delete_groups(["idle"])) == [("idle", E.GROUP_ID_NOT_FOUND)]
    r = h.restarted()
    assert "idle" not in r.shard.groups and r.committed("idle") == {}
    assert r.state("busy") == "Stable"


def test_delete_groups_append_failure() -> None:
    h = Harness()
    h.commit("idle", {("t", 0): 1})
    h.fail_appends_with = E.NOT_LEADER_OR_FOLLOWER
    assert h.apply(h.shard.delete_groups(["idle"])) == [("idle", E.NOT_COORDINATOR)]
    assert "idle" in h.shard.groups
