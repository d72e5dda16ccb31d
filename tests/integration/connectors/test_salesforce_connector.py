"""Salesforce-specific connector behaviour: call counts, faults, budget, re-login, Bulk 2.0, Decimal.

Real simple-salesforce over HTTPS against the emulator; big data is seeded through the emulator's
Python API, never over HTTP.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.emulator_kit import Fault
from prm_sync.connector import Connector, Cursor, Outcome, Page, PushRecord
from prm_sync.errors import BudgetExhausted, CrmUnavailable
from tests.integration.connectors.harness_salesforce import SalesforceHarness, open_harness

UPSERT_PATH = "PATCH /services/data/v62.0/composite/sobjects/Account/PRM_Id__c"


@pytest.fixture(scope="module")
def running() -> Iterator[SalesforceHarness]:
    with open_harness() as harness:
        yield harness


@pytest.fixture
def h(running: SalesforceHarness) -> SalesforceHarness:
    running.reset()
    return running


def read(h: SalesforceHarness, connector: Connector | None = None, since: Cursor | None = None) -> list[Page]:
    return list((connector or h.connector).read_changes(h.mapping["partner"], since, h.now() + dt.timedelta(seconds=1)))


def partners(h: SalesforceHarness, n: int, prefix: str = "prm", **values: Any) -> list[PushRecord]:
    mapper = h.mapping["partner"]
    return [PushRecord(key=f"{prefix}-{i}", fields=mapper.to_crm(f"{prefix}-{i}", {"name": f"P {i}", **values}))
            for i in range(n)]


# ----- minimum API calls ---------------------------------------------------------------------
def test_pushing_1000_records_takes_5_calls(h: SalesforceHarness) -> None:
    results = h.connector.upsert(h.mapping["partner"], partners(h, 1000))
    assert [r.outcome for r in results] == [Outcome.CREATED] * 1000
    assert h.calls() == h.calls(UPSERT_PATH) == 5
    assert h.connector.usage().calls == 5


def test_pulling_10000_takes_5_query_pages_and_no_changes_takes_1(h: SalesforceHarness) -> None:
    h.seed("partner", 10_000)
    pages = read(h)
    assert [len(p.records) for p in pages] == [2000] * 5
    assert h.calls() == 5 and h.calls("GET /services/data/v62.0/queryAll") == 5
    h.reset_calls()
    h.advance(60)
    again = read(h, since=pages[-1].cursor)
    assert [r.crm_id for p in again for r in p.records] == [pages[-1].records[-1].crm_id]  # the cursor record
    assert h.calls() == 1


def test_a_query_locator_dropped_mid_read_is_read_on_from_the_last_page(h: SalesforceHarness) -> None:
    """A cursor Salesforce no longer has (expired: 2 days since API 56.0; before it, 15 minutes
    unused, or released as a user's 11th was opened) answers `nextRecordsUrl` with 400
    INVALID_QUERY_LOCATOR. The read asks its query again from the last page it handed over:
    every record once, one call for the refused page and one for the query again."""
    h.seed("partner", 10_000)

    def drop_every_cursor() -> None:
        h.emulator.cursors = type(h.emulator.cursors)()

    # before the third page is asked for (its request then meets no cursor: the emulator's own 400)
    h.emulator.inject(Fault(path=r"^/services/data/v62.0/queryAll/.+-4000$", on_hit=drop_every_cursor))
    pages = read(h)
    ids = [r.crm_id for p in pages for r in p.records]
    assert len(ids) == len(set(ids)) == 10_000
    assert [len(p.records) for p in pages][:2] == [2000, 2000]
    assert h.calls("GET /services/data/v62.0/queryAll") == 5 + 2
    assert all(a.cursor is not None and b.cursor is not None and (a.cursor.modstamp, a.cursor.record_id)
               < (b.cursor.modstamp, b.cursor.record_id) for a, b in itertools.pairwise(pages))


def test_cursors_lost_at_every_page_still_read_everything_once(h: SalesforceHarness) -> None:
    """Each query asked again hands over its first page before it loses its cursor: the read goes
    on, one page a query, and ends with every record once."""
    h.emulator.page_size = 200
    h.seed("partner", 500)
    h.reset_calls()

    def drop_every_cursor() -> None:
        h.emulator.cursors = type(h.emulator.cursors)()

    h.emulator.inject(Fault(path=r"^/services/data/v62.0/queryAll/.+", on_hit=drop_every_cursor, count=0))
    ids = [r.crm_id for p in read(h) for r in p.records]
    assert len(ids) == len(set(ids)) == 500
    assert h.calls("GET /services/data/v62.0/queryAll") == 3 + 2   # three queries, two refused pages


def test_a_query_locator_lost_mid_way_through_the_deletions_is_read_again(h: SalesforceHarness) -> None:
    """The deletions' read (queryAll of IsDeleted rows) asks again too: each deletion once."""
    h.emulator.page_size = 200
    ids = h.seed("partner", 500)
    for crm_id in ids:
        h.delete("partner", crm_id)
    h.reset_calls()

    def drop_every_cursor() -> None:
        h.emulator.cursors = type(h.emulator.cursors)()

    h.emulator.inject(Fault(path=r"^/services/data/v62.0/queryAll/.+-400$", on_hit=drop_every_cursor))
    deleted = [d.crm_id for d in h.connector.read_deletions(h.mapping["partner"], None)]
    assert sorted(deleted) == sorted(ids)
    assert h.calls("GET /services/data/v62.0/queryAll") == 2 + 1 + 3  # two pages, the refused one, all again


def test_empty_org_pull_is_one_call_and_no_page(h: SalesforceHarness) -> None:
    assert read(h) == []
    assert h.calls() == 1


def test_equal_modstamps_across_pages_lose_nothing(h: SalesforceHarness) -> None:
    h.emulator.page_size = 200
    ids = h.seed("partner", 450)                     # one DML stamp for all 450 rows
    first = read(h)
    cursor = first[0].cursor                         # resume in the middle of the equal-stamp run
    assert cursor is not None and cursor.record_id == ids[199]
    rest = [r.crm_id for p in read(h, since=cursor) for r in p.records]
    assert rest == ids[199:]


def test_record_deleted_after_the_last_pull_comes_with_deleted_flag(h: SalesforceHarness) -> None:
    ids = h.seed("partner", 3)
    cursor = read(h)[-1].cursor
    h.advance(10)
    h.delete("partner", ids[1])
    records = [r for p in read(h, since=cursor) for r in p.records]
    deleted = [r for r in records if r.deleted]
    assert [r.crm_id for r in deleted] == [ids[1]]
    assert deleted[0].fields["Name"].startswith("Seed partner") and deleted[0].modstamp == h.now()
    assert not any(r.deleted for r in records if r.crm_id != ids[1])


# ----- faults ---------------------------------------------------------------------------------
def inject_flaky(h: SalesforceHarness) -> None:
    h.emulator.inject(Fault(path="^/services/data", status=503, every=3, count=0))
    h.emulator.inject(Fault(path="^/services/data", drop=True, every=7, count=0))


def test_pull_with_503s_and_drops_on_a_third_of_calls_gets_every_record(h: SalesforceHarness) -> None:
    h.emulator.page_size = 200
    ids = h.seed("partner", 3000)
    inject_flaky(h)
    got = [r.crm_id for p in read(h) for r in p.records]
    assert got == ids
    assert h.calls() > 15                           # 15 pages plus the retried ones


def test_push_with_503s_and_drops_on_a_third_of_calls_lands_every_record(h: SalesforceHarness) -> None:
    inject_flaky(h)
    results = h.connector.upsert(h.mapping["partner"], partners(h, 1000))
    assert all(r.ok for r in results)
    assert len(h.emulator.records("Account")) == 1000
    assert h.calls(UPSERT_PATH) > 5


def test_a_crm_down_for_good_is_unavailable_after_retries(h: SalesforceHarness) -> None:
    h.emulator.inject(Fault(path="^/services/data", status=503, count=0))
    with pytest.raises(CrmUnavailable):
        read(h)
    assert h.calls() == 6


# ----- budget ---------------------------------------------------------------------------------
def test_request_limit_exceeded_stops_cleanly_and_the_next_run_resumes(h: SalesforceHarness) -> None:
    h.seed("partner", 10)
    h.emulator.api_used = h.emulator.daily_api_limit          # the org's daily limit is used up
    with pytest.raises(BudgetExhausted):
        read(h)
    assert h.calls() == 1                                       # not retried
    h.emulator.api_used = 0                                     # the next day
    assert sum(len(p.records) for p in read(h, h.build())) == 10


def test_salesforce_reported_limit_stops_before_the_call(h: SalesforceHarness) -> None:
    ids = h.seed("partner", 10_000)
    h.emulator.api_used = h.emulator.daily_api_limit - 3
    got: list[str] = []
    cursor = None
    with pytest.raises(BudgetExhausted):
        for page in h.connector.read_changes(h.mapping["partner"], None, h.now()):
            got += [r.crm_id for r in page.records]
            cursor = page.cursor
    assert len(got) == 6000 and h.calls() == 3              # stopped before a 4th call, none refused
    h.emulator.api_used = 0
    rest = [r.crm_id for p in read(h, h.build(), since=cursor) for r in p.records]
    assert got + rest[1:] == ids                            # resumed at the cursor: nothing lost


def test_configured_daily_budget_stops_cleanly_and_the_next_run_resumes(h: SalesforceHarness) -> None:
    ids = h.seed("partner", 10_000)
    connector = h.build(daily_api_budget=2)
    pages: list[Page] = []
    with pytest.raises(BudgetExhausted, match="daily_api_budget"):
        pages.extend(connector.read_changes(h.mapping["partner"], None, h.now()))
    assert len(pages) == 2 and h.calls() == 2
    with pytest.raises(BudgetExhausted):
        connector.upsert(h.mapping["partner"], partners(h, 1))
    assert h.calls() == 2
    h.emulator.api_used = 0                                      # the next day
    rest = read(h, h.build(daily_api_budget=10), since=pages[-1].cursor)
    got = [r.crm_id for p in pages for r in p.records] + [r.crm_id for p in rest for r in p.records][1:]
    assert got == ids


# ----- authentication -------------------------------------------------------------------------
def login_settings(h: SalesforceHarness, **auth: Any) -> dict[str, Any]:
    return {"domain": h.emulator.login_domain, "ca_bundle": str(h.emulator.ca_path), **auth}


def test_expired_session_logs_in_again_once_with_password(h: SalesforceHarness) -> None:
    connector = h.build(salesforce=login_settings(
        h, username="prm@example.com", password="secret", security_token="TOKEN"))
    h.seed("partner", 3)
    assert sum(len(p.records) for p in read(h, connector)) == 3
    assert h.calls("POST /") == 1
    h.emulator.expire_session()
    assert sum(len(p.records) for p in read(h, connector)) == 3
    assert h.calls("POST /") == 2
    assert h.calls("queryAll") == 3                          # the refused call, then once again


def test_expired_session_logs_in_again_once_with_jwt(h: SalesforceHarness, tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "jwt.key"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    h.emulator.sessions.config.jwt_public_key = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    connector = h.build(salesforce=login_settings(
        h, username="prm@example.com", consumer_key="emulator-consumer-key", private_key_file=str(key_file)))
    assert connector.upsert(h.mapping["partner"], partners(h, 2))[0].outcome == Outcome.CREATED
    h.emulator.expire_session()
    assert [r.outcome for r in connector.upsert(h.mapping["partner"], partners(h, 2))] == [Outcome.UPDATED] * 2
    assert h.calls("POST /") == 2


def test_a_session_refused_after_the_one_relogin_is_unavailable(h: SalesforceHarness) -> None:
    connector = h.build(salesforce=login_settings(
        h, username="prm@example.com", password="secret", security_token="TOKEN"))
    h.emulator.inject(Fault(path="^/services/data", status=401, count=0))
    with pytest.raises(CrmUnavailable, match="session"):
        read(h, connector)
    assert h.calls("POST /") == 2 and h.calls("queryAll") == 2


def test_expired_session_id_is_unavailable(h: SalesforceHarness) -> None:
    h.emulator.expire_session()
    with pytest.raises(CrmUnavailable):
        read(h)
    assert h.calls() == 1


def test_wrong_password_is_unavailable_without_the_secret_in_the_message(h: SalesforceHarness) -> None:
    connector = h.build(salesforce=login_settings(
        h, username="prm@example.com", password="hunter2-wrong", security_token="TOKEN"))
    with pytest.raises(CrmUnavailable) as info:
        read(h, connector)
    assert "hunter2" not in str(info.value) and "TOKEN" not in str(info.value)


def test_ca_bundle_wins_over_requests_ca_bundle(h: SalesforceHarness, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    import certifi

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())   # a bundle that does not know the emulator
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi.where())
    h.seed("partner", 1)
    assert len(read(h, h.build())) == 1


# ----- writing ----------------------------------------------------------------------------------
def test_mixed_batch_upserts_by_key_and_updates_by_id_in_input_order(h: SalesforceHarness) -> None:
    mapper = h.mapping["partner"]
    crm_side = h.seed("partner", 2, PRM_Id__c=None)              # created in the CRM, no PRM id yet
    gone = h.seed("partner", 1)[0]
    h.delete("partner", gone)
    records = [
        PushRecord(key="new-0", fields=mapper.to_crm("new-0", {"name": "New 0"})),
        PushRecord(key="back-0", fields=mapper.to_crm("back-0", {"name": "Back 0"}), crm_id=crm_side[0]),
        PushRecord(key="new-1", fields=mapper.to_crm("new-1", {"name": "New 1"})),
        PushRecord(key="gone", fields=mapper.to_crm("gone", {"name": "Gone"}), crm_id=gone),
        PushRecord(key="back-1", fields=mapper.to_crm("back-1", {"name": "Back 1"}), crm_id=crm_side[1]),
        PushRecord(key="", fields={"Name": "no key"}),
    ]
    results = h.connector.upsert(mapper, records)
    assert [r.key for r in results] == [r.key for r in records]
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.UPDATED, Outcome.CREATED, Outcome.REJECTED,
                                            Outcome.UPDATED, Outcome.INVALID]
    assert results[1].crm_id == crm_side[0] and h.crm_record("partner", crm_side[0])["PRM_Id__c"] == "back-0"
    assert results[3].message and results[3].message.startswith("ENTITY_IS_DELETED: ")
    assert h.calls(UPSERT_PATH) == 1 and h.calls("PATCH /services/data/v62.0/composite/sobjects") == 2
    assert len(h.emulator.records("Account")) == 4               # no duplicate of the CRM-side records


