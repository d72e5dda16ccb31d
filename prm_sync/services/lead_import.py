"""`leads import FILE.csv`: many registrations in one transaction, fast.

Every row is validated; valid rows go in with one batched INSERT, each invalid row is reported
with its line number and reason (`strict`: nothing goes in unless every row is valid). Partners
and the conflict index are loaded once, and each accepted row joins the index, so two rows of
the same file for the same customer are flagged too.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy import insert
from sqlmodel import Session, select

from prm_sync.config import RegistrationSettings
from prm_sync.domain.channel_conflicts import registration_holder, summarize
from prm_sync.domain.errors import RuleViolation
from prm_sync.domain.partners import may_register
from prm_sync.domain.registrations import INPUT_FIELDS, Protection, parse_registration
from prm_sync.errors import UsageError
from prm_sync.services.registrations import build_conflict_index, keys_of
from prm_sync.store import Partner, Registration, new_id
from prm_sync.store.name_keys import name_key

REQUIRED_COLUMNS = ("partner", "company")
INSERT_BATCH = 1000


@dataclass
class ImportReport:
    imported: int = 0
    flagged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    strict_refused: bool = False
    ids: list[str] = field(default_factory=list)


def read_rows(stream: IO[str]) -> Iterator[tuple[int, dict[str, str | None]]]:
    """(line number where the row starts, row) for each data row; the header is checked first."""
    reader = csv.DictReader(stream)
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    unknown = sorted(set(header) - set(INPUT_FIELDS))
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if not header or unknown or missing:
        raise UsageError(
            "the CSV header must name the columns "
            + (f"(missing: {', '.join(missing)}) " if missing else "")
            + (f"(unknown: {', '.join(unknown)}) " if unknown else "")
            + f"from: {', '.join(INPUT_FIELDS)}"
        )
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if None in row:
            yield start, {"__extra__": "more values than columns"}
            continue
        if not any((v or "").strip() for v in row.values()):
            continue  # a blank line
        yield start, row


class _Partners:
    """Partners by id and by name key (Unicode case-insensitive, as `resolve_partner`), loaded once."""

    def __init__(self, session: Session) -> None:
        self.by_id: dict[str, Partner] = {}
        self.by_name: dict[str, list[Partner]] = {}
        for partner in session.exec(select(Partner)).all():
            if partner.deleted_at is None:
                self.by_id[partner.id] = partner
                self.by_name.setdefault(name_key(partner.name) or "", []).append(partner)

    def resolve(self, key: str) -> Partner:
        found = self.by_id.get(key) or None
        if found is None:
            named = self.by_name.get(name_key(key) or "", [])
            if len(named) > 1:
                raise RuleViolation(f"partner: several partners are named '{key}': give the id")
            found = named[0] if named else None
        if found is None:
            raise RuleViolation(f"partner: no partner with id or name '{key}'")
        if not may_register(found.status):
            raise RuleViolation(f"partner: '{found.name}' is {found.status} and may not register deals")
        return found


def import_leads(
    session: Session, stream: IO[str], settings: RegistrationSettings, now: dt.datetime, *, strict: bool = False,
) -> ImportReport:
    report = ImportReport()
    partners = _Partners(session)
    index = build_conflict_index(session, settings)
    expires = now + dt.timedelta(days=settings.protection_days)
    rows: list[dict[str, object]] = []
    for number, raw in read_rows(stream):
        try:
            if "__extra__" in raw:
                raise RuleViolation("more values than columns")
            data = parse_registration(raw, today=now.date())
            partner = partners.resolve(data.partner)
        except RuleViolation as exc:
            report.errors.append((number, str(exc)))
            continue
        created = now + dt.timedelta(microseconds=len(rows))  # keeps file order for "who came first"
        keys = keys_of(settings, data.company, data.email, data.website)
        conflicts = index.find(keys, partner.id, now)
        reg_id = new_id()
        holder = registration_holder(reg_id, partner.id, partner.name, keys, Protection("submitted", created,
                                     expires_at=expires), protection_days=settings.protection_days)
        if holder is not None:
            index.add(holder)
        reason, other, detail = summarize(conflicts)
        report.flagged += bool(conflicts)
        rows.append({
            "id": reg_id, "partner_id": partner.id, "company": data.company,
            "contact_first_name": data.contact_first_name, "contact_last_name": data.contact_last_name,
            "email": data.email, "website": data.website, "estimated_value": data.estimated_value,
            "currency": data.currency, "expected_close": data.expected_close, "status": "submitted",
            "products": data.products, "converted": False, "status_reason": None, "approved_at": None,
            "expires_at": expires, "extended_until": None, "created_at": created, "updated_at": created,
            "deleted_at": None, "deleted_reason": None, "conflict_reason": reason, "conflict_with": other,
            "conflict_detail": detail,
        })
    if strict and report.errors:
        report.strict_refused = True
        report.flagged = 0
        return report
    table = Registration.__table__  # type: ignore[attr-defined]
    for start in range(0, len(rows), INSERT_BATCH):
        session.execute(insert(table), rows[start:start + INSERT_BATCH])
    report.imported = len(rows)
    report.ids = [str(r["id"]) for r in rows]
    return report
