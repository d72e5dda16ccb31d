"""SOQL for the change stream, built only through simple-salesforce's `format_soql`.

Values are quoted/escaped by `format_soql`; the mapping's filter is the admin's own SOQL WHERE
fragment and field names come from the compiled mapping (checked to be plain identifiers), so
they are inserted as `:literal`. Datetime literals are unquoted, as SOQL requires. format_soql
drops sub-second digits; cursor bounds must be exact, so `soql_datetime` writes them itself from
a datetime (digits only, `2026-11-26T21:27:33.123Z`) and they go in as `:literal`.

The change query's lower bound is the compound cursor, exactly:
`(SystemModstamp > :m OR (SystemModstamp = :m AND Id >= :id))`, so a pull with no changes reads
one page (holding the cursor's own record) however many rows share the cursor's timestamp.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from simple_salesforce import format_soql

from prm_sync.connector import Cursor, EntityMapper

SYSTEM_FIELDS = ("Id", "SystemModstamp", "IsDeleted")
_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?$")


class BadSoqlName(ValueError):
    """A name from the mapping that is not a SOQL identifier (never sent)."""


def identifier(name: str) -> str:
    if not _IDENT.match(name):
        raise BadSoqlName(f"'{name}' is not a Salesforce field or object name")
    return name


def select_fields(mapper: EntityMapper) -> list[str]:
    names = [*SYSTEM_FIELDS, *mapper.crm_fields_to_read()]
    return [identifier(n) for n in dict.fromkeys(names)]


def answer_spelling(mapper: EntityMapper, names: Iterable[str]) -> dict[str, str]:
    """Field names of an answer (REST JSON keys, a Bulk CSV header) -> the mapping's spelling, where
    they differ. Salesforce's API names are case-insensitive: `SELECT territories__c` is answered
    as `Territories__c`, and the mapper reads each record by the names the mapping gives. Empty
    (nothing to rename, the usual case) when the mapping spells them as the org does."""
    wanted = {name.lower(): name for name in mapper.crm_fields_to_read()}
    return {name: wanted[name.lower()] for name in names
            if name not in SYSTEM_FIELDS and wanted.get(name.lower(), name) != name}


def soql_datetime(value: dt.datetime) -> str:
    """An unquoted SOQL datetime literal in UTC with milliseconds (format_soql would drop them)."""
    if value.tzinfo is None:
        raise ValueError("SOQL datetimes must be timezone-aware")
    utc = value.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _change_conditions(mapper: EntityMapper, since: Cursor | None, until: dt.datetime) -> str:
    conditions = []
    if mapper.filter:
        conditions.append(format_soql("({filter:literal})", filter=mapper.filter))
    if since is not None and since.record_id:
        conditions.append(format_soql(
            "(SystemModstamp > {m:literal} OR (SystemModstamp = {m:literal} AND Id >= {id}))",
            m=soql_datetime(since.modstamp), id=since.record_id))
    elif since is not None:
        conditions.append(format_soql("SystemModstamp >= {m:literal}", m=soql_datetime(since.modstamp)))
    conditions.append(format_soql("SystemModstamp <= {until:literal}", until=soql_datetime(until)))
    return " AND ".join(conditions)


def changes_query(mapper: EntityMapper, since: Cursor | None, until: dt.datetime) -> str:
    """Rows of the mapped object (deleted ones too, via queryAll) with since <= (modstamp, Id) and
    modstamp <= until, in (modstamp, Id) order."""
    return format_soql(
        "SELECT {fields:literal} FROM {obj:literal} WHERE {where:literal} ORDER BY SystemModstamp, Id",
        fields=", ".join(select_fields(mapper)), obj=identifier(mapper.object),
        where=_change_conditions(mapper, since, until),
    )


def bulk_changes_query(mapper: EntityMapper, until: dt.datetime) -> str:
    """A first full read for a Bulk API 2.0 query job: the same fields and filter, no ORDER BY
    (Bulk 2.0 does not take it: it would disable PK chunking)."""
    return format_soql("SELECT {fields:literal} FROM {obj:literal} WHERE {where:literal}",
                       fields=", ".join(select_fields(mapper)), obj=identifier(mapper.object),
                       where=_change_conditions(mapper, None, until))


def deletions_query(mapper: EntityMapper, since: dt.datetime | None) -> str:
    """Deleted rows of the mapped object (queryAll), oldest first; no filter (a deleted row is gone either way)."""
    fields = ["Id", "SystemModstamp"] + ([identifier(mapper.crm_key)] if mapper.crm_key else [])
    where = "IsDeleted = true"
    if since is not None:
        where += format_soql(" AND SystemModstamp >= {since:literal}", since=soql_datetime(since))
    return format_soql(
        "SELECT {fields:literal} FROM {obj:literal} WHERE {where:literal} ORDER BY SystemModstamp, Id",
        fields=", ".join(dict.fromkeys(fields)), obj=identifier(mapper.object), where=where,
    )
