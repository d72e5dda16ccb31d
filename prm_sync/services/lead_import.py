"""`leads import FILE.csv`: many registrations in one transaction, fast, and safe to rerun.

Every row is validated; valid rows go in with one batched INSERT, each invalid row is reported
with its line number and reason (`strict`: nothing changes unless every row is valid). Partners
and the conflict index are loaded once, and each accepted row joins the index, so two rows of
the same file for the same customer are flagged too.

Rerunning a file ("fix the two bad rows and run it again") duplicates nothing: a row's natural
key is its partner, its normalised company name (`company_key`) and its contact email (no
email: the empty one). A row whose key is already held
- by an earlier row of the same file is skipped ("already imported, line N"), or refused if its
  values differ (which of the two is meant is the user's call);
- by a registration in the store is skipped when the row has not changed since its import (its
  fingerprint, a hash of the values imported, is stored on the registration) or equals the
  registration ("already imported"): so a rerun never reverts what the CRM changed since. When
  the row changed, it updates that registration while it is still submitted (the next sync
  pushes it); once approved, rejected or otherwise decided, the change is refused with the
  status, since a channel manager's decision was made on the registration as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from prm_sync.config import RegistrationSettings
from prm_sync.domain.channel_conflicts import registration_holder, summarize
from prm_sync.domain.customer_identity import company_key
from prm_sync.domain.errors import RuleViolation
from prm_sync.domain.partners import may_register
from prm_sync.domain.registrations import INPUT_FIELDS, Protection, RegistrationInput, parse_registration
from prm_sync.errors import UsageError
from prm_sync.rules.registrations import build_conflict_index, keys_of, recheck_conflicts
from prm_sync.services.lead_csv import FIELD_LIMIT_CHARS, READ_LIMIT_CHARS, read_rows
from prm_sync.services.partners import find_partner
from prm_sync.store import Partner, Registration, new_id

__all__ = ["FIELD_LIMIT_CHARS", "ImportReport", "import_leads", "natural_key"]

REQUIRED_COLUMNS = ("partner", "company")
INSERT_BATCH = 1000
KEY_QUERY_BATCH = 500
# What a row sets on its registration, compared to tell a changed row from an unchanged one.
IMPORTED_FIELDS: tuple[str, ...] = (
    "company", "contact_first_name", "contact_last_name", "website", "estimated_value", "currency",
    "expected_close", "products",
)
NaturalKey = tuple[str, str, str]


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    flagged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)   # (line number, reason)
    already: list[tuple[int, str]] = field(default_factory=list)  # (line number, which registration)
    updates: list[tuple[int, str]] = field(default_factory=list)  # (line number, which registration)
    strict_refused: bool = False
    ids: list[str] = field(default_factory=list)


def natural_key(partner_id: str, company: str, email: str | None, normalised: str | None = None) -> NaturalKey:
    """Partner, normalised company name (`company_key`, given when already computed), contact email:
    one registration per key and import."""
    name = normalised or company_key(company) or " ".join(company.casefold().split())
    return partner_id, name, (email or "").casefold()


def _values(data: RegistrationInput | Registration) -> tuple[Any, ...]:
    return tuple(getattr(data, name) for name in IMPORTED_FIELDS)


def fingerprint(data: RegistrationInput) -> str:
    """A hash of what a row imports (parsed values, so "1,200.50" and "1200.5" are the same)."""
    text = "\x1f".join("" if value is None else str(value.normalize() if isinstance(value, Decimal) else value)
                       for value in _values(data))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class _Stored:
    id: str
    status: str
    values: tuple[Any, ...]
    fingerprint: str | None


class _StoredRegistrations:
    """The store's registrations of the file's partners, found by natural key. Rows are grouped by
    (partner, email) and a group's company keys are computed only when a row of the file asks for
    it, so a file of new customers costs no key computation for what the store already holds."""

    def __init__(self, session: Session, partner_ids: set[str]) -> None:
        self.groups: dict[tuple[str, str], list[tuple[str, _Stored]]] = {}
        self.keyed: dict[tuple[str, str], dict[NaturalKey, _Stored]] = {}
        wanted = sorted(partner_ids)
        columns = [getattr(Registration, name) for name in IMPORTED_FIELDS]
        for start in range(0, len(wanted), KEY_QUERY_BATCH):
            rows = session.exec(
                select(Registration.id, Registration.partner_id, Registration.email, Registration.status,  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
                       Registration.import_fingerprint, *columns)
                .where(col(Registration.partner_id).in_(wanted[start:start + KEY_QUERY_BATCH]))
                .where(col(Registration.deleted_at).is_(None))
                .order_by(Registration.created_at, Registration.id)
            ).all()
            for reg_id, partner_id, email, status, imported, *values in rows:
                group = self.groups.setdefault((partner_id, (email or "").casefold()), [])
                group.append((values[0], _Stored(reg_id, status, tuple(values), imported)))

    def get(self, key: NaturalKey) -> _Stored | None:
        """The oldest registration with this natural key, if any."""
        group = key[0], key[2]
        if group not in self.keyed:
            found: dict[NaturalKey, _Stored] = {}
            for company, stored in self.groups.get(group, ()):
                found.setdefault(natural_key(group[0], company, group[1]), stored)
            self.keyed[group] = found
        return self.keyed[group].get(key)


class _Partners:
    """Partners as `find_partner` resolves them, asked once per distinct id or name in the file."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.found: dict[str, Partner | str] = {}

    def resolve(self, key: str) -> Partner:
        if key not in self.found:
            try:
                partner = find_partner(self.session, key)
                if partner.deleted_at is not None:
                    raise UsageError(f"no partner with id or name '{key}'")
                self.found[key] = partner
            except UsageError as exc:
                self.found[key] = f"partner: {exc}"
        found = self.found[key]
        if isinstance(found, str):
            raise RuleViolation(found)
        if not may_register(found.status):
            raise RuleViolation(f"partner: '{found.name}' is {found.status} and may not register deals")
        return found


