"""CRM setup: what a connector that can prepare its CRM for a mapping plans and creates (`crm setup`).

The core command only plans, asks and calls: it hands the connector the mapped entities, prints
the plan the connector returns (each item pointing at the mapping path that needs it, which the
core turns into FILE:LINE), stops on conflicts, and asks before `apply_setup`. Everything CRM
specific (Tooling API metadata, HubSpot properties, pipelines, custom object schemas, field-level
security) lives in the connector package.

Rules every connector keeps:
- `plan_setup` only reads (describe calls); it never writes.
- `apply_setup` never deletes, renames or retypes anything that exists; it creates what the plan
  lists, in the plan's order (objects before their fields, fields before the permissions that
  name them), and stops at the first failure, returning what was and was not created. A rerun
  plans only what is still missing, so it finishes the job.
- A plan with conflicts (something exists with another type) is never applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from prm_sync.mapping import EntityMapper

#: a path into the mapping file, e.g. ("entities", "partner", "fields", "tier", "crm")
MappingPath = tuple[str | int, ...]


class SetupKind(StrEnum):
    """What a setup item creates (the words the plan prints)."""

    OBJECT = "object"                  # Salesforce custom object, HubSpot custom object schema
    FIELD = "field"                    # Salesforce custom field, HubSpot property
    GROUP = "group"                    # HubSpot property group
    PIPELINE = "pipeline"              # HubSpot deal pipeline
    STAGE = "stage"                    # a pipeline stage
    ASSOCIATION = "association"        # HubSpot association definition
    PERMISSION = "permission"          # Salesforce permission set, its field/object grants, its assignment


@dataclass(frozen=True)
class SetupItem:
    """One thing the CRM lacks and setup would create.

    `target` names it in the CRM's words ("Lead.Partner_Account__c", "companies.prm_tier");
    `detail` says what it would be ("Picklist (Registered, Silver, Gold)", "Text(36), External ID,
    unique"); `path` is the mapping line that needs it (empty for what no single line asks for,
    e.g. the permission set).
    """

    kind: SetupKind
    target: str
    detail: str
    entity: str | None = None
    path: MappingPath = ()


@dataclass(frozen=True)
class SetupConflict:
    """Something the mapping needs that exists in the CRM in another shape (another type, not
    unique where a key must be): setup reports it and creates nothing."""

    target: str
    wanted: str
    found: str
    entity: str | None = None
    path: MappingPath = ()


@dataclass(frozen=True)
class SetupRefusal:
    """Something the CRM will not let this org/portal have (e.g. custom objects below HubSpot
    Enterprise), with the vendor's own message and what the user can do instead."""

    target: str
    message: str
    advice: str
    entity: str | None = None
    path: MappingPath = ()


@dataclass(frozen=True)
class SetupPlan:
    items: tuple[SetupItem, ...] = ()
    conflicts: tuple[SetupConflict, ...] = ()
    refusals: tuple[SetupRefusal, ...] = ()
    #: describe/read calls the plan cost
    calls: int = 0

    @property
    def nothing_to_do(self) -> bool:
        return not self.items and not self.conflicts and not self.refusals


@dataclass(frozen=True)
class ValueRename:
    """A value the mapping names at `path` that the CRM created under another id (HubSpot may not
    keep a requested pipeline or stage id): `crm setup` writes `new` in place of `old` on that
    mapping line, with a comment saying so, so the mapping never depends on ids we asked for."""

    path: MappingPath
    old: str
    new: str


@dataclass(frozen=True)
class SetupOutcome:
    """What `apply_setup` did: every item of the plan is in exactly one of the three lists."""

    created: tuple[SetupItem, ...] = ()
    failed: SetupItem | None = None
    not_attempted: tuple[SetupItem, ...] = ()
    error: str | None = None           # the CRM's message for `failed` (secrets redacted)
    calls: int = 0                     # write calls made
    #: what the connector learnt while creating that the user must keep (e.g. HubSpot pipeline and
    #: stage ids the API chose), as lines to print
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: mapping values to replace by the ids the CRM chose (written into the mapping file by the core)
    renames: tuple[ValueRename, ...] = ()

    @property
    def ok(self) -> bool:
        return self.failed is None and not self.not_attempted


class CrmSetup(Protocol):
    """A connector declaring `capabilities.sets_up_crm` implements this too."""

    def plan_setup(self, mappers: Sequence[EntityMapper]) -> SetupPlan:
        """Describe the CRM and list what `mappers` need that it lacks (reads only)."""
        ...

    def apply_setup(self, plan: SetupPlan) -> SetupOutcome:
        """Create `plan.items` in order; stop at the first failure (never raises for a CRM refusal
        of one item: that is `failed` + `error`; raises CrmUnavailable / auth errors as any call)."""
        ...
