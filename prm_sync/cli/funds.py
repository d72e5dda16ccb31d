"""`prm-sync funds ...`: market development funds (budgets, requests, claims, the report)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from prm_sync.app import App
from prm_sync.cli.deferred import deferred
from prm_sync.cli.render import RAW, plain, render_rows
from prm_sync.domain.fields import FUND_ACTIVITY_TYPES as ACTIVITY_TYPES
from prm_sync.domain.fields import FUND_CLAIM_STATUSES as CLAIM_STATUSES
from prm_sync.domain.fields import FUND_REQUEST_STATUSES as REQUEST_STATUSES

set_budget = deferred("prm_sync.services.funds", "set_budget")
show_budget = deferred("prm_sync.services.funds", "show_budget")
add_request = deferred("prm_sync.services.funds", "add_request")
approve_request = deferred("prm_sync.services.funds", "approve")
reject_request = deferred("prm_sync.services.funds", "reject")
list_requests = deferred("prm_sync.services.funds", "list_requests")
add_claim = deferred("prm_sync.services.funds", "add_claim")
approve_claim = deferred("prm_sync.services.funds", "approve_claim")
reject_claim = deferred("prm_sync.services.funds", "reject_claim")
pay_claim = deferred("prm_sync.services.funds", "pay_claim")
list_claims = deferred("prm_sync.services.funds", "list_claims")
build_report = deferred("prm_sync.services.funds", "build_report")
utcnow = deferred("prm_sync.store.types", "utcnow")

FORMATS = click.Choice(["table", "json", "csv"])


def _actor() -> str:
    from prm_sync.cli.partners import actor

    return actor()


def _say(text: str) -> None:
    if not click.get_current_context().find_root().meta.get("quiet"):
        click.echo(text)


def _settings(app: App) -> Any:
    return app.config.funds.settings()


@click.group("funds", epilog="Examples:\n\n\b\n"
             "  prm-sync funds budget set --period 2026-Q4 --currency USD --total 100000\n"
             "  prm-sync funds request add --partner 'Acme Partners' --amount 5000 --period 2026-Q4 "
             "--activity event\n"
             "  prm-sync funds report --period 2026-Q4")
def funds() -> None:
    """Market development funds: budgets, partners' fund requests and claims, spend and ROI."""


# -- budget ---------------------------------------------------------------------------------

@funds.group("budget", epilog="Examples:\n\n\b\n"
             "  prm-sync funds budget set --period 2026-Q4 --currency USD --total 100000\n"
             "  prm-sync funds budget show --period 2026-Q4")
def budget() -> None:
    """A period's budget per currency, and each partner's allocation in it."""


@budget.command("set", epilog="Examples:\n\n\b\n"
                "  prm-sync funds budget set --period 2026-Q4 --currency USD --total 100000\n"
                "  prm-sync funds budget set --period 2026-Q4 --currency USD --partner 'Acme Partners' "
                "--allocation 15000")
@click.option("--period", required=True, help="2026-Q4 (quarter), 2026-10 (month) or 2026 (year)")
@click.option("--currency", default="USD", show_default=True, help="ISO 4217 code; one budget per currency")
@click.option("--total", help="the budget's total (creates the budget, or changes it)")
@click.option("--partner", "partner_key", help="set this partner's allocation (id or name)...")
@click.option("--allocation", help="...to this amount (otherwise: funds.default_allocation of its tier)")
@click.pass_obj
def budget_set(app: App, period: str, currency: str, total: str | None, partner_key: str | None,
               allocation: str | None) -> None:
    """Create or change a budget, or set one partner's allocation in it."""
    with app.local().open_store() as store, store.session(write=True) as session:
        _, said = set_budget(session, period, currency, total, _actor(), partner_key=partner_key,
                             allocation=allocation)
    _say(said)


@budget.command("show", epilog="Example: prm-sync funds budget show --period 2026-Q4 --format json")
@click.option("--period", required=True, help="2026-Q4, 2026-10 or 2026")
@click.option("--currency", help="only this currency's budget")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@RAW
@click.pass_obj
def budget_show(app: App, period: str, currency: str | None, fmt: str) -> None:
    """Each partner's allocation in the period's budgets, and where it comes from."""
    local = app.local()
    with local.open_store() as store, store.session() as session:
        rows = show_budget(session, _settings(local), period, currency)
    render_rows(rows, ("period", "currency", "total", "partner", "tier", "allocation", "source"), fmt,
                title=f"Fund budget {rows[0]['period']}")


# -- requests -------------------------------------------------------------------------------

@funds.group("request", epilog="Examples:\n\n\b\n"
             "  prm-sync funds request add --partner 'Acme Partners' --amount 5000 --period 2026-Q4 "
             "--activity webinar\n"
             "  prm-sync funds request list --status submitted")
def request() -> None:
    """Partners' requests for funds, before the activity: add, list, approve, reject."""


