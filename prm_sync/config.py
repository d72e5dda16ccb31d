"""config.yaml: loading, `${VAR}` / `${VAR:-default}` interpolation, validation.

Every problem is collected and reported at once as `config.yaml:LINE: path.to.key: message`.
Secrets (tokens, passwords, session ids, webhook URLs: the fields declared with `SecretField`,
marked `"x-secret": true` in the JSON Schema) must come from the environment: a literal secret, or
a `${VAR:-default}` default on a secret key, is an error, and every interpolated secret value is
remembered so that log output can be redacted. CRM and webhook URLs must be https (http only to
loopback, the local sandbox); `ca_bundle` is relative to the config file and must be readable.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from prm_sync.config_checks import ca_bundle_problem, require_secure_url, resolve_ca_bundle
from prm_sync.crm_plugins import SECRET_MARK, SecretField, Strict, installed_crms
from prm_sync.domain.commissions.plans import CommissionSettings
from prm_sync.domain.fields import PARTNER_TIERS, SYNC_ORDER, Entity
from prm_sync.errors import ConfigError, Problem
from prm_sync.funds_config import FundsConfig, funds_problems
from prm_sync.notify_config import NotificationSettings
from prm_sync.program_config import ProgramSettings, program_problems
from prm_sync.util.redact import remember_secrets
from prm_sync.validation import problems_from
from prm_sync.yamlsource import LoadedYaml, YamlLoadError, load_yaml_file

ConflictPolicy = Literal["crm_wins", "prm_wins", "newest_wins", "manual"]
_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class CrmSection(Strict):
    """The `crm:` section: `type` names an installed CRM; its `crm.<type>` section holds its settings."""

    type: str

    def section(self, name: str | None = None) -> Any:
        """The `crm.<name>` settings (default: the configured CRM's), or None when absent."""
        return getattr(self, name or self.type, None)


def _crm_settings_model() -> type[CrmSection]:
    """`crm:` with `type` naming an installed CRM and one optional section per installed CRM
    (prm_sync.crm_plugins), each validated by that CRM's own settings model."""
    crms = installed_crms()
    sections: dict[str, Any] = {name: (plugin.settings | None, None) for name, plugin in crms.items()}
    names = tuple(crms)
    crm_type: Any = Literal[names] if names else str   # built from what is installed

    def section_present(self: CrmSection) -> CrmSection:
        if self.section() is None:
            raise ValueError(f"crm.type is '{self.type}' but there is no crm.{self.type} section")
        return self

    validators: dict[str, Any] = {"_section_present": model_validator(mode="after")(section_present)}
    return create_model("CrmSettings", __base__=CrmSection, type=(crm_type, ...), **sections,
                        __validators__=validators)


if TYPE_CHECKING:   # the checker sees the common base; pydantic validates with the built model
    CrmSettings = CrmSection
else:
    CrmSettings = _crm_settings_model()


class StoreSettings(Strict):
    url: str = "sqlite:///prm.db"


class SyncSettings(Strict):
    entities: list[Entity] = Field(default_factory=lambda: list(SYNC_ORDER))
    conflict: ConflictPolicy = "newest_wins"
    lookback_seconds: int = Field(300, ge=0, le=86400)
    daily_api_budget: int | None = Field(None, ge=1)
    deletion_sweep_minutes: int = Field(60, ge=0, le=7 * 24 * 60)
    max_run_seconds: int = Field(3600, ge=1, le=7 * 24 * 3600)
    # a first load's new rows written by a second process (sync/writer.py): auto = with two or more
    # cores, once the first load has read 1,000 records
    write_process: Literal["auto", "on", "off"] = "auto"


class ScheduleEntry(Strict):
    entities: list[Entity] = Field(default_factory=lambda: list(SYNC_ORDER))
    cron: str
    direction: Literal["pull", "push", "both"] = "both"
    full: bool = False

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str, info: ValidationInfo) -> str:
        if info.context and info.context.get("local"):
            # a store-only command runs no schedule: it need not import APScheduler to check one
            # (issue 17); `check`, `sync` and `schedule` load the whole config and check every cron
            return value
        from prm_sync.util.cron import cron_trigger

        try:
            cron_trigger(value, "UTC")
        except ValueError as exc:
            raise ValueError(f"'{value}' is not a cron expression (5 fields, or 6 with leading seconds): "
                             f"{exc}") from None
        return value


