"""Mapping file -> compiled mapper, with every semantic problem reported at once.

Pydantic checks the shape (unknown keys, wrong types); this module checks the meaning: PRM
fields that exist, value maps that land on valid PRM values and invert cleanly when pushed,
defaults of the right type, references to the right entity, and the CRM-specific parts
(a text filter checked by the CRM's plugin, or a list filter validated with its filter model).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from prm_sync.crm_plugins import installed_crms
from prm_sync.domain.fields import FIELDS, KIND_RULES, REFERENCES, Entity, FieldKind, PrmField
from prm_sync.errors import MappingError, Problem
from prm_sync.mapping.mapper import CompiledField, CompiledMapping, CompiledReference, EntityMapper
from prm_sync.mapping.schema import EntitySpec, FieldSpec, MappingFile, ReferenceSpec
from prm_sync.mapping.values import BadValue, canonical, parse_prm
from prm_sync.validation import problems_at, problems_from
from prm_sync.yamlsource import LoadedYaml, YamlLoadError, load_yaml_file, load_yaml_text

# Which CRM value types can feed which PRM kinds (besides the same kind).


def load_mapping(path: Path, expect_crm: str | None = None, display: str | None = None) -> CompiledMapping:
    try:
        loaded = load_yaml_file(path, display)
    except YamlLoadError as exc:
        raise MappingError([exc.problem]) from None
    return compile_loaded(loaded, expect_crm)


def compile_text(text: str, file: str, expect_crm: str | None = None) -> CompiledMapping:
    try:
        loaded = load_yaml_text(text, file)
    except YamlLoadError as exc:
        raise MappingError([exc.problem]) from None
    return compile_loaded(loaded, expect_crm)


def compile_loaded(loaded: LoadedYaml, expect_crm: str | None = None) -> CompiledMapping:
    if not isinstance(loaded.data, dict):
        raise MappingError([Problem(loaded.file, 1, "", "expected a mapping with version, crm, entities")])
    try:
        spec = MappingFile.model_validate(loaded.data)
    except ValidationError as exc:
        raise MappingError(_entity_hints(problems_from(exc, loaded, MappingFile))) from None
    problems: list[Problem] = []
    if expect_crm is not None and spec.crm != expect_crm:
        problems.append(loaded.problem(["crm"], f"this mapping is for {spec.crm}, but crm.type is {expect_crm}"))
    entities = {}
    for entity, entity_spec in spec.entities.items():
        mapper = _compile_entity(entity, entity_spec, spec.crm, loaded, problems)
        if mapper is not None:
            entities[entity] = mapper
    if problems:
        raise MappingError(problems)
    return CompiledMapping(crm=spec.crm, source=loaded.file, entities=entities)


def _list_filter(model: type[BaseModel], items: list[dict[str, Any]], path: list[str | int], loaded: LoadedYaml,
                 problems: list[Problem]) -> list[BaseModel]:
    """Each item of a list filter validated with the CRM's filter model (problems at FILE:LINE)."""
    valid = []
    for i, item in enumerate(items):
        try:
            valid.append(model.model_validate(item))
        except ValidationError as exc:
            problems.extend(problems_at(exc, loaded, model, [*path, i], item))
    return valid


def _entity_hints(problems: list[Problem]) -> list[Problem]:
    valid = ", ".join(e.value for e in Entity)
    return [
        Problem(p.file, p.line, p.path, f"{p.message} (valid entities: {valid})")
        if p.path.startswith("entities.") and p.path.count(".") == 1 and "input should be" in p.message
        else p for p in problems
    ]


def _compile_entity(
    entity: Entity, spec: EntitySpec, crm: str, loaded: LoadedYaml, problems: list[Problem]
) -> EntityMapper | None:
    base = ["entities", entity.value]
    before = len(problems)
    catalogue = FIELDS[entity]
    pushes = spec.direction in ("push", "both")
    if pushes and not spec.crm_key:
        problems.append(loaded.problem(base, f"entity {entity.value} pushes to the CRM, so it needs crm_key"))
    plugin = installed_crms()[crm]
    if spec.filter is not None and isinstance(spec.filter, str) != plugin.filter_is_text:
        problems.append(loaded.problem([*base, "filter"], plugin.filter_hint))
    if isinstance(spec.filter, str) and plugin.check_filter is not None:
        why = plugin.check_filter(spec.filter)
        if why is not None:
            problems.append(loaded.problem([*base, "filter"], why))
    filter_: Any = spec.filter
    if isinstance(spec.filter, list) and not plugin.filter_is_text and plugin.filter_model is not None:
        filter_ = _list_filter(plugin.filter_model, spec.filter, [*base, "filter"], loaded, problems)
        if plugin.filter_max_items is not None and len(spec.filter) > plugin.filter_max_items:
            problems.append(loaded.problem([*base, "filter"], (
                f"at most {plugin.filter_max_items} filters ({len(spec.filter)} given): {plugin.filter_max_hint}")))

    fields: list[CompiledField] = []
    pushed_crm: dict[str, str] = {}
    for name, fspec in spec.fields.items():
        path = [*base, "fields", name]
        prm = catalogue.get(name)
        if prm is None:
            valid = ", ".join(catalogue)
            problems.append(loaded.problem(path, f"unknown PRM field '{name}' for {entity.value}; valid: {valid}"))
            continue
        compiled = _compile_field(prm, fspec, spec.direction, path, loaded, problems)
        if compiled is None:
            continue
        if compiled.push:
            if compiled.crm in pushed_crm:
                problems.append(loaded.problem([*path, "crm"], (
                    f"{compiled.crm} is already written by field '{pushed_crm[compiled.crm]}'")))
            pushed_crm[compiled.crm] = name
            if compiled.crm in spec.constants:
                problems.append(loaded.problem([*path, "crm"], f"{compiled.crm} is also set in constants"))
            if spec.direction == "pull":
                problems.append(loaded.problem([*path, "direction"], (
                    f"entity {entity.value} is pull-only; a field cannot push")))
        fields.append(compiled)

    references = [
        ref for name, rspec in spec.references.items()
        if (ref := _compile_reference(entity, name, rspec, spec.direction, crm,
                                      [*base, "references", name], loaded, problems)) is not None
    ]
    if len(problems) > before:
        return None
    return EntityMapper(
        entity=entity, object=spec.object, filter=filter_, crm_key=spec.crm_key,
        direction=spec.direction, conflict=spec.conflict, on_delete=spec.on_delete,
        constants=dict(spec.constants), fields=tuple(fields), references=tuple(references),
    )


