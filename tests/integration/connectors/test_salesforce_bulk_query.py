"""First full reads above `bulk_query_threshold` go through a Bulk API 2.0 query job.

Real simple-salesforce over HTTPS against the emulator, which serves query jobs as Salesforce
does (UploadComplete -> InProgress -> JobComplete, CSV result pages behind Sforce-Locator).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from connectors.salesforce import pull
from connectors.salesforce.bulk_query import FIRST_POLL_S, BulkQuerySettings, csv_lines, csv_rows, wait_for_job
from prm_sync.connector import Connector, CrmRecord, Cursor, Page, PreparedReads
from tests.integration.connectors.harness_salesforce import SalesforceHarness, open_harness

V = "/services/data/v62.0"


@pytest.fixture(scope="module")
def running() -> Iterator[SalesforceHarness]:
    with open_harness() as harness:
        yield harness


@pytest.fixture
def h(running: SalesforceHarness) -> SalesforceHarness:
    running.reset()
    return running


def bulk_connector(h: SalesforceHarness, threshold: int, page: int = 50_000, unit: int = 2_000) -> Connector:
    connector = h.build(salesforce={**h.settings(), "bulk_query_threshold": threshold})
    assert connector.bulk_query.threshold == threshold  # type: ignore[attr-defined]  # from the config
    connector.bulk_query = BulkQuerySettings(threshold=threshold, first_wait_s=0.01,  # type: ignore[attr-defined]
                                             max_records=page, unit_size=unit)
    return connector


def read(h: SalesforceHarness, connector: Connector, entity: str = "partner", since: Cursor | None = None
         ) -> list[Page]:
    try:
        return list(connector.read_changes(h.mapping[entity], since, h.now() + dt.timedelta(seconds=1)))
    finally:
        connector.close()


def by_id(pages: list[Page]) -> dict[str, CrmRecord]:
    return {r.crm_id: r for p in pages for r in p.records}


def test_a_first_read_above_the_threshold_is_one_job_polled_and_one_call_per_result_page(
        h: SalesforceHarness) -> None:
    ids = h.seed("partner", 25)
    h.advance(5)
    h.modify("partner", ids[3], "Name", "Later")   # a newer modstamp in the middle of the Id order
    h.advance(5)
    h.delete("partner", ids[7])                     # queryAll: the deletion comes in the same read
    h.reset_calls()

    pages = read(h, bulk_connector(h, threshold=10, page=10, unit=7))

    counters = h.emulator.counters
    assert counters[f"GET {V}/queryAll"] == 1       # the first REST page: its totalSize says "bulk"
    assert counters[f"POST {V}/jobs/query"] == 1
    assert counters[f"GET {V}/jobs/query/{{id}}"] == 2          # UploadComplete -> InProgress -> JobComplete
    assert counters[f"GET {V}/jobs/query/{{id}}/results"] == 3  # 25 rows, 10 a page
    assert sum(counters.values()) == 7
    assert [len(p.records) for p in pages] == [7, 7, 7, 4]
    records = by_id(pages)
    assert sorted(records) == sorted(ids)
    assert records[ids[7]].deleted and not records[ids[6]].deleted
    # no order in a Bulk result: only the last page moves the cursor, to the highest (modstamp, Id)
    assert [p.cursor for p in pages[:-1]] == [None, None, None]
    last = records[ids[7]]
    assert pages[-1].cursor == Cursor(last.modstamp, last.crm_id)


def test_at_or_below_the_threshold_and_with_a_cursor_the_rest_read_stays(h: SalesforceHarness) -> None:
    h.seed("partner", 10)
    h.reset_calls()
    pages = read(h, bulk_connector(h, threshold=10))
    assert len(by_id(pages)) == 10
    assert h.calls("jobs/query") == 0 and h.calls() == 1
    h.reset_calls()
    pages = read(h, bulk_connector(h, threshold=1), since=pages[-1].cursor)
    assert h.calls("jobs/query") == 0 and h.calls() == 1


def test_a_query_job_is_first_polled_after_at_most_first_poll_s(h: SalesforceHarness) -> None:
    """The ingest wait (1 s from the CLI) would put a query job's polls at 1 s and 3 s."""
    assert h.build(bulk_wait_s=1.0).bulk_query.first_wait_s == FIRST_POLL_S < 1.0  # type: ignore[attr-defined]
    assert h.build(bulk_wait_s=0.01).bulk_query.first_wait_s == 0.01  # type: ignore[attr-defined]