MatchOn = Literal["name", "email_domain", "website"]
_MATCH_ON_DEFAULT: tuple[MatchOn, ...] = ("name", "email_domain", "website")


class RegistrationSettings(Strict):
    protection_days: int = Field(90, ge=1, le=3650)
    free_mail_domains: list[str] = Field(default_factory=list)
    match_on: list[MatchOn] = Field(
        default_factory=lambda: list(_MATCH_ON_DEFAULT), min_length=1)
    # How a single contact name ("contact" column, --contact) is split into first and last name.
    name_order: Literal["given_first", "family_first"] = Field(
        "given_first", description="order of a full contact name: given_first ('Hank Scorpio') or "
        "family_first ('Nguyễn Thị Minh Khai', family name first)")


class PartnerSettings(Strict):
    tiers: list[str] = Field(default_factory=lambda: list(PARTNER_TIERS), min_length=1)

    @field_validator("tiers")
    @classmethod
    def _tiers(cls, value: list[str]) -> list[str]:
        lowered = [t.strip().lower() for t in value]
        if any(not t for t in lowered) or len(set(lowered)) != len(lowered):
            raise ValueError("tiers must be distinct, non-empty names")
        return lowered


AlertEvent = Literal["errors", "conflicts", "failure"]


_ALERT_ON_DEFAULT: tuple[AlertEvent, ...] = ("errors", "conflicts", "failure")


class AlertSettings(Strict):
    webhook_url: str = SecretField()
    on: list[AlertEvent] = Field(default_factory=lambda: list(_ALERT_ON_DEFAULT))
    timeout_seconds: float = Field(10.0, gt=0, le=120)

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL (its value is not shown: it is a secret)")
        return require_secure_url(value, secret=True)


class Config(Strict):
    crm: CrmSettings
    store: StoreSettings = StoreSettings()
    mappings: str
    sync: SyncSettings = SyncSettings()
    schedule: list[ScheduleEntry] = Field(default_factory=list)
    timezone: str = "UTC"
    registrations: RegistrationSettings = RegistrationSettings()
    partners: PartnerSettings = PartnerSettings()
    commissions: CommissionSettings | None = None
    program: ProgramSettings | None = None
    alerts: AlertSettings | None = None
    notifications: NotificationSettings | None = None
    funds: FundsConfig = FundsConfig()

    # Not from the file: where it was read, and the secret values to redact.
    source: str = Field("config.yaml", exclude=True)
    base_dir: str = Field(".", exclude=True)
    secrets: frozenset[str] = Field(frozenset(), exclude=True)
    key_lines: dict[str, int] = Field(default_factory=dict, exclude=True)   # line of each top-level key

    @property
    def mappings_line(self) -> int | None:
        return self.key_lines.get("mappings")

    @property
    def mappings_path(self) -> Path:
        path = Path(self.mappings)
        return path if path.is_absolute() else Path(self.base_dir) / path

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a time zone name such as 'UTC' or 'Europe/Paris'") from None
        return value