def _compile_field(
    prm: PrmField, spec: FieldSpec, entity_direction: str, path: list[Any],
    loaded: LoadedYaml, problems: list[Problem],
) -> CompiledField | None:
    before = len(problems)
    direction = spec.direction or entity_direction
    crm_type = FieldKind(spec.type) if spec.type else prm.kind
    if crm_type != prm.kind and prm.kind not in KIND_RULES[crm_type].feeds:
        problems.append(loaded.problem([*path, "type"], (
            f"a {crm_type.value} CRM value cannot feed the PRM field '{prm.name}' ({prm.kind.value})")))
    push = direction in ("push", "both")
    to_prm_values: dict[str, Any] | None = None
    to_crm_values: dict[str, str] | None = None
    if spec.values is not None:
        to_prm_values = {}
        to_crm_values = {}
        for crm_value, prm_value in spec.values.items():
            crm_text, prm_text = canonical(crm_value), canonical(prm_value)
            vpath = [*path, "values", crm_value if not isinstance(crm_value, bool) else str(crm_value)]
            if prm.choices and prm_text not in prm.choices:
                problems.append(loaded.problem(vpath, (
                    f"'{prm_text}' is not a PRM {prm.name} (valid: {', '.join(prm.choices)})")))
                continue
            try:
                parsed = parse_prm(prm_text, prm.kind)
            except BadValue as exc:
                problems.append(loaded.problem(vpath, str(exc)))
                continue
            to_prm_values[crm_text] = parsed
            key = canonical(parsed)
            if key in to_crm_values and push:
                problems.append(loaded.problem([*path, "values"], (
                    f"'{to_crm_values[key]}' and '{crm_text}' both map to '{prm_text}'; a pushed field "
                    "needs a one-to-one values map (or make the field direction: pull)")))
            to_crm_values.setdefault(key, crm_text)
    default = None
    if spec.default is not None:
        text = canonical(spec.default)
        if prm.choices and text not in prm.choices:
            problems.append(loaded.problem([*path, "default"], (
                f"'{text}' is not a PRM {prm.name} (valid: {', '.join(prm.choices)})")))
        else:
            try:
                default = parse_prm(text, prm.kind)
            except BadValue as exc:
                problems.append(loaded.problem([*path, "default"], str(exc)))
    if len(problems) > before:
        return None
    return CompiledField(
        prm=prm, crm=spec.crm, crm_type=crm_type, pull=direction in ("pull", "both"), push=push,
        to_prm_values=to_prm_values, to_crm_values=to_crm_values if push else None,
        default=default, required=spec.required,
    )


def _compile_reference(
    entity: Entity, name: str, spec: ReferenceSpec, entity_direction: str, crm: str,
    path: list[Any], loaded: LoadedYaml, problems: list[Problem],
) -> CompiledReference | None:
    known = REFERENCES[entity]
    if name not in known:
        valid = ", ".join(known) or "none"
        problems.append(loaded.problem(path, f"unknown reference '{name}' for {entity.value}; valid: {valid}"))
        return None
    if spec.entity != known[name].target:
        problems.append(loaded.problem([*path, "entity"], (
            f"{name} refers to a {known[name].target.value}, not a {spec.entity.value}")))
        return None
    if spec.association is not None and not installed_crms()[crm].associations:
        having = ", ".join(p.label for p in installed_crms().values() if p.associations) or "no installed CRM"
        problems.append(loaded.problem([*path, "association"], f"associations exist only in {having}"))
        return None
    direction = spec.direction or entity_direction
    return CompiledReference(
        name=name, target=spec.entity, crm=spec.crm, association=spec.association,
        association_type=spec.association_type, pull=direction in ("pull", "both"),
        push=direction in ("push", "both"), required=spec.required,
    )