def test_chunk_refused_whole_is_split_to_isolate_the_bad_record(h: SalesforceHarness) -> None:
    records = partners(h, 6)
    records[4] = PushRecord(key="prm-4", fields={**records[4].fields, "Partner_Since__c": 20260101})
    results = h.connector.upsert(h.mapping["partner"], records)
    assert [r.ok for r in results] == [True, True, True, True, False, True]
    assert results[4].outcome == Outcome.REJECTED and (results[4].message or "").startswith("JSON_PARSER_ERROR")


def test_unsendable_values_are_invalid_without_a_call(h: SalesforceHarness) -> None:
    records = [PushRecord(key="nan", fields={"Name": "x", "Amount__c": Decimal("NaN")}),
               PushRecord(key="obj", fields={"Name": "x", "Bad Field": "x"})]
    results = h.connector.upsert(h.mapping["partner"], records)
    assert [r.outcome for r in results] == [Outcome.INVALID, Outcome.INVALID]
    assert h.calls() == 0


def test_decimal_reaches_salesforce_with_its_exact_digits(h: SalesforceHarness) -> None:
    mapper = h.mapping["commission"]
    amounts = [Decimal("0.10"), Decimal("1234567.89"), Decimal("1234567890123.45"), Decimal("-0.07")]
    records = [PushRecord(key=f"c-{i}", fields={"PRM_Id__c": f"c-{i}", "Amount__c": a, "CurrencyIsoCode": "USD"})
               for i, a in enumerate(amounts)]
    results = h.connector.upsert(mapper, records)
    stored = [h.crm_record("commission", r.crm_id)["Amount__c"] for r in results]
    assert stored == amounts and all(isinstance(s, Decimal) for s in stored)
    client = h.connector.client  # type: ignore[attr-defined]
    rows = client.call(lambda sf: sf.query("SELECT Amount__c FROM Partner_Commission__c ORDER BY PRM_Id__c"))
    pulled = [row["Amount__c"] for row in rows["records"]]
    assert pulled == amounts and all(isinstance(v, Decimal) for v in pulled)   # read with parse_float=Decimal


