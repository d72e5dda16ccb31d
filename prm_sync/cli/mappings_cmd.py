"""`prm-sync mappings schema|show`: editor support and the effective mapping."""

from __future__ import annotations

import click

from prm_sync.app import App
from prm_sync.cli.render import RAW, render_rows
from prm_sync.domain.fields import Entity
from prm_sync.errors import UsageError

SHOW_COLUMNS = ("entity", "prm_field", "crm_field", "direction", "type", "values", "default", "required")


@click.group()
def mappings() -> None:
    """The field mapping: its JSON Schema (for editors) and its effective content."""


@mappings.command("schema", epilog=(
    "\b\nExamples:\n  prm-sync mappings schema > schemas/mapping.schema.json\n"
    "  prm-sync mappings schema --config-schema > schemas/config.schema.json"))
@click.option("--config-schema", is_flag=True, help="the schema of config.yaml instead of the mapping's")
def schema(config_schema: bool) -> None:
    """Print the JSON Schema of the mapping YAML (generated from the models that validate it)."""
    from prm_sync.services import schemas

    click.echo(schemas.schema_text(schemas.config_schema() if config_schema else schemas.mapping_schema()),
               nl=False)


@mappings.command("show", epilog="Example: prm-sync mappings show partner --format json")
@click.argument("entity", required=False, type=click.Choice([e.value for e in Entity]))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@RAW
@click.pass_obj
def show(app: App, entity: str | None, fmt: str) -> None:
    """The mapping as prm-sync applies it: every field with its direction, type and values resolved
    from the entity's defaults, then lookups, constants and the upsert key."""
    from prm_sync.services.mapping_table import effective_rows

    mapping = app.local().mapping
    if entity is not None and entity not in mapping:
        raise UsageError(f"{mapping.source} does not map the entity '{entity}'")
    rows = effective_rows(mapping, Entity(entity) if entity else None)
    columns = SHOW_COLUMNS[1:] if entity else SHOW_COLUMNS
    render_rows(rows, columns, fmt, title=f"{mapping.source} ({mapping.crm})")
