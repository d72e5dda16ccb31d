"""`prm-sync crm setup`: create in the CRM what the mapping needs (fields, objects, pipelines)."""

from __future__ import annotations

import json

import click

from prm_sync.app import App
from prm_sync.cli.confirm import interactive
from prm_sync.cli.deferred import deferred
from prm_sync.cli.render import print_table
from prm_sync.errors import MappingError, UsageError

PLAN_COLUMNS = ("kind", "target", "detail", "mapping_line")
run_setup = deferred("prm_sync.services.crm_setup", "run_setup")


@click.group()
def crm() -> None:
    """The CRM itself: prepare it for the mapping (`crm setup`)."""


@crm.command("setup", epilog=(
    "\b\nExamples:\n  prm-sync crm setup --dry-run          # what is missing; nothing written\n"
    "  prm-sync crm setup --yes              # create it without asking (scripts)\n"
    "  prm-sync crm setup --entity partner --dry-run --format json"))
@click.option("--dry-run", is_flag=True, help="print the plan and stop; write nothing")
@click.option("--entity", default=None, help="prepare only this mapped entity (default: every one)")
@click.option("--yes", "-y", "yes", is_flag=True, help="create without asking (needed without a terminal)")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
@click.pass_context
def setup(ctx: click.Context, app: App, dry_run: bool, entity: str | None, yes: bool, fmt: str) -> None:
    """Create in the CRM what the mapping needs and it lacks: fields/properties with their types and
    picklist values, unique keys, custom objects, the registration pipeline and its stages.

    It never deletes, renames or retypes what exists: a field that exists with another type stops
    it (exit 2, the mapping's FILE:LINE) before anything is created. A setup that fails part way
    keeps what it created (exit 1); run it again to finish.
    """
    from prm_sync.yamlsource import YamlLoadError, load_yaml_file

    mapping = app.mapping
    try:
        loaded = load_yaml_file(app.config.mappings_path, mapping.source)
    except YamlLoadError as exc:
        raise MappingError([exc.problem]) from None
    quiet = bool(ctx.meta.get("quiet"))
    as_json = fmt == "json"
    say = (lambda text: None) if (as_json or quiet) else click.echo

    def confirm(count: int) -> None:
        if yes:
            return
        if interactive():
            click.confirm(f"Create these {count} item(s) in the CRM?", default=False, abort=True)
            return
        raise UsageError(f"crm setup would create {count} item(s) in the CRM: add --yes to go ahead "
                         "(or --dry-run to see them); without a terminal prm-sync cannot ask")

    def show_plan(rows: list[dict[str, object]], title: str) -> None:
        if not as_json and not quiet and rows:
            print_table(rows, PLAN_COLUMNS, title=title, priority=("target", "mapping_line", "kind", "detail"))

    report = run_setup(app, mapping, loaded, entity=entity, dry_run=dry_run, confirm=confirm, say=say,
                       warn=lambda text: click.echo(text, err=True),
                       show_plan=show_plan)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    ctx.exit(report.exit_code)
