"""The properties API as FieldInfo (for `check --online` and `init --online`)."""

from __future__ import annotations

from typing import Any

from connectors.hubspot.client import HubSpotClient
from prm_sync.connector import FieldInfo, FieldKind

#: HubSpot property type -> closest PRM value kind.
KINDS: dict[str, FieldKind] = {
    "string": FieldKind.STRING, "number": FieldKind.DECIMAL, "bool": FieldKind.BOOL,
    "enumeration": FieldKind.STRING, "date": FieldKind.DATE, "datetime": FieldKind.DATETIME,
    "phone_number": FieldKind.STRING, "object_coordinates": FieldKind.STRING, "json": FieldKind.STRING,
}


def field_info(prop: dict[str, Any], required: bool = False) -> FieldInfo:
    kind = KINDS.get(str(prop.get("type")), FieldKind.STRING)
    if prop.get("type") == "enumeration" and prop.get("fieldType") == "booleancheckbox":
        kind = FieldKind.BOOL
    meta = prop.get("modificationMetadata") or {}
    writable = not meta.get("readOnlyValue", False) and not prop.get("calculated", False)
    return FieldInfo(
        name=str(prop["name"]),
        type=str(prop.get("type", "string")),
        kind=kind,
        label=str(prop.get("label") or ""),
        createable=writable,
        updateable=writable,
        required=required,   # standard objects have none; a custom object lists its requiredProperties
        unique_key=bool(prop.get("hasUniqueValue", False)),
        options=tuple(str(o.get("value")) for o in prop.get("options") or []),
    )


def describe(client: HubSpotClient, object_type: str, required: frozenset[str] = frozenset()) -> dict[str, FieldInfo]:
    """`required`: the object's required properties (a custom object schema's requiredProperties)."""
    answer = client.call(client.properties_api.get_all_with_http_info, object_type) or {}
    return {str(p["name"]): field_info(p, str(p["name"]) in required)
            for p in answer.get("results") or [] if not p.get("archived")}
