"""The CRM registration hook: each connector package brings its own `crm.<name>` settings model.

A CRM package (connectors/salesforce, connectors/hubspot, a third-party one) declares a `CrmPlugin`
under the `prm_sync.crms` entry point group; config.yaml's `crm.type` may name any installed one,
and its `crm.<name>` section is validated by the plugin's settings model. The connector itself is
built through the `prm_sync.connectors` group, its sandbox through `prm_sync.sandboxes`.

The building blocks of a settings model live here too (a connector imports them from
prm_sync.connector): `Strict`, `SecretField` (environment only, redacted), `SecureUrl` (https, http
only to loopback), `CrmTimeouts`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from prm_sync.config_checks import require_secure_url

GROUP = "prm_sync.crms"
SECRET_MARK = "x-secret"


def SecretField(default: Any = ..., **kwargs: Any) -> Any:
    """A config field that holds a secret: environment only, no `${VAR:-default}`, redacted."""
    return Field(default, json_schema_extra={SECRET_MARK: True}, **kwargs)


SecureUrl = Annotated[str, AfterValidator(require_secure_url)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CrmTimeouts(Strict):
    """Per-call network timeouts of a CRM connector (seconds)."""

    connect_timeout_seconds: float = Field(10.0, gt=0, le=300)
    read_timeout_seconds: float = Field(60.0, gt=0, le=3600)


@dataclass(frozen=True)
class CrmPlugin:
    """What a CRM package registers: its name in config.yaml and mapping files, how messages name
    it, and the model of its `crm.<name>` section (with a `ca_bundle` field if it speaks TLS)."""

    name: str
    label: str
    settings: type[BaseModel]
    #: a mapping's `filter`: text (e.g. a WHERE fragment) or a list of filter objects
    filter_is_text: bool = True
    filter_hint: str = "a filter is text"            # said when a mapping gives the other form
    #: a problem with a text filter (None: fine)
    check_filter: Callable[[str], str | None] | None = None
    #: the model of each item of a list filter (`filter_is_text=False`); the compiled mapping holds
    #: the validated items, and the mapping's JSON Schema describes them with this model's schema
    filter_model: type[BaseModel] | None = None
    #: the most items a list filter may have, and why (said with a mapping that gives more)
    filter_max_items: int | None = None
    filter_max_hint: str = ""
    #: field names match in any case (Salesforce's API names); False: as spelled (HubSpot's)
    names_any_case: bool = True
    #: references may name an `association` (HubSpot) instead of a lookup field
    associations: bool = False
    #: the `crm:` section `prm-sync init` writes into config.yaml (secrets as ${VARIABLES})
    init_config: str = ""
    #: how to make a field usable as the upsert key, said by `check --online`
    unique_key_hint: str = "make it a unique field"
    #: more to say about a mapped field the CRM lacks (None: nothing)
    missing_field_hint: Callable[[str], str | None] | None = None


def sandbox_names() -> tuple[str, ...]:
    """The CRMs with a built-in sandbox (`prm_sync.sandboxes` entry points), by name; nothing imported."""
    return tuple(sorted({e.name for e in entry_points(group="prm_sync.sandboxes")}))


def installed_crm_names() -> tuple[str, ...]:
    """The names only: no CRM package is imported."""
    return tuple(sorted({e.name for e in entry_points(group=GROUP)}))


@cache
def installed_crms() -> dict[str, CrmPlugin]:
    """The installed CRMs by name, in name order (found once per process)."""
    found: dict[str, CrmPlugin] = {}
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        plugin = entry.load()
        if not isinstance(plugin, CrmPlugin) or plugin.name != entry.name:
            raise RuntimeError(f"entry point {GROUP}:{entry.name} is not the CrmPlugin named '{entry.name}'")
        found[entry.name] = plugin
    return found
