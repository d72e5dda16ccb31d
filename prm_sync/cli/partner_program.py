"""`prm-sync partners review-tiers`: the partner program's tier rules applied to every partner."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import click

from prm_sync.app import App
from prm_sync.cli.deferred import deferred
from prm_sync.cli.render import plain, render_rows

if TYPE_CHECKING:  # the tier rules load with the review: `partners list` needs none of them
    from prm_sync.domain.tier_rules import TierReview
    from prm_sync.services.tier_review import TierReviewReport

# Loaded on first call: `partners --help` needs neither the services nor the store.
find_partner = deferred("prm_sync.services.partners", "find_partner")
apply_tier_review = deferred("prm_sync.services.tier_review", "apply_tier_review")
review_store_tiers = deferred("prm_sync.services.tier_review", "review_store_tiers")
utcnow = deferred("prm_sync.store.types", "utcnow")

COLUMNS = ("partner", "current", "rules_give", "proposed", "action", "reasons")


def _row(review: TierReview) -> dict[str, Any]:
    return {"partner_id": review.partner_id, "partner": review.partner, "current": review.current,
            "rules_give": review.qualified, "proposed": review.proposed, "action": review.action,
            "reasons": "; ".join([*(str(c) for c in review.reasons), *review.notes])}


def _json(report: TierReviewReport) -> str:
    def checks(items: Any) -> list[dict[str, Any]]:
        return [{"tier": c.tier, "requirement": c.requirement, "needed": c.needed, "has": c.has, "met": c.met}
                for c in items]

    return json.dumps({"as_of": plain(report.as_of), "currency": report.currency, "partners": [
        {**{k: v for k, v in _row(r).items() if k != "reasons"}, "reasons": checks(r.reasons), "notes": r.notes,
         "checks": checks(r.checks)} for r in report.reviews]}, indent=2, ensure_ascii=False)


@click.command("review-tiers", epilog="Examples:\n\n\b\n  prm-sync partners review-tiers --as-of 2026-12-31\n"
               "  prm-sync partners review-tiers --apply --yes      # from cron")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="review on this day (default today, UTC)")
@click.option("--apply", "apply_", is_flag=True, help="change the tiers that move (history kept; next sync pushes)")
@click.option("--yes", is_flag=True, help="with --apply: do not ask")
@click.option("--partner", "keys", multiple=True, help="only this partner (id or name; repeatable)")
@click.option("--only-changes", is_flag=True, help="list only partners whose tier moves, is in grace or pinned")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.pass_obj
def review_tiers(app: App, as_of: dt.datetime | None, apply_: bool, yes: bool, keys: tuple[str, ...],
                 only_changes: bool, fmt: str) -> None:
    """Per partner: current tier, the tier the program's rules give and why (each requirement: needed,
    has, met), and what a review sets (promotion, demotion after the grace period; pinned tiers stay).
    With -q nothing is printed on success (cron: -q partners review-tiers --apply --yes)."""
    from prm_sync.cli.partners import actor, quiet

    local = app.local()
    day = as_of.date() if as_of else utcnow().date()
    with local.open_store() as store, store.session(write=apply_) as session:
        report = review_store_tiers(session, local.config, day)
        if keys:
            wanted = {find_partner(session, key).id for key in keys}
            report.reviews = [r for r in report.reviews if r.partner_id in wanted]
        from prm_sync.services.tier_review import TierReviewReport

        shown = report if not only_changes else TierReviewReport(
            report.as_of, report.currency, [r for r in report.reviews if r.action != "keep"])
        if quiet():
            pass
        elif fmt == "json":
            click.echo(_json(shown))
        else:
            render_rows([_row(r) for r in shown.reviews], COLUMNS if fmt == "table" else ("partner_id", *COLUMNS),
                        fmt, title=f"Tier review as of {day} ({report.currency})")
        if not apply_:
            return
        moving = report.changes
        if moving and not yes:
            click.confirm(f"change the tier of {len(moving)} partner(s)?", abort=True, err=True)
        changes = apply_tier_review(session, local.config, report, actor=actor(), now=utcnow())
    if not quiet():
        click.echo(f"{len(changes)} tier(s) changed; the next sync pushes them to the CRM", err=True)
