"""Properties API (/crm/v3/properties) and custom object schemas (/crm-object-schemas/v3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Response

from connectors.emulator_kit import json_response
from connectors.hubspot.emulator.errors import not_found
from connectors.hubspot.emulator.schema import ObjectTypeDef

if TYPE_CHECKING:
    from connectors.hubspot.emulator.emulator import HubSpotEmulator

_SCHEMA_STAMP = "2024-01-01T00:00:00.000Z"


def list_properties(emu: HubSpotEmulator, object_type: ObjectTypeDef) -> Response:
    return json_response(
        {"results": [prop.to_json() for prop in object_type.properties.values()]}
    )


def get_property(emu: HubSpotEmulator, object_type: ObjectTypeDef, name: str) -> Response:
    prop = object_type.properties.get(name)
    if prop is None:
        raise not_found(f"Unable to find property {name} on object type {object_type.name}")
    return json_response(prop.to_json())


def schema_json(emu: HubSpotEmulator, object_type: ObjectTypeDef) -> dict[str, object]:
    associations = []
    seen: set[tuple[str, str]] = set()
    for assoc_type in emu.associations.types:
        if assoc_type.from_type != object_type.name or not assoc_type.default:
            continue
        target = emu.schema.object_types.get(assoc_type.to_type)
        if target is None or (assoc_type.from_type, assoc_type.to_type) in seen:
            continue
        seen.add((assoc_type.from_type, assoc_type.to_type))
        associations.append({
            "fromObjectTypeId": object_type.object_type_id,
            "toObjectTypeId": target.object_type_id,
            "name": f"{object_type.name}_to_{target.name}",
            "id": str(assoc_type.type_id),
            "createdAt": _SCHEMA_STAMP,
            "updatedAt": _SCHEMA_STAMP,
        })
    own = [p for p in object_type.properties.values() if p.name not in object_type.system_properties]
    return {
        "id": object_type.object_type_id.split("-", 1)[1],
        "objectTypeId": object_type.object_type_id,
        "fullyQualifiedName": object_type.fully_qualified_name,
        "name": object_type.name,
        "labels": {"singular": object_type.singular_label, "plural": object_type.plural_label},
        "primaryDisplayProperty": object_type.primary_display_property,
        "secondaryDisplayProperties": [],
        "requiredProperties": [object_type.primary_display_property],
        "searchableProperties": [object_type.primary_display_property],
        "properties": [prop.to_json() for prop in own],
        "associations": associations,
        "archived": False,
        "createdAt": _SCHEMA_STAMP,
        "updatedAt": _SCHEMA_STAMP,
    }


def list_schemas(emu: HubSpotEmulator) -> Response:
    from connectors.hubspot.emulator.setup_api import guard_tier

    guard_tier(emu, write=False)
    return json_response({"results": [schema_json(emu, t) for t in emu.schema.custom_types()]})


def get_schema(emu: HubSpotEmulator, type_ref: str) -> Response:
    from connectors.hubspot.emulator.setup_api import guard_tier

    guard_tier(emu, write=False)
    object_type = emu.schema.resolve(type_ref)
    if object_type is None or not object_type.custom:
        raise not_found(f"Unable to find object type {type_ref}")
    return json_response(schema_json(emu, object_type))
