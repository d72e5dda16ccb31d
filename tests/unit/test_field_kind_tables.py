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
