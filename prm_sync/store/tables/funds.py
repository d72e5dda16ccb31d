"""Market development funds: budgets, per-partner allocations, requests, claims and their history.

Requests and claims are synced entities (FIELDS[fund_request], FIELDS[fund_claim]); budgets,
allocations and the history are the PRM's own. The rules live in prm_sync.domain.funds.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field

from prm_sync.domain.fields import FUND_CLAIM_STATUSES as CLAIM_STATUSES
from prm_sync.domain.fields import FUND_REQUEST_STATUSES as REQUEST_STATUSES
from prm_sync.store.tables.base import SoftDeleted, StoreModel, Timestamps, deleted_rows_index, one_of
from prm_sync.store.types import Key, Money, UtcDateTime, new_id, utcnow


class FundBudget(Timestamps, table=True):
    """A period's MDF budget in one currency (several currencies: several budgets)."""

    __tablename__ = "fund_budget"
    __table_args__ = (UniqueConstraint("period", "currency"),)

    id: str = Field(default_factory=new_id, primary_key=True, sa_type=Key)
    period: str                     # 2026, 2026-Q3 or 2026-07 (prm_sync.domain.commissions.periods)
    starts_on: date
    ends_on: date                   # exclusive
    currency: str
    total: Decimal = Field(sa_type=Money)


class FundAllocation(StoreModel, table=True):
    """A partner's allocation set directly in a budget (others default from their tier)."""

    __tablename__ = "fund_allocation"
    __table_args__ = (UniqueConstraint("budget_id", "partner_id"),)

    id: int | None = Field(default=None, primary_key=True)
    budget_id: str = Field(foreign_key="fund_budget.id", index=True, sa_type=Key)
    partner_id: str = Field(foreign_key="partner.id", index=True, sa_type=Key)
    amount: Decimal = Field(sa_type=Money)
    set_by: str
    set_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


class FundRequest(Timestamps, SoftDeleted, table=True):
    """A partner's request for funds before an activity (FIELDS[fund_request])."""

    __tablename__ = "fund_request"
    __table_args__ = (CheckConstraint(one_of("status", REQUEST_STATUSES), name="status"),
                      deleted_rows_index("fund_request"))

    id: str = Field(default_factory=new_id, primary_key=True, sa_type=Key)
    partner_id: str = Field(foreign_key="partner.id", index=True, sa_type=Key)
    period: str | None = None       # the budget's period; derived from planned_start when empty
    activity_type: str | None = None
    description: str | None = None
    planned_start: date | None = None
    planned_end: date | None = None
    requested_amount: Decimal = Field(sa_type=Money)
    approved_amount: Decimal | None = Field(default=None, sa_type=Money)
    currency: str = "USD"
    expected_leads: int | None = None
    status: str = Field(default="submitted", index=True)


class FundClaim(Timestamps, SoftDeleted, table=True):
    """A claim against an approved request, after the activity, with proof (FIELDS[fund_claim])."""

    __tablename__ = "fund_claim"
    __table_args__ = (CheckConstraint(one_of("status", CLAIM_STATUSES), name="status"),
                      deleted_rows_index("fund_claim"))

    id: str = Field(default_factory=new_id, primary_key=True, sa_type=Key)
    request_id: str = Field(foreign_key="fund_request.id", index=True, sa_type=Key)
    partner_id: str = Field(foreign_key="partner.id", index=True, sa_type=Key)
    amount: Decimal = Field(sa_type=Money)
    currency: str = "USD"
    proof: str | None = None        # URL(s) or file path(s), one per line
    status: str = Field(default="submitted", index=True)
    paid_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class FundHistory(StoreModel, table=True):
    """Every state change of a request or claim: from/to, amount, who, why, when."""

    __tablename__ = "fund_history"
    __table_args__ = (Index("ix_fund_history_subject", "subject", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(sa_type=Key)  # fund_request | fund_claim
    subject_id: str = Field(sa_type=Key)
    from_status: str | None = None
    to_status: str
    amount: Decimal | None = Field(default=None, sa_type=Money)
    actor: str
    reason: str | None = None
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