def test_bulk_upsert_of_2500_with_bad_rows(h: SalesforceHarness) -> None:
    mapper = h.mapping["partner"]
    records = partners(h, 2500, prefix="bulk")
    for index in (7, 1500, 2499):
        records[index] = PushRecord(key=f"bulk-{index}", fields={**records[index].fields, "Partner_Tier__c": "Diamond"})
    records[10] = PushRecord(key="bulk-10", fields={**records[10].fields, "Name": "O'Brien' OR Name != '\\ 🚀 שותף"})
    results = h.connector.upsert(mapper, records)
    assert [r.key for r in results] == [r.key for r in records]
    bad = {i: r for i, r in enumerate(results) if not r.ok}
    assert sorted(bad) == [7, 1500, 2499]
    picklist_error = "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: "
    assert all(r.outcome == Outcome.REJECTED and (r.message or "").startswith(picklist_error) for r in bad.values())
    assert all(r.outcome == Outcome.CREATED and r.crm_id for i, r in enumerate(results) if i not in bad)
    assert len(h.emulator.records("Account")) == 2497
    assert h.crm_record("partner", results[10].crm_id)["Name"] == "O'Brien' OR Name != '\\ 🚀 שותף"
    assert h.calls("composite") == 0 and h.calls("POST /services/data/v62.0/jobs/ingest") == 1
    again = h.connector.upsert(mapper, records[:2001])              # above the threshold again: updates
    assert {r.outcome for i, r in enumerate(again) if i not in bad} == {Outcome.UPDATED}


