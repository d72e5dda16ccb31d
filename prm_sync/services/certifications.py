"""`partners certify`: a certification from the program's catalogue, held by a person (or the
partner), with an expiry computed from the catalogue's validity unless given.

Without a catalogue (no `program.certifications`) a certification is a free name, as before.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from prm_sync.domain.errors import RuleViolation
from prm_sync.domain.partners import check_certification
from prm_sync.domain.tier_rules import months_before
from prm_sync.errors import UsageError
from prm_sync.program_config import ProgramSettings
from prm_sync.services.partners import find_partner
from prm_sync.store import Certification


def certify_partner(session: Session, key: str, certification: str, earned_on: dt.date, *,
                    expires_on: dt.date | None = None, holder: str | None = None,
                    program: ProgramSettings | None = None) -> Certification:
    partner = find_partner(session, key)
    holder = holder.strip() if holder and holder.strip() else None
    catalogue = program.catalogue() if program is not None else {}
    if not catalogue:
        name, catalogue_id = certification, None
    else:
        entry = catalogue.get(certification.strip().lower())
        if entry is None:
            raise UsageError(f"certification: '{certification}' is not in program.certifications "
                             f"({', '.join(catalogue)})")
        name, catalogue_id = entry.name, entry.id
        if entry.per == "person" and holder is None:
            raise UsageError(f"certification '{entry.id}' is held by a person: give --holder NAME")
        if entry.per == "partner" and holder is not None:
            raise UsageError(f"certification '{entry.id}' is held by the partner itself: leave out --holder")
        if expires_on is None and entry.validity_months is not None:
            expires_on = months_before(earned_on, -entry.validity_months) - dt.timedelta(days=1)
    try:
        check_certification(name, earned_on, expires_on)
    except RuleViolation as exc:
        raise UsageError(str(exc)) from None
    cert = Certification(partner_id=partner.id, name=name.strip(), earned_on=earned_on, expires_on=expires_on,
                         catalogue_id=catalogue_id, holder=holder)
    session.add(cert)
    return cert
