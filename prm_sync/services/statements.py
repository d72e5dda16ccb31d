"""Commission statements: one partner's lines for a period, with the rule applied and why, clawbacks,
and totals per currency. `commissions statement` prints it (HTML or CSV); the "statement ready"
email carries the same statement (HTML body, CSV attached).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from prm_sync.domain.commissions.periods import Period, parse_period
from prm_sync.domain.notifications import Kind, NotifyPolicy
from prm_sync.errors import UsageError
from prm_sync.services.commissions import LineNames, list_lines
from prm_sync.services.partner_lookup import resolve_partner
from prm_sync.store import Notification, Partner
from prm_sync.store.outbox import record
from prm_sync.util.safe_csv import write_csv

COLUMNS = ("line_id", "deal", "kind", "status", "rule", "explanation", "currency", "amount")


def statement(session: Session, partner: Partner, period: Period) -> dict[str, Any]:
    """The statement as data: lines (amounts Decimal) and totals per currency, clawbacks included."""
    lines = list_lines(session, period=period, partner_id=partner.id)
    names = LineNames(session, lines)
    rows = []
    totals: dict[str, Decimal] = {}
    for line in lines:
        rule = " / ".join(p for p in (line.plan, line.component) if p) or "-"
        rows.append({"line_id": line.id, "deal": names.of(line)[1] or line.deal_id, "kind": line.kind,
                     "status": line.status, "rule": rule, "explanation": line.explanation or "",
                     "currency": line.currency, "amount": line.amount})
        totals[line.currency] = totals.get(line.currency, Decimal(0)) + line.amount
    return {"partner": {"id": partner.id, "name": partner.name}, "period": period.label,
            "lines": rows, "totals": [{"currency": c, "amount": totals[c]} for c in sorted(totals)]}


def statement_csv(data: dict[str, Any]) -> str:
    buffer = io.StringIO()
    write_csv(buffer, COLUMNS, [*data["lines"], *({"kind": "total", "currency": t["currency"],
                                                   "amount": t["amount"]} for t in data["totals"])])
    return buffer.getvalue()


def find_statement(session: Session, partner_key: str, period_text: str) -> dict[str, Any]:
    try:
        period = parse_period(period_text)
    except ValueError as exc:
        raise UsageError(f"--period: {exc}") from None
    return statement(session, resolve_partner(session, partner_key), period)


def notify_statement(session: Session, policy: NotifyPolicy | None, data: dict[str, Any],
                     now: dt.datetime) -> Notification | None:
    """Record the "statement ready" event (once per partner and period)."""
    if policy is None:
        raise UsageError("no `notifications` block in the config: nothing can be sent")
    return record(session, policy, Kind.STATEMENT_READY, partner_id=data["partner"]["id"],
                  subject_id=data["partner"]["id"], extra_key=data["period"], occurred_at=now, now=now,
                  payload={"period": data["period"]})


def statement_context(session: Session, note: Notification) -> dict[str, Any]:
    """What the "statement ready" templates show: the statement as it is when the email leaves."""
    partner = session.get(Partner, note.partner_id) if note.partner_id else None
    if partner is None:
        return {}
    data = statement(session, partner, parse_period(str(note.payload.get("period"))))
    return {"lines": data["lines"], "totals": data["totals"], "period": data["period"]}


def statement_attachments(session: Session, note: Notification) -> list[tuple[str, bytes, str]]:
    """The CSV a "statement ready" email carries."""
    if note.kind != Kind.STATEMENT_READY or note.partner_id is None:
        return []
    partner = session.get(Partner, note.partner_id)
    if partner is None:
        return []
    data = statement(session, partner, parse_period(str(note.payload.get("period"))))
    return [(f"commission-statement-{data['period']}.csv", statement_csv(data).encode("utf-8"), "text/csv")]