def test_delete_by_ids(h: SalesforceHarness) -> None:
    ids = h.seed("partner", 3)
    h.delete("partner", ids[2])
    results = h.connector.delete(h.mapping["partner"], [ids[0], "not an id", ids[2], ids[1]])
    assert [r.outcome for r in results] == [Outcome.DELETED, Outcome.INVALID, Outcome.ALREADY_GONE, Outcome.DELETED]
    assert h.emulator.records("Account") == []
    assert h.calls() == 1


def test_emulator_orders_ids_as_salesforce_does_case_sensitively(h: SalesforceHarness) -> None:
    """Emulator fix: ORDER BY Id sorted case-insensitively ('...a0' before '...ZZ'); Ids are base-62
    numbers (0-9A-Za-z) and sort in binary order, which compound (SystemModstamp, Id) cursors rely on."""
    ids = h.seed("partner", 40)
    h.emulator.store.next_number["Account"] = 9_000_000_000 + 62 * 62 - 20   # cross the 'Z' -> 'a' digit
    ids += h.seed("partner", 40)
    client = h.connector.client  # type: ignore[attr-defined]
    rows = client.call(lambda sf: sf.query_all("SELECT Id FROM Account ORDER BY SystemModstamp, Id"))["records"]
    assert [r["Id"] for r in rows] == sorted(ids)
    assert any(i[-5:-3].isupper() for i in ids) and any(i[-5:-3].islower() for i in ids)