def _seed_changes(h: SalesforceHarness) -> list[str]:
    ids = h.seed("partner", 25)
    h.advance(5)
    h.modify("partner", ids[3], "Name", "Later")
    h.advance(5)
    h.delete("partner", ids[7])
    h.seed("deal", 3, Partner_Account__c=ids[0])
    h.advance(1)
    return ids


@pytest.mark.parametrize("threshold", [10, 100], ids=["bulk", "rest"])
def test_a_prepared_read_gives_the_pages_of_an_unprepared_one_in_no_more_calls(
        h: SalesforceHarness, threshold: int) -> None:
    """Prepared (first REST page, job create), then other reads (the entity ahead of it being
    pulled), then read: the same pages, records and cursor; a job prepared early is polled once."""
    _seed_changes(h)
    until = h.now()
    connector = bulk_connector(h, threshold=threshold, page=10, unit=7)
    assert connector.capabilities.prepares_reads
    h.reset_calls()
    plain = list(connector.read_changes(h.mapping["partner"], None, until))
    plain_calls = dict(h.emulator.counters)

    h.reset_calls()
    prepared = connector.prepare_changes(h.mapping["partner"], None, until)  # type: ignore[attr-defined]
    assert h.calls("/jobs/query") == (threshold == 10) and h.calls("queryAll") == 1
    before_deals = dict(h.emulator.counters)
    deals = list(connector.read_changes(h.mapping["deal"], None, until))   # what the engine pulls meanwhile
    assert sum(len(p.records) for p in deals) == 3
    h.reset_calls()
    pages = list(prepared.pages())
    connector.close()
    calls = {k: h.emulator.counters.get(k, 0) + before_deals.get(k, 0)
             for k in {*h.emulator.counters, *before_deals}}

    assert pages == plain
    assert sum(len(p.records) for p in pages) == 25 and pages[-1].cursor is not None
    polls = f"GET {V}/jobs/query/{{id}}"
    if threshold == 10:
        assert plain_calls[polls] == 2 and calls[polls] == 1   # the job worked while the deals were read
        assert sum(calls.values()) == sum(plain_calls.values()) - 1
    else:
        assert calls == plain_calls   # REST: the first page read earlier, the rest as ever
    with pytest.raises(RuntimeError, match="read once"):
        next(iter(prepared.pages()))


def test_a_prepared_read_with_a_cursor_reads_rest_as_read_changes_does(h: SalesforceHarness) -> None:
    ids = _seed_changes(h)
    connector = bulk_connector(h, threshold=1)
    mapper, until = h.mapping["partner"], h.now()
    since = Cursor(h.now() - dt.timedelta(seconds=6), ids[0])
    plain = list(connector.read_changes(mapper, since, until))
    h.reset_calls()
    pages = list(connector.prepare_changes(mapper, since, until).pages())  # type: ignore[attr-defined]
    connector.close()
    assert pages == plain and {r.crm_id for p in pages for r in p.records} == {ids[3], ids[7]}
    assert h.calls() == 1 and h.calls("jobs/") == 0


def test_a_prepared_read_never_read_is_abandoned_without_a_call(h: SalesforceHarness) -> None:
    """The run stopped before the entity's turn: the job is left to Salesforce (deleted there 7 days
    after it finished), no abort is sent, and the calls made are the prepare's two."""
    _seed_changes(h)
    connector = bulk_connector(h, threshold=10)
    h.reset_calls()
    prepared = connector.prepare_changes(h.mapping["partner"], None, h.now())  # type: ignore[attr-defined]
    del prepared
    connector.close()
    assert h.calls() == 2 and connector.usage().calls == 2
    job = h.emulator.jobs.items[max(i for i, j in h.emulator.jobs.items.items() if j.kind == "query")]
    assert job.info["state"] == "UploadComplete" and job.rows_ready.wait(5)


