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

from connectors.salesforce.bulk_query import FIRST_POLL_S, BulkQuerySettings, csv_lines, csv_rows
from prm_sync.connector import Connector, CrmRecord, Cursor, Page
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
