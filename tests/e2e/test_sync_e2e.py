"""End to end through the CLI, on both CRMs (real SDKs against the emulators) and both stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prm_sync.store import Partner, open_store, run_lock
from tests.e2e.sync_world import BAD, KEY_FIELD, World, open_world

CRMS = ["hubspot", "salesforce"]


@pytest.fixture(params=CRMS)
def world(request: pytest.FixtureRequest, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with open_world(request.param, store_url, tmp_path, capsys, monkeypatch) as w:
        yield w


def key_none(world: World) -> dict[str, Any]:
    return {KEY_FIELD[world.crm]: None}


def seed_partners_with_leads(world: World, n: int = 3) -> list[str]:
    h = world.harness
    partners = h.seed("partner", n)
    for pid in partners:
        if world.crm == "hubspot":
            lead = h.seed("lead", 1)[0]
            h.link("lead", lead, "partner", pid)
        else:
            h.seed("lead", 1, Partner_Account__c=pid)
    return partners


def add_prm_partner(world: World, name: str, tier: str = "silver") -> str:
    code, out, err = world.cli("partners", "add", name, "--tier", tier, "--status", "active")
    assert code == 0, err
    return out.split()[2]


def test_initial_load_both_ways_then_idempotent(world: World) -> None:
    partners = seed_partners_with_leads(world)
    crm_created = world.harness.seed("partner", 2, **key_none(world))  # made in the CRM: no PRM id yet
    local = add_prm_partner(world, "Made In PRM Ltd")

    first = world.sync()
    assert first["exit"] == 0, first
    assert first["counts"]["partner"]["prm"]["create"] == 5
    assert first["counts"]["lead"]["prm"]["create"] == 3
    assert first["counts"]["partner"]["crm"]["create"] == 1
    rows = {r["id"]: r for r in world.store_rows("partner")}
    assert len(rows) == 6 and len(world.store_rows("lead")) == 3
    # the PRM partner reached the CRM with its key; CRM-made partners got their key written back
    assert world.crm_by_key("partner", local) is not None
    links = world.links("partner")
    for crm_id in crm_created:
        prm_id = next(k for k, link in links.items() if link.crm_id == crm_id)
        assert world.harness.crm_record("partner", crm_id)[KEY_FIELD[world.crm]] == prm_id
    assert {link.crm_id for link in links.values()} >= set(partners)

    world.sync()  # reads back its own writes
    dump, store = world.crm_dump(), world.store_snapshot()
    world.write_config(deletion_sweep_minutes=60)  # no sweep due: count only the change reads
    world.harness.reset_calls()
    again = world.sync()
    assert again["exit"] == 0 and again["counts"] == {}
    assert world.crm_dump() == dump
    assert world.store_snapshot() == store
    counters = world.harness.emulator.counters
    writes = {k: v for k, v in counters.items() if not k.startswith(("GET", "POST /crm/v3/objects/deals/search",
                                                                    "POST /crm/v3/objects/companies/search",
                                                                    "POST /crm/v3/objects/partner_commissions/search",
                                                                    "POST /crm/v4/associations"))}
    writes = {k: v for k, v in writes.items() if "/batch/read" not in k and "/search" not in k}
    assert writes == {}, counters
    reads = {k: v for k, v in counters.items() if "query" in k.lower() or "/search" in k}
    assert sum(reads.values()) == 7, counters  # one change read per entity (7 mapped)


def test_incremental_both_ways(world: World) -> None:
    [pid] = world.harness.seed("partner", 1)
    assert world.sync()["exit"] == 0
    world.set_crm_tier(pid, "platinum")
    local = add_prm_partner(world, "Second Partner", "gold")
    report = world.sync()
    assert report["exit"] == 0
    assert report["counts"]["partner"]["prm"]["update"] == 1
    assert report["counts"]["partner"]["crm"]["create"] == 1
    by_crm = {link.crm_id: prm for prm, link in world.links("partner").items()}
    tiers = {r["id"]: r["tier"] for r in world.store_rows("partner")}
    assert tiers[by_crm[pid]] == "platinum"
    # a PRM edit goes out
    with open_store(world.store_url) as store, store.session() as session:
        partner = session.get(Partner, local)
        partner.tier = "registered"
        session.add(partner)
    report = world.sync()
    assert report["counts"]["partner"]["crm"]["update"] == 1
    crm_record = world.crm_by_key("partner", local)
    assert crm_record is not None
    assert world.crm_tier(world.links("partner")[local].crm_id) == "registered"


POLICIES = [("crm_wins", "silver", "silver"), ("prm_wins", "platinum", "platinum"),
            ("newest_wins", "silver", "silver"), ("manual", "platinum", "silver")]


def _policy_cases() -> list[Any]:
    """Each policy on both CRMs and on both stores, in pairs (HubSpot on one store, Salesforce on the
    other, swapped from one policy to the next): the merge rule does not depend on the store, and the
    four CRM x store combinations of every policy cost the suite twice the time for no other path."""
    cases = []
    for index, (policy, prm_after, crm_after) in enumerate(POLICIES):
        stores = ("sqlite", "postgresql") if index % 2 == 0 else ("postgresql", "sqlite")
        for crm, backend in zip(CRMS, stores, strict=True):
            marks = [pytest.mark.pg] if backend == "postgresql" else []
            cases.append(pytest.param(crm, backend, policy, prm_after, crm_after, marks=marks,
                                      id=f"{crm}-{backend}-{policy}-{prm_after}-{crm_after}"))
    return cases


@pytest.mark.parametrize(("crm", "backend", "policy", "prm_after", "crm_after"), _policy_cases())
def test_conflict_policies(paired_world: World, policy: str, prm_after: str, crm_after: str) -> None:
    world = paired_world
    world.set_policy("partner", policy)
    [pid] = world.harness.seed("partner", 1, **{("Partner_Tier__c" if world.crm == "salesforce"
                                                  else "prm_partner_tier"): "Gold" if world.crm == "salesforce"
                                                 else "gold"})
    assert world.sync()["exit"] == 0
    [prm_id] = [r["id"] for r in world.store_rows("partner")]
    with open_store(world.store_url) as store, store.session() as session:
        partner = session.get(Partner, prm_id)
        partner.tier = "platinum"
        session.add(partner)
    world.set_crm_tier(pid, "silver")  # the later edit
    report = world.sync()
    assert report["exit"] == (1 if policy == "manual" else 0), report
    assert world.store_rows("partner")[0]["tier"] == prm_after
    assert world.crm_tier(pid) == crm_after
    if policy == "manual":
        _code, out, _ = world.cli("conflicts", "list", "--format", "json")
        [conflict] = __import__("json").loads(out)
        assert (conflict["field"], conflict["prm_value"], conflict["crm_value"]) == ("tier", "platinum", "silver")
        assert world.cli("conflicts", "resolve", str(conflict["id"]), "--keep", "crm")[0] == 0
        assert world.sync()["exit"] == 0
        assert world.store_rows("partner")[0]["tier"] == "silver" and world.crm_tier(pid) == "silver"


def test_deletes_both_ways(world: World) -> None:
    world.edit_mapping("    conflict: newest_wins\n    constants:", "    conflict: newest_wins\n    on_delete: delete\n"
                       "    constants:")
    a, b = world.harness.seed("partner", 2)
    assert world.sync()["exit"] == 0
    world.harness.delete("partner", a)
    report = world.sync()
    assert report["counts"]["partner"]["prm"]["delete"] == 1
    links = world.links("partner")
    prm_a = next(p for p, link in links.items() if link.crm_id == a)
    prm_b = next(p for p, link in links.items() if link.crm_id == b)
    rows = {r["id"]: r for r in world.store_rows("partner")}
    assert rows[prm_a]["deleted_at"] is not None and rows[prm_a]["deleted_reason"] == "deleted in the CRM"
    # a deletion in the PRM removes the CRM record (on_delete: delete)
    with open_store(world.store_url) as store, store.session() as session:
        partner = session.get(Partner, prm_b)
        partner.deleted_at = partner.updated_at
        session.add(partner)
    report = world.sync()
    assert report["counts"]["partner"]["crm"]["delete"] == 1
    record = world.harness.crm_record("partner", b)
    assert record.get("IsDeleted") is True or world.crm_by_key("partner", prm_b)["archived"] is True  # type: ignore[index]
    assert world.sync()["counts"] == {}


def test_bad_records_are_quarantined_and_retried(world: World) -> None:
    pull_field, pull_value = BAD[world.crm]["pull"]
    _good, bad = world.harness.seed("partner", 2)
    if world.crm == "salesforce":  # an admin added a tier to the picklist that the mapping does not know
        world.harness.emulator.schema.set_picklist(
            "Account", "Partner_Tier__c", ["Platinum", "Gold", "Silver", "Registered", "Diamond"])
    world.harness.modify("partner", bad, pull_field, pull_value)
    push_field, push_value = BAD[world.crm]["push"]
    with open_store(world.store_url) as store, store.session() as session:
        session.add(Partner(id="p-bad-push", name="Refused Partner", status="active", **{push_field: push_value}))
    report = world.sync()
    assert report["exit"] == 1
    assert report["counts"]["partner"]["prm"]["invalid"] == 1
    assert report["counts"]["partner"]["prm"]["create"] == 1
    assert report["counts"]["partner"]["crm"].get("rejected", 0) + report["counts"]["partner"]["crm"].get(
        "invalid", 0) == 1
    code, out, _ = world.cli("errors", "list", "--format", "json")
    entries = __import__("json").loads(out)
    assert {(e["side"], e["kind"] in ("invalid", "rejected")) for e in entries} == {("pull", True), ("push", True)}
    # fix both: the CRM value in the CRM, the PRM value in the PRM; then retry
    world.set_crm_tier(bad, "gold")
    with open_store(world.store_url) as store, store.session() as session:
        partner = session.get(Partner, "p-bad-push")
        setattr(partner, push_field, "gold" if push_field == "tier" else "https://ok.example.com")
        session.add(partner)
    code, out, err = world.cli("errors", "retry")
    assert code == 0, out + err
    assert world.open_quarantine() == []
    assert len([r for r in world.store_rows("partner") if r["deleted_at"] is None]) == 3
    assert world.crm_by_key("partner", "p-bad-push") is not None


def test_dry_run_writes_nothing_and_matches_the_run(world: World) -> None:
    partners = seed_partners_with_leads(world, 2)
    assert world.sync()["exit"] == 0
    world.set_crm_tier(partners[0], "platinum")
    world.harness.seed("partner", 2, **key_none(world))
    add_prm_partner(world, "Dry Run Partner")
    dump, store = world.crm_dump(), world.store_snapshot()
    plan = world.sync("--dry-run")
    assert plan["exit"] == 0 and plan["dry_run"] is True
    assert world.crm_dump() == dump
    assert world.store_snapshot() == store
    real = world.sync()
    assert real["counts"] == plan["counts"] and real["counts"]


def test_second_run_is_refused_while_one_holds_the_lock(world: World) -> None:
    with open_store(world.store_url) as store, run_lock(store):
        code, _, err = world.cli("sync")
    assert code == 75
    last = err.strip().splitlines()[-1]  # the one error line (JSON log lines may precede it)
    assert "error" in last and "pid" in last.lower()