def test_bulk_handles_a_mixed_batch_and_counts_its_calls(h: SalesforceHarness) -> None:
    mapper = h.mapping["partner"]
    connector = h.build(salesforce={**h.settings(), "bulk_threshold": 2})
    crm_side = h.seed("partner", 3, PRM_Id__c=None)
    records = partners(h, 3, prefix="bk") + [
        PushRecord(key=f"wb-{i}", fields=mapper.to_crm(f"wb-{i}", {"name": f"W {i}"}), crm_id=crm_id)
        for i, crm_id in enumerate(crm_side)]
    h.reset_calls()
    results = connector.upsert(mapper, records[::2] + records[1::2])         # interleaved kinds
    outcomes = {r.key: (r.outcome, r.crm_id) for r in results}
    assert [r.key for r in results] == [r.key for r in records[::2] + records[1::2]]
    assert all(outcomes[f"bk-{i}"][0] == Outcome.CREATED for i in range(3))
    assert [outcomes[f"wb-{i}"] for i in range(3)] == [(Outcome.UPDATED, crm_id) for crm_id in crm_side]
    assert [h.crm_record("partner", i)["PRM_Id__c"] for i in crm_side] == ["wb-0", "wb-1", "wb-2"]
    assert h.calls("POST /services/data/v62.0/jobs/ingest") == 2 and h.calls("composite") == 0
    assert connector.usage().calls == h.calls()
