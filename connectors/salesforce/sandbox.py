"""The Salesforce sandbox: the emulator started for `prm-sync sandbox` and the demo."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import partial
from pathlib import Path

from connectors.salesforce.emulator import SalesforceEmulator
from prm_sync.connector import Sandbox


def start(*, port: int = 0, host: str = "127.0.0.1", seed_file: Path | None = None, generate: int | None = None,
          workdir: Path | None = None, empty: bool = False) -> Sandbox:
    """`empty`: an org as Salesforce hands it over (standard objects and fields only, field-level security
    for what the API creates)."""
    emulator = SalesforceEmulator(tls_dir=(workdir / "sandbox-tls") if workdir else None)
    if empty:
        emulator.reset_org(empty=True)
    if seed_file is not None:
        emulator.load(json.loads(Path(seed_file).read_text(encoding="utf-8")))
    if generate:
        emulator.generate(generate)
    url = emulator.start(host, port)
    assert emulator.ca_path is not None  # started: its certificate is made
    ca_bundle = str(Path(emulator.ca_path).resolve())   # absolute: config.yaml may live anywhere
    return Sandbox(
        crm="salesforce", emulator=emulator, base_url=url,
        # every variable the config `prm-sync init --crm salesforce` writes reads
        env={"SF_INSTANCE_URL": url, "SF_SESSION_ID": emulator.session_id, "SF_CA_BUNDLE": ca_bundle},
        settings={"instance_url": "${SF_INSTANCE_URL}", "session_id": "${SF_SESSION_ID}",
                  "ca_bundle": ca_bundle},
        won_deal=partial(_won_deal, emulator),
    )


def _won_deal(emulator: SalesforceEmulator, partner: str, name: str, amount: Decimal, fund_request: str) -> None:
    """A sales rep closes an Opportunity of `partner` that names the MDF request behind it."""
    with emulator.lock:
        stamp = emulator.store.now()
        emulator.store.insert("Opportunity", {
            "Name": name, "StageName": "Closed Won", "CloseDate": stamp.date().isoformat(), "Amount": amount,
            "CurrencyIsoCode": "USD", "Partner_Account__c": partner, "PRM_Fund_Request_Id__c": fund_request,
        }, stamp)
