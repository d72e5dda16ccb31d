"""Partner contacts: the people at a partner (FIELDS[partner_contact]), whom notifications reach."""

from __future__ import annotations

from sqlalchemy import CheckConstraint
from sqlmodel import Field

from prm_sync.domain.fields import CONTACT_ROLES
from prm_sync.store.tables.base import SoftDeleted, Timestamps, deleted_rows_index, one_of
from prm_sync.store.types import Key, new_id


class PartnerContact(Timestamps, SoftDeleted, table=True):
    """One person at a partner; `opt_outs` lists notification kinds they do not want (local only)."""

    __tablename__ = "partner_contact"
    __table_args__ = (CheckConstraint(one_of("role", CONTACT_ROLES), name="role"),
                      deleted_rows_index("partner_contact"))

    id: str = Field(default_factory=new_id, primary_key=True, sa_type=Key)
    partner_id: str = Field(foreign_key="partner.id", index=True, sa_type=Key)
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = Field(default=None, index=True)
    phone: str | None = None
    role: str = "primary"
    language: str = "en"
    opt_outs: str | None = None     # comma-separated notification kinds
