"""The HubSpot sandbox: the emulator started for `prm-sync sandbox` and the demo."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

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
        won_deal=partial(_won_deal, emulator),
    )


def _won_deal(emulator: Any, partner: str, name: str, amount: Decimal, fund_request: str) -> None:
    """A sales rep closes a deal of the default pipeline, associated with the partner's company, that
    names the MDF request behind it."""
    deals = emulator.schema.object_types["deals"]
    with emulator.lock:
        now = emulator.now_ms()
        close = dt.datetime.fromtimestamp(now / 1000, dt.UTC).date().isoformat()
        record = emulator.store.create(deals, {
            "dealname": name, "amount": str(amount), "pipeline": "default", "dealstage": "closedwon",
            "closedate": close, "deal_currency_code": "USD", "prm_fund_request_id": fund_request}, now)
        emulator.associations.link("deals", record.id, "companies", int(partner),
                                   emulator.associations.default_type("deals", "companies"))
        emulator.changed(deals, [record], now)
