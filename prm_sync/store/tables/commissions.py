"""Commission lines computed from won deals; clawbacks are negative lines, never edits."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Text
from sqlmodel import Field

from prm_sync.store.tables.base import Timestamps, deleted_rows_index, one_of
from prm_sync.store.types import Key, Money, UtcDateTime, new_id

COMMISSION_KINDS: tuple[str, ...] = ("commission", "clawback")


class CommissionLine(Timestamps, table=True):
    """One commission or clawback line for a deal (FIELDS[commission])."""

    __tablename__ = "commission_line"
    __table_args__ = (CheckConstraint(one_of("kind", COMMISSION_KINDS), name="kind"),
                      deleted_rows_index("commission_line"))

    id: str = Field(default_factory=new_id, primary_key=True, sa_type=Key)
    deal_id: str = Field(foreign_key="deal.id", index=True, sa_type=Key)
    partner_id: str = Field(foreign_key="partner.id", index=True, sa_type=Key)
    amount: Decimal = Field(sa_type=Money, nullable=False)
    currency: str
    status: str = "calculated"
    period: str | None = None
    explanation: str | None = Field(default=None, sa_type=Text)
    kind: str = "commission"
    plan: str | None = None
    component: str | None = None        # None: the deal's commission; "spiff:<name>": a SPIFF line
    calculated_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    approved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    paid_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
