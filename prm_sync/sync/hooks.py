"""The PRM's own rules, applied by the sync where CRM data meets them.

- After each pulled page (same unit of work): a partner status set in the CRM gets its history
  row; registrations brought in are dated (approval starts the protection period) and checked
  for channel conflicts.
- Once per run, before pushing: registrations whose protection ended expire, and contracts
  renew or expire (so the same run carries the new statuses to the CRM).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from prm_sync.domain.fields import Entity
from prm_sync.services.contracts import renew_contracts
from prm_sync.services.partners import record_status_change
from prm_sync.services.registrations import check_pulled_registrations, expire_registrations
from prm_sync.store import Partner
from prm_sync.sync.context import RunContext


def after_pull_page(session: Session, ctx: RunContext, entity: Entity,
                    changes: list[tuple[str, dict[str, tuple[Any, Any]]]]) -> None:
    if not changes:
        return
    if entity == Entity.PARTNER:
        for prm_id, diffs in changes:
            if "status" not in diffs:
                continue
            before, after = diffs["status"]
            partner = session.get(Partner, prm_id)
            if partner is not None and after is not None:
                record_status_change(session, partner, after, reason="set in the CRM", actor="crm",
                                     now=ctx.clock(), previous=before)
    elif entity == Entity.LEAD:
        check_pulled_registrations(session, [prm_id for prm_id, _ in changes], ctx.clock(),
                                   ctx.config.registrations)


def before_run(ctx: RunContext, entities: list[Entity]) -> None:
    """Time-driven rules: contract renewals, registration expiry."""
    now = ctx.clock()
    with ctx.unit() as session:
        renew_contracts(session, now.date())
        if Entity.LEAD in entities:
            expire_registrations(session, now, protection_days=ctx.config.registrations.protection_days)
