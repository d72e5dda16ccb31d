"""The connector contract suite: the same checks for every CRM connector, importable by its package.

A connector package runs every check in `CHECKS` against its CRM (or the CRM's emulator) through a
`Harness`, e.g. with pytest::

    from prm_sync.connector.testing import CHECKS

    @pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
    def test_contract(check, harness):
        check(harness)

The checks use the partner and lead entities of the harness's mapping, and PRM values only: what
a CRM makes of them is the connector's business. No check needs pytest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, Protocol, cast

from prm_sync.connector.protocol import Connector, PreparedReads
from prm_sync.connector.retry import RetryPolicy
from prm_sync.connector.types import Cursor, FieldKind, Outcome, Page, PushRecord, UpsertResult
from prm_sync.errors import BudgetExhausted, CrmUnavailable
from prm_sync.mapping import CompiledMapping, EntityMapper

#: more records than any CRM takes in one write call (HubSpot 100, Salesforce composite 200)
OVER_THE_API_MAXIMUM = 250

HOSTILE_NAMES = (
    "O'Brien' OR Name != '",
    'Quote " and \\ backslash \\\' end',
    "Emoji 🚀🤝 partner",
    "שותף عربي RTL \u200fmark",
    "%_* wildcard; DROP TABLE x; --",
    "Nguyễn Thị Đông Á — Müller & Söhne — Société Générale",
)

#: PRM values of a registration every CRM mapping can write (the reference is added per check)
LEAD_VALUES: dict[str, Any] = {"company": "Customer Inc", "contact_last_name": "Nguyễn", "status": "submitted"}


class Harness(Protocol):
    """What the suite needs from a CRM: a connector built the way prm-sync builds it, and a way to
    act on the CRM directly (entities are PRM entity names, fields CRM field names)."""

    crm: str
    mapping: CompiledMapping          # the connector's shipped mapping, compiled
    connector: Connector              # built through the `prm_sync.connectors` entry point
    bad_value: tuple[str, Any]        # a partner CRM field and a value the CRM refuses on write
    secrets: tuple[str, ...]          # the credentials in the connector's config

    def build(self, retry: RetryPolicy | None = None, **sync: Any) -> Connector:
        """Another connector on the same CRM; `sync` goes to the config's `sync` section."""
        ...

    def reset(self) -> None:
        """Empty CRM, no faults, counters at 0, clock back at its start, a fresh connector."""

    def now(self) -> dt.datetime:
        """The CRM's clock (timezone-aware)."""
        ...

    def advance(self, seconds: float) -> None:
        """Move the CRM's clock forward."""

    def seed(self, entity: str, n: int) -> list[str]:
        """Create n records matching the entity's mapping filter, CRM-side; their ids in creation order."""
        ...

    def modify(self, entity: str, crm_id: str, crm_field: str, value: Any) -> None: ...

    def delete(self, entity: str, crm_id: str) -> None: ...

    def outage(self) -> None:
        """From now on every API call fails as the CRM does when it is down (HTTP 503)."""

    def calls(self, substring: str = "") -> int:
        """API calls the CRM has answered since the last reset (whose path holds `substring`)."""
        ...

    def reset_calls(self) -> None: ...

    def crm_record(self, entity: str, crm_id: str) -> dict[str, Any]:
        """The record as the CRM holds it: CRM field -> value."""
        ...


Check = Callable[[Harness], None]


# -- helpers -----------------------------------------------------------------------------------------
def read_all(connector: Connector, harness: Harness, entity: str = "partner", since: Cursor | None = None,
             until: dt.datetime | None = None) -> list[Page]:
    return list(connector.read_changes(harness.mapping[entity], since,
                                       until or harness.now() + dt.timedelta(seconds=1)))


def ids_of(pages: Iterable[Page]) -> list[str]:
    return [r.crm_id for page in pages for r in page.records]


def partners(harness: Harness, names: dict[str, str], **extra: Any) -> list[PushRecord]:
    mapper = harness.mapping["partner"]
    return [PushRecord(key=key, fields=mapper.to_crm(key, {"name": name, "tier": "gold", **extra}))
            for key, name in names.items()]


