"""Compiled mappings: turn a CRM record into PRM values and PRM values into a CRM record.

A mapping is compiled once per run (`prm_sync.mapping.load_mapping`); the objects here are
immutable and carry everything a connector and the sync engine need: which CRM fields to read,
which to write, the upsert key, the filter and how each value converts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from prm_sync.domain.fields import Entity, FieldKind, PrmField
from prm_sync.mapping.values import READERS, BadValue, canonical, decode, encode, parse_prm


@dataclass(frozen=True)
class CompiledField:
    prm: PrmField
    crm: str
    crm_type: FieldKind
    pull: bool
    push: bool
    to_prm_values: Mapping[str, Any] | None = None   # CRM text -> PRM value
    to_crm_values: Mapping[str, str] | None = None   # canonical PRM value -> CRM text
    default: Any = None
    required: bool = False

    @property
    def name(self) -> str:
        return self.prm.name

    def read(self, raw: Any) -> Any:
        """CRM value -> PRM value (None when empty and no default). Raises BadValue."""
        if self.to_prm_values is not None and raw is not None and raw != "":
            key = canonical(raw) if not isinstance(raw, str) else raw
            if key not in self.to_prm_values:
                known = ", ".join(sorted(self.to_prm_values))
                raise BadValue(f"{raw!r} is not in the values map (known: {known})")
            value = self.to_prm_values[key]
        else:
            value = decode(raw, self.crm_type, self.prm.kind)
        if value is None:
            value = self.default
        if value is None and self.required:
            raise BadValue("required value is missing")
        if value is not None and self.prm.choices and value not in self.prm.choices:
            raise BadValue(f"{value!r} is not a PRM {self.prm.name} (valid: {', '.join(self.prm.choices)})")
        return value

    def write(self, value: Any) -> Any:
        """PRM value -> CRM value. Raises BadValue."""
        if value is None:
            value = self.default
        if value is None:
            if self.required:
                raise BadValue("required value is missing")
            return None
        if self.to_crm_values is not None:
            key = canonical(value)
            if key not in self.to_crm_values:
                raise BadValue(f"{value!r} has no CRM value in the values map")
            return self.to_crm_values[key]
        return encode(value, self.prm.kind, self.crm_type)


def _plain(fld: CompiledField) -> bool:
    """Text on both sides, no values map, no choices, no default, not required: read as it is."""
    return (fld.crm_type == FieldKind.STRING and fld.prm.kind == FieldKind.STRING and fld.to_prm_values is None
            and not fld.prm.choices and fld.default is None and not fld.required)


def _direct_read(fld: CompiledField) -> Callable[[Any], Any] | None:
    """`fld.read` without its general steps, for a field read as its own kind with no values map,
    choices, default or required value (a date, a number, an email...): empty is None, anything
    else goes to the kind's reader. None for any other field."""
    if fld.to_prm_values is not None or fld.prm.choices or fld.default is not None or fld.required \
            or fld.crm_type != fld.prm.kind:
        return None
    reader = READERS[fld.crm_type]

    def read(raw: Any) -> Any:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        return reader(raw)

    return read


#: CRM texts `to_prm` remembers the reading of, per field (EntityMapper._pull_plan)
READ_MEMORY = 4096


@dataclass(frozen=True)
class CompiledReference:
    name: str
    target: Entity
    crm: str | None
    association: str | None
    association_type: int | None
    pull: bool
    push: bool
    required: bool


