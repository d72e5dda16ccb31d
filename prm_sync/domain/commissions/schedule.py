"""Which plan applies to a deal, and its rate schedule: override, else bands, else tier rate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from prm_sync.domain.commissions.model import DealFacts
from prm_sync.domain.commissions.plans import CommissionSettings, Plan


class NoRate(ValueError):
    """The plan has no rate for this deal (e.g. no tier rate for the partner's tier)."""


@dataclass(frozen=True)
class Band:
    """Applies to the part of the deal (plan currency) up to `up_to` (None: everything above)."""

    up_to: Decimal | None
    rate: Decimal
    source: str


@dataclass(frozen=True)
class Schedule:
    description: str
    bands: tuple[Band, ...]   # one band for a single rate; several for marginal bands


def plan_for(settings: CommissionSettings, close_date: dt.date) -> Plan | None:
    """The plan in force at the close date (`from` inclusive, `to` exclusive); the latest start wins."""
    candidates = [p for p in settings.plans
                  if p.effective.from_ <= close_date and (p.effective.to is None or close_date < p.effective.to)]
    return max(candidates, key=lambda p: p.effective.from_) if candidates else None


def _pct(rate: Decimal) -> str:
    text = format((rate * 100).normalize(), "f")
    return f"{text}%"


def schedule_for(plan: Plan, deal: DealFacts, amount_in_plan: Decimal) -> Schedule:
    for index, override in enumerate(plan.overrides, start=1):
        when = override.when
        conditions = {"deal_type": when.deal_type, "product_line": when.product_line}
        given = {k: v for k, v in conditions.items() if v is not None}
        if given and all(str(getattr(deal, k) or "").lower() == str(v).lower() for k, v in given.items()):
            label = "override #{} ({})".format(index, ", ".join(f"{k}={v}" for k, v in given.items()))
            return Schedule(f"{label}: {_pct(override.rate)}", (Band(None, override.rate, label),))
    if plan.bands is not None:
        table = plan.bands.table
        if plan.bands.mode == "marginal":
            bands = tuple(Band(b.up_to, b.rate, _band_label(i, b.up_to)) for i, b in enumerate(table, start=1))
            text = ", ".join(f"{_band_label(i, b.up_to)} {_pct(b.rate)}" for i, b in enumerate(table, start=1))
            return Schedule(f"marginal bands: {text}", bands)
        for i, band in enumerate(table, start=1):
            if band.up_to is None or amount_in_plan <= band.up_to:
                label = _band_label(i, band.up_to)
                return Schedule(f"flat band: whole deal at {label} {_pct(band.rate)}", (Band(None, band.rate, label),))
    rate = plan.tier_rates.get(deal.tier)
    if rate is None:
        raise NoRate(f"plan '{plan.name}' has no tier rate for tier '{deal.tier}' and no bands")
    label = f"tier {deal.tier}"
    return Schedule(f"{label}: {_pct(rate)}", (Band(None, rate, label),))


def _band_label(index: int, up_to: Decimal | None) -> str:
    return f"band {index} (up to {up_to})" if up_to is not None else f"band {index} (above)"


percent = _pct