def load_config(path: Path, env: dict[str, str] | None = None, *, need_crm: bool = True) -> Config:
    """Read, interpolate and validate config.yaml; raise ConfigError with every problem.

    `need_crm=False` is for commands that only touch the local store (`partners add`): an unset
    CRM credential variable is then not an error, so a channel manager needs no CRM token.
    """
    environ = dict(os.environ) if env is None else env
    try:
        loaded = load_yaml_file(path)
    except YamlLoadError as exc:
        raise ConfigError([exc.problem]) from None
    if not isinstance(loaded.data, dict):
        raise ConfigError([Problem(loaded.file, 1, "", "expected a mapping of keys at the top")])
    problems: list[Problem] = []
    secrets: set[str] = set()
    data = _interpolate(loaded.data, (), loaded, environ, problems, secrets)
    remember_secrets(secrets)  # before validation: its messages are redacted too
    if not need_crm:
        problems = [p for p in problems if not (p.path.startswith("crm.") and "environment variable" in p.message)]
    loaded.data = data
    try:
        config = Config.model_validate(data, context={"local": not need_crm})
    except ValidationError as exc:
        problems.extend(problems_from(exc, loaded, Config))
        raise ConfigError(problems) from None
    crm = config.crm
    if need_crm:
        crm = _with_ca_bundle(crm, path.parent, loaded, problems)
    if config.program is not None:
        problems.extend(loaded.problem(list(where), message) for where, message in
                        program_problems(config.program, config.partners.tiers, config.commissions))
    problems.extend(loaded.problem(list(where), message) for where, message in
                    funds_problems(config.funds, config.partners.tiers))
    if problems:
        raise ConfigError(problems)
    return config.model_copy(update={
        "crm": crm,
        "source": loaded.file,
        "base_dir": str(path.parent),
        "secrets": frozenset(s for s in secrets if s),
        "key_lines": {str(key[0]): line for key, line in loaded.lines.items() if len(key) == 1},
    })


def secret_keys(model: type[BaseModel]) -> frozenset[str]:
    """Names of the fields marked secret (`SecretField`) in `model` and the models nested in it."""
    found: set[str] = set()
    seen: set[type[BaseModel]] = set()

    def walk(current: type[BaseModel]) -> None:
        if current in seen:
            return
        seen.add(current)
        for name, info in current.model_fields.items():
            extra = info.json_schema_extra
            if isinstance(extra, dict) and extra.get(SECRET_MARK):
                found.add(info.alias or name)
            for inner in _models_in(info.annotation):
                walk(inner)

    walk(model)
    return frozenset(found)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def _with_ca_bundle(crm: Any, base_dir: Path, loaded: LoadedYaml, problems: list[Problem]) -> Any:
    """The CRM section with `ca_bundle` resolved against the config's directory; a bundle that
    cannot be read is a problem at its line (not a failure deep inside the TLS stack)."""
    section = getattr(crm, crm.type)
    resolved = resolve_ca_bundle(getattr(section, "ca_bundle", None), base_dir)
    if resolved is None:
        return crm
    why = ca_bundle_problem(resolved)
    if why is not None:
        problems.append(loaded.problem(["crm", crm.type, "ca_bundle"], why))
        return crm
    section = section.model_copy(update={"ca_bundle": str(resolved.resolve())})
    return crm.model_copy(update={crm.type: section})


def _interpolate(
    node: Any, path: tuple[str | int, ...], loaded: LoadedYaml, env: dict[str, str],
    problems: list[Problem], secrets: set[str],
) -> Any:
    if isinstance(node, dict):
        return {k: _interpolate(v, (*path, k), loaded, env, problems, secrets) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate(v, (*path, i), loaded, env, problems, secrets) for i, v in enumerate(node)]
    if not isinstance(node, str):
        return node
    is_secret = bool(path) and path[-1] in _SECRET_KEYS
    used_env = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal used_env
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        used_env = True
        if default is not None and is_secret:
            problems.append(loaded.problem(
                path, f"a secret takes no default: write {path[-1]}: \"${{{name}}}\" and set {name} in the "
                      "environment (the default is not shown)"))
            return env.get(name, "")
        if name in env:
            return env[name]
        if default is not None:
            return default
        problems.append(loaded.problem(path, f"environment variable {name} is not set"))
        return ""

    value = _VAR.sub(substitute, node)
    if is_secret:
        if not used_env and value:
            problems.append(loaded.problem(
                path, f"secrets come from the environment: write {path[-1]}: \"${{YOUR_VARIABLE}}\""
            ))
        secrets.add(value)
    return value


_SECRET_KEYS = secret_keys(Config)