def import_leads(
    session: Session, stream: IO[str], settings: RegistrationSettings, now: dt.datetime, *, strict: bool = False,
    delimiter: str | None = None, source: str = "input", read_limit_chars: int = READ_LIMIT_CHARS,
) -> ImportReport:
    report = ImportReport()
    partners = _Partners(session)
    parsed: list[tuple[int, RegistrationInput, Partner]] = []
    for row in read_rows(stream, columns=INPUT_FIELDS, required=REQUIRED_COLUMNS, source=source,
                         delimiter=delimiter, read_limit_chars=read_limit_chars):
        try:
            if row.problem:
                raise RuleViolation(row.problem)
            data = parse_registration(row.values, today=now.date(), name_order=settings.name_order)
            parsed.append((row.line, data, partners.resolve(data.partner)))
        except RuleViolation as exc:
            report.errors.append((row.line, str(exc)))
    stored = _StoredRegistrations(session, {partner.id for _, _, partner in parsed})
    index = build_conflict_index(session, settings)
    expires = now + dt.timedelta(days=settings.protection_days)
    rows: list[dict[str, object]] = []
    changes: list[tuple[int, str, RegistrationInput]] = []
    adopted: list[tuple[str, str]] = []  # (registration, fingerprint): equal to a row, now known as its import
    seen: dict[NaturalKey, tuple[int, RegistrationInput]] = {}
    for number, data, partner in parsed:
        keys = keys_of(settings, data.company, data.email, data.website)
        key = natural_key(partner.id, data.company, data.email, keys.name)
        if key in seen:
            line, earlier = seen[key]
            if _values(earlier) == _values(data):
                report.already.append((number, f"already imported, line {line}"))
            else:
                report.errors.append((number, f"same partner, company and email as line {line} but other values: "
                                              "not imported (keep one of the two rows)"))
            continue
        seen[key] = (number, data)
        existing = stored.get(key)
        if existing is not None:
            if existing.fingerprint == fingerprint(data) or existing.values == _values(data):
                report.already.append((number, f"already imported (registration {existing.id})"))
                if existing.fingerprint != fingerprint(data):
                    adopted.append((existing.id, fingerprint(data)))
            elif existing.status != "submitted":
                report.errors.append((number, f"registration {existing.id} is {existing.status}: this row's changes "
                                              "are not applied (an import updates only a submitted registration)"))
            else:
                changes.append((number, existing.id, data))
            continue
        created = now + dt.timedelta(microseconds=len(rows))  # keeps file order for "who came first"
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
            "conflict_detail": detail, "import_fingerprint": fingerprint(data),
        })
    report.errors.sort()
    if strict and report.errors:
        report.strict_refused = True
        report.flagged = 0
        return report
    table = Registration.__table__  # type: ignore[attr-defined]
    for start in range(0, len(rows), INSERT_BATCH):
        session.execute(insert(table), rows[start:start + INSERT_BATCH])
    report.imported = len(rows)
    report.ids = [str(r["id"]) for r in rows]
    for number, reg_id, data in changes:
        _update(session, reg_id, data, now)
        reg = session.get(Registration, reg_id)
        assert reg is not None
        report.flagged += bool(recheck_conflicts(session, reg, settings, now, index))
        report.updates.append((number, f"updated registration {reg_id}"))
    report.updated = len(changes)
    for reg_id, print_ in adopted:  # not a change to sync: updated_at stays
        session.execute(update(Registration).where(col(Registration.id) == reg_id)
                        .values(import_fingerprint=print_, updated_at=Registration.updated_at))
    return report


def _update(session: Session, reg_id: str, data: RegistrationInput, now: dt.datetime) -> None:
    reg = session.get(Registration, reg_id)
    assert reg is not None
    for name in IMPORTED_FIELDS:
        setattr(reg, name, getattr(data, name))
    reg.import_fingerprint = fingerprint(data)
    reg.updated_at = now
    session.add(reg)
