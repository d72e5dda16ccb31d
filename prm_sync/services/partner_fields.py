"""Which partner fields a person may set, and checking what they typed.

A field the mapping marks `pull` belongs to the CRM: the next sync's pull would overwrite (or
erase) a value set in the PRM, so the CLI refuses it and says where the mapping says so.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from prm_sync.domain.errors import RuleViolation
from prm_sync.domain.fields import PARTNER_TIERS, Entity
from prm_sync.domain.partners import check_tier
from prm_sync.domain.territories import country_problem, format_territories, parse_territories
from prm_sync.errors import UsageError

if TYPE_CHECKING:  # `partners list` imports this module and needs no mapping compiler (issue 17)
    from prm_sync.mapping import CompiledMapping
    from prm_sync.yamlsource import LoadedYaml

# What `partners add` and `partners edit` set (status moves through `set-status`, its lifecycle).
SETTABLE = ("name", "tier", "country", "website", "phone", "industry", "joined_on", "channel_manager",
            "territories")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def crm_owned(mapping: CompiledMapping, loaded: LoadedYaml | None) -> dict[str, str]:
    """Partner fields the CRM owns (pulled, never pushed) -> where the mapping says so (FILE:LINE)."""
    if Entity.PARTNER not in mapping:
        return {}
    mapper = mapping[Entity.PARTNER]
    owned = {}
    for fld in mapper.fields:
        if fld.pull and not fld.push:
            base = ["entities", "partner"]
            where = mapping.source
            if loaded is not None:
                paths = ([*base, "fields", fld.name, "direction"], [*base, "direction"], [*base, "fields", fld.name])
                path = next((p for p in paths if tuple(p) in loaded.lines), paths[-1])
                where = f"{loaded.file}:{loaded.line_of(path)}"
            owned[fld.name] = where
    return owned


def refuse_crm_owned(given: Iterable[str], owned: Mapping[str, str]) -> None:
    """UsageError naming every given field the CRM owns, with its mapping line."""
    refused = [name for name in given if name in owned]
    if refused:
        lines = [f"{name}: the CRM owns this field (direction: pull at {owned[name]}); the next sync would "
                 "overwrite a value set here. Set it in the CRM, or make the field `both` in the mapping"
                 for name in refused]
        raise UsageError("\n".join(lines))


def clean_values(values: Mapping[str, Any], tiers: Sequence[str] = PARTNER_TIERS) -> dict[str, Any]:
    """The given partner values, normalised (country upper, email lower, territories formatted);
    every problem at once in one UsageError. '' clears an optional field."""
    problems: list[str] = []
    out: dict[str, Any] = {}
    for name, raw in values.items():
        value = raw.strip() if isinstance(raw, str) else raw
        if value == "" and name != "name":
            out[name] = None
            continue
        try:
            out[name] = _clean(name, value, tiers)
        except (RuleViolation, ValueError) as exc:
            problems.append(str(exc))
    if problems:
        raise UsageError("; ".join(problems))
    return out


def _clean(name: str, value: Any, tiers: Sequence[str]) -> Any:
    if name == "name":
        if not value:
            raise ValueError("name: must not be empty")
        return value
    if name == "tier":
        return check_tier(value, tiers)
    if name == "country":
        country = value.upper()
        if problem := country_problem(country):
            raise ValueError(problem)
        return country
    if name == "channel_manager":
        manager = value.lower()
        if not _EMAIL.match(manager):
            raise ValueError(f"channel manager: '{value}' is not an email address")
        return manager
    if name == "territories":
        return format_territories(parse_territories(value))
    if name == "joined_on" and isinstance(value, dt.datetime):
        return value.date()
    return value