@request.command("add", epilog="Example: prm-sync funds request add --partner 'Acme Partners' --amount 5000 "
                 "--currency USD --period 2026-Q4 --activity event --description 'Hà Nội roadshow' "
                 "--start 2026-11-02 --end 2026-11-03 --expected-leads 20")
@click.option("--partner", "partner_key", required=True, help="partner id or name")
@click.option("--amount", required=True, help="the amount requested")
@click.option("--currency", default="USD", show_default=True)
@click.option("--period", help="the budget's period (default: the budget holding --start)")
@click.option("--activity", "activity_type", type=click.Choice(ACTIVITY_TYPES), help="the kind of activity")
@click.option("--description")
@click.option("--start", "planned_start", help="planned start date (YYYY-MM-DD)")
@click.option("--end", "planned_end", help="planned end date (YYYY-MM-DD); claims are due within "
              "funds.expiry_days of it")
@click.option("--expected-leads", type=click.IntRange(0, None))
@click.pass_obj
def request_add(app: App, partner_key: str, amount: str, currency: str, **values: Any) -> None:
    """Record a fund request (submitted); the next sync creates it in the CRM."""
    with app.local().open_store() as store, store.session(write=True) as session:
        row = add_request(session, partner_key, amount, currency, _actor(), **values)
        said = f"requested {row.id} ({row.requested_amount} {row.currency}, {row.period})"
    _say(said)


@request.command("list", epilog="Example: prm-sync funds request list --partner 'Acme Partners' --format json")
@click.option("--partner", "partner_key", help="one partner's requests (id or name)")
@click.option("--status", type=click.Choice(REQUEST_STATUSES))
@click.option("--period")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@RAW
@click.pass_obj
def request_list(app: App, partner_key: str | None, status: str | None, period: str | None, fmt: str) -> None:
    """List fund requests with what is approved and claimed."""
    with app.local().open_store() as store, store.session() as session:
        rows = list_requests(session, partner_key=partner_key, status=status, period=period)
    render_rows(rows, ("id", "partner", "period", "activity", "currency", "requested", "approved", "claimed",
                       "status", "start", "end", "expected_leads", "description"), fmt, title="Fund requests")


@request.command("approve", epilog="Example: prm-sync funds request approve 3f2a9c01 --amount 4000 "
                 "--reason 'venue only'")
@click.argument("key")
@click.option("--amount", help="approve less than requested (default: the requested amount)")
@click.option("--reason")
@click.pass_obj
def request_approve(app: App, key: str, amount: str | None, reason: str | None) -> None:
    """Approve a request (KEY: id or id prefix), reserving the amount against the partner's allocation."""
    local = app.local()
    with local.open_store() as store, store.session(write=True) as session:
        row = approve_request(session, _settings(local), key, _actor(), amount=amount, reason=reason)
        said = f"approved {row.id}: {row.approved_amount} {row.currency} reserved"
    _say(said)


@request.command("reject", epilog="Example: prm-sync funds request reject 3f2a9c01 --reason 'outside the program'")
@click.argument("key")
@click.option("--reason")
@click.pass_obj
def request_reject(app: App, key: str, reason: str | None) -> None:
    """Reject a request (an approved one releases its reservation)."""
    with app.local().open_store() as store, store.session(write=True) as session:
        row = reject_request(session, key, _actor(), reason)
        said = f"rejected {row.id}"
    _say(said)


# -- claims ---------------------------------------------------------------------------------

@funds.group("claim", epilog="Examples:\n\n\b\n"
             "  prm-sync funds claim add 5d8e7a02 --amount 4000 --proof https://files.example/invoice.pdf\n"
             "  prm-sync funds claim pay c4f0aa17")
def claim() -> None:
    """Claims against approved requests, after the activity: add, list, approve, reject, pay."""


@claim.command("add", epilog="Example: prm-sync funds claim add 5d8e7a02 --amount 4000 "
               "--proof https://files.example/invoice.pdf --proof receipts/venue.pdf")
@click.argument("request_key")
@click.option("--amount", required=True)
@click.option("--proof", "proof", multiple=True, help="a URL or file path (repeat for several)")
@click.pass_obj
def claim_add(app: App, request_key: str, amount: str, proof: tuple[str, ...]) -> None:
    """Claim funds against an approved request (REQUEST_KEY: id or id prefix)."""
    local = app.local()
    with local.open_store() as store, store.session(write=True) as session:
        row, note = add_claim(session, _settings(local), request_key, amount, _actor(), proof=proof)
        said = f"claimed {row.id} ({row.amount} {row.currency})" + (f": {note}" if note else "")
    _say(said)


