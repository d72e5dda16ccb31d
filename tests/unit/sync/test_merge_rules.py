"""The merge rules of an entity (sync.rows.rules): one per mapped field and reference, made once per
mapper. An incremental pull asked for them twice per updated record and a push once per record
(a list of new FieldRule objects each time: ~3 % of a 30,000-update pull)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from prm_sync.domain.fields import Entity
from prm_sync.mapping import EntityMapper, load_mapping
from prm_sync.sync.merge import FieldRule
from prm_sync.sync.rows import rules

ROOT = Path(__file__).resolve().parents[3]


def expected_rules(mapper: EntityMapper) -> list[FieldRule]:
    return [FieldRule(f.name, f.pull, f.push) for f in mapper.fields] + \
        [FieldRule(r.name, r.pull, r.push) for r in mapper.references]


def test_an_entitys_rules_are_its_fields_then_its_references_made_once_per_mapper() -> None:
    mapper = load_mapping(ROOT / "mappings" / "salesforce.yaml").entities[Entity.LEAD]
    first = rules(mapper)
    assert list(first) == expected_rules(mapper) and any(r.name == "partner_id" for r in first)
    assert rules(mapper) is first   # made once


def test_another_mapper_gets_its_own_rules_even_when_equal_to_a_former_one() -> None:
    mapping = load_mapping(ROOT / "mappings" / "salesforce.yaml")
    partner = mapping.entities[Entity.PARTNER]
    pushed_only = dataclasses.replace(partner, fields=tuple(dataclasses.replace(f, pull=False)
                                                            for f in partner.fields))
    assert list(rules(partner)) == expected_rules(partner)
    assert list(rules(pushed_only)) == expected_rules(pushed_only) != expected_rules(partner)
    for _ in range(300):   # many mappers over a process's life (tests): the memo stays bounded
        rules(dataclasses.replace(partner))
    assert list(rules(pushed_only)) == expected_rules(pushed_only)
    assert list(rules(partner)) == expected_rules(partner)
