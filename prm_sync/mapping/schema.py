"""The mapping file format, version 1, as pydantic models (the JSON Schema is generated from these)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from prm_sync.crm_plugins import installed_crm_names, installed_crms
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


class EntitySpec(_Strict):
    object: str = Field(min_length=1, description="SF sObject / HubSpot object type or custom object")
    filter: str | list[dict[str, Any]] | None = Field(
        None, description="selects the CRM records: text or a list of filter objects, as the CRM's package defines "
                          "(SF: SOQL WHERE fragment. HubSpot: list of {property, operator, value})"
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
    """JSON Schema of the mapping format, generated from the models (never hand-kept). A list
    filter's items are described by the installed CRMs' filter models (CrmPlugin.filter_model)."""
    schema = MappingFile.model_json_schema(by_alias=True)
    refs = []
    for plugin in installed_crms().values():
        if plugin.filter_model is None:
            continue
        item = plugin.filter_model.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
        schema["$defs"].update(item.pop("$defs", {}))
        schema["$defs"][plugin.filter_model.__name__] = item
        refs.append({"$ref": f"#/$defs/{plugin.filter_model.__name__}"})
    if refs:
        listed = next(option for option in schema["$defs"]["EntitySpec"]["properties"]["filter"]["anyOf"]
                      if option.get("type") == "array")
        listed["items"] = refs[0] if len(refs) == 1 else {"anyOf": refs}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "prm-sync mapping (version 1)"
    return schema
