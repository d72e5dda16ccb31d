"""The PRM rows behind each synced entity: which table, how to read and write mapped values."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import inspect as sa_inspect

from prm_sync.domain.fields import Entity
from prm_sync.mapping import EntityMapper
from prm_sync.store import CommissionLine, Deal, FundClaim, FundRequest, Partner, PartnerContact, Registration
from prm_sync.sync.merge import FieldRule, canon

SyncedRow = Partner | PartnerContact | FundRequest | FundClaim | Registration | Deal | CommissionLine

TABLES: dict[Entity, type[SyncedRow]] = {
    Entity.PARTNER: Partner,
    Entity.PARTNER_CONTACT: PartnerContact,
    Entity.FUND_REQUEST: FundRequest,
    Entity.FUND_CLAIM: FundClaim,
    Entity.LEAD: Registration,
    Entity.DEAL: Deal,
    Entity.COMMISSION: CommissionLine,
}

#: entities whose rows record why they were deleted (SoftDeleted.deleted_reason); a commission
#: line has its deletion time only
KEEPS_DELETED_REASON: frozenset[str] = frozenset(
    e.value for e, table in TABLES.items() if "deleted_reason" in table.model_fields)


def deleted_reason(entity: str, row: Any) -> str | None:
    """Why a deleted row (stored or draft) of `entity` was deleted, when its table records it."""
    return row.deleted_reason if entity in KEEPS_DELETED_REASON else None


def set_deleted_reason(entity: str, row: Any, reason: str | None) -> None:
    if entity in KEEPS_DELETED_REASON:
        row.deleted_reason = reason


#: id(mapper) -> (the mapper, its rules); the mapper is kept so that its id is not reused meanwhile
_RULES: dict[int, tuple[EntityMapper, tuple[FieldRule, ...]]] = {}


def rules(mapper: EntityMapper) -> tuple[FieldRule, ...]:
    """Merge rules for the mapped fields and references (references merge like fields). Made once
    per mapper: an incremental pull asks twice per updated record, a push once per record. (By
    identity: a mapper is not hashable, its constants being a dict.)"""
    known = _RULES.get(id(mapper))
    if known is not None and known[0] is mapper:
        return known[1]
    made = tuple(FieldRule(f.name, f.pull, f.push) for f in mapper.fields) + \
        tuple(FieldRule(r.name, r.pull, r.push) for r in mapper.references)
    if len(_RULES) >= 64:  # a few mappers per run in practice; bounded all the same
        _RULES.clear()
    _RULES[id(mapper)] = (mapper, made)
    return made


def snapshot(row: SyncedRow, names: Iterable[str]) -> dict[str, str | None]:
    """Canonical text of the row's values for `names`."""
    return {name: canon(getattr(row, name, None)) for name in names}


#: a new link's `crm_hash` until it is written: the hash of its `base` (what the CRM record held), taken
#: at the INSERT (sync/inserts.py; by the writer process when it writes: sync/writer.py). Never stored.
HASH_OF_BASE = "(the hash of base)"


def hash_new_links(links: Iterable[Any]) -> None:
    """Take the hash of each new link (HASH_OF_BASE) now: what its INSERT would take (the run's
    process does this for the writer process when it would otherwise wait for it)."""
    for link in links:
        link.crm_hash = crm_hash_of(link.base, link.crm_hash)


def crm_hash_of(base: Any, crm_hash: str | None) -> str | None:
    """A link's CRM hash from its `base` and `crm_hash` columns, a new link's too (HASH_OF_BASE)."""
    return digest(base) if crm_hash == HASH_OF_BASE else crm_hash


def digest(values: Mapping[str, str | None]) -> str:
    """SHA-256 (first 32 hex digits) of each key, then \\x01 for None or \\x02 and the value's UTF-8
    (lone surrogates passed through), then \\x00, in key order. Built as one text and encoded once:
    the same bytes as hashing part by part (a pull hashes every record it creates, and the records
    of an entity share their keys: their order and texts are worked out once, `_digest_plan`)."""
    text = "".join([none if (value := values[key]) is None else f"{prefix}{value}\x00"
                    for key, none, prefix in _digest_plan(tuple(values))])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


_DIGEST_PLANS: dict[tuple[str, ...], tuple[tuple[str, str, str], ...]] = {}


def _digest_plan(keys: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """Each key in sorted order, with its text when the value is None and the text before a value."""
    plan = _DIGEST_PLANS.get(keys)
    if plan is None:
        if len(_DIGEST_PLANS) >= 256:  # a few key sets per entity in practice; bounded all the same
            _DIGEST_PLANS.clear()
        plan = _DIGEST_PLANS[keys] = tuple((key, f"{key}\x01\x00", f"{key}\x02") for key in sorted(keys))
    return plan


@cache
def column_defaults(table: type[Any]) -> dict[str, tuple[bool, Any]]:
    """Column name -> (nullable, python default or None) for the columns sync may write."""
    out: dict[str, tuple[bool, Any]] = {}
    for column in sa_inspect(table).columns:
        default = column.default.arg if column.default is not None and not callable(column.default.arg) else None
        out[column.key] = (bool(column.nullable), default)
    return out


def assign(row: SyncedRow, name: str, value: Any, defaults: Mapping[str, tuple[bool, Any]]) -> str | None:
    """Set one mapped value; an empty value for a NOT NULL column takes the column default.
    Returns a problem message when the row cannot hold the value."""
    nullable, default = defaults.get(name, (True, None))
    if value is None and not nullable:
        if default is None:
            return f"{name} is required by the PRM store but empty in the CRM"
        value = default
    setattr(row, name, value)
    return None


@dataclass(frozen=True)
class ColumnRules:
    """What a new row needs: the columns the sync may set from mapped values, those that must
    get a value (NOT NULL, no default), and those whose default stands in for an empty value."""

    columns: frozenset[str]
    required: tuple[str, ...]
    defaulted: frozenset[str]


_SET_BY_SYNC = ("id", "created_at", "updated_at")


@cache
def column_rules(table: type[SyncedRow]) -> ColumnRules:
    defaults = column_defaults(table)
    return ColumnRules(
        columns=frozenset(defaults),
        required=tuple(n for n, (nullable, default) in defaults.items()
                       if not nullable and default is None and n not in _SET_BY_SYNC),
        defaulted=frozenset(n for n, (nullable, default) in defaults.items() if not nullable and default is not None),
    )
