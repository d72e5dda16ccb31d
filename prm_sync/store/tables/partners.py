"""Partners and what hangs off them: status history, certifications, contracts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, event
from sqlmodel import Field

from prm_sync.store.name_keys import name_key
from prm_sync.store.tables.base import SoftDeleted, StoreModel, Timestamps, deleted_rows_index, one_of
from prm_sync.store.types import Key, Money, UtcDateTime, new_id, utcnow

CONTRACT_STATES: tuple[str, ...] = ("active", "expired", "terminated")


class Partner(Timestamps, SoftDeleted, table=True):
    """A partner company (FIELDS[partner])."""

    __tablename__ = "partner"
    __table_args__ = (deleted_rows_index("partner"),)

    id: str = Field(default_factory=new_id, primary_key=True, sa_type=Key)
    name: str
    # name_key(name), kept by the ORM events below and by DERIVED_COLUMNS for rows written without
    # the ORM; name look-ups compare it. Not unique: two partners may share a name (merge them).
    name_key: str | None = Field(default=None, index=True, sa_type=Key)
    tier: str = "registered"
    status: str = "prospect"
    country: str | None = None
    website: str | None = None
    phone: str | None = None
    industry: str | None = None
    joined_on: date | None = None
    channel_manager: str | None = None
    territories: str | None = None
    tier_pinned_until: date | None = None       # a tier set by hand holds until then (review skips it)
    discount_percent: Decimal | None = Field(default=None, sa_type=Money)   # program.discounts, e.g. 20 = 20%
    valid_certifications: int | None = None     # recomputed each sync (expiry alone changes it)


def _keep_name_key(_mapper: Any, _connection: Any, target: Partner) -> None:
    target.name_key = name_key(target.name)


event.listen(Partner, "before_insert", _keep_name_key)
event.listen(Partner, "before_update", _keep_name_key)

# Columns computed from a row's other columns, for code that INSERTs rows without the ORM (the
# pull's drafts): table -> column -> function of the row's values.
DERIVED_COLUMNS: dict[type[Any], dict[str, Callable[[Mapping[str, Any]], Any]]] = {
    Partner: {"name_key": lambda row: name_key(row.get("name"))},
}


class PartnerStatusChange(StoreModel, table=True):
    """One step of a partner's lifecycle, kept for audit and scorecards."""

    __tablename__ = "partner_status_change"

    id: int | None = Field(default=None, primary_key=True)
    partner_id: str = Field(foreign_key="partner.id", index=True, sa_type=Key)
    from_status: str | None = None
    to_status: str
    reason: str | None = None
    actor: str
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


class Certification(StoreModel, table=True):
    """A certification a partner earned (counts toward tier and scorecards)."""

    __tablename__ = "certification"

    id: int | None = Field(default=None, primary_key=True)
    partner_id: str = Field(foreign_key="partner.id", index=True, sa_type=Key)
    name: str
    earned_on: date
    expires_on: date | None = None
    # program.certifications id (None: recorded before the catalogue)
    catalogue_id: str | None = Field(default=None, sa_type=Key)
    holder: str | None = None                   # the person certified (per-person certifications)


class PartnerTierChange(StoreModel, table=True):
    """A tier (and discount) change: who, when, why. Reviews, the CLI and the CRM write these."""

    __tablename__ = "partner_tier_change"

    id: int | None = Field(default=None, primary_key=True)
    partner_id: str = Field(foreign_key="partner.id", index=True, sa_type=Key)
    from_tier: str | None = None
    to_tier: str
    from_discount: Decimal | None = Field(default=None, sa_type=Money)
    to_discount: Decimal | None = Field(default=None, sa_type=Money)
    reason: str | None = None
    actor: str
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


class Contract(Timestamps, table=True):
    """A partner agreement; a renewal is a new row pointing at the one it renews."""

    __tablename__ = "contract"
    __table_args__ = (CheckConstraint(one_of("state", CONTRACT_STATES), name="state"),)

    id: str = Field(default_factory=new_id, primary_key=True, sa_type=Key)
    partner_id: str = Field(foreign_key="partner.id", index=True, sa_type=Key)
    starts_on: date
    ends_on: date | None = None
    auto_renew: bool = False
    notice_days: int = 0
    terms_url: str | None = None
    state: str = "active"
    renewed_from: str | None = Field(default=None, foreign_key="contract.id", index=True, sa_type=Key)
