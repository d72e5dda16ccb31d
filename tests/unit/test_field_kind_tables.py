"""A value kind is known by one table entry per place that must know it: KIND_RULES (mapping and
`check --online` compatibility) and READERS (how it is read); the mapping's `type` follows FieldKind."""

from __future__ import annotations

from typing import get_args

from prm_sync.domain.fields import KIND_RULES, FieldKind
from prm_sync.mapping.schema import EntitySpec, FieldSpec
from prm_sync.mapping.values import READERS, WRITERS


def test_every_kind_has_its_entries() -> None:
    assert set(KIND_RULES) == set(FieldKind)
    assert set(READERS) == set(FieldKind)
    assert set(WRITERS) <= set(FieldKind)
    for kind, rule in KIND_RULES.items():
        assert kind in rule.stored_in or kind == FieldKind.STRING or rule.stored_in, kind
        assert FieldKind.STRING in rule.feeds, kind      # any CRM value can feed a text PRM field


def test_the_mapping_type_names_every_kind_in_order() -> None:
    annotation = FieldSpec.model_fields["type"].annotation
    literal = next(a for a in get_args(annotation) if get_args(a))
    assert list(get_args(literal)) == [k.value for k in FieldKind]
    assert "filter" in EntitySpec.model_fields


SAMPLES = {FieldKind.STRING: "Müller & Nguyễn", FieldKind.INT: "42", FieldKind.DECIMAL: "1234.50",
           FieldKind.BOOL: "true", FieldKind.DATE: "2026-12-31", FieldKind.DATETIME: "2026-12-31T23:30:00.000Z",
           FieldKind.EMAIL: "an@example.vn", FieldKind.URL: "https://example.de/ä"}


def test_every_allowed_conversion_is_the_prm_kinds_reader_and_agrees_with_going_through_text() -> None:
    """decode(crm -> prm) along each KIND_RULES `feeds` pair needs no switch of its own: the PRM
    kind's reader takes the typed value, with the same result as reading its canonical text."""
    from prm_sync.mapping.values import canonical, decode

    assert set(SAMPLES) == set(FieldKind)
    for crm_kind, rule in KIND_RULES.items():
        typed = READERS[crm_kind](SAMPLES[crm_kind])
        for prm_kind in rule.feeds:
            if crm_kind == FieldKind.STRING and prm_kind != FieldKind.STRING:
                continue   # text feeds every kind, but only text that reads as it
            assert decode(SAMPLES[crm_kind], crm_kind, prm_kind) == READERS[prm_kind](canonical(typed)), (
                crm_kind, prm_kind)


def test_a_structured_crm_value_is_refused_not_stored_as_its_repr() -> None:
    """Salesforce's REST gives a compound field (BillingAddress) as a JSON object: a text field
    mapped to it must not store "{'city': ...}" but name the problem (the record is quarantined)."""
    import pytest

    from prm_sync.mapping.values import BadValue, decode

    address = {"city": "München", "countryCode": "DE", "street": "Königstraße 1"}
    for kind in FieldKind:  # text-like kinds say why; the others refuse it as not their kind
        match = "structure of several values" if kind in (FieldKind.STRING, FieldKind.URL, FieldKind.EMAIL) else None
        for structure in (address, ["a", "b"]):
            with pytest.raises(BadValue, match=match):
                decode(structure, FieldKind.STRING, kind)
            with pytest.raises(BadValue, match=match):
                READERS[kind](structure)
