"""Setting up and checking: `init`, `check`, `db upgrade`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import click

from prm_sync.app import App, resolve_store_url
from prm_sync.crm_plugins import installed_crm_names, installed_crms, sandbox_names
from prm_sync.errors import EXIT_USAGE, Problem, UsageError
from prm_sync.store import open_store, upgrade

if TYPE_CHECKING:
    from prm_sync.config import Config
    from prm_sync.services.init_online import FittedMapping
    from prm_sync.services.online_check import OnlineReport

_CONFIG_TAIL = """\
store:
  url: "sqlite:///prm.db"        # relative to this file; or postgresql+psycopg://user@host/db
mappings: mappings/{crm}.yaml
sync:
  entities: [partner, partner_contact, fund_request, fund_claim, lead, deal, commission]   # those the mapping maps
  conflict: newest_wins
schedule:
  - {{entities: [partner, partner_contact, fund_request, fund_claim, lead, deal], cron: "*/15 * * * *"}}
  - {{entities: [commission], cron: "0 2 * * *"}}
"""


def config_template(crm: str) -> str:
    """The config.yaml `init` writes for `crm`."""
    return ("# yaml-language-server: $schema=schemas/config.schema.json\n"
            "# prm-sync configuration. Every key is documented in config.example.yaml.\n"
            + installed_crms()[crm].init_config + _CONFIG_TAIL.format(crm=crm))


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def shipped_mapping(crm: str) -> str:
    return resources.files("mappings").joinpath(f"{crm}.yaml").read_text(encoding="utf-8")


def shipped_variants(crm: str) -> dict[str, str]:
    """The other mappings shipped for `crm` (e.g. hubspot-professional.yaml, for portals without
    custom objects), by file name: `init` writes them next to the default one."""
    return {entry.name: entry.read_text(encoding="utf-8") for entry in resources.files("mappings").iterdir()
            if entry.name.startswith(f"{crm}-") and entry.name.endswith(".yaml")}


@click.command(epilog="\b\nExamples:\n  prm-sync init --crm salesforce ./prm\n"
                      "  prm-sync init --crm hubspot --online .   # comment out mapped fields the portal lacks\n"
                      "  prm-sync init --crm hubspot --online --keep-missing --force .   # then: prm-sync crm setup")
@click.option("--crm", type=click.Choice(installed_crm_names()), default=installed_crm_names()[0], show_default=True)
@click.option("--force", is_flag=True, help="overwrite an existing config.yaml and mapping")
@click.option("--online", is_flag=True, help=(
    "inspect the org first (credentials from the environment variables config.yaml names) and comment "
    "out the mapped fields it does not have"))
@click.option("--keep-missing", is_flag=True, help=(
    "with --online: keep the mapped fields the org lacks (listed) instead of commenting them out, so that "
    "`prm-sync crm setup` creates them"))
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.pass_context
def init(ctx: click.Context, crm: str, force: bool, online: bool, keep_missing: bool, directory: Path) -> None:
    """Write config.yaml, the default mapping and their JSON Schemas into DIRECTORY; create the store."""
    from prm_sync.services.schemas import SCHEMA_DIR, write_schemas

    config_file = directory / "config.yaml"
    mapping_file = directory / "mappings" / f"{crm}.yaml"
    existing = [p for p in (config_file, mapping_file) if p.exists()]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        raise UsageError(f"{names} already exists; use --force to overwrite")
    mapping_text = shipped_mapping(crm)
    if keep_missing and not online:
        raise UsageError("--keep-missing goes with --online (it keeps the fields the org lacks in the mapping)")
    fitted = _fit_to_org(crm, mapping_text, config_file, keep_missing) if online else None
    if fitted is not None:
        mapping_text = fitted.text
    mapping_file.parent.mkdir(parents=True, exist_ok=True)
    store_url = resolve_store_url("sqlite:///prm.db", directory)
    with open_store(store_url, create=True) as store:  # the store first: if it fails, nothing is written
        revision = upgrade(store)
    write_schemas(directory / SCHEMA_DIR)
    write_atomically(mapping_file, mapping_text)
    for name, text in sorted(shipped_variants(crm).items()):
        variant = mapping_file.with_name(name)
        if force or not variant.exists():
            write_atomically(variant, text)
    write_atomically(config_file, config_template(crm))
    if not ctx.meta.get("quiet"):
        click.echo(f"wrote {config_file} and {mapping_file} (JSON Schemas for editors in {directory / SCHEMA_DIR})")
        click.echo(f"store {store.display_url} at revision {revision}")
    if fitted is not None:
        _report_fit(fitted, mapping_file)
    if not ctx.meta.get("quiet"):
        click.echo("next: set the environment variables named in config.yaml, then `prm-sync check`")


def _fit_to_org(crm: str, mapping_text: str, config_file: Path, keep_missing: bool) -> FittedMapping:
    """Describe the org with the config init is about to write, and fit the mapping to it."""
    import dataclasses
    import tempfile

    from prm_sync.errors import ConfigError
    from prm_sync.services.init_online import fit_mapping

    with tempfile.TemporaryDirectory(prefix="prm-sync-init-") as tmp:
        draft = Path(tmp) / "config.yaml"
        draft.write_text(config_template(crm), encoding="utf-8")
        try:
            connector = App(draft).connector()
        except ConfigError as exc:   # name the file being written, not the draft
            raise ConfigError([dataclasses.replace(p, file=str(config_file)) for p in exc.problems]) from None
    try:
        return fit_mapping(mapping_text, f"mappings/{crm}.yaml", crm, connector, keep_missing=keep_missing)
    finally:
        connector.close()


def _report_fit(fitted: FittedMapping, mapping_file: Path) -> None:
    """Say what init --online left out (shown even with -q: the admin must know), and what else to fix."""
    if fitted.kept or fitted.missing_objects:
        objects = f" and the object(s) {', '.join(fitted.missing_objects)}" if fitted.missing_objects else ""
        click.echo(f"init --online: the org lacks {len(fitted.kept)} mapped field(s){objects}, kept in "
                   f"{mapping_file}:")
        for omission in fitted.kept:
            click.echo(f"  line {omission.line}: {omission.entity}.{omission.prm_field}: {omission.object} has no "
                       f"field {omission.crm_field}")
        click.echo("create them (and whatever else the mapping needs) with `prm-sync crm setup` "
                   "(`prm-sync crm setup --dry-run` lists it first)")
    elif fitted.omitted:
        click.echo(f"init --online: the org lacks {len(fitted.omitted)} mapped field(s); in {mapping_file}:")
        for omission in fitted.omitted:
            click.echo(f"  {omission}")
        if fitted.can_set_up:
            click.echo("prm-sync can create them in the org instead of leaving them out: run init again with "
                       "--online --keep-missing --force, then `prm-sync crm setup`")
    else:
        click.echo("init --online: the org has every mapped field")
    # kept fields (and objects) the org lacks are `crm setup`'s to create: not repeated here
    setup_does = {"missing_field", "missing_object"} if fitted.kept or fitted.missing_objects else set()
    findings = [f for f in fitted.report.findings if f.kind.value not in setup_does]
    if findings:
        click.echo("still to look at (`prm-sync check --online` repeats these):")
        for finding in findings:
            click.echo(f"  {finding}")


@click.command(epilog="\b\nExamples:\n  prm-sync --config /etc/prm/config.yaml check\n"
                      "  prm-sync check --online --format json   # also against the live CRM's schema")
@click.option("--online", is_flag=True, help=(
    "also compare the mapping with the live CRM (Salesforce describe, HubSpot properties): missing or "
    "mistyped fields, picklist drift, upsert key, read-only and required fields"))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
@click.pass_context
def check(ctx: click.Context, app: App, online: bool, fmt: str) -> None:
    """Validate config.yaml and the mapping it names; exit 2 and list every problem if wrong.

    Online findings read FILE:LINE: path: error|warning: message. Errors (exit 2) would break a
    sync; warnings (exit 0) affect only records holding the values named.
    """
    from prm_sync.services.online_check import OnlineReport

    try:
        config = app.config
        mapping = app.mapping
    except UsageError as exc:
        if fmt != "json" or not exc.problems:
            raise
        _echo_json(OnlineReport(), offline=exc.problems)
        ctx.exit(EXIT_USAGE)
    _check_templates(config)
    report = _check_online(app) if online else OnlineReport()
    if fmt == "json":
        _echo_json(report)
    else:
        for finding in report.findings:
            click.echo(str(finding))
        no_plan = _no_plan_warning(config)
        if no_plan:
            click.echo(no_plan)
        if not ctx.meta.get("quiet"):
            click.echo(f"{config.source}: ok ({config.crm.type})")
            entities = ", ".join(f"{e.value} ({len(m.fields)} fields)" for e, m in mapping.entities.items())
            click.echo(f"{mapping.source}: ok: {entities}")
            if online:
                errors, warnings = len(report.errors), len(report.warnings)
                verdict = "ok" if not errors else "would break a sync"
                click.echo(f"{mapping.source} against the CRM: {verdict}: {errors} error(s), {warnings} warning(s)")
    ctx.exit(report.exit_code)


def _check_templates(config: Config) -> None:
    """Render every notification template with sample data: a problem is FILE:LINE, exit 2."""
    if config.notifications is None:
        return
    from prm_sync.services.notify_render import check_templates, templates_dir_of

    problems = check_templates(templates_dir_of(config.notifications.templates_dir, config.base_dir))
    if problems:
        raise UsageError("notification templates do not render:\n" + "\n".join(problems))


def _no_plan_warning(config: Config) -> str | None:
    """`check` warns (exit 0) when there is no commission plan: `commissions calculate` would refuse."""
    from prm_sync.services.commissions import no_plan_problem

    problem = no_plan_problem(config)
    if problem is None:
        return None
    where = f"{problem.file}:{problem.line}" if problem.line is not None else problem.file
    return f"{where}: {problem.path}: warning: {problem.message}; `prm-sync commissions calculate` needs one"


def _check_online(app: App) -> OnlineReport:
    from prm_sync.errors import MappingError
    from prm_sync.services.online_check import check_online
    from prm_sync.yamlsource import YamlLoadError, load_yaml_file

    mapping = app.mapping
    try:
        loaded = load_yaml_file(app.config.mappings_path, mapping.source)
    except YamlLoadError as exc:
        raise MappingError([exc.problem]) from None
    connector = app.connector()
    try:
        return check_online(mapping, loaded, connector)
    finally:
        connector.close()


def _echo_json(report: OnlineReport, offline: Sequence[Problem] = ()) -> None:
    body = report.as_dict()
    if offline:
        body["ok"] = False
        body["errors"] += len(offline)
        body["findings"] = [{"severity": "error", "kind": "invalid", "entity": None, "file": p.file,
                             "line": p.line, "path": p.path, "message": p.message} for p in offline]
    click.echo(json.dumps(body, indent=2, ensure_ascii=False))


@click.group()
def db() -> None:
    """Store maintenance."""


@db.command("upgrade", epilog="Example: prm-sync db upgrade")
@click.pass_obj
@click.pass_context
def db_upgrade(ctx: click.Context, app: App) -> None:
    """Create the store if needed and apply every migration this prm-sync has."""
    with app.local().open_store(create=True, check=False) as store:
        revision = upgrade(store)
    if not ctx.meta.get("quiet"):
        click.echo(f"store {store.display_url} at revision {revision}")


@click.command(epilog="Example: prm-sync demo --crm salesforce --records 500")
@click.option("--crm", type=click.Choice(sandbox_names()), default=sandbox_names()[0], show_default=True)
@click.option("--records", type=click.IntRange(1, 100_000), default=200, show_default=True,
              help="partners the emulated CRM starts with (plus their registrations and deals)")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where to put the demo's files (default: a new temporary directory)")
def demo(crm: str, records: int, directory: Path | None) -> None:
    """Run prm-sync end to end offline: an emulated CRM, a store, a two-way sync, a scorecard."""
    from prm_sync.cli.demo import run_demo

    code = run_demo(crm, directory, records)
    if code:
        raise SystemExit(code)
