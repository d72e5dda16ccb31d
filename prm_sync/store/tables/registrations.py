"""Deal registrations: the PRM "lead" entity a partner submits for approval."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Field

from prm_sync.store.tables.base import SoftDeleted, Timestamps, deleted_rows_index, sparse_index
from prm_sync.store.types import Key, Money, UtcDateTime, new_id


class Registration(Timestamps, SoftDeleted, table=True):
    """A registered lead (FIELDS[lead]) plus its approval bookkeeping."""

    __tablename__ = "registration"
    __table_args__ = (sparse_index("registration", "fund_request_id"), deleted_rows_index("registration"))

    id: str = Field(default_factory=new_id, primary_key=True, sa_type=Key)
    partner_id: str = Field(foreign_key="partner.id", index=True, sa_type=Key)
    company: str
    contact_first_name: str | None = None
    contact_last_name: str | None = None
    email: str | None = None
    website: str | None = None
    estimated_value: Decimal | None = Field(default=None, sa_type=Money)
    currency: str | None = None
    expected_close: date | None = None
    status: str = Field(default="submitted", index=True)
    products: str | None = None
    converted: bool = False
    status_reason: str | None = None
    approved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    extended_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Channel conflict found when registered (or re-checked): reason code, the other party
    # ("Partner name (registration <id>)"), and every conflict found, one per line.
    conflict_reason: str | None = None
    conflict_with: str | None = None
    conflict_detail: str | None = None
    # `leads import`: a hash of the CSV row's values as imported (see services/lead_import).
    import_fingerprint: str | None = None
    # the MDF request whose activity produced this registration (ROI; FIELDS[lead].fund_request_id)
    fund_request_id: str | None = Field(default=None, sa_type=Key)