@dataclass(slots=True)
class MappedRecord:
    """The PRM side of one CRM record: values by PRM field, reference CRM ids, and problems. (Slots:
    one per record pulled.)"""

    crm_id: str
    prm_id: str | None
    values: dict[str, Any] = field(default_factory=dict)
    references: dict[str, str | None] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class EntityMapper:
    entity: Entity
    object: str
    filter: Any
    crm_key: str | None
    direction: str
    conflict: str | None
    on_delete: str
    constants: Mapping[str, Any]
    fields: tuple[CompiledField, ...]
    references: tuple[CompiledReference, ...]

    @cached_property
    def pull_fields(self) -> tuple[CompiledField, ...]:
        return tuple(f for f in self.fields if f.pull)

    @cached_property
    def push_fields(self) -> tuple[CompiledField, ...]:
        return tuple(f for f in self.fields if f.push)

    def crm_fields_to_read(self) -> list[str]:
        """CRM fields a pull must request (mapped fields, lookups, the key), without duplicates."""
        names = [f.crm for f in self.pull_fields]
        names += [r.crm for r in self.references if r.crm is not None]
        if self.crm_key:
            names.append(self.crm_key)
        return list(dict.fromkeys(names))

    @cached_property
    def _pull_plan(self) -> tuple[tuple[str, str, bool, Callable[[Any], Any], dict[str, Any] | None], ...]:
        """Each pulled field as (PRM name, CRM field, plain, its `read`, memo), taken once (`to_prm`
        runs for every field of every pulled record). Plain: text on both sides, no values map, no
        choices, no default, not required; `read` of such a field is the text itself, or None when
        empty or blank, so `to_prm` reads those inline. Memo (the other fields): what `read` made
        of a CRM text, as a first load meets the same few texts again and again (a stage, a
        currency, a close date; Bulk 2.0's CSV gives every value as text). `read` is a pure
        function of the text and its results are immutable, so an answer is reused as it is."""
        return tuple((f.name, f.crm, _plain(f), _direct_read(f) or f.read, None if _plain(f) else {})
                     for f in self.pull_fields)

    def to_prm(self, crm_id: str, record: Mapping[str, Any]) -> MappedRecord:
        """Map one CRM record (field -> wire value); problems are collected, not raised."""
        get = record.get
        key = get(self.crm_key) if self.crm_key else None
        # its dicts given, not made by the dataclass's factories (~0.15 us less a record)
        mapped = MappedRecord(crm_id, str(key) if key not in (None, "") else None, {}, {}, {})
        values = mapped.values
        for name, crm, plain, read, memo in self._pull_plan:
            raw = get(crm)
            if plain and (raw is None or raw.__class__ is str):
                values[name] = raw if raw and not raw.isspace() else None
                continue
            if memo is not None and raw.__class__ is str and raw in memo:
                values[name] = memo[raw]
                continue
            try:
                value = values[name] = read(raw)
            except BadValue as exc:  # never remembered: each record with it names its problem
                mapped.problems[crm] = str(exc)
                continue
            if memo is not None and raw.__class__ is str and len(memo) < READ_MEMORY:
                memo[raw] = value
        for ref in self.references:
            if ref.crm is not None and ref.pull:
                target = record.get(ref.crm)
                mapped.references[ref.name] = str(target) if target not in (None, "") else None
        return mapped

    def to_crm(self, prm_id: str, values: Mapping[str, Any],
               references: Mapping[str, str | None] | None = None) -> dict[str, Any]:
        """CRM field -> value for a push (pushed fields, lookups, constants, the key). Raises BadValue
        naming the field when a value cannot be written."""
        out: dict[str, Any] = dict(self.constants)
        for fld in self.push_fields:
            try:
                out[fld.crm] = fld.write(values.get(fld.name))
            except BadValue as exc:
                raise BadValue(f"{fld.name}: {exc}") from None
        for ref in self.references:
            if ref.crm is not None and ref.push and references is not None and ref.name in references:
                out[ref.crm] = references[ref.name]
        if self.crm_key:
            out[self.crm_key] = prm_id
        return out

    def parse_prm_value(self, name: str, text: Any) -> Any:
        for fld in self.fields:
            if fld.name == name:
                return parse_prm(text, fld.prm.kind)
        raise KeyError(name)


@dataclass(frozen=True)
class CompiledMapping:
    crm: str
    source: str
    entities: Mapping[Entity, EntityMapper]

    def __getitem__(self, entity: Entity | str) -> EntityMapper:
        return self.entities[Entity(entity)]

    def __contains__(self, entity: object) -> bool:
        return entity in self.entities
