"""Property: for every two-way field of both shipped mappings, PRM -> CRM wire -> PRM is the identity."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prm_sync.domain.fields import FieldKind
from prm_sync.mapping import CompiledField, load_mapping

ROOT = Path(__file__).resolve().parents[2]


def two_way_fields() -> list[tuple[str, CompiledField]]:
    out = []
    for crm in ("salesforce", "hubspot"):
        mapping = load_mapping(ROOT / "mappings" / f"{crm}.yaml")
        for entity, mapper in mapping.entities.items():
            out += [(f"{crm}.{entity.value}.{f.name}", f) for f in mapper.fields if f.pull and f.push]
    return out


FIELDS = two_way_fields()


def prm_values(field: CompiledField) -> st.SearchStrategy[Any]:
    prm = field.prm
    if prm.choices:
        return st.sampled_from(prm.choices)
    kind = prm.kind
    if kind == FieldKind.DECIMAL:
        return st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False)
    if kind == FieldKind.DATE:
        return st.dates()
    if kind == FieldKind.BOOL:
        return st.booleans()
    if kind == FieldKind.INT:
        return st.integers(min_value=-(2**53), max_value=2**53)
    if kind == FieldKind.EMAIL:
        return st.emails()
    text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80)
    return text.filter(lambda s: s.strip() != "")


def hubspot_wire(value: Any) -> Any:
    """HubSpot sends and receives every property value as a string."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def salesforce_wire(value: Any) -> Any:
    """Salesforce JSON: numbers as JSON numbers (the client parses them as float)."""
    if isinstance(value, Decimal):
        return json.loads(json.dumps(float(value)))
    return json.loads(json.dumps(value))


def test_both_mappings_have_two_way_fields() -> None:
    crms = {name.split(".")[0] for name, _ in FIELDS}
    assert crms == {"salesforce", "hubspot"}
    assert len(FIELDS) >= 20


@pytest.mark.parametrize(("name", "field"), FIELDS, ids=[n for n, _ in FIELDS])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_prm_to_crm_to_prm_is_identity(name: str, field: CompiledField, data: st.DataObject) -> None:
    value = data.draw(prm_values(field))
    wire = hubspot_wire if name.startswith("hubspot") else salesforce_wire
    crm_value = field.write(value)
    back = field.read(wire(crm_value))
    assert back == value, f"{name}: {value!r} -> {crm_value!r} -> {back!r}"
