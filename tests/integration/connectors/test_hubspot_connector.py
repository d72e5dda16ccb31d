"""HubSpot connector specifics: minimum API calls, the 10,000 cap, ties, faults, associations, budget."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from connectors.emulator_kit import Fault
from connectors.hubspot.connector import HubSpotConnector
from connectors.hubspot.emulator import RateLimits
from connectors.hubspot.settings import HubSpotSettings
from prm_sync.connector import Outcome, Page, PushRecord, RetryPolicy, no_wait_policy
from prm_sync.errors import BudgetExhausted, CrmUnavailable
from prm_sync.mapping import compile_text
from tests.integration.connectors.harness_hubspot import HubSpotHarness, open_harness

HOSTILE = "O'Brien' OR Name != '"


@pytest.fixture(scope="module")
def running() -> Iterator[HubSpotHarness]:
    with open_harness() as harness:
        yield harness


@pytest.fixture
def hub(running: HubSpotHarness) -> HubSpotHarness:
    running.reset()
    return running


def read(hub: HubSpotHarness, entity: str = "partner", since=None, connector=None) -> list[Page]:
    connector = connector or hub.connector
    return list(connector.read_changes(hub.mapping[entity], since, hub.now() + dt.timedelta(seconds=1)))


def ids(pages: list[Page]) -> list[str]:
    return [r.crm_id for p in pages for r in p.records]


def partners(hub: HubSpotHarness, n: int, prefix: str = "p", **values) -> list[PushRecord]:
    mapper = hub.mapping["partner"]
    return [PushRecord(key=f"{prefix}{i:05d}", fields=mapper.to_crm(f"{prefix}{i:05d}", {
        "name": f"Partner {i}", "tier": "gold", **values})) for i in range(n)]


def assert_in_order(pages: list[Page]) -> None:
    order = [(r.modstamp, int(r.crm_id)) for p in pages for r in p.records]
    assert order == sorted(order) and len(set(order)) == len(order)


# ---- minimum calls ----------------------------------------------------------------------------
def test_pushing_1000_records_takes_10_calls(hub):
    results = hub.connector.upsert(hub.mapping["partner"], partners(hub, 1000))
    assert len(results) == 1000 and all(r.outcome == Outcome.CREATED for r in results)
    assert [r.key for r in results] == [f"p{i:05d}" for i in range(1000)]
    assert hub.calls() == hub.calls("batch/upsert") == 10
    assert hub.crm_record("partner", results[500].crm_id)["name"] == "Partner 500"


def test_pulling_10000_takes_50_search_pages_and_no_change_takes_one(hub):
    seeded = hub.seed("partner", 10_000, spread_ms=1)
    hub.reset_calls()
    pages = read(hub)
    assert ids(pages) == seeded and [len(p.records) for p in pages] == [1000] * 10
    assert hub.calls() == hub.calls("/search") == 50
    assert_in_order(pages)
    hub.reset_calls()
    assert read(hub, since=pages[-1].cursor) == []
    assert hub.calls() == 1


def test_no_change_read_of_an_entity_with_associations_is_one_call(hub):
    hub.seed("lead", 3)
    cursor = read(hub, "lead")[-1].cursor
    hub.reset_calls()
    assert read(hub, "lead", since=cursor) == []
    assert hub.calls() == 1


# ---- the 10,000 cap and ties -------------------------------------------------------------------
def test_15000_records_in_one_millisecond_all_come_once(hub):
    seeded = hub.seed("partner", 15_000)                      # the clock is fixed: one timestamp
    pages = read(hub)
    assert ids(pages) == seeded                               # all, once, in id order
    middle = pages[6].cursor                                  # resume inside the run of ties
    rest = ids(read(hub, since=middle))
    assert rest == seeded[7000:]


@pytest.mark.parametrize("count", [2_000, 15_000])
def test_records_sharing_one_millisecond_cost_at_most_one_search_call_over_the_minimum(hub, count):
    seeded = hub.seed("partner", count)                       # the clock is fixed: one timestamp
    hub.reset_calls()
    pages = read(hub)
    minimum = -(-count // 200)                                # 200 results a search page
    assert hub.calls() == hub.calls("/search") <= minimum + 1
    assert ids(pages) == seeded and len(set(ids(pages))) == count   # every record exactly once
    assert_in_order(pages)


def test_a_tie_group_that_starts_inside_a_page_is_read_whole_and_once(hub):
    before = hub.seed("partner", 150, spread_ms=1)
    tie = hub.seed("partner", 1_234)
    hub.advance(0.001)
    after = hub.seed("partner", 77, spread_ms=1)
    hub.reset_calls()
    pages = read(hub)
    assert ids(pages) == [*before, *tie, *after]
    assert_in_order(pages)
    assert hub.calls("/search") <= -(-(150 + 1234 + 77) // 200) + 3


def test_crossing_the_cap_with_a_tie_at_the_boundary(hub):
    seeded = hub.seed("partner", 9_990, spread_ms=1)
    seeded += hub.seed("partner", 40)                         # straddles the 10,000th result
    hub.advance(0.001)
    seeded += hub.seed("partner", 300, spread_ms=1)
    pages = read(hub)
    assert ids(pages) == seeded
    assert_in_order(pages)


def test_a_big_tie_after_the_cursor_timestamp(hub):
    first = hub.seed("partner", 5)
    cursor = read(hub)[-1].cursor
    hub.advance(1)
    tie = hub.seed("partner", 2_500)
    hub.advance(1)
    tail = hub.seed("partner", 3, spread_ms=1)
    pages = read(hub, since=cursor)
    assert ids(pages) == [*tie, *tail] and first


# ---- deletions ---------------------------------------------------------------------------------
def test_a_record_archived_after_the_last_pull_is_a_deletion(hub):
    mapper = hub.mapping["partner"]
    seeded = hub.seed("partner", 3)
    pulled_at = hub.now()
    cursor = read(hub)[-1].cursor
    hub.advance(60)
    [result] = hub.connector.delete(mapper, [seeded[1]])
    assert result.ok
    hub.reset_calls()
    [deletion] = list(hub.connector.read_deletions(mapper, pulled_at))
    assert deletion.crm_id == seeded[1] and deletion.key == hub.crm_record("partner", seeded[1])["prm_id"]
    assert deletion.deleted_at == hub.now()
    assert hub.calls("GET /crm/v3/objects/companies") == 1
    assert seeded[1] not in ids(read(hub, since=cursor))      # the modified date did not move


# ---- faults ------------------------------------------------------------------------------------
def test_429_and_503_on_a_third_of_calls_lose_nothing(hub):
    sleeps: list[float] = []
    connector = hub.build(retry=RetryPolicy(attempts=6, sleep=sleeps.append))
    seeded = hub.seed("partner", 1_000, spread_ms=1)
    for path in ("/search", "/batch/"):
        hub.emulator.inject(Fault(path=path, every=3, count=0, status=429, retry_after=2))
        hub.emulator.inject(Fault(path=path, every=3, count=0, status=503))
    hub.emulator.inject(Fault(path="/search", every=7, count=0, drop=True))
    assert ids(read(hub, connector=connector)) == seeded
    results = connector.upsert(hub.mapping["partner"], partners(hub, 1000, prefix="f"))
    assert all(r.ok for r in results)
    assert hub.calls("/search") >= 10 and hub.calls("batch/upsert") >= 15   # minimum 5 and 10: faults did hit
    hub.emulator.clear_faults()
    assert len(ids(read(hub))) == 2_000
    assert 2.0 in sleeps                                      # Retry-After honoured
    connector.close()


def test_a_bad_value_in_a_batch_of_100_rejects_only_that_record(hub):
    records = partners(hub, 100)
    records[37] = PushRecord(key=records[37].key, fields={**records[37].fields, "prm_partner_tier": "diamond"})
    results = hub.connector.upsert(hub.mapping["partner"], records)
    bad = results[37]
    assert bad.outcome == Outcome.REJECTED and bad.crm_id is None
    assert "diamond was not one of the allowed options" in (bad.message or "")
    assert sum(r.outcome == Outcome.CREATED for r in results) == 99
    assert len(ids(read(hub))) == 99


def test_values_that_cannot_be_sent_are_invalid_without_a_call(hub):
    records = [PushRecord(key="", fields={"name": "No key"}),
               PushRecord(key="k1", fields={"name": "Float", "prm_partner_since": 1.5}),
               PushRecord(key="k2", fields={"name": "Fine", "prm_is_partner": True})]
    results = hub.connector.upsert(hub.mapping["partner"], records)
    assert [r.outcome for r in results] == [Outcome.INVALID, Outcome.INVALID, Outcome.CREATED]
    assert hub.calls() == 1


# ---- hostile values ----------------------------------------------------------------------------
def test_a_hostile_name_is_written_and_queried_safely(hub):
    hub.seed("partner", 3)
    [result] = hub.connector.upsert(hub.mapping["partner"], [PushRecord(
        key="hostile", fields=hub.mapping["partner"].to_crm("hostile", {"name": HOSTILE}))])
    assert hub.crm_record("partner", result.crm_id)["name"] == HOSTILE
    filtered = compile_text(
        "version: 1\ncrm: hubspot\nentities:\n  partner:\n    object: companies\n    crm_key: prm_id\n"
        "    filter:\n      - {property: prm_is_partner, operator: EQ, value: 'true'}\n"
        "      - {property: name, operator: EQ, value: \"O'Brien' OR Name != '\"}\n"
        "    fields:\n      name: {crm: name}\n", "inline.yaml")
    pages = list(hub.connector.read_changes(filtered["partner"], None, hub.now()))
    assert [(r.crm_id, r.fields["name"]) for p in pages for r in p.records] == [(result.crm_id, HOSTILE)]


# ---- associations ------------------------------------------------------------------------------
def test_lead_pages_read_associations_once_per_1000_records(hub):
    [partner] = hub.seed("partner", 1)
    leads = hub.seed("lead", 2_500, spread_ms=1)
    for lead in leads[:-1]:
        hub.link("lead", lead, "partner", partner)
    hub.reset_calls()
    pages = read(hub, "lead")
    assert ids(pages) == leads
    assert hub.calls("/search") == 13 and hub.calls("associations/deals/companies/batch/read") == 3
    records = [r for p in pages for r in p.records]
    assert all(r.associations == {"partner_id": (partner,)} for r in records[:-1])
    assert records[-1].associations == {"partner_id": ()}


def test_lead_associations_are_written_only_when_missing_or_changed(hub):
    mapper = hub.mapping["lead"]
    p1, p2 = hub.seed("partner", 2)

    def leads(partner: str) -> list[PushRecord]:
        return [PushRecord(key=f"lead-{i}", associations={"partner_id": partner}, fields=mapper.to_crm(
            f"lead-{i}", {"company": f"Customer {i}", "contact_first_name": "Zoë",
                             "estimated_value": Decimal("1234.50")})) for i in range(3)]

    first = hub.connector.upsert(mapper, leads(p1))
    assert {r.outcome for r in first} == {Outcome.CREATED}
    assert hub.calls("batch/create") == 1 and hub.calls("batch/read") == 0
    assert hub.crm_record("lead", first[0].crm_id)["amount"] == "1234.5"
    assert hub.crm_record("lead", first[0].crm_id)["prm_contact_firstname"] == "Zoë"  # in the default schema
    hub.reset_calls()
    again = hub.connector.upsert(mapper, leads(p1))
    assert {r.outcome for r in again} == {Outcome.UPDATED}
    assert hub.calls("associations/deals/companies/batch/read") == 1 and hub.calls("batch/create") == 0
    hub.reset_calls()
    hub.connector.upsert(mapper, leads(p2))
    assert hub.calls("batch/archive") == 1 and hub.calls("associations/deals/companies/batch/create") == 1
    pulled = [r for p in read(hub, "lead") for r in p.records]
    assert {r.associations["partner_id"] for r in pulled} == {(p2,)}


def test_commissions_resolve_the_custom_object_once_and_associate(hub):
    mapper = hub.mapping["commission"]
    [partner] = hub.seed("partner", 1)
    [deal] = hub.seed("deal", 1)
    record = PushRecord(key="c-1", associations={"deal_id": deal, "partner_id": partner},
                        fields=mapper.to_crm("c-1", {"amount": Decimal("99.99"), "currency": "EUR",
                                                     "status": "approved", "period": "2026-Q4"}))
    [result] = hub.connector.upsert(mapper, [record])
    hub.connector.upsert(mapper, [record])
    assert result.outcome == Outcome.CREATED and hub.calls("GET /crm-object-schemas/v3/schemas") == 1
    emu = hub.emulator
    assert set(emu.associations.targets("partner_commissions", int(result.crm_id), "deals")) == {int(deal)}
    assert set(emu.associations.targets("partner_commissions", int(result.crm_id), "companies")) == {int(partner)}
    assert hub.crm_record("commission", result.crm_id)["amount"] == "99.99"


def test_an_association_to_a_missing_record_rejects_that_record(hub):
    mapper = hub.mapping["lead"]
    record = PushRecord(key="lead-x", associations={"partner_id": "999999"},
                        fields=mapper.to_crm("lead-x", {"company": "C"}))
    [result] = hub.connector.upsert(mapper, [record])
    assert result.outcome == Outcome.REJECTED and result.crm_id and "999999" in (result.message or "")


# ---- budget and failures -------------------------------------------------------------------------
def test_configured_daily_budget_stops_before_the_call(hub):
    hub.seed("partner", 2_000, spread_ms=1)
    connector = hub.build(daily_api_budget=3)
    hub.reset_calls()
    with pytest.raises(BudgetExhausted):
        read(hub, connector=connector)
    assert hub.calls() == 3 and connector.usage().calls == 3
    connector.close()


def test_hubspot_daily_limit_from_headers_stops_the_run(hub):
    hub.emulator.rate_limits = RateLimits(daily=4)
    hub.seed("partner", 2_000, spread_ms=1)
    with pytest.raises(BudgetExhausted):
        read(hub)
    usage = hub.connector.usage()
    assert hub.calls() == 4 and usage.daily_limit == 4 and usage.used_today == 4


def test_a_wrong_token_is_crm_unavailable_without_the_token(hub):
    wrong = HubSpotConnector(HubSpotSettings(access_token="secret-wrong-token", base_url=hub.emulator.base_url),
                             policy=no_wait_policy())
    with pytest.raises(CrmUnavailable) as refused:
        read(hub, connector=wrong)
    assert "secret-wrong-token" not in str(refused.value) and "401" in str(refused.value)
    assert hub.calls() == 1
    wrong.close()


def test_a_server_that_keeps_failing_is_crm_unavailable_after_the_policy_attempts(hub):
    hub.emulator.inject(Fault(path="/search", count=0, status=503))
    with pytest.raises(CrmUnavailable):
        read(hub)
    assert hub.calls() == no_wait_policy().attempts
