"""The Salesforce sandbox: the emulator started for `prm-sync sandbox` and the demo."""

from __future__ import annotations

import json
from pathlib import Path

from connectors.salesforce.emulator import SalesforceEmulator
from prm_sync.sandbox import Sandbox


def start(*, port: int = 0, host: str = "127.0.0.1", seed_file: Path | None = None, generate: int | None = None,
          workdir: Path | None = None) -> Sandbox:
    emulator = SalesforceEmulator(tls_dir=(workdir / "sandbox-tls") if workdir else None)
    if seed_file is not None:
        emulator.load(json.loads(Path(seed_file).read_text(encoding="utf-8")))
    if generate:
        emulator.generate(generate)
    url = emulator.start(host, port)
    return Sandbox(
        crm="salesforce", emulator=emulator, base_url=url,
        env={"SF_INSTANCE_URL": url, "SF_SESSION_ID": emulator.session_id},
        settings={"instance_url": "${SF_INSTANCE_URL}", "session_id": "${SF_SESSION_ID}",
                  "ca_bundle": str(emulator.ca_path)},
    )
