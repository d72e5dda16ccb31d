"""`check --online`: compare a compiled mapping with what the live CRM says its objects hold.

For every mapped entity the connector describes the object (Salesforce describe, HubSpot
properties); each mapped field, lookup, constant, filter property and the upsert key are then
checked against it. Findings point at the mapping line (`FILE:LINE: path: severity: message`).

Errors are what would break a sync: a field the CRM lacks, a type the mapping cannot read or
write, an upsert key that is not an external id / unique property, a pushed field the CRM will
not let us write, a field the CRM requires on create that nothing fills. Picklist drift (values
one side has and the other lacks) is a warning: only records holding those values are affected.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from prm_sync.connector import Connector, CrmError, FieldInfo
from prm_sync.crm_plugins import installed_crms
from prm_sync.domain.fields import KIND_RULES, FieldKind
from prm_sync.errors import EXIT_OK, EXIT_USAGE, Problem
from prm_sync.mapping import CompiledField, CompiledMapping, EntityMapper
from prm_sync.mapping.mapper import CompiledReference
from prm_sync.yamlsource import LoadedYaml


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Kind(StrEnum):
    MISSING_OBJECT = "missing_object"
    MISSING_FIELD = "missing_field"
    TYPE_MISMATCH = "type_mismatch"
    PICKLIST_DRIFT = "picklist_drift"
    BAD_CRM_KEY = "bad_crm_key"
    READ_ONLY = "read_only"
    REQUIRED_UNFILLED = "required_unfilled"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    kind: Kind
    entity: str
    problem: Problem

    def __str__(self) -> str:
        p = self.problem
        where = f"{p.file}:{p.line}" if p.line is not None else p.file
        return f"{where}: {p.path}: {self.severity.value}: {p.message}"

    def as_dict(self) -> dict[str, Any]:
        p = self.problem
        return {"severity": self.severity.value, "kind": self.kind.value, "entity": self.entity,
                "file": p.file, "line": p.line, "path": p.path, "message": p.message}


@dataclass
class OnlineReport:
    findings: list[Finding] = field(default_factory=list)
    #: entity -> the CRM's fields of its object (absent when the object could not be described)
    described: dict[str, dict[str, FieldInfo]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def exit_code(self) -> int:
        return EXIT_USAGE if self.errors else EXIT_OK

    def as_dict(self) -> dict[str, Any]:
        return {"ok": not self.errors, "errors": len(self.errors), "warnings": len(self.warnings),
                "findings": [f.as_dict() for f in self.findings]}


def check_online(mapping: CompiledMapping, loaded: LoadedYaml, connector: Connector) -> OnlineReport:
    """Describe every mapped object through `connector` and compare it with the mapping."""
    report = OnlineReport()
    for entity, mapper in mapping.entities.items():
        try:
            fields = connector.describe(mapper)
        except CrmError as exc:
            report.findings.append(Finding(Severity.ERROR, Kind.MISSING_OBJECT, entity.value, loaded.problem(
                ["entities", entity.value, "object"], f"cannot describe {mapper.object} in the CRM: {exc}")))
            continue
        report.described[entity.value] = fields
        report.findings += _EntityCheck(mapper, mapping, fields, loaded).run()
    report.findings.sort(key=lambda f: (f.problem.file, f.problem.line or 0, f.problem.path, f.problem.message))
    return report


def missing_field_problems(mapping: CompiledMapping, loaded: LoadedYaml, crm_object: str, field: str
                           ) -> list[Problem]:
    """Where the mapping names `crm_object`.`field`, which the CRM said (mid-run) does not exist:
    the same FILE:LINE: path and message `check --online` gives for a missing field."""
    problems = []
    wanted = field.lower()
    for entity, mapper in mapping.entities.items():
        if mapper.object.lower() != crm_object.lower() and crm_object != "the object":
            continue
        check = _EntityCheck(mapper, mapping, {}, loaded)
        base: list[str | int] = ["entities", entity.value]
        paths: list[list[str | int]] = [[*base, "fields", f.name, "crm"] for f in mapper.fields
                                        if f.crm.lower() == wanted]
        if mapper.crm_key and mapper.crm_key.lower() == wanted:
            paths.append([*base, "crm_key"])
        for path in paths:
            what = ("create it (text, External ID / unique values) or name another field" if path[-1] == "crm_key"
                    else "create it, fix the name, or remove the field from the mapping")
            check._add(Severity.ERROR, Kind.MISSING_FIELD, [path],
                       f"{mapper.object} has no field {field} in the CRM; {what}")
        problems += [finding.problem for finding in check.findings]
    return problems


def refused_mapping_problems(mapping: CompiledMapping, loaded: LoadedYaml, crm_object: str, key: str,
                             message: str) -> list[Problem]:
    """Where the CRM refused (mid-run) a request built from the mapping: `entities.E.<key>` of each
    entity whose object is `crm_object`, with the CRM's words (CrmRefusedMapping)."""
    return [loaded.problem(["entities", entity.value, key], message) for entity, mapper in mapping.entities.items()
            if mapper.object.lower() == crm_object.lower()]


