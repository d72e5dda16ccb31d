"""The HubSpot sandbox: the emulator started for `prm-sync sandbox` and the demo."""

from __future__ import annotations

import secrets
from pathlib import Path

from connectors.hubspot.emulator.server import build
from prm_sync.connector import Sandbox


def start(*, port: int = 0, host: str = "127.0.0.1", seed_file: Path | None = None, generate: int | None = None,
          workdir: Path | None = None, empty: bool = False) -> Sandbox:
    """`empty`: a portal as HubSpot hands it over (no prm properties, pipeline or custom objects)."""
    token = f"pat-sandbox-{secrets.token_hex(8)}"
    emulator = build(seed_file, generate, token)
    if empty:
        emulator.reset_portal(empty=True)
    url = emulator.start(host, port)
    return Sandbox(
        crm="hubspot", emulator=emulator, base_url=url,
        env={"HUBSPOT_ACCESS_TOKEN": token, "HUBSPOT_BASE_URL": url},
        settings={"access_token": "${HUBSPOT_ACCESS_TOKEN}", "base_url": "${HUBSPOT_BASE_URL}"},
    )
