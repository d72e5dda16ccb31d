"""SOQL for the change stream, built only through simple-salesforce's `format_soql`.

Values are quoted/escaped by `format_soql`; the mapping's filter is the admin's own SOQL WHERE
fragment and field names come from the compiled mapping (checked to be plain identifiers), so
they are inserted as `:literal`. Datetime literals are unquoted, as SOQL requires; format_soql
drops sub-second digits, so the window is widened to whole seconds here and narrowed back to the
exact (modstamp, id) bounds by the reader.
"""

from __future__ import annotations

import datetime as dt
import re

from simple_salesforce import format_soql

from prm_sync.mapping import EntityMapper

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


def floor_second(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(microsecond=0)


def ceil_second(value: dt.datetime) -> dt.datetime:
    floored = floor_second(value)
    return floored if floored == value else floored + dt.timedelta(seconds=1)


def changes_query(mapper: EntityMapper, since: dt.datetime | None, until: dt.datetime) -> str:
    """Rows of the mapped object (deleted ones too, via queryAll) in [since, until], (modstamp, Id) order."""
    conditions = []
    if mapper.filter:
        conditions.append(format_soql("({filter:literal})", filter=mapper.filter))
    if since is not None:
        conditions.append(format_soql("SystemModstamp >= {since}", since=floor_second(since)))
    conditions.append(format_soql("SystemModstamp <= {until}", until=ceil_second(until)))
    return format_soql(
        "SELECT {fields:literal} FROM {obj:literal} WHERE {where:literal} ORDER BY SystemModstamp, Id",
        fields=", ".join(select_fields(mapper)), obj=identifier(mapper.object), where=" AND ".join(conditions),
    )


def deletions_query(mapper: EntityMapper, since: dt.datetime | None) -> str:
    """Deleted rows of the mapped object (queryAll), oldest first; no filter (a deleted row is gone either way)."""
    fields = ["Id", "SystemModstamp"] + ([identifier(mapper.crm_key)] if mapper.crm_key else [])
    where = "IsDeleted = true"
    if since is not None:
        where += format_soql(" AND SystemModstamp >= {since}", since=floor_second(since))
    return format_soql(
        "SELECT {fields:literal} FROM {obj:literal} WHERE {where:literal} ORDER BY SystemModstamp, Id",
        fields=", ".join(dict.fromkeys(fields)), obj=identifier(mapper.object), where=where,
    )