def find_field(fields: Mapping[str, FieldInfo], name: str, crm: str) -> FieldInfo | None:
    """The field of `crm` called `name`: an exact match, else (a CRM whose names ignore case, as
    Salesforce's do: CrmPlugin.names_any_case) the field spelled otherwise."""
    if name in fields:
        return fields[name]
    plugin = installed_crms().get(crm)
    if plugin is not None and not plugin.names_any_case:
        return None
    lowered = name.lower()
    return next((info for key, info in fields.items() if key.lower() == lowered), None)


class _EntityCheck:
    def __init__(self, mapper: EntityMapper, mapping: CompiledMapping, fields: Mapping[str, FieldInfo],
                 loaded: LoadedYaml) -> None:
        self.mapper = mapper
        self.mapping = mapping
        self.fields = fields
        self.loaded = loaded
        self.base: list[str | int] = ["entities", mapper.entity.value]
        self.pushes = mapper.direction != "pull"
        self.findings: list[Finding] = []

    def run(self) -> list[Finding]:
        self._key()
        for fld in self.mapper.fields:
            self._field(fld)
        for ref in self.mapper.references:
            self._reference(ref)
        for name, value in self.mapper.constants.items():
            self._constant(name, value)
        self._filter()
        if self.pushes:
            self._required()
        return self.findings

    # -- helpers --------------------------------------------------------------------------------
    def _add(self, severity: Severity, kind: Kind, paths: Sequence[Sequence[str | int]], message: str) -> None:
        """Report at the first of `paths` the file spells out (else the last, located by its parent)."""
        path = next((p for p in paths if tuple(p) in self.loaded.lines), paths[-1])
        self.findings.append(Finding(severity, kind, self.mapper.entity.value, self.loaded.problem(path, message)))

    def _unique_key_hint(self) -> str:
        plugin = installed_crms().get(self.mapping.crm)
        return plugin.unique_key_hint if plugin else "make it a unique field"

    def _lookup(self, name: str, paths: Sequence[Sequence[str | int]], what: str) -> FieldInfo | None:
        info = find_field(self.fields, name, self.mapping.crm)
        if info is None:
            lowered = {key.lower(): key for key in self.fields}
            close = [lowered[k] for k in difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.9)]
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            plugin = installed_crms().get(self.mapping.crm)
            special = plugin.missing_field_hint(name) if plugin and plugin.missing_field_hint else None
            if special is not None:
                hint = f" ({special})"
            self._add(Severity.ERROR, Kind.MISSING_FIELD, paths,
                      f"{self.mapper.object} has no field {name} in the CRM{hint}; {what}")
        return info

    def _writable(self, info: FieldInfo, paths: Sequence[Sequence[str | int]], hint: str) -> None:
        if not info.createable and not info.updateable:
            self._add(Severity.ERROR, Kind.READ_ONLY, paths,
                      f"{self.mapper.object}.{info.name} is read-only in the CRM, but prm-sync pushes it; {hint}")
        elif not info.updateable:
            self._add(Severity.ERROR, Kind.READ_ONLY, paths,
                      f"{self.mapper.object}.{info.name} can be set on create only, so updates would be "
                      f"refused; {hint}")

    # -- checks ---------------------------------------------------------------------------------
    def _key(self) -> None:
        key = self.mapper.crm_key
        if not key:
            return
        paths = [[*self.base, "crm_key"]]
        info = self._lookup(key, paths, "create it (text, External ID / unique values) or name another field")
        if info is None:
            return
        if not info.unique_key:
            self._add(Severity.ERROR if self.pushes else Severity.WARNING, Kind.BAD_CRM_KEY, paths,
                      f"{self.mapper.object}.{info.name} is not an external id / unique property, so records "
                      f"cannot be upserted by it; {self._unique_key_hint()}")
        if self.pushes:
            self._writable(info, paths, "the upsert key must be writable")

    def _field(self, fld: CompiledField) -> None:
        at = [*self.base, "fields", fld.name]
        info = self._lookup(fld.crm, [[*at, "crm"]],
                            "create it, fix the name, or remove the field from the mapping")
        if info is None:
            return
        if info.compound:
            parts = f": {', '.join(info.parts)}" if info.parts else ""
            self._add(Severity.ERROR, Kind.TYPE_MISMATCH, [[*at, "crm"]], (
                f"{self.mapper.object}.{info.name} is a compound field ({info.type}): the CRM gives it as a "
                f"structure of several values and cannot write it; map one of its parts instead{parts}"))
            return
        accepted = KIND_RULES[info.kind].stored_in if info.kind in KIND_RULES else None
        if accepted is not None and fld.crm_type not in accepted:
            self._add(Severity.ERROR, Kind.TYPE_MISMATCH, [[*at, "type"], [*at, "crm"]], (
                f"{self.mapper.object}.{info.name} is a {info.type} field ({info.kind}) but the mapping reads "
                f"and writes it as {fld.crm_type.value}; map a {fld.crm_type.value} field, or set "
                f"type: {_suggested_type(info.kind, fld.prm.kind)}"))
        if fld.push:
            self._writable(info, [[*at, "direction"], [*at, "crm"]], "make the field direction: pull")
        if info.options and info.kind != FieldKind.BOOL:
            self._picklist(fld, info, at)

    def _picklist(self, fld: CompiledField, info: FieldInfo, at: list[str | int]) -> None:
        if fld.to_prm_values is not None:
            known, named = set(fld.to_prm_values), "the values map"
        elif fld.prm.choices:
            known, named = set(fld.prm.choices), f"the PRM's {fld.name} values (no values map)"
        else:
            return
        offered = set(info.options)
        paths = [[*at, "values"], [*at, "crm"]]
        extra = sorted(offered - known)
        if extra and fld.pull:
            self._add(Severity.WARNING, Kind.PICKLIST_DRIFT, paths, (
                f"{self.mapper.object}.{info.name} offers {_quoted(extra)}, which {named} lacks: pulled "
                "records holding them are quarantined; add them to values"))
        lacking = sorted(known - offered)
        if lacking:
            effect = "pushing them would be refused" if fld.push else "they never arrive"
            self._add(Severity.WARNING, Kind.PICKLIST_DRIFT, paths, (
                f"{named} has {_quoted(lacking)}, "
                f"which {self.mapper.object}.{info.name} does not offer: {effect}"))

    def _reference(self, ref: CompiledReference) -> None:
        if ref.crm is None:
            return
        at = [*self.base, "references", ref.name]
        info = self._lookup(ref.crm, [[*at, "crm"]], "create the lookup or fix its name")
        if info is None:
            return
        target = self.mapping.entities.get(ref.target)
        if target is not None and info.reference_to and not any(
                t.lower() == target.object.lower() for t in info.reference_to):
            self._add(Severity.ERROR, Kind.TYPE_MISMATCH, [[*at, "crm"]], (
                f"{self.mapper.object}.{info.name} refers to {', '.join(info.reference_to)}, not to "
                f"{target.object} (the {ref.target.value} object)"))
        if ref.push:
            self._writable(info, [[*at, "direction"], [*at, "crm"]], "make the reference direction: pull")

    def _constant(self, name: str, value: Any) -> None:
        paths = [[*self.base, "constants", name]]
        info = self._lookup(name, paths, "constants are written on every pushed record")
        if info is None:
            return
        self._writable(info, paths, "remove it from constants")
        if info.options and info.kind != FieldKind.BOOL and str(value) not in info.options:
            self._add(Severity.WARNING, Kind.PICKLIST_DRIFT, paths,
                      f"{self.mapper.object}.{info.name} does not offer {value!r}: pushing it may be refused")

    def _filter(self) -> None:
        if not isinstance(self.mapper.filter, list | tuple):
            return  # a SOQL fragment: the CRM checks it on the first query
        for index, item in enumerate(self.mapper.filter):
            prop = getattr(item, "property", None)
            if prop:
                self._lookup(prop, [[*self.base, "filter", index, "property"]], "the search filter names it")

    def _required(self) -> None:
        filled = {f.crm.lower() for f in self.mapper.push_fields}
        filled |= {r.crm.lower() for r in self.mapper.references if r.crm and r.push}
        filled |= {name.lower() for name in self.mapper.constants}
        if self.mapper.crm_key:
            filled.add(self.mapper.crm_key.lower())
        pulled = {f.crm.lower(): f.name for f in self.mapper.fields if not f.push}
        for info in self.fields.values():
            if not info.required or info.name.lower() in filled:
                continue
            label = f" ({info.label})" if info.label and info.label != info.name else ""
            if info.name.lower() in pulled:
                name = pulled[info.name.lower()]
                self._add(Severity.ERROR, Kind.REQUIRED_UNFILLED, [[*self.base, "fields", name]], (
                    f"{self.mapper.object}.{info.name}{label} is required on create, but field '{name}' is "
                    "only pulled: records prm-sync creates would be refused; let it push"))
                continue
            self._add(Severity.ERROR, Kind.REQUIRED_UNFILLED, [[*self.base, "fields"], self.base], (
                f"{self.mapper.object}.{info.name}{label} is required on create, and no pushed field, "
                "reference or constant fills it: records prm-sync creates would be refused; map it "
                "or set it in constants"))


def _suggested_type(crm_kind: FieldKind, prm_kind: FieldKind) -> str:
    """The `type` that makes the mapping fit the CRM field (a text field: `string`)."""
    if FieldKind.STRING in KIND_RULES[crm_kind].stored_in:   # a text-like field (KIND_RULES says which)
        return FieldKind.STRING.value
    return crm_kind.value


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(repr(v) for v in values)
