"""The effective mapping as rows: what `prm-sync mappings show` prints.

Everything is shown after defaults are applied: a field's direction is its own or the entity's,
its type is its own or the PRM field's kind, an empty `default` is absent.
"""

from __future__ import annotations

from typing import Any

from prm_sync.domain.fields import Entity
from prm_sync.mapping import CompiledMapping, EntityMapper
from prm_sync.mapping.values import canonical


def _direction(pull: bool, push: bool) -> str:
    return "both" if pull and push else "pull" if pull else "push"


def entity_rows(mapper: EntityMapper) -> list[dict[str, Any]]:
    entity = mapper.entity.value
    rows: list[dict[str, Any]] = []
    for fld in mapper.fields:
        crm_type = fld.crm_type.value
        values = fld.to_prm_values or {}
        rows.append({
            "entity": entity, "prm_field": fld.name, "crm_field": fld.crm,
            "direction": _direction(fld.pull, fld.push),
            "type": crm_type if fld.crm_type == fld.prm.kind else f"{crm_type} (PRM: {fld.prm.kind.value})",
            "values": ", ".join(f"{crm}={canonical(prm)}" for crm, prm in values.items()),
            "default": None if fld.default is None else canonical(fld.default),
            "required": "yes" if fld.required else "",
        })
    for ref in mapper.references:
        where = ref.crm if ref.crm is not None else f"association {ref.association}" + (
            f" (type {ref.association_type})" if ref.association_type is not None else "")
        rows.append({
            "entity": entity, "prm_field": ref.name, "crm_field": where,
            "direction": _direction(ref.pull, ref.push), "type": f"reference to {ref.target.value}",
            "values": "", "default": None, "required": "yes" if ref.required else "",
        })
    for name, value in mapper.constants.items():
        rows.append({
            "entity": entity, "prm_field": "(constant)", "crm_field": name, "direction": "push",
            "type": "", "values": canonical(value), "default": None, "required": "",
        })
    if mapper.crm_key:
        rows.append({
            "entity": entity, "prm_field": "(prm id)", "crm_field": mapper.crm_key, "direction": "upsert key",
            "type": "string", "values": "", "default": None, "required": "yes",
        })
    return rows


def effective_rows(mapping: CompiledMapping, entity: Entity | None = None) -> list[dict[str, Any]]:
    """Rows for one entity, or for every mapped entity in the order of the file."""
    mappers = [mapping[entity]] if entity is not None else list(mapping.entities.values())
    return [row for mapper in mappers for row in entity_rows(mapper)]