def key_field(mapper: EntityMapper) -> str:
    assert mapper.crm_key, f"{mapper.entity.value} has no crm_key"
    return mapper.crm_key


def crm_field(mapper: EntityMapper, prm_field: str) -> str:
    return next(f.crm for f in mapper.fields if f.name == prm_field)


def _raises(kind: type[Exception], action: Callable[[], object]) -> Exception:
    try:
        action()
    except kind as exc:
        return exc
    raise AssertionError(f"{kind.__name__} was not raised")


# -- reading -----------------------------------------------------------------------------------------
def check_full_read_in_modstamp_id_order_with_cursors(harness: Harness) -> None:
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
    key = key_field(harness.mapping["partner"])
    assert all(str(r.fields[key]).startswith("seed-partner-") for r in records)
    last = pages[-1]
    assert last.cursor is not None and last.cursor.modstamp == records[-1].modstamp
    again = ids_of(read_all(harness.connector, harness, since=last.cursor))
    assert again in ([], [records[-1].crm_id])    # resuming at the cursor: nothing (or the last one) again


def check_incremental_read_since_a_cursor(harness: Harness) -> None:
    first = harness.seed("partner", 3)
    cursor = read_all(harness.connector, harness)[-1].cursor
    assert cursor is not None
    harness.advance(5)
    later = harness.seed("partner", 2)
    harness.advance(1)
    harness.modify("partner", first[0], crm_field(harness.mapping["partner"], "phone"), "+1 555 0100")
    got = [i for i in ids_of(read_all(harness.connector, harness, since=cursor)) if i != first[-1]]
    assert got == [*later, first[0]]              # the record at the cursor itself may come again
    assert all(r.modstamp >= cursor.modstamp
               for p in read_all(harness.connector, harness, since=cursor) for r in p.records)


def check_until_caps_the_read(harness: Harness) -> None:
    early = harness.seed("partner", 2)
    cap = harness.now() + dt.timedelta(seconds=5)
    harness.advance(10)
    harness.seed("partner", 2)
    assert ids_of(read_all(harness.connector, harness, until=cap)) == early


def check_deletions_since_a_time(harness: Harness) -> None:
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


def check_describe_returns_the_mapped_fields_with_kinds(harness: Harness) -> None:
    mapper = harness.mapping["partner"]
    fields = harness.connector.describe(mapper)
    for name in mapper.crm_fields_to_read():
        assert name in fields, name
        assert isinstance(fields[name].kind, FieldKind), name
    assert fields[key_field(mapper)].unique_key
    assert fields[crm_field(mapper, "joined_on")].kind == FieldKind.DATE


# -- writing -----------------------------------------------------------------------------------------
def check_upsert_creates_then_updates_by_key(harness: Harness) -> None:
    mapper = harness.mapping["partner"]
    names = {"prm-a": "Alpha", "prm-b": "Beta", "prm-c": "Gamma"}
    created = harness.connector.upsert(mapper, partners(harness, names))
    assert [r.key for r in created] == list(names)
    assert {r.outcome for r in created} == {Outcome.CREATED} and all(r.crm_id for r in created)
    name_field = crm_field(mapper, "name")
    for result, name in zip(created, names.values(), strict=True):
        assert harness.crm_record("partner", str(result.crm_id))[name_field] == name
    renamed = {key: f"{name} 2" for key, name in reversed(names.items())}
    updated = harness.connector.upsert(mapper, partners(harness, renamed))
    assert [r.key for r in updated] == list(renamed)
    assert {r.outcome for r in updated} == {Outcome.UPDATED}
    assert {r.key: r.crm_id for r in updated} == {r.key: r.crm_id for r in created}
    assert harness.crm_record("partner", str(created[0].crm_id))[name_field] == "Alpha 2"


def check_update_by_crm_id_writes_the_key_to_a_record_made_in_the_crm(harness: Harness) -> None:
    mapper = harness.mapping["partner"]
    (made_in_crm,) = harness.seed("partner", 1)
    fields = mapper.to_crm("prm-from-crm", {"name": "Named by the PRM", "tier": "gold"})
    (result,) = harness.connector.upsert(mapper, [PushRecord("prm-from-crm", fields, crm_id=made_in_crm)])
    assert result.outcome == Outcome.UPDATED and result.crm_id == made_in_crm, result
    record = harness.crm_record("partner", made_in_crm)
    assert record[key_field(mapper)] == "prm-from-crm" and record[crm_field(mapper, "name")] == "Named by the PRM"
    assert ids_of(read_all(harness.connector, harness)) == [made_in_crm]     # updated, not duplicated


