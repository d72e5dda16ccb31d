"""`prm-sync demo`: show prm-sync working end to end, offline, in a scratch directory.

It uses the real commands a user would type (init, check, partners) so that what the demo shows
is what the product does. It grows with the product: see the README for what it covers today.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from prm_sync.cli.main import run


def run_demo(crm: str, directory: Path | None = None) -> int:
    workdir = directory or Path(tempfile.mkdtemp(prefix="prm-sync-demo-"))
    config = str(workdir / "config.yaml")
    # The demo talks to no real CRM: a placeholder credential satisfies `check`.
    os.environ.setdefault("HUBSPOT_ACCESS_TOKEN", "demo-token")
    os.environ.setdefault("SF_INSTANCE_URL", "https://127.0.0.1")
    os.environ.setdefault("SF_SESSION_ID", "demo-session")
    steps: list[list[str]] = [
        ["init", "--crm", crm, "--force", str(workdir)],
        ["--config", config, "check"],
        ["--config", config, "partners", "add", "Acme Channel Partners", "--tier", "gold", "--country", "US",
         "--status", "active", "--channel-manager", "cm@example.com"],
        ["--config", config, "partners", "add", "Saigon Solutions JSC", "--tier", "silver", "--country", "VN"],
        ["--config", config, "partners", "list"],
    ]
    for args in steps:
        shown = " ".join(a if " " not in a else repr(a) for a in args if a not in ("--config", config))
        click.secho(f"\n$ prm-sync {shown}", bold=True)
        code = run(args)
        if code != 0:
            click.secho(f"demo step failed with exit code {code}", fg="red", err=True)
            return code
    click.echo(f"\ndemo files are in {workdir}")
    return 0
