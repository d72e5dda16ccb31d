"""`partners merge KEEP DUPLICATE`: one partner where two were added for the same company.

What the PRM owns moves to KEEP: registrations, commission lines, contracts, certifications (and
KEEP's empty fields take the duplicate's values). Deals are owned by the CRM: the ones pointing at
the duplicate are listed, for an admin to re-point in the CRM (the next pull brings them over).
The duplicate is soft-deleted ("merged into KEEP"); its CRM record then follows the mapping's
`on_delete` at the next sync. Moved rows get a new `updated_at`, so the next sync pushes their
new partner reference.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, and_, col, select, update

from prm_sync.errors import UsageError
from prm_sync.services.partner_fields import SETTABLE
from prm_sync.services.partner_lookup import resolve_partner
from prm_sync.store import Certification, CommissionLine, Contract, Deal, Link, Partner, Registration
from prm_sync.store.types import utcnow

MOVED_TABLES: tuple[tuple[str, Any], ...] = (
    ("registrations", Registration), ("commission lines", CommissionLine), ("contracts", Contract),
    ("certifications", Certification),
)


@dataclass
class MergePlan:
    keep: Partner
    duplicate: Partner
    moves: dict[str, list[str]] = field(default_factory=dict)       # what -> row ids moving to keep
    filled: dict[str, Any] = field(default_factory=dict)            # keep's empty fields -> duplicate's value
    deals: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # (id, name, CRM id)
    duplicate_crm_id: str | None = None
    on_delete: str = "ignore"

    @property
    def moving(self) -> int:
        return sum(len(ids) for ids in self.moves.values())

    def lines(self) -> list[str]:
        """The plan in words, for --dry-run and the confirmation prompt."""
        out = [f"merge '{self.duplicate.name}' ({self.duplicate.id}) into '{self.keep.name}' ({self.keep.id}):"]
        out += [f"  move {len(ids)} {what}" for what, ids in self.moves.items()]
        out += [f"  set {name} = {value!r} (empty on the partner kept)" for name, value in self.filled.items()]
        if self.deals:
            out.append(f"  {len(self.deals)} deal(s) point at the duplicate; deals are owned by the CRM: re-point "
                       "them there to the partner kept, before the next sync removes the duplicate's record "
                       "(that sync then brings them over):")
            out += [f"    {deal_id}  {name or ''}  (CRM {crm_id or 'not synced'})"
                    for deal_id, name, crm_id in self.deals]
        if self.duplicate_crm_id is None:
            out.append("  the duplicate was never synced: no CRM record to remove")
        else:
            effect = {"ignore": "left alone in the CRM", "archive": "archived in the CRM (restorable)",
                      "delete": "deleted in the CRM (recycle bin / archive, restorable)"}[self.on_delete]
            out.append(f"  the duplicate's CRM record {self.duplicate_crm_id}: {effect} by the next sync "
                       f"(mapping on_delete: {self.on_delete})")
        return out


def plan_merge(session: Session, keep_key: str, duplicate_key: str, *, on_delete: str = "ignore") -> MergePlan:
    keep = resolve_partner(session, keep_key)
    duplicate = resolve_partner(session, duplicate_key)
    if keep.id == duplicate.id:
        raise UsageError(f"'{keep_key}' and '{duplicate_key}' are the same partner ({keep.id})")
    for role, partner in (("KEEP", keep), ("DUPLICATE", duplicate)):
        if partner.deleted_at is not None:
            raise UsageError(f"{role} partner '{partner.name}' ({partner.id}) is deleted "
                             f"({partner.deleted_reason or 'no reason kept'})")
    plan = MergePlan(keep, duplicate, on_delete=on_delete)
    for what, table in MOVED_TABLES:
        plan.moves[what] = list(session.exec(
            select(table.id).where(table.partner_id == duplicate.id).order_by(table.id)).all())
    plan.filled = {name: getattr(duplicate, name) for name in SETTABLE if name != "name"
                   and getattr(keep, name) in (None, "") and getattr(duplicate, name) not in (None, "")}
    deals = session.exec(select(Deal.id, Deal.name, Link.crm_id)
                         .join(Link, and_(col(Link.entity) == "deal", col(Link.prm_id) == col(Deal.id)), isouter=True)
                         .where(Deal.partner_id == duplicate.id, col(Deal.deleted_at).is_(None))
                         .order_by(Deal.id)).all()
    plan.deals = [(deal_id, name, crm_id) for deal_id, name, crm_id in deals]
    link = session.get(Link, ("partner", duplicate.id))
    plan.duplicate_crm_id = link.crm_id if link is not None and link.deleted_at is None else None
    return plan


def apply_merge(session: Session, plan: MergePlan, *, now: dt.datetime | None = None) -> None:
    """Carry out `plan` in the session's transaction."""
    now = now or utcnow()
    keep, duplicate = plan.keep, plan.duplicate
    for what, table in MOVED_TABLES:
        ids = plan.moves.get(what, [])
        values: dict[str, Any] = {"partner_id": keep.id}
        if "updated_at" in table.__table__.columns:
            values["updated_at"] = now
        for start in range(0, len(ids), 500):
            session.exec(update(table).where(col(table.id).in_(ids[start:start + 500])).values(**values))
    for name, value in plan.filled.items():
        setattr(keep, name, value)
    if plan.filled:
        keep.updated_at = now
        session.add(keep)
    duplicate.deleted_at = duplicate.updated_at = now
    duplicate.deleted_reason = f"merged into {keep.id}"
    session.add(duplicate)
    session.flush()
