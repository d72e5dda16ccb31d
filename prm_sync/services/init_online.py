"""`init --online`: fit the default mapping to the org before writing it.

The org is described through the connector; every mapped field or lookup the org does not have
is commented out in the mapping text (with a comment saying why), so that the first `check
--online` passes and the admin sees exactly what was left out. Anything else the org disagrees
with (types, keys, picklists) is left as it is and reported: those need a decision, not a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from prm_sync.connector import Connector
from prm_sync.mapping import compile_text
from prm_sync.services.online_check import OnlineReport, check_online, find_field
from prm_sync.yamlsource import load_yaml_text

NOTE = "prm-sync init --online"


@dataclass(frozen=True)
class Omission:
    """A mapped field (or lookup) the org lacks, commented out of the mapping."""

    entity: str
    prm_field: str
    crm_field: str
    object: str
    line: int
    done: bool = True      # False: the line holds more than this field; left for the admin

    def __str__(self) -> str:
        what = f"{self.object} has no field {self.crm_field}"
        if not self.done:
            return f"line {self.line}: {self.entity}.{self.prm_field}: {what}; remove it from the mapping by hand"
        return f"line {self.line}: {self.entity}.{self.prm_field}: {what}: commented out"


@dataclass
class FittedMapping:
    text: str
    omitted: list[Omission]
    report: OnlineReport   # `check --online` of the fitted text
    #: the connector can create what the org lacks (`prm-sync crm setup`)
    can_set_up: bool = False
    #: kept (not commented out): what the org lacks, for `crm setup` to create
    kept: list[Omission] = field(default_factory=list)
    #: with keep_missing: the mapped objects the org lacks altogether (a custom object), for `crm setup`
    missing_objects: list[str] = field(default_factory=list)


def fit_mapping(text: str, file: str, crm: str, connector: Connector, *, keep_missing: bool = False
                ) -> FittedMapping:
    """The mapping `text` with the fields the org lacks commented out, and the check of the result.
    `keep_missing`: leave them in (`crm setup` will create them); they are listed in `kept`."""
    mapping = compile_text(text, file, expect_crm=crm)
    loaded = load_yaml_text(text, file)
    report = check_online(mapping, loaded, connector)
    omitted: list[Omission] = []
    for entity, mapper in mapping.entities.items():
        fields = report.described.get(entity.value)
        if fields is None:
            continue  # the object itself is missing: reported by the check, not guessed at here
        mapped = [("fields", f.name, f.crm) for f in mapper.fields]
        mapped += [("references", r.name, r.crm) for r in mapper.references if r.crm is not None]
        for section, name, crm_field in mapped:
            if find_field(fields, crm_field, mapping.crm) is not None:
                continue
            line = loaded.line_of(["entities", entity.value, section, name])
            if line is None:
                continue
            omitted.append(Omission(entity.value, name, crm_field, mapper.object, line))
    can_set_up = connector.capabilities.sets_up_crm
    if keep_missing:
        absent = [mapper.object for entity, mapper in mapping.entities.items() if entity.value not in report.described]
        return FittedMapping(text, [], report, can_set_up, sorted(omitted, key=lambda o: o.line), absent)
    lines = text.splitlines(keepends=True)
    final: list[Omission] = []
    for omission in sorted(omitted, key=lambda o: o.line, reverse=True):
        final.append(_comment_out(lines, omission))
    fitted = "".join(lines)
    if fitted != text:
        mapping = compile_text(fitted, file, expect_crm=crm)
        report = check_online(mapping, load_yaml_text(fitted, file), connector)
    return FittedMapping(fitted, sorted(final, key=lambda o: o.line), report, can_set_up)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _comment_out(lines: list[str], omission: Omission) -> Omission:
    """Comment out the block of `omission` (its key line and any deeper-indented lines) in place."""
    start = omission.line - 1
    first = lines[start]
    if not _single_key_line(first, omission.prm_field):
        return Omission(omission.entity, omission.prm_field, omission.crm_field, omission.object, omission.line,
                        done=False)
    end = start + 1
    while end < len(lines) and (lines[end].strip() == "" or _indent(lines[end]) > _indent(first)):
        end += 1
    while end > start + 1 and lines[end - 1].strip() == "":
        end -= 1
    pad = " " * _indent(first)
    block = [f"{pad}# {line[len(pad):]}" if line.strip() else line for line in lines[start:end]]
    if not block[-1].endswith("\n"):
        block[-1] += "\n"
    note = (f"{pad}# {NOTE}: {omission.object} has no field {omission.crm_field} in this org; "
            "create it, then uncomment:\n")
    lines[start:end] = [note, *block]
    return omission


def _single_key_line(line: str, key: str) -> bool:
    """True when `line` starts with `key:` and carries nothing after its own value."""
    if not re.match(rf"\s*{re.escape(key)}\s*:", line):
        return False
    value = line.split(":", 1)[1].split("#", 1)[0].strip()
    if not value or not value.startswith("{"):
        return True
    depth = 0
    for index, char in enumerate(value):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            return value[index + 1:].strip() == ""
    return False
