"""`crm setup`: plan what the mapping needs that the CRM lacks, and have the connector create it.

The core never knows how a CRM is prepared: it picks the mapped entities, asks the connector
(`CrmSetup.plan_setup`) for a plan, turns each item's mapping path into FILE:LINE, and after
the user agreed calls `apply_setup`, then plans again to verify. Ids the CRM chose instead of
the ones the mapping names (HubSpot pipelines and stages) are written into the mapping file.

Exit codes (DESIGN.md): 0 nothing left to create; 2 a conflict (something exists with another
type: nothing created), a refusal (the CRM will not have it: another mapping is needed), a CRM
that cannot be set up, or no terminal and no --yes; 1 the CRM refused an item part way (what
was created stays; a rerun finishes); 3 the CRM is unreachable or the credentials are refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from prm_sync.connector import (
    Connector,
    CrmSetup,
    SetupConflict,
    SetupItem,
    SetupOutcome,
    SetupPlan,
    SetupRefusal,
    ValueRename,
)
from prm_sync.domain.fields import Entity
from prm_sync.errors import EXIT_OK, EXIT_RECORD_ERRORS, EXIT_USAGE, Problem, UsageError
from prm_sync.mapping import CompiledMapping, EntityMapper
from prm_sync.yamlsource import LoadedYaml

RERUN = "rerun `prm-sync crm setup` to finish"
NOTE = "prm-sync crm setup"


def setup_of(connector: Connector, crm: str) -> CrmSetup:
    """The connector as a CrmSetup, or exit 2 when its CRM cannot be prepared by prm-sync."""
    if not connector.capabilities.sets_up_crm:
        raise UsageError(f"the {crm} connector cannot set up its CRM (it does not declare sets_up_crm): "
                         "create the fields `prm-sync check --online` lists by hand")
    return cast(CrmSetup, connector)


def selected(mapping: CompiledMapping, entity: str | None) -> list[EntityMapper]:
    """The mapped entities to prepare (all, or the one --entity names)."""
    if entity is None:
        return list(mapping.entities.values())
    if entity not in {e.value for e in mapping.entities}:
        raise UsageError(f"{mapping.source} does not map the entity '{entity}' "
                         f"(it maps {', '.join(e.value for e in mapping.entities)})")
    return [mapping.entities[Entity(entity)]]


def where(loaded: LoadedYaml, path: Sequence[str | int]) -> str:
    """FILE:LINE of a mapping path ("" when the item belongs to no mapping line)."""
    if not path:
        return ""
    line = loaded.line_of(path)
    return f"{loaded.file}:{line}" if line is not None else loaded.file


def item_row(item: SetupItem, loaded: LoadedYaml) -> dict[str, Any]:
    return {"kind": item.kind.value, "target": item.target, "detail": item.detail, "entity": item.entity,
            "mapping_line": where(loaded, item.path)}


def conflict_problem(conflict: SetupConflict, loaded: LoadedYaml) -> Problem:
    return loaded.problem(conflict.path or ("entities", conflict.entity or ""), (
        f"{conflict.target} exists in the CRM as {conflict.found}, but the mapping needs {conflict.wanted}; "
        "crm setup never changes what exists: change it in the CRM or map another field"))


def refusal_text(refusal: SetupRefusal, loaded: LoadedYaml) -> str:
    at = where(loaded, refusal.path)
    prefix = f"{at}: " if at else ""
    return f"{prefix}{refusal.target}: the CRM refuses it: {refusal.message}; {refusal.advice}"


@dataclass
class SetupReport:
    """Everything `crm setup` found and did, for the table and the JSON answer."""

    mapping: str
    plan: SetupPlan
    loaded: LoadedYaml
    outcome: SetupOutcome | None = None
    #: what was still missing after applying (None: not verified)
    left: SetupPlan | None = None
    renamed: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.plan.conflicts or self.plan.refusals:
            return EXIT_USAGE
        if self.outcome is not None and not self.outcome.ok:
            return EXIT_RECORD_ERRORS
        if self.left is not None and self.left.items:
            return EXIT_RECORD_ERRORS
        return EXIT_OK

    def as_dict(self) -> dict[str, Any]:
        loaded = self.loaded
        body: dict[str, Any] = {
            "mapping": self.mapping,
            "plan": [item_row(i, loaded) for i in self.plan.items],
            "conflicts": [{"target": c.target, "wanted": c.wanted, "found": c.found, "entity": c.entity,
                           "problem": str(conflict_problem(c, loaded))} for c in self.plan.conflicts],
            "refusals": [{"target": r.target, "message": r.message, "advice": r.advice, "entity": r.entity,
                          "mapping_line": where(loaded, r.path)} for r in self.plan.refusals],
            "read_calls": self.plan.calls,
        }
        if self.outcome is not None:
            out = self.outcome
            body["applied"] = {
                "created": [item_row(i, loaded) for i in out.created],
                "failed": item_row(out.failed, loaded) if out.failed else None,
                "error": out.error,
                "not_attempted": [item_row(i, loaded) for i in out.not_attempted],
                "write_calls": out.calls,
                "notes": list(out.notes),
                "mapping_changes": self.renamed,
            }
        if self.left is not None:
            body["still_missing"] = [item_row(i, loaded) for i in self.left.items]
        body["ok"] = self.exit_code == EXIT_OK
        body["exit_code"] = self.exit_code
        return body


def write_renames(mapping_file: Path, loaded: LoadedYaml, renames: Sequence[ValueRename], crm_label: str
                  ) -> list[str]:
    """Put the ids the CRM chose into the mapping file, on the lines that name the old values, each
    changed line preceded by a comment saying so. Returns one line per change, for the report."""
    if not renames:
        return []
    text = mapping_file.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    by_line: dict[int, list[ValueRename]] = {}
    for rename in renames:
        line = loaded.line_of(rename.path)
        if line is None or rename.old == rename.new:
            continue
        by_line.setdefault(line, []).append(rename)
    said: list[str] = []
    for number in sorted(by_line, reverse=True):
        index = number - 1
        original = lines[index]
        changed = original
        done = []
        for rename in by_line[number]:
            pattern = rf"(?<![\w-]){re.escape(rename.old)}(?![\w-])"
            new = rename.new if re.fullmatch(r"[A-Za-z_][\w-]*", rename.new) else json.dumps(rename.new)
            if re.search(pattern, changed):
                changed = re.sub(pattern, _literal(new), changed)
                done.append(f"{rename.old} -> {rename.new}")
        if not done:
            continue
        pad = original[: len(original) - len(original.lstrip(" "))]
        comment = f"{pad}# {NOTE}: ids {crm_label} chose: {', '.join(done)}\n"
        lines[index:index + 1] = [comment, changed]
        said.append(f"{loaded.file}:{number}: {', '.join(done)}")
    if said:
        tmp = mapping_file.with_name(f".{mapping_file.name}.tmp")
        tmp.write_text("".join(lines), encoding="utf-8")
        tmp.replace(mapping_file)
    return sorted(said)


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    """A re.sub replacement inserting `text` as it is (no backslash escapes)."""

    def replace(_match: re.Match[str]) -> str:
        return text

    return replace


def _items(items: Sequence[SetupItem]) -> str:
    return ", ".join(f"{i.kind.value} {i.target}" for i in items) or "nothing"


def run_setup(app: Any, mapping: CompiledMapping, loaded: LoadedYaml, *, entity: str | None, dry_run: bool,
              confirm: Callable[[int], None], say: Callable[[str], None], warn: Callable[[str], None],
              show_plan: Callable[[list[dict[str, Any]], str], None]) -> SetupReport:
    """Plan, show, (ask,) apply, verify. `app` is the prm_sync.app.App (its config and connector);
    `confirm(n)` returns when the user agreed to create n items (raises otherwise); `say` prints a
    line for people; `warn` one for stderr (problems, whatever the format)."""
    mappers = selected(mapping, entity)
    connector = app.connector()
    try:
        setup = setup_of(connector, mapping.crm)
        plan = setup.plan_setup(mappers)
        report = SetupReport(mapping.source, plan, loaded)
        if plan.nothing_to_do:
            say(f"nothing to create: the CRM has everything {mapping.source} needs")
            return report
        if plan.items:
            show_plan([item_row(i, loaded) for i in plan.items],
                      f"crm setup: {len(plan.items)} item(s) missing in the CRM for {mapping.source}")
        for conflict in plan.conflicts:
            warn(f"{conflict_problem(conflict, loaded)}")
        if plan.conflicts:
            warn(f"crm setup: {len(plan.conflicts)} conflict(s): nothing was created")
            return report
        for refusal in plan.refusals:
            warn(refusal_text(refusal, loaded))
        if dry_run:
            say(f"dry run: {len(plan.items)} item(s) would be created; nothing was written")
            return report
        if not plan.items:
            return report
        confirm(len(plan.items))
        outcome = setup.apply_setup(plan)
        report.outcome = outcome
        report.renamed = write_renames(Path(app.config.mappings_path), loaded, outcome.renames, _label(mapping.crm))
        _say_outcome(outcome, report.renamed, say, warn)
        if outcome.ok:
            fresh = _reload(app, mapping)
            report.left = setup.plan_setup(selected(fresh, entity))
            if report.left.items:
                warn(f"crm setup: the CRM still lacks {_items(report.left.items)} after creating it; "
                           f"{RERUN}")
            elif not plan.refusals:
                say(f"verified: the CRM now has everything {mapping.source} needs")
        return report
    finally:
        connector.close()


def _label(crm: str) -> str:
    from prm_sync.crm_plugins import installed_crms

    plugin = installed_crms().get(crm)
    return plugin.label if plugin else crm


def _reload(app: Any, mapping: CompiledMapping) -> CompiledMapping:
    """The mapping as the file now says (ids the CRM chose may have been written into it)."""
    from prm_sync.mapping import load_mapping

    return load_mapping(Path(app.config.mappings_path), expect_crm=mapping.crm, display=mapping.source)


def _say_outcome(outcome: SetupOutcome, renamed: Sequence[str], say: Callable[[str], None],
                 warn: Callable[[str], None]) -> None:
    say(f"created {len(outcome.created)} item(s) with {outcome.calls} write call(s)")
    for item in outcome.created:
        say(f"  created {item.kind.value} {item.target}")
    for note in outcome.notes:
        say(note)
    for change in renamed:
        say(f"mapping updated with the CRM's ids: {change}")
    if outcome.failed is not None:
        warn(f"crm setup: failed to create {outcome.failed.kind.value} {outcome.failed.target}: "
                   f"{outcome.error or 'the CRM refused it'}")
        warn(f"  created: {_items(outcome.created)}")
        warn(f"  not attempted: {_items(outcome.not_attempted)}")
        warn(f"crm setup: {RERUN} once the cause is fixed")
    elif outcome.not_attempted:
        warn(f"crm setup: not attempted: {_items(outcome.not_attempted)}; {RERUN}")
