"""The tables hold every field of the PRM field catalogue, with a column type of its kind."""

from __future__ import annotations

import pytest
from sqlalchemy import Boolean, Date, Integer, String, Table
from sqlalchemy.types import TypeDecorator, TypeEngine

from prm_sync.domain.fields import FIELDS, REFERENCES, Entity, FieldKind
from prm_sync.store import (
    STORE_METADATA,
    CommissionLine,
    Deal,
    FundClaim,
    FundRequest,
    Partner,
    PartnerContact,
    Registration,
)
from prm_sync.store.types import Money, UtcDateTime

TABLES: dict[Entity, Table] = {
    Entity.PARTNER: Partner.__table__,  # type: ignore[attr-defined]
    Entity.PARTNER_CONTACT: PartnerContact.__table__,  # type: ignore[attr-defined]
    Entity.FUND_REQUEST: FundRequest.__table__,  # type: ignore[attr-defined]
    Entity.FUND_CLAIM: FundClaim.__table__,  # type: ignore[attr-defined]
    Entity.LEAD: Registration.__table__,  # type: ignore[attr-defined]
    Entity.DEAL: Deal.__table__,  # type: ignore[attr-defined]
    Entity.COMMISSION: CommissionLine.__table__,  # type: ignore[attr-defined]
}

KIND_TYPES: dict[FieldKind, type[TypeEngine[object]]] = {
    FieldKind.STRING: String,
    FieldKind.EMAIL: String,
    FieldKind.URL: String,
    FieldKind.INT: Integer,
    FieldKind.DECIMAL: Money,
    FieldKind.BOOL: Boolean,
    FieldKind.DATE: Date,
    FieldKind.DATETIME: UtcDateTime,
}


@pytest.mark.parametrize("entity", list(Entity))
def test_every_catalogue_field_has_a_column_of_its_kind(entity: Entity) -> None:
    table = TABLES[entity]
    for name, field in FIELDS[entity].items():
        assert name in table.columns, f"{table.name} lacks {name}"
        column_type = table.columns[name].type
        if not isinstance(column_type, Money | UtcDateTime) and isinstance(column_type, TypeDecorator):
            column_type = column_type.impl_instance  # SQLModel's AutoString is a String
        assert isinstance(column_type, KIND_TYPES[field.kind]), (name, column_type)


@pytest.mark.parametrize("entity", list(Entity))
def test_every_reference_is_a_foreign_key_to_its_entity(entity: Entity) -> None:
    table = TABLES[entity]
    for name, reference in REFERENCES[entity].items():
        targets = {fk.column.table.name for fk in table.columns[name].foreign_keys}
        assert targets == {TABLES[reference.target].name}
        assert any(index.columns.keys() == [name] for index in table.indexes), f"{name} unindexed"


def test_synced_tables_index_updated_at_and_soft_delete() -> None:
    for table in TABLES.values():
        assert any(index.columns.keys() == ["updated_at"] for index in table.indexes)
        assert "deleted_at" in table.columns


def test_store_metadata_holds_exactly_the_store_tables() -> None:
    assert set(STORE_METADATA.tables) == {
        "partner", "partner_status_change", "partner_tier_change", "certification", "contract", "registration", "deal",
        "commission_line", "link", "sync_cursor", "sync_run", "quarantine", "conflict",
        "run_fence", "partner_contact", "notification",
        "fund_budget", "fund_allocation", "fund_request", "fund_claim", "fund_history",
    }
