"""One way to name a partner: every `--partner` option and partner argument goes through here.

A key is a partner id, a partner name (Unicode case-insensitive: the stored `name_key`) or an id
prefix of at least MIN_ID_PREFIX characters. Several matches are never guessed between: the error
says the key is ambiguous and lists the candidates.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from prm_sync.errors import UsageError
from prm_sync.store import Partner
from prm_sync.store.name_keys import name_key

MIN_ID_PREFIX = 6
SHOWN_CANDIDATES = 10


class AmbiguousPartner(UsageError):
    """Several partners answer to one key; `candidates` holds them (at most SHOWN_CANDIDATES + 1)."""

    def __init__(self, message: str, candidates: Sequence[Partner]) -> None:
        super().__init__(message)
        self.candidates = list(candidates)


def partners_named(session: Session, name: str, *, exclude: str | None = None) -> list[Partner]:
    """Live partners whose name is `name` up to case, Unicode normalisation and spacing."""
    query = select(Partner).where(Partner.name_key == name_key(name), col(Partner.deleted_at).is_(None))
    if exclude:
        query = query.where(Partner.id != exclude)
    return list(session.exec(query.order_by(col(Partner.created_at), col(Partner.id))).all())


def resolve_partner(session: Session, key: str) -> Partner:
    """The partner `key` names: its id (a deleted partner too), its name, or a unique id prefix."""
    key = key.strip()
    if not key:
        raise UsageError("give a partner id or name")
    partner = session.get(Partner, key)
    if partner is not None:
        return partner
    named = partners_named(session, key)
    if len(named) == 1:
        return named[0]
    if named:
        raise AmbiguousPartner(_ambiguous(f"partner name '{key}' is ambiguous", named), named)
    if len(key) >= MIN_ID_PREFIX:
        prefix = key.lower()
        matches = list(session.exec(
            select(Partner).where(col(Partner.id).startswith(prefix), col(Partner.deleted_at).is_(None))
            .order_by(col(Partner.id)).limit(SHOWN_CANDIDATES + 1)).all())
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise AmbiguousPartner(_ambiguous(f"partner id prefix '{key}' is ambiguous", matches), matches)
    raise UsageError(f"no partner with id or name '{key}' (see `prm-sync partners list`)")


def describe(partner: Partner) -> str:
    """One line naming a candidate: id, name and what tells it apart."""
    extra = ", ".join(v for v in (partner.status, partner.country, partner.website) if v)
    return f"{partner.id}  {partner.name}" + (f"  ({extra})" if extra else "")


def _ambiguous(headline: str, candidates: Sequence[Partner]) -> str:
    shown = [f"  {describe(p)}" for p in candidates[:SHOWN_CANDIDATES]]
    more = ["  …"] if len(candidates) > SHOWN_CANDIDATES else []
    return "\n".join([f"{headline}: it matches {'these' if not more else 'more than these'} partners; "
                      "give the id", *shown, *more])
