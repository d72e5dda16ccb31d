"""Blocking sandbox entry point (wired to ``prm-sync sandbox`` by the integrator)."""

from __future__ import annotations

import json
from pathlib import Path

from connectors.hubspot.emulator.emulator import HubSpotEmulator


def build(seed_file: Path | str | None = None, generate_n: int | None = None,
          token: str = "test-token", seed: int = 0) -> HubSpotEmulator:
    """An emulator seeded from a dump file and/or ``generate_n`` generated partners."""
    emulator = HubSpotEmulator(token=token)
    if seed_file is not None:
        emulator.load(json.loads(Path(seed_file).read_text(encoding="utf-8")))
    if generate_n:
        emulator.generate(generate_n, seed=seed)
    return emulator


def serve(port: int, seed_file: Path | str | None = None, generate_n: int | None = None,
          host: str = "127.0.0.1", token: str = "test-token") -> None:
    """Serve until Ctrl-C. Clients use ``HubSpot(access_token=token, host=base_url)``."""
    emulator = build(seed_file, generate_n, token)
    print(f"HubSpot emulator on http://{host}:{port} (token {token!r})", flush=True)
    emulator.serve_forever(host, port)
