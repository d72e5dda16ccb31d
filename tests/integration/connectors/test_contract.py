"""The connector contract, the same scenarios for every CRM (harnesses.py lists them).

Each test drives the real SDK over HTTP against the CRM's emulator, through a connector built
from the `prm_sync.connectors` entry point. Scenarios use the shipped mapping's `partner`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prm_sync.connector import Connector, Cursor, Outcome, Page, PushRecord

HOSTILE_NAMES = (
    "O'Brien' OR Name != '",
    'Quote " and \\ backslash \\\' end',
    "Emoji 🚀🤝 partner",
    "שותף عربي RTL ‏mark",
    "%_* wildcard; DROP TABLE x; --",
)


def read_all(connector: Connector, harness: Any, since: Cursor | None = None,
             until: dt.datetime | None = None) -> list[Page]:
    return list(connector.read_changes(harness.mapping["partner"], since,
                                       until or harness.now() + dt.timedelta(seconds=1)))


def ids_of(pages: list[Page]) -> list[str]:
    return [r.crm_id for page in pages for r in page.records]


def push(harness: Any, names: dict[str, str], **extra: Any) -> list[PushRecord]:
    mapper = harness.mapping["partner"]
    return [
        PushRecord(key=key, fields=mapper.to_crm(key, {"name": name, "tier": "gold", **extra}))
        for key, name in names.items()
    ]


def test_full_read_in_modstamp_id_order_with_cursors(harness):
    seeded = harness.seed("partner", 3)
    harness.advance(1)
    seeded += harness.seed("partner", 4)          # 4 records sharing one timestamp
    harness.advance(2)
    seeded += harness.seed("partner", 3)
    pages = read_all(harness.connector, harness)
    records = [r for page in pages for r in page.records]
    assert [r.crm_id for r in records] == seeded
    stamps = [r.modstamp for r in records]
    assert stamps == sorted(stamps) and all(s.tzinfo is not None for s in stamps)
    key = harness.mapping["partner"].crm_key
    assert all(r.fields[key].startswith("seed-partner-") for r in records)
    last = pages[-1]
    assert last.cursor is not None and last.cursor.modstamp == records[-1].modstamp
    again = ids_of(read_all(harness.connector, harness, since=last.cursor))
    assert again in ([], [records[-1].crm_id])    # resuming at the cursor: nothing (or the last one) again


def test_incremental_read_since_a_cursor(harness):
    first = harness.seed("partner", 3)
    cursor = read_all(harness.connector, harness)[-1].cursor
    harness.advance(5)
    later = harness.seed("partner", 2)
    harness.advance(1)
    harness.modify("partner", first[0], "phone", "+1 555 0100")
    got = ids_of(read_all(harness.connector, harness, since=cursor))
    got = [i for i in got if i != first[-1]]     # the record at the cursor itself may come again
    assert got == [*later, first[0]]
    assert all(r.modstamp >= cursor.modstamp
               for p in read_all(harness.connector, harness, since=cursor) for r in p.records)


def test_until_caps_the_read(harness):
    early = harness.seed("partner", 2)
    cap = harness.now() + dt.timedelta(seconds=5)
    harness.advance(10)
    harness.seed("partner", 2)
    assert ids_of(read_all(harness.connector, harness, until=cap)) == early


def test_upsert_creates_then_updates_by_key(harness):
    mapper = harness.mapping["partner"]
    names = {"prm-a": "Alpha", "prm-b": "Beta", "prm-c": "Gamma"}
    created = harness.connector.upsert(mapper, push(harness, names))
    assert [r.key for r in created] == list(names)
    assert {r.outcome for r in created} == {Outcome.CREATED} and all(r.crm_id for r in created)
    name_field = mapper.fields[[f.name for f in mapper.fields].index("name")].crm
    for result, name in zip(created, names.values(), strict=True):
        assert harness.crm_record("partner", result.crm_id)[name_field] == name
    renamed = {key: f"{name} 2" for key, name in reversed(names.items())}
    updated = harness.connector.upsert(mapper, push(harness, renamed))
    assert [r.key for r in updated] == list(renamed)
    assert {r.outcome for r in updated} == {Outcome.UPDATED}
    assert {r.key: r.crm_id for r in updated} == {r.key: r.crm_id for r in created}
    assert harness.crm_record("partner", created[0].crm_id)[name_field] == "Alpha 2"


def test_invalid_value_is_reported_while_the_others_land(harness):
    mapper = harness.mapping["partner"]
    records = push(harness, {f"prm-{i}": f"Partner {i}" for i in range(5)})
    bad_field, bad_value = harness.bad_value
    records[2] = PushRecord(key="prm-2", fields={**records[2].fields, bad_field: bad_value})
    results = harness.connector.upsert(mapper, records)
    assert [r.key for r in results] == [r.key for r in records]
    bad = results[2]
    assert bad.outcome in (Outcome.INVALID, Outcome.REJECTED) and bad.message
    assert all(r.ok and r.crm_id for i, r in enumerate(results) if i != 2)
    assert len(ids_of(read_all(harness.connector, harness))) == 4


def test_deletions_since_a_time(harness):
    ids = harness.seed("partner", 3)
    harness.delete("partner", ids[0])
    harness.advance(5)
    since = harness.now()
    harness.advance(5)
    harness.delete("partner", ids[1])
    deletions = list(harness.connector.read_deletions(harness.mapping["partner"], since))
    assert [d.crm_id for d in deletions] == [ids[1]]
    assert deletions[0].deleted_at >= since
    everything = {d.crm_id for d in harness.connector.read_deletions(harness.mapping["partner"], None)}
    assert everything == {ids[0], ids[1]}


def test_describe_returns_the_mapped_fields_with_kinds(harness):
    mapper = harness.mapping["partner"]
    fields = harness.connector.describe(mapper)
    for name in mapper.crm_fields_to_read():
        assert name in fields, name
        assert fields[name].kind in {"string", "int", "decimal", "bool", "date", "datetime", "email", "url"}
    assert fields[mapper.crm_key].unique_key
    date_field = next(f.crm for f in mapper.fields if f.name == "joined_on")
    assert fields[date_field].kind == "date"


def test_usage_counts_calls(harness):
    harness.seed("partner", 2)
    harness.reset_calls()
    before = harness.connector.usage().calls
    read_all(harness.connector, harness)
    harness.connector.upsert(harness.mapping["partner"], push(harness, {"prm-u": "U"}))
    assert harness.connector.usage().calls - before == harness.calls() > 0


def test_hostile_partner_names_round_trip_byte_identical(harness):
    mapper = harness.mapping["partner"]
    harness.seed("partner", 1)
    names = {f"prm-h{i}": name for i, name in enumerate(HOSTILE_NAMES)}
    results = harness.connector.upsert(mapper, push(harness, names))
    assert all(r.ok for r in results), results
    name_field = next(f.crm for f in mapper.fields if f.name == "name")
    for result, name in zip(results, names.values(), strict=True):
        assert harness.crm_record("partner", result.crm_id)[name_field] == name
    records = [r for p in read_all(harness.connector, harness) for r in p.records]
    assert len(records) == len(names) + 1                     # nothing more: no query was bent
    read_names = {r.fields[mapper.crm_key]: r.fields[name_field] for r in records}
    assert {k: read_names[k] for k in names} == names