def check_invalid_value_is_reported_while_the_others_land(harness: Harness) -> None:
    mapper = harness.mapping["partner"]
    records = partners(harness, {f"prm-{i}": f"Partner {i}" for i in range(5)})
    bad_field, bad_value = harness.bad_value
    records[2] = PushRecord(key="prm-2", fields={**records[2].fields, bad_field: bad_value})
    results = harness.connector.upsert(mapper, records)
    assert [r.key for r in results] == [r.key for r in records]
    assert results[2].outcome in (Outcome.INVALID, Outcome.REJECTED) and results[2].message
    assert all(r.ok and r.crm_id for i, r in enumerate(results) if i != 2)
    assert len(ids_of(read_all(harness.connector, harness))) == 4


def check_batches_over_the_api_maximum(harness: Harness) -> None:
    mapper = harness.mapping["partner"]
    names = {f"prm-many-{i:04d}": f"Partner {i}" for i in range(OVER_THE_API_MAXIMUM)}
    harness.reset_calls()
    results = harness.connector.upsert(mapper, partners(harness, names))
    assert [r.key for r in results] == list(names)
    assert {r.outcome for r in results} == {Outcome.CREATED}
    assert harness.calls() >= 2                   # split as the API requires, never refused whole
    assert len(set(ids_of(read_all(harness.connector, harness)))) == OVER_THE_API_MAXIMUM


def check_delete_by_crm_id(harness: Harness) -> None:
    mapper = harness.mapping["partner"]
    ids = harness.seed("partner", 3)
    harness.delete("partner", ids[2])             # already gone when prm-sync deletes it
    results = harness.connector.delete(mapper, [ids[0], "not an id", ids[2]])
    assert [r.key for r in results] == [ids[0], "not an id", ids[2]]
    assert results[0].outcome == Outcome.DELETED
    assert results[1].outcome == Outcome.INVALID and not results[1].ok
    assert results[2].outcome in (Outcome.DELETED, Outcome.ALREADY_GONE) and results[2].ok
    live = [r.crm_id for p in read_all(harness.connector, harness) for r in p.records if not r.deleted]
    assert live == [ids[1]]                       # (a change stream may report the deleted ones as such)
    assert {d.crm_id for d in harness.connector.read_deletions(mapper, None)} >= {ids[0], ids[2]}


def check_references_reach_the_crm_and_come_back(harness: Harness) -> None:
    partner_mapper, lead_mapper = harness.mapping["partner"], harness.mapping["lead"]
    (partner,) = harness.connector.upsert(partner_mapper, partners(harness, {"prm-ref-p": "Référence GmbH"}))
    assert partner.crm_id
    ref = next(r for r in lead_mapper.references if r.name == "partner_id" and r.push and r.pull)
    lookups = {} if ref.association else {ref.name: partner.crm_id}
    fields = lead_mapper.to_crm("prm-ref-lead", LEAD_VALUES, lookups)
    associations = {ref.name: partner.crm_id} if ref.association else {}
    (lead,) = harness.connector.upsert(lead_mapper, [PushRecord("prm-ref-lead", fields, associations=associations)])
    assert lead.outcome == Outcome.CREATED and lead.crm_id, lead
    (record,) = [r for p in read_all(harness.connector, harness, "lead") for r in p.records]
    if ref.association:
        assert tuple(record.associations.get(ref.name, ())) == (partner.crm_id,)
    else:
        assert lead_mapper.to_prm(record.crm_id, record.fields).references[ref.name] == partner.crm_id