def test_a_prepared_rest_page_older_than_its_query_locator_lives_is_asked_again(h: SalesforceHarness) -> None:
    """Salesforce drops an unused query locator after 15 minutes: a prepared first page with more
    behind it, older than QUERY_LOCATOR_KEEP_S, is read again (one call more) rather than followed."""
    h.seed("partner", 450)
    h.advance(1)
    h.emulator.page_size = 200
    connector = bulk_connector(h, threshold=100_000)
    client, mapper, until = connector.client, h.mapping["partner"], h.now()  # type: ignore[attr-defined]
    now = [0.0]
    try:
        fresh = pull.prepare_changes(client, mapper, None, until, clock=lambda: now[0])
        stale = pull.prepare_changes(client, mapper, None, until, clock=lambda: now[0])
        h.reset_calls()
        now[0] = pull.QUERY_LOCATOR_KEEP_S - 1
        fresh_pages = list(fresh.pages())
        assert h.calls() == 2
        h.reset_calls()
        now[0] = pull.QUERY_LOCATOR_KEEP_S + 1
        stale_pages = list(stale.pages())
        assert h.calls() == 3
    finally:
        h.emulator.page_size = 2000
        connector.close()
    assert stale_pages == fresh_pages and sum(len(p.records) for p in fresh_pages) == 450


def test_a_prepared_jobs_first_poll_waits_only_what_is_left_of_the_first_wait(h: SalesforceHarness) -> None:
    _seed_changes(h)
    connector = bulk_connector(h, threshold=10)
    client = connector.client  # type: ignore[attr-defined]
    waits: list[float] = []
    job_id = pull.create_job(client, "SELECT Id FROM Account")
    assert wait_for_job(client, job_id, 0.5, sleep=waits.append, age_s=0.2) == 2
    job_id = pull.create_job(client, "SELECT Id FROM Account")
    assert wait_for_job(client, job_id, 0.5, sleep=waits.append, age_s=3.0) == 2
    job_id = pull.create_job(client, "SELECT Id FROM Account")
    assert wait_for_job(client, job_id, 0.5, sleep=waits.append) == 2
    connector.close()
    assert waits == [pytest.approx(0.3), 1.0, 0.0, 1.0, 0.5, 1.0]


def test_the_salesforce_connector_is_a_prepared_reads_connector(h: SalesforceHarness) -> None:
    connector = h.build()
    prepared: PreparedReads = connector  # type: ignore[assignment]
    assert connector.capabilities.prepares_reads and callable(prepared.prepare_changes)
    connector.close()


LEADS: list[dict[str, Any]] = [
    {"LastName": "Nguyễn Thị Minh Khai", "FirstName": "Đặng", "Company": "Công ty Đông Á",
     "Estimated_Value__c": Decimal("1234.50"), "IsConverted": True, "Expected_Close_Date__c": "2026-12-31",
     "Products__c": 'Zeile 1\nZeile 2, "zitiert"\r\nZeile 3'},
    {"LastName": "Müller-Lüdenscheidt", "FirstName": None, "Company": "Grüße & Söhne GmbH",
     "Estimated_Value__c": None, "IsConverted": False, "Expected_Close_Date__c": None, "Products__c": None,
     "Website": "https://bücher.example"},
    {"LastName": "Lefèvre", "FirstName": "Élodie", "Company": "Société Générale d'Équipement",
     "Estimated_Value__c": Decimal("0.01"), "IsConverted": False, "Expected_Close_Date__c": "2027-01-02",
     "Products__c": "", "Email": "elodie@example.fr", "CurrencyIsoCode": "EUR"},
    {"LastName": "Big", "Company": "Round", "Estimated_Value__c": Decimal("1000000"), "IsConverted": True},
]


def test_bulk_and_rest_read_the_same_records(h: SalesforceHarness) -> None:
    partner = h.seed("partner", 1)[0]
    for i, values in enumerate(LEADS * 3):
        converted = values.get("IsConverted")
        writable = {k: v for k, v in values.items() if k != "IsConverted"}
        (lead,) = h.seed("lead", 1, **{**writable, "Partner_Account__c": partner if i % 2 else None})
        with h.emulator.lock:   # read-only in the API (set by lead conversion)
            h.emulator.store.records["Lead"][lead]["IsConverted"] = converted
    h.advance(1)
    rest = by_id(read(h, bulk_connector(h, threshold=100_000), "lead"))
    h.reset_calls()
    bulk = by_id(read(h, bulk_connector(h, threshold=5), "lead"))
    assert h.calls("jobs/query") >= 1
    assert len(rest) == len(LEADS) * 3
    assert bulk == rest
    first = next(r for r in rest.values() if r.fields["LastName"] == "Nguyễn Thị Minh Khai")
    assert first.fields["Products__c"] == 'Zeile 1\nZeile 2, "zitiert"\r\nZeile 3'
    assert first.fields["Estimated_Value__c"] == Decimal("1234.50") and first.fields["IsConverted"] is True


