"""`prm-sync demo` (what `make demo` runs): the whole product offline, in a scratch directory.

A built-in CRM emulator is started and seeded, a store is initialised, a partner is added on
the PRM side, and a full two-way sync runs: the CRM's partners, registrations and deals come in,
the new partner goes out. Then commissions, a scorecard, a tier review applied and synced (tiers
and discounts reach the CRM), a four-quarter trend, and market development funds (a request
approved, claimed, paid and credited with a registration, synced, then the funds report).
Every step is the real command a user would type.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from prm_sync.cli.main import run
from prm_sync.sandbox import Sandbox, start_sandbox

if TYPE_CHECKING:
    from prm_sync.store import FundClaim, FundRequest


def run_demo(crm: str, directory: Path | None = None, records: int = 200) -> int:
    workdir = directory or Path(tempfile.mkdtemp(prefix="prm-sync-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    click.secho(f"Starting an emulated {crm} CRM with {records} generated partners (no network, no account)...",
                bold=True)
    sandbox = start_sandbox(crm, generate=records, workdir=workdir)
    saved_env = {name: os.environ.get(name) for name in sandbox.env}
    try:
        os.environ.update(sandbox.env)
        config = workdir / "config.yaml"
        steps: list[list[str]] = [["init", "--crm", crm, "--force", str(workdir)]]
        code = _steps(steps, config)
        if code:
            return code
        _point_config_at(config, crm, sandbox.settings)
        with config.open("a", encoding="utf-8") as out:
            out.write(DEMO_PLAN)
        quarter = f"{dt.date.today().year}-Q{(dt.date.today().month - 1) // 3 + 1}"
        steps = [
            ["check"],
            ["partners", "add", "Acme Channel Partners", "--tier", "gold", "--country", "US", "--status", "active",
             "--channel-manager", "cm@example.com"],
            ["sync"],
            ["status"],
        ]
        code = _steps(steps, config)
        if code:
            return code
        _show_pushed_partner(config, "Acme Channel Partners")
        code = _steps([["partners", "show", "Acme Channel Partners"],
                       ["commissions", "calculate", "--period", quarter],
                       ["sync", "--entity", "commission"],
                       ["report", "scorecard", "--period", quarter, "--top", "10"],
                       ["partners", "review-tiers", "--partner", "Acme Channel Partners"],
                       ["-q", "partners", "review-tiers", "--apply", "--yes"],
                       ["partners", "show", "Acme Channel Partners"],
                       ["sync", "--entity", "partner"],
                       ["report", "scorecard", "--period", quarter, "--periods", "4", "--top", "3"],
                       ["report", "scorecard", "--period", quarter, "--format", "html",
                        "--out", str(workdir / "scorecard.html")]], config)
        if code == 0:
            code = _funds_demo(config, quarter, records, sandbox)
        if code == 0:
            click.echo(f"\nOpen {workdir / 'scorecard.html'} in a browser for the QBR version (charts included).")
        click.echo(f"\nThe demo's files are in {workdir} (config.yaml, mappings/, prm.db).")
        return code
    finally:
        sandbox.stop()
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


DEMO_PLAN = """commissions:
  plans:
    - name: demo-2026
      currency: USD
      effective: {from: 2020-01-01}
      tier_rates: {registered: "5%", silver: "8%", gold: "10%", platinum: "12%"}
      registration_bonus: "2%"
  fx: {EUR: "1.10", GBP: "1.27", JPY: "0.0067", VND: "0.00004"}
program:
  currency: USD
  grace_days: 30
  tiers:
    - name: registered
    - name: silver
      requires: {revenue: 50000, won_deals: 1}
    - name: gold
      requires: {revenue: 400000, won_deals: 2}
    - name: platinum
      requires: {revenue: 900000, won_deals: 3, min_score: 60}
  score:            # the partner score (0-100); no certification catalogue in the demo, so they weigh 0
    weights: {revenue: 40, won_deals: 30, registration_approval: 15, registration_win: 15, certifications: 0}
  discounts: {registered: "0%", silver: "10%", gold: "20%", platinum: "30%"}
funds:
  default_allocation: {registered: "2000", silver: "5000", gold: "10000", platinum: "20000"}
  expiry_days: 30
