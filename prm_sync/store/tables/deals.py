"""Partner deals, as pulled from the CRM (the CRM owns them)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Field

from prm_sync.store.tables.base import SoftDeleted, Timestamps, deleted_rows_index, sparse_index
from prm_sync.store.types import Key, Money, new_id


class Deal(Timestamps, SoftDeleted, table=True):
    """A CRM opportunity/deal credited to a partner (FIELDS[deal])."""

    __tablename__ = "deal"
    __table_args__ = (sparse_index("deal", "registration_id"), sparse_index("deal", "fund_request_id"),
                      deleted_rows_index("deal"))

    id: str = Field(default_factory=new_id, primary_key=True, sa_type=Key)
    partner_id: str = Field(foreign_key="partner.id", index=True, sa_type=Key)
    name: str
    amount: Decimal | None = Field(default=None, sa_type=Money)
    currency: str | None = None
    stage: str | None = None
    close_date: date | None = None
    is_won: bool = False
    is_closed: bool = False
    deal_type: str | None = None
    product_line: str | None = None
    registration_id: str | None = Field(default=None, sa_type=Key)
    fund_request_id: str | None = Field(default=None, sa_type=Key)   # a CRM field (pulled): MDF ROI
