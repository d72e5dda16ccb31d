"""Setting up and checking: `init`, `check`, `db upgrade`."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from prm_sync.app import App, resolve_store_url
from prm_sync.errors import UsageError
from prm_sync.store import open_store, upgrade

CONFIG_TEMPLATES = {
    "hubspot": """\
# yaml-language-server: $schema=schemas/config.schema.json
# prm-sync configuration. Every key is documented in config.example.yaml.
# Secrets come from the environment: export HUBSPOT_ACCESS_TOKEN=... (a private-app token).
crm:
  type: hubspot
  hubspot:
    access_token: "${HUBSPOT_ACCESS_TOKEN}"
    base_url: "${HUBSPOT_BASE_URL:-https://api.hubapi.com}"
store:
  url: "sqlite:///prm.db"        # relative to this file; or postgresql+psycopg://user@host/db
mappings: mappings/hubspot.yaml
sync:
  entities: [partner, lead, deal, commission]
  conflict: newest_wins
schedule:
  - {entities: [partner, lead, deal], cron: "*/15 * * * *"}
  - {entities: [commission], cron: "0 2 * * *"}
""",
    "salesforce": """\
# yaml-language-server: $schema=schemas/config.schema.json
# prm-sync configuration. Every key is documented in config.example.yaml.
# Secrets come from the environment: export SF_INSTANCE_URL=... SF_SESSION_ID=...
# (or use username/password/security_token, or OAuth JWT: see config.example.yaml).
crm:
  type: salesforce
  salesforce:
    instance_url: "${SF_INSTANCE_URL}"
    session_id: "${SF_SESSION_ID}"
    api_version: "62.0"
    ca_bundle: "${SF_CA_BUNDLE:-}"   # PEM of a custom CA (corporate proxy, the local sandbox); empty: none
store:
  url: "sqlite:///prm.db"        # relative to this file; or postgresql+psycopg://user@host/db
mappings: mappings/salesforce.yaml
sync:
  entities: [partner, lead, deal, commission]
  conflict: newest_wins
schedule:
  - {entities: [partner, lead, deal], cron: "*/15 * * * *"}
  - {entities: [commission], cron: "0 2 * * *"}
""",
}


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def shipped_mapping(crm: str) -> str:
    return resources.files("mappings").joinpath(f"{crm}.yaml").read_text(encoding="utf-8")


@click.command(epilog="Example: prm-sync init --crm salesforce ./prm")
@click.option("--crm", type=click.Choice(["hubspot", "salesforce"]), default="hubspot", show_default=True)
@click.option("--force", is_flag=True, help="overwrite an existing config.yaml and mapping")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.pass_context
def init(ctx: click.Context, crm: str, force: bool, directory: Path) -> None:
    """Write config.yaml and the default mapping into DIRECTORY, and create the store."""
    config_file = directory / "config.yaml"
    mapping_file = directory / "mappings" / f"{crm}.yaml"
    existing = [p for p in (config_file, mapping_file) if p.exists()]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        raise UsageError(f"{names} already exists; use --force to overwrite")
    mapping_text = shipped_mapping(crm)
    mapping_file.parent.mkdir(parents=True, exist_ok=True)
    store_url = resolve_store_url("sqlite:///prm.db", directory)
    with open_store(store_url, create=True) as store:  # the store first: if it fails, nothing is written
        revision = upgrade(store)
    write_atomically(mapping_file, mapping_text)
    write_atomically(config_file, CONFIG_TEMPLATES[crm])
    if not ctx.meta.get("quiet"):
        click.echo(f"wrote {config_file} and {mapping_file}")
        click.echo(f"store {store.display_url} at revision {revision}")
        click.echo("next: set the environment variables named in config.yaml, then `prm-sync check`")


@click.command(epilog="Example: prm-sync --config /etc/prm/config.yaml check")
@click.pass_obj
@click.pass_context
def check(ctx: click.Context, app: App) -> None:
    """Validate config.yaml and the mapping it names; exit 2 and list every problem if wrong."""
    config = app.config
    mapping = app.mapping
    if not ctx.meta.get("quiet"):
        click.echo(f"{config.source}: ok ({config.crm.type})")
        entities = ", ".join(f"{e.value} ({len(m.fields)} fields)" for e, m in mapping.entities.items())
        click.echo(f"{mapping.source}: ok: {entities}")


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
@click.option("--crm", type=click.Choice(["hubspot", "salesforce"]), default="hubspot", show_default=True)
@click.option("--records", type=click.IntRange(1, 100_000), default=200, show_default=True,
              help="partners the emulated CRM starts with (plus their registrations and deals)")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where to put the demo's files (default: a new temporary directory)")
def demo(crm: str, records: int, directory: Path | None) -> None:
    """Run prm-sync end to end offline: an emulated CRM, a store, a two-way sync, a scorecard."""
    from prm_sync.demo import run_demo

    code = run_demo(crm, directory, records)
    if code:
        raise SystemExit(code)
