"""`sobjects/{Obj}/describe` -> FieldInfo by field name, in the PRM's value kinds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prm_sync.connector import FieldInfo, FieldKind

_KINDS: dict[str, FieldKind] = {
    "email": FieldKind.EMAIL, "url": FieldKind.URL,
    "double": FieldKind.DECIMAL, "currency": FieldKind.DECIMAL, "percent": FieldKind.DECIMAL,
    "int": FieldKind.INT, "long": FieldKind.INT, "boolean": FieldKind.BOOL, "date": FieldKind.DATE,
    "datetime": FieldKind.DATETIME,
}


def kind_of(sf_type: str) -> FieldKind:
    """string/picklist/textarea/phone/id/reference/... -> string; numbers, dates and flags by type."""
    return _KINDS.get(sf_type, FieldKind.STRING)


#: describe types of compound fields: a structure in REST, refused by Bulk API queries, read-only
COMPOUND_TYPES = frozenset({"address", "location"})


def field_info(field: Mapping[str, Any], parts: tuple[str, ...] = ()) -> FieldInfo:
    """One describe field; `parts`: the fields naming it as their `compoundFieldName`."""
    createable = bool(field.get("createable"))
    return FieldInfo(
        name=str(field["name"]),
        type=str(field.get("type", "")),
        kind=kind_of(str(field.get("type", ""))),
        label=str(field.get("label") or ""),
        createable=createable,
        updateable=bool(field.get("updateable")),
        required=createable and not field.get("nillable", True) and not field.get("defaultedOnCreate", False),
        unique_key=bool(field.get("externalId")) or (bool(field.get("idLookup")) and bool(field.get("unique"))),
        options=tuple(str(p["value"]) for p in field.get("picklistValues") or () if p.get("active", True)),
        reference_to=tuple(str(r) for r in field.get("referenceTo") or ()),
        compound=str(field.get("type", "")) in COMPOUND_TYPES,
        parts=parts,
    )


def fields_of(describe: Mapping[str, Any]) -> dict[str, FieldInfo]:
    fields = describe.get("fields") or ()
    parts: dict[str, list[str]] = {}
    for f in fields:
        if f.get("compoundFieldName"):
            parts.setdefault(str(f["compoundFieldName"]), []).append(str(f["name"]))
    return {str(f["name"]): field_info(f, tuple(parts.get(str(f["name"]), ()))) for f in fields}
