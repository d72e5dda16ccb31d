"""The mapping file format, version 1, as pydantic models (the JSON Schema is generated from these)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from prm_sync.crm_plugins import installed_crm_names
from prm_sync.domain.fields import Entity, FieldKind

Direction = Literal["pull", "push", "both"]
if TYPE_CHECKING:   # the checker sees a name; pydantic validates against the installed CRMs
    CrmName = str
else:
    CrmName = Literal[installed_crm_names()] if installed_crm_names() else str
if TYPE_CHECKING:
    ValueType = str
else:   # every FieldKind, in its order
    ValueType = Literal[tuple(kind.value for kind in FieldKind)]
ConflictPolicy = Literal["crm_wins", "prm_wins", "newest_wins", "manual"]
Scalar = str | int | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Strict):
    """One PRM field and the CRM field it maps to."""

    crm: str = Field(min_length=1, description="CRM field (Salesforce API name / HubSpot property)")
    direction: Direction | None = Field(None, description="pull | push | both; default: the entity's")
    type: ValueType | None = Field(None, description="type of the CRM value; default: the PRM field's")
    values: dict[Scalar, Scalar] | None = Field(
        None, description="CRM value -> PRM value; inverted for push (must then be one-to-one)"
    )
    default: Scalar | None = Field(None, description="PRM value used when the value is empty")
    required: bool = Field(False, description="a record without this value is invalid")


class ReferenceSpec(_Strict):
    """A PRM field holding another entity's id, stored in the CRM as a lookup or an association."""

    entity: Entity
    crm: str | None = Field(None, description="lookup field / property holding the target's CRM id")
    association: str | None = Field(None, description="HubSpot: object type associated to")
    association_type: int | None = Field(None, description="HubSpot association type id")
    direction: Direction | None = None
    required: bool = False

    @model_validator(mode="after")
    def _one_place(self) -> ReferenceSpec:
        if (self.crm is None) == (self.association is None):
            raise ValueError("give exactly one of 'crm' (a lookup field) or 'association'")
        return self


class FilterSpec(_Strict):
    """HubSpot search filter: {property, operator, value}."""

    property: str
    operator: Literal[
        "EQ", "NEQ", "GT", "GTE", "LT", "LTE", "BETWEEN", "IN", "NOT_IN",
        "HAS_PROPERTY", "NOT_HAS_PROPERTY",
    ]
    value: Scalar | None = None
    high_value: Scalar | None = Field(None, alias="highValue")
    values: list[Scalar] | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class EntitySpec(_Strict):
    object: str = Field(min_length=1, description="SF sObject / HubSpot object type or custom object")
    filter: str | list[FilterSpec] | None = Field(
        None, description="SF: SOQL WHERE fragment. HubSpot: list of {property, operator, value}"
    )
    crm_key: str | None = Field(None, description="CRM field holding the PRM id: the upsert key")
    direction: Direction = "both"
    conflict: ConflictPolicy | None = Field(None, description="default: sync.conflict in config")
    on_delete: Literal["ignore", "archive", "delete"] = Field(
        "ignore", description="what a PRM-side deletion does in the CRM"
    )
    constants: dict[str, Scalar] = Field(
        default_factory=dict, description="CRM fields set on every pushed record (keep the filter true)"
    )
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    references: dict[str, ReferenceSpec] = Field(default_factory=dict)


class MappingFile(_Strict):
    version: Literal[1]
    crm: CrmName
    entities: dict[Entity, EntitySpec]


def json_schema() -> dict[str, Any]:
    """JSON Schema of the mapping format, generated from the models (never hand-kept)."""
    schema = MappingFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "prm-sync mapping (version 1)"
    return schema