def check_hostile_partner_names_round_trip_byte_identical(harness: Harness) -> None:
    mapper = harness.mapping["partner"]
    harness.seed("partner", 1)
    names = {f"prm-h{i}": name for i, name in enumerate(HOSTILE_NAMES)}
    results = harness.connector.upsert(mapper, partners(harness, names))
    assert all(r.ok for r in results), results
    name_field = crm_field(mapper, "name")
    for result, name in zip(results, names.values(), strict=True):
        assert harness.crm_record("partner", str(result.crm_id))[name_field] == name
    records = [r for p in read_all(harness.connector, harness) for r in p.records]
    assert len(records) == len(names) + 1                     # nothing more: no query was bent
    read_names = {r.fields[key_field(mapper)]: r.fields[name_field] for r in records}
    assert {k: read_names[k] for k in names} == names


def check_a_prepared_read_reads_what_read_changes_reads(harness: Harness) -> None:
    """capabilities.prepares_reads: a first read prepared, then another read, then read, gives the
    pages `read_changes` gives, in no more calls (a connector that does not declare it: nothing)."""
    connector = harness.connector
    if not connector.capabilities.prepares_reads:
        return
    harness.seed("partner", 5)
    harness.advance(1)
    mapper, until = harness.mapping["partner"], harness.now()
    harness.reset_calls()
    plain = list(connector.read_changes(mapper, None, until))
    plain_calls = harness.calls()
    harness.reset_calls()
    prepared = cast(PreparedReads, connector).prepare_changes(mapper, None, until)
    read_all(connector, harness, "lead")           # what the engine pulls meanwhile
    lead_calls = harness.calls()
    assert list(prepared.pages()) == plain
    assert harness.calls() - lead_calls <= plain_calls


# -- failures and limits -----------------------------------------------------------------------------
def check_usage_counts_calls(harness: Harness) -> None:
    harness.seed("partner", 2)
    harness.reset_calls()
    before = harness.connector.usage().calls
    read_all(harness.connector, harness)
    harness.connector.upsert(harness.mapping["partner"], partners(harness, {"prm-u": "U"}))
    assert harness.connector.usage().calls - before == harness.calls() > 0


def check_retries_end_in_crm_unavailable_without_secrets(harness: Harness) -> None:
    attempts = 3
    connector = harness.build(retry=RetryPolicy(attempts=attempts, sleep=lambda _s: None))
    try:
        harness.outage()
        harness.reset_calls()
        error = _raises(CrmUnavailable, lambda: read_all(connector, harness))
        assert harness.calls() == attempts        # retried, then given up: not once, not forever
        pushed: list[UpsertResult] = []
        error2 = _raises(CrmUnavailable, lambda: pushed.extend(
            connector.upsert(harness.mapping["partner"], partners(harness, {"prm-down": "Down"}))))
    finally:
        connector.close()
    for text in (str(error), repr(error), str(error2), str(error.__cause__ or "")):
        for secret in harness.secrets:
            assert secret not in text, f"a credential shows in: {text}"


def check_daily_budget_stops_before_the_call_that_would_pass_it(harness: Harness) -> None:
    budget = 3
    connector = harness.build(daily_api_budget=budget)
    try:
        harness.reset_calls()
        mapper = harness.mapping["partner"]

        def spend() -> None:
            for i in range(budget + 2):
                connector.upsert(mapper, partners(harness, {f"prm-b{i}": f"Budget {i}"}))

        error = _raises(BudgetExhausted, spend)
        assert "daily_api_budget" in str(error)
        assert connector.usage().calls <= budget
        assert 0 < harness.calls() <= budget      # the call that would pass the budget never left
    finally:
        connector.close()


CHECKS: tuple[Check, ...] = (
    check_full_read_in_modstamp_id_order_with_cursors,
    check_incremental_read_since_a_cursor,
    check_until_caps_the_read,
    check_deletions_since_a_time,
    check_a_prepared_read_reads_what_read_changes_reads,
    check_describe_returns_the_mapped_fields_with_kinds,
    check_upsert_creates_then_updates_by_key,
    check_update_by_crm_id_writes_the_key_to_a_record_made_in_the_crm,
    check_invalid_value_is_reported_while_the_others_land,
    check_batches_over_the_api_maximum,
    check_delete_by_crm_id,
    check_references_reach_the_crm_and_come_back,
    check_hostile_partner_names_round_trip_byte_identical,
    check_usage_counts_calls,
    check_retries_end_in_crm_unavailable_without_secrets,
    check_daily_budget_stops_before_the_call_that_would_pass_it,
)
