"""`prm-sync sandbox`: a local, offline CRM to try a mapping against."""

from __future__ import annotations

import json
import shlex
import signal
import threading
from pathlib import Path

import click

from prm_sync.crm_plugins import sandbox_names
from prm_sync.sandbox import start_sandbox


@click.command(epilog="\b\nExamples:\n  prm-sync sandbox --crm hubspot --port 8080 --generate 1000\n"
                      "  prm-sync sandbox --crm salesforce --empty   # an untouched org: try `prm-sync crm setup`")
@click.option("--crm", type=click.Choice(sandbox_names()), required=True)
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="0 picks a free port")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--seed", "seed_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="load a state dump (GET /__admin__/dump of a sandbox)")
@click.option("--generate", type=click.IntRange(0, 1_000_000), default=None, help="generate N partners with "
              "registrations and deals")
@click.option("--dir", "workdir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="where a sandbox that speaks TLS keeps its certificate")
@click.option("--empty", is_flag=True, help="serve an org / portal as the vendor hands it over, without the fields, "
              "objects and pipeline the mapping needs (to try `prm-sync crm setup`)")
def sandbox(crm: str, port: int, host: str, seed_file: Path | None, generate: int | None, workdir: Path,
            empty: bool) -> None:
    """Serve an emulated CRM until Ctrl-C; prints how to point prm-sync at it."""
    workdir.mkdir(parents=True, exist_ok=True)
    box = start_sandbox(crm, port=port, host=host, seed_file=seed_file, generate=generate, workdir=workdir,
                        empty=empty)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(json.dumps({"crm": crm, "url": box.base_url, "env": box.env, "settings": box.settings}), err=False)
    click.echo(f"{crm} sandbox serving on {box.base_url}", err=True)
    click.echo(f"point the config `prm-sync init --crm {crm}` wrote at it (paste into your shell):", err=True)
    for name, value in box.env.items():
        click.echo(f"  export {name}={shlex.quote(value)}", err=True)
    click.echo("Ctrl-C to stop; GET /__admin__/dump for its state.", err=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        box.stop()
