"""`partners list` as a plain read: SQL through the DB-API driver, no ORM (issue 17, CLI start-up).

The same answer as `list_partners` + `contract_flags` (tests compare both on both stores): the same
filters and order, the flags from the same rule (prm_sync.domain.contracts.partner_contract_flags).
Only the columns the list shows are read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prm_sync.domain.contracts import ContractTerms, PartnerContract, partner_contract_flags
from prm_sync.store.plainread import PlainStore

LISTED = ("id", "name", "tier", "status", "country", "channel_manager", "territories")


def partner_list_rows(store: PlainStore, *, status: str | None = None, tier: str | None = None,
                      today: dt.date) -> list[dict[str, Any]]:
    """The live partners (optionally of one status and/or tier) by name key then id, each with its
    LISTED columns and its contract `flag` (None: no flag)."""
    where, params = ["deleted_at IS NULL"], []
    if status:
        where.append("status = ?")
        params.append(status)
    if tier:
        where.append("tier = ?")
        params.append(tier)
    chosen = " AND ".join(where)
    partners = store.rows(f"SELECT {', '.join(LISTED)} FROM partner WHERE {chosen} ORDER BY name_key, id", params)
    contracts = store.rows(
        "SELECT partner_id, state, starts_on, ends_on, auto_renew, notice_days FROM contract "
        f"WHERE partner_id IN (SELECT id FROM partner WHERE {chosen}) ORDER BY starts_on, id", params)
    flags = partner_contract_flags(
        (PartnerContract(pid, state, ContractTerms(_date(starts), _date(ends) if ends is not None else None,
                                                   bool(auto_renew), notice_days))
         for pid, state, starts, ends, auto_renew, notice_days in contracts), today)
    return [{**dict(zip(LISTED, row, strict=True)), "flag": flags.get(row[0])} for row in partners]


def _date(value: dt.date | str) -> dt.date:
    """A DATE column's value: a date from psycopg, ISO text ('2026-12-06') from SQLite."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
