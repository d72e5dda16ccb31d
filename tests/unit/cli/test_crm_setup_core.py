"""The core of `crm setup` in isolation (prm_sync/services/crm_setup.py), against a test-only CRM that
implements the CrmSetup contract in memory: conflicts stop everything, a partial failure is exit 1
naming what was and was not created, a CRM that cannot set itself up is exit 2, the mapping file is
rewritten with ids the CRM chose, and without a terminal --yes is needed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from prm_sync.connector import (
    Capabilities,
    EntityMapper,
    SetupConflict,
    SetupItem,
    SetupKind,
    SetupOutcome,
    SetupPlan,
    SetupRefusal,
    ValueRename,
)
from prm_sync.errors import UsageError
from prm_sync.mapping import CompiledMapping, load_mapping
from prm_sync.services import crm_setup
from prm_sync.yamlsource import LoadedYaml, load_yaml_file

ROOT = Path(__file__).resolve().parents[3]
TIER = ("entities", "partner", "fields", "tier", "crm")
PIPELINE = ("entities", "lead", "constants", "pipeline")


class MemSetup:
    """A CRM lacking two fields; `fail_at` makes the Nth item fail; `renames` come back from apply."""

    crm = "memcrm"

    def __init__(self, *, sets_up: bool = True, conflict: bool = False, fail_at: int | None = None,
                 renames: Sequence[ValueRename] = (), refuse: bool = False) -> None:
        self.refuse = refuse
        self.capabilities = Capabilities(sets_up_crm=sets_up)
        self.missing = [SetupItem(SetupKind.FIELD, "companies.prm_partner_tier", "enumeration", "partner", TIER),
                        SetupItem(SetupKind.PIPELINE, "deals pipeline 'Partner registrations'", "7 stages", "lead",
                                  PIPELINE)]
        self.conflict = conflict
        self.fail_at = fail_at
        self.renames = tuple(renames)
        self.applied = 0
        self.closed = False

    def plan_setup(self, mappers: Sequence[EntityMapper]) -> SetupPlan:
        conflicts = (SetupConflict("companies.prm_partner_tier", "enumeration", "number", "partner", TIER),) \
            if self.conflict else ()
        refusals = (SetupRefusal("custom object partner_commissions", "HTTP 403 MISSING_SCOPES: not granted",
                                 "use mappings/hubspot-professional.yaml", "commission",
                                 ("entities", "commission", "object")),) if self.refuse else ()
        return SetupPlan(tuple(self.missing), conflicts, refusals, 2)

    def apply_setup(self, plan: SetupPlan) -> SetupOutcome:
        created: list[SetupItem] = []
        for index, item in enumerate(plan.items):
            if index == self.fail_at:
                return SetupOutcome(tuple(created), item, tuple(plan.items[index + 1:]), "HTTP 403: no scope",
                                    self.applied)
            self.applied += 1
            created.append(item)
            self.missing.remove(item)
        return SetupOutcome(tuple(created), None, (), None, self.applied, renames=self.renames)

    def close(self) -> None:
        self.closed = True


class FakeApp:
    def __init__(self, directory: Path, connector: MemSetup) -> None:
        self.config_path = directory / "config.yaml"
        self._connector = connector
        self.config = type("C", (), {"mappings_path": directory / "mappings" / "hubspot.yaml"})()

    def connector(self) -> MemSetup:
        return self._connector


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, CompiledMapping, LoadedYaml]:
    (tmp_path / "mappings").mkdir()
    target = tmp_path / "mappings" / "hubspot.yaml"
    target.write_text((ROOT / "mappings" / "hubspot.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path, load_mapping(target, display="mappings/hubspot.yaml"), load_yaml_file(
        target, "mappings/hubspot.yaml")


def _run(site: tuple[Path, CompiledMapping, LoadedYaml], crm: MemSetup, *, dry_run: bool = False,
         entity: str | None = None) -> tuple[crm_setup.SetupReport, list[str], list[str]]:
    directory, mapping, loaded = site
    said: list[str] = []
    warned: list[str] = []
    report = crm_setup.run_setup(FakeApp(directory, crm), mapping, loaded, entity=entity, dry_run=dry_run,
                                 confirm=lambda n: None, say=said.append, warn=warned.append,
                                 show_plan=lambda rows, title: said.append(title))
    return report, said, warned


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_crm_that_cannot_set_itself_up_is_a_usage_error(site: Any) -> None:
    crm = MemSetup(sets_up=False)
    with pytest.raises(UsageError, match="cannot set up its CRM"):
        _run(site, crm)
    assert crm.closed


def test_an_unknown_entity_is_a_usage_error(site: Any) -> None:
    with pytest.raises(UsageError, match="does not map the entity 'invoice'"):
        _run(site, MemSetup(), entity="invoice")


def test_a_conflict_creates_nothing_and_names_the_mapping_line(site: Any) -> None:
    crm = MemSetup(conflict=True)
    report, _said, warned = _run(site, crm)
    assert report.exit_code == 2 and crm.applied == 0
    line = _line(site[0].joinpath("mappings/hubspot.yaml").read_text(), "prm_partner_tier")
    assert warned[0].startswith(f"mappings/hubspot.yaml:{line}: entities.partner.fields.tier.crm: "
                                "companies.prm_partner_tier exists in the CRM as number")
    assert "nothing was created" in warned[-1]


def test_a_dry_run_applies_nothing(site: Any) -> None:
    crm = MemSetup()
    report, said, _warned = _run(site, crm, dry_run=True)
    assert (report.exit_code, crm.applied) == (0, 0)
    assert said[-1] == "dry run: 2 item(s) would be created; nothing was written"
    assert next(row["mapping_line"] for row in report.as_dict()["plan"]).startswith("mappings/hubspot.yaml:")


def test_a_failure_part_way_is_exit_1_and_says_what_was_and_was_not_created(site: Any) -> None:
    crm = MemSetup(fail_at=1)
    report, _said, warned = _run(site, crm)
    assert report.exit_code == 1
    assert warned == [
        "crm setup: failed to create pipeline deals pipeline 'Partner registrations': HTTP 403: no scope",
        "  created: field companies.prm_partner_tier",
        "  not attempted: nothing",
        "crm setup: rerun `prm-sync crm setup` to finish once the cause is fixed",
    ]
    crm.fail_at = None
    report, said, _warned = _run(site, crm)   # the rerun plans only what is left, and finishes
    assert report.exit_code == 0
    assert [i.target for i in report.plan.items] == ["deals pipeline 'Partner registrations'"]
    assert said[-1] == "verified: the CRM now has everything mappings/hubspot.yaml needs"


def test_ids_the_crm_chose_are_written_into_the_mapping_with_a_comment(site: Any) -> None:
    directory, _mapping, _loaded = site
    path = directory / "mappings" / "hubspot.yaml"
    shipped = path.read_text()
    renames = [ValueRename(PIPELINE, "partner_registrations", "7654321"),
               ValueRename(("entities", "lead", "filter", 0, "value"), "partner_registrations", "7654321"),
               ValueRename(("entities", "lead", "fields", "status", "values", "registration_won"),
                           "registration_won", "998877")]
    report, said, _warned = _run(site, MemSetup(renames=renames))
    assert report.exit_code == 0
    text = path.read_text()
    lines = text.splitlines()
    at = lines.index('    constants: {pipeline: "7654321"}')
    assert lines[at - 1] == "    # prm-sync crm setup: ids HubSpot chose: partner_registrations -> 7654321"
    assert '"998877": won' in text and "registration_won: won" not in text
    assert len(lines) == len(shipped.splitlines()) + 3
    assert load_mapping(path)["lead"].constants["pipeline"] == "7654321"   # still a valid mapping, as text
    assert any(line.startswith("mapping updated with the CRM's ids: mappings/hubspot.yaml:") for line in said)


def test_a_refusal_creates_the_rest_and_exits_2_with_the_advice(site: Any) -> None:
    crm = MemSetup(refuse=True)
    report, said, warned = _run(site, crm)
    assert (report.exit_code, crm.applied) == (2, 2)
    line = _line(site[0].joinpath("mappings/hubspot.yaml").read_text(), "object: partner_commissions")
    assert warned == [f"mappings/hubspot.yaml:{line}: custom object partner_commissions: the CRM refuses it: "
                      "HTTP 403 MISSING_SCOPES: not granted; use mappings/hubspot-professional.yaml"]
    assert not any(text.startswith("verified") for text in said)   # the mapping still needs what was refused