def test_the_csv_parser_streams_lines_from_byte_chunks() -> None:
    served: list[int] = []

    def endless() -> Iterator[bytes]:
        yield 'Id,Name,Note\n"1","Đông Á","a\nb"\n'.encode()[:20]   # cut inside a quoted field...
        yield 'Id,Name,Note\n"1","Đông Á","a\nb"\n'.encode()[20:]
        n = 2
        while True:                                                  # ...then a result without end
            served.append(n)
            yield f'"{n}","Müller","x"\n'.encode()[:5]
            yield f'"{n}","Müller","x"\n'.encode()[5:]
            n += 1

    rows = csv_rows(csv_lines(endless()))
    assert next(rows) == {"Id": "1", "Name": "Đông Á", "Note": "a\nb"}
    assert next(rows) == {"Id": "2", "Name": "Müller", "Note": "x"}
    assert len(served) <= 2       # read as it comes: an endless page still gives its first rows


def test_a_multibyte_character_cut_between_chunks_is_joined() -> None:
    data = 'Id,Name\r\n"1","Nguyễn"\r\n"2",""\r\n'.encode()
    chunks = [data[i:i + 1] for i in range(len(data))]
    assert list(csv_rows(csv_lines(iter(chunks)))) == [{"Id": "1", "Name": "Nguyễn"}, {"Id": "2", "Name": ""}]


def test_the_one_pass_row_reader_makes_the_records_of_the_general_path() -> None:
    """`row_reader` (one dict per CSV row, planned once per page) against the general path
    (`typed_fields` then the REST `to_record`): typed kinds, empty cells, text that does not
    read as its kind, a nested relationship, a deleted row, and a short row."""
    from connectors.salesforce.bulk_query import row_reader, typed_fields
    from connectors.salesforce.pull import parse_sf_datetime, to_record

    header = ["Id", "Name", "Amount__c", "Seats__c", "Active__c", "Owner.Email", "Owner.Name", "SystemModstamp",
              "IsDeleted"]
    kinds = {"Name": "string", "Amount__c": "decimal", "Seats__c": "int", "Active__c": "bool"}
    rows = [
        ["a1", "Acme", "12.50", "3", "true", "o@x.com", "", "2026-01-02T03:04:05.000+0000", "false"],
        ["a2", "", "", "", "", "", "", "2026-01-02T03:04:06.000Z", "true"],
        ["a3", "Bad", "lots", "2.5", "FALSE", "", "Ann", "2026-01-02T03:04:07.000+0000", "false"],
        ["a4", "Short", "1"],
    ]

    def general(row: list[str]) -> CrmRecord:
        cells = dict(zip(header, row, strict=False))
        fields = typed_fields(cells, kinds)
        fields["IsDeleted"] = cells.get("IsDeleted") == "true"
        return to_record(fields)

    read = row_reader(header, kinds, to_record, parse_sf_datetime)
    for row in rows[:3]:
        assert read(row) == general(row)
        assert list(read(row).fields) == list(general(row).fields)  # the same order as well
    first, second, third = (read(row) for row in rows[:3])
    assert first.fields == {"Name": "Acme", "Amount__c": Decimal("12.50"), "Seats__c": 3, "Active__c": True,
                            "Owner": {"Email": "o@x.com", "Name": None}}
    assert second.deleted and second.fields["Owner"] is None and second.fields["Amount__c"] is None
    assert third.fields["Amount__c"] == "lots" and third.fields["Seats__c"] == Decimal("2.5")
    assert third.modstamp == dt.datetime(2026, 1, 2, 3, 4, 7, tzinfo=dt.UTC)
    with pytest.raises(KeyError):  # a short row takes the general path, which needs SystemModstamp
        read(rows[3])