"""


def _funds_demo(config: Path, quarter: str, partners: int, sandbox: Sandbox) -> int:
    """Market development funds: a budget, a request approved, claimed and paid, a registration it
    produced, synced to the CRM, then the funds report (docs/funds.md). The budget covers every
    partner's default allocation (at most 20,000 each), so nothing shows as over-allocated."""
    from prm_sync.store import FundClaim, FundRequest

    partner = "Acme Channel Partners"
    total = str(20_000 * (partners + 1))
    code = _steps([["funds", "budget", "set", "--period", quarter, "--currency", "USD", "--total", total],
                   ["funds", "request", "add", "--partner", partner, "--amount", "5000", "--period", quarter,
                    "--activity", "webinar", "--description", "Cloud migration webinar", "--expected-leads", "20"]],
                  config)
    if code:
        return code
    request_id = _latest_id(config, FundRequest)
    code = _steps([["funds", "request", "approve", request_id],
                   ["funds", "claim", "add", request_id, "--amount", "4800", "--proof",
                    "https://files.example/webinar-invoice.pdf"]], config)
    if code:
        return code
    claim_id = _latest_id(config, FundClaim)
    code = _steps([["funds", "claim", "approve", claim_id],
                   ["funds", "claim", "pay", claim_id],
                   ["leads", "register", "--partner", partner, "--company", "Globex Cloud", "--contact",
                    "Hank Scorpio", "--email", "hank@globex.example", "--value", "40000", "--currency", "USD",
                    "--fund-request", request_id],
                   ["sync", "--entity", "fund_request", "--entity", "fund_claim", "--entity", "lead"]], config)
    if code:
        return code
    if sandbox.won_deal is not None:   # a sales rep wins the deal the webinar produced, in the CRM
        click.secho(f"\n(in the CRM: a deal of {partner} for {DEMO_WON_DEAL:,} USD, naming the fund request, "
                    "is closed won)", bold=True)
        sandbox.won_deal(_partner_crm_id(config, partner), "Globex Cloud - Platform", DEMO_WON_DEAL, request_id)
        code = _steps([["sync", "--entity", "deal"]], config)
        if code:
            return code
    return _steps([["funds", "report", "--period", quarter, "--top", "5"]], config)


#: the won deal the demo's fund request produced: ROI = 36,000 / 4,800 paid = 7.50 per unit of funds
DEMO_WON_DEAL = Decimal("36000")


def _partner_crm_id(config: Path, name: str) -> str:
    from prm_sync.app import App
    from prm_sync.services.partner_lookup import resolve_partner
    from prm_sync.store import link_for_prm

    with App(config).open_store() as store, store.session() as session:
        link = link_for_prm(session, "partner", resolve_partner(session, name).id)
        assert link is not None, "the demo's partner was pushed by the first sync"
        return str(link.crm_id)


def _latest_id(config: Path, table: type[FundRequest] | type[FundClaim]) -> str:
    """The id of the row of `table` the demo step just made (the newest)."""
    from sqlmodel import col, select

    from prm_sync.app import App

    with App(config).open_store() as store, store.session() as session:
        return str(session.exec(select(table.id).order_by(col(table.created_at).desc())).first())


def _steps(steps: list[list[str]], config: Path) -> int:
    for args in steps:
        shown = " ".join(a if " " not in a else repr(a) for a in args)
        click.secho(f"\n$ prm-sync {shown}", bold=True, fg="cyan")
        full = args if args[0] == "init" else ["--config", str(config), *args]
        code = run(full)
        if code != 0:
            click.secho(f"demo step failed with exit code {code}", fg="red", err=True)
            return code
    return 0


def _point_config_at(config: Path, crm: str, settings: dict[str, str]) -> None:
    """The config `init` wrote, with the CRM section pointing at the emulator."""
    lines = config.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == f"{crm}:")
    end = start + 1
    while end < len(lines) and lines[end].startswith("    "):
        end += 1
    section = [f"    {key}: {json.dumps(value)}" for key, value in settings.items()]
    config.write_text("\n".join([*lines[:start + 1], *section, *lines[end:]]) + "\n", encoding="utf-8")


def _show_pushed_partner(config: Path, name: str) -> None:
    from sqlmodel import select

    from prm_sync.app import App
    from prm_sync.store import Link, Partner

    with App(config).open_store() as store, store.session() as session:
        partner = session.exec(select(Partner).where(Partner.name == name)).first()
        link = session.get(Link, ("partner", partner.id)) if partner else None
    if partner and link and link.crm_id:
        click.secho(f"\n'{name}' was created in the PRM (id {partner.id}) and is now CRM record {link.crm_id}.",
                    fg="green")