@claim.command("list", epilog="Example: prm-sync funds claim list --status approved")
@click.option("--partner", "partner_key", help="one partner's claims (id or name)")
@click.option("--request", "request_key", help="one request's claims")
@click.option("--status", type=click.Choice(CLAIM_STATUSES))
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@RAW
@click.pass_obj
def claim_list(app: App, partner_key: str | None, request_key: str | None, status: str | None, fmt: str) -> None:
    """List fund claims."""
    with app.local().open_store() as store, store.session() as session:
        rows = list_claims(session, partner_key=partner_key, request_key=request_key, status=status)
    render_rows(rows, ("id", "request", "partner", "currency", "amount", "status", "paid_at", "proof"), fmt,
                title="Fund claims")


def _claim_command(name: str, action: Any, verb: str, doc: str, example_key: str) -> None:
    @claim.command(name, help=doc, epilog=f"Example: prm-sync funds claim {name} {example_key} --reason 'checked'")
    @click.argument("key")
    @click.option("--reason")
    @click.pass_obj
    def command(app: App, key: str, reason: str | None) -> None:
        with app.local().open_store() as store, store.session(write=True) as session:
            row = action(session, key, _actor(), reason)
            said = f"{verb} {row.id} ({row.amount} {row.currency})"
        _say(said)


_claim_command("approve", approve_claim, "approved", "Approve a submitted claim (KEY: id or id prefix).", "9b1e44d0")
_claim_command("reject", reject_claim, "rejected", "Reject a submitted claim.", "9b1e44d0")
_claim_command("pay", pay_claim, "paid", "Mark an approved claim paid (once only); its request is paid when its "
               "claims are.", "c4f0aa17")


# -- report -----------------------------------------------------------------------------------

@funds.command("report", epilog="Examples:\n\n\b\n  prm-sync funds report --period 2026-Q4\n"
               "  prm-sync funds report --period 2026-Q4 --format html --out mdf.html")
@click.option("--period", help="2026-Q4, 2026-10 or 2026 (default: this quarter)")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "html"]), default="table",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write to this file (default stdout)")
@click.option("--top", type=click.IntRange(1, None), help="only the N partners with the most funds reserved")
@RAW
@click.pass_obj
def report(app: App, period: str | None, fmt: str, out: Path | None, top: int | None) -> None:
    """Per partner and tier: budget, reserved, claimed, paid, remaining; per request and partner: leads,
    pipeline, won revenue and revenue per unit of funds paid. A partner's tier is its tier at the start
    of the period (the one its allocation comes from)."""
    from prm_sync.domain.commissions.periods import period_of

    local = app.local()
    label = period or period_of(utcnow().date(), "quarter").label
    with local.open_store() as store, store.session() as session:
        result = build_report(session, _settings(local), label)
    if top is not None:
        ranked = sorted(result.partners, key=lambda r: (-r["reserved"], -r["allocation"], r["partner"]))
        result.partners[:] = ranked[:top]
    if fmt == "json":
        _emit(json.dumps({"period": result.period,
                          "budgets": [{k: plain(v) for k, v in r.items()} for r in result.budgets],
                          "partners": [{k: plain(v) for k, v in r.items()} for r in result.partners],
                          "tiers": [{k: plain(v) for k, v in r.items()} for r in result.tiers],
                          "requests": [{k: plain(v) for k, v in r.items()} for r in result.requests]},
                         indent=2, ensure_ascii=False) + "\n", out)
        return
    if fmt == "html":
        from prm_sync.report_html.funds_page import render_funds_html

        _emit(render_funds_html(result), out)
        return
    if fmt == "csv":
        import io

        from prm_sync.cli.render import csv_raw
        from prm_sync.util.safe_csv import write_csv

        buffer = io.StringIO()
        write_csv(buffer, ("partner_id", *_report_columns()), result.partners, raw=csv_raw())
        _emit(buffer.getvalue(), out)
        return
    if result.budgets:
        render_rows(result.budgets, ("period", "currency", "total", "allocated", "unallocated", "reserved", "paid"),
                    "table", title=f"Market development funds {result.period}: budgets")
    render_rows(result.partners, _report_columns(), "table", title=f"Market development funds {result.period}",
                empty=f"No fund budgets or requests in {result.period}.")
    if result.tiers:
        render_rows(result.tiers, ("tier", "currency", "partners", "allocation", "reserved", "claimed", "paid",
                                   "remaining", "leads", "won_revenue", "revenue_per_paid"), "table",
                    title=f"By tier {result.period}")
    if result.requests:
        render_rows(result.requests, ("request", "partner", "activity", "currency", "approved", "paid", "status",
                                      "leads", "pipeline", "won_revenue", "revenue_per_paid"), "table",
                    title=f"Fund requests {result.period}: ROI")


def _report_columns() -> tuple[str, ...]:
    return ("partner", "tier", "period", "currency", "allocation", "reserved", "claimed", "paid", "remaining",
            "requests", "leads", "pipeline", "won_revenue", "revenue_per_paid")


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    _say(f"wrote {out}")
