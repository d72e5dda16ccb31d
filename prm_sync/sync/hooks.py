"""The PRM's own rules, applied by the sync where CRM data meets them.

- After each pulled page (same unit of work): a partner status or tier set in the CRM gets its
  history row; registrations brought in are dated (approval starts the protection period) and checked
  for channel conflicts.
- Once per run, before pushing: registrations whose protection ended expire, and contracts
  renew or expire (so the same run carries the new statuses to the CRM); partners' program
  fields (discount, valid certifications) are brought up to date, again after the partners'
  pull (a tier set in the CRM gets its discount in the same run).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from prm_sync.domain.fields import Entity
from prm_sync.rules.contracts import renew_contracts
from prm_sync.rules.funds import Refusal, apply_crm_claim_changes, apply_crm_request_changes, expire_due
from prm_sync.rules.program_fields import record_crm_tier_change, refresh_program_fields
from prm_sync.rules.registrations import build_conflict_index, check_registrations, expire_registrations
from prm_sync.store import Conflict, Link, PartnerStatusChange
from prm_sync.sync.context import RunContext
from prm_sync.sync.lookup import partner_names
from prm_sync.sync.notify_hooks import registrations_pulled, run_policy, time_driven
from prm_sync.sync.report import Change

CUSTOMER_FIELDS = frozenset({"company", "email", "website", "status", "partner_id"})


def after_pull_page(session: Session, ctx: RunContext, entity: Entity,
                    changes: list[tuple[Any, Mapping[str, tuple[Any, Any]]]]) -> None:
    """`changes`: (row, {field: (before, after)}) for rows the page created or changed."""
    if not changes:
        return
    if entity == Entity.PARTNER:
        # one time for the page's history rows, as for its rows' own times (a first load writes one
        # per partner: one datetime object is pickled to the writer and formatted once, not 2,000)
        now = ctx.clock()
        for partner, diffs in changes:
            if "status" in diffs and diffs["status"][1] is not None:
                before, after = diffs["status"]  # the row already holds `after`
                ctx.new_rows.new(PartnerStatusChange, {
                    "partner_id": partner.id, "from_status": after if before is None else before, "to_status": after,
                    "reason": "set in the CRM", "actor": "crm", "at": now})
            if "tier" in diffs and diffs["tier"][0] is not None and diffs["tier"][1] is not None:
                record_crm_tier_change(ctx.new_rows, partner, diffs["tier"], ctx.config.program, now)
    elif entity == Entity.FUND_REQUEST:
        park_refusals(session, ctx, apply_crm_request_changes(session, ctx.config.funds.settings(), changes,
                                                              ctx.clock()))
    elif entity == Entity.FUND_CLAIM:
        park_refusals(session, ctx, apply_crm_claim_changes(session, ctx.config.funds.settings(), changes,
                                                            ctx.clock()))
    elif entity == Entity.LEAD:
        regs = [reg for reg, diffs in changes if CUSTOMER_FIELDS & diffs.keys()]
        if not regs:
            return
        index = ctx.cache.get("conflict_index")
        if index is None:  # built once per run, from the store as it was before this page's new rows
            session.flush()
            index = ctx.cache["conflict_index"] = build_conflict_index(session, ctx.config.registrations)
        names = partner_names(session, (reg.partner_id for reg in regs))  # this page's partners only
        flagged_before = {reg.id: reg.conflict_reason for reg, _ in changes}
        check_registrations(session, regs, ctx.clock(), ctx.config.registrations, index,
                            add_to_index=True, names=names)
        registrations_pulled(session, ctx, changes, flagged_before)


def after_pull(ctx: RunContext, entity: Entity) -> None:
    """An entity's pull is over: drop the per-run caches only its pages use (the conflict index
    holds every registration; later entities then reuse that memory instead of adding to it)."""
    if entity == Entity.PARTNER:  # a tier the CRM changed gets its discount in this run's push
        with ctx.unit() as session:
            refresh_program_fields(session, ctx.config.program, ctx.clock())
    if entity == Entity.LEAD:
        ctx.cache.pop("conflict_index", None)


def before_run(ctx: RunContext, entities: list[Entity]) -> None:
    """Time-driven rules: contract renewals, registration expiry."""
    now = ctx.clock()
    with ctx.unit() as session:
        renew_contracts(session, now.date())
        if Entity.PARTNER in entities:  # certifications expire with the date alone
            refresh_program_fields(session, ctx.config.program, now)
        if Entity.LEAD in entities:
            expire_registrations(session, now, protection_days=ctx.config.registrations.protection_days,
                                 notify=run_policy(ctx))
        time_driven(session, ctx)
        if Entity.FUND_REQUEST in entities:  # the same run pushes the expiries
            expire_due(session, ctx.config.funds.settings(), now)


def park_refusals(session: Session, ctx: RunContext, refusals: list[Refusal]) -> None:
    """CRM edits the PRM's rules refused: each is a conflict in the manual queue, with the reason.
    The field stays parked (not pushed back over the CRM's value) until `conflicts resolve`."""
    for r in refusals:
        ctx.report.count(r.entity, "prm", "conflict", Change(r.entity, "prm", "conflict", r.prm_id,
                                                             {r.field: (r.prm_value, r.crm_value)}))
        if ctx.dry_run:
            continue
        link = session.get(Link, (r.entity, r.prm_id)) or next(
            (row for row in ctx.new_rows.drafts(Link) if row.prm_id == r.prm_id and row.entity == r.entity), None)
        open_one = session.exec(select(Conflict).where(
            Conflict.entity == r.entity, Conflict.prm_id == r.prm_id, Conflict.field == r.field,
            Conflict.resolved_at == None)).first()  # noqa: E711
        conflict = open_one or Conflict(entity=r.entity, prm_id=r.prm_id, field=r.field)
        conflict.crm_id = link.crm_id if link is not None else None
        conflict.prm_value, conflict.crm_value, conflict.base_value = r.prm_value, r.crm_value, r.prm_value
        conflict.reason = r.reason
        session.add(conflict)
