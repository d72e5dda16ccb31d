"""What the calculation reads (a deal's facts) and what it produces (what a deal has earned, and why)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class DealFacts:
    """A partner deal as the calculation needs it; the service fills it from the store.

    `tier` is the partner's tier at the close date; `from_approved_registration` says the deal
    came from a registration the vendor approved (it earns the plan's registration bonus).
    """

    deal_id: str
    partner_id: str
    amount: Decimal | None
    currency: str | None
    close_date: dt.date | None
    is_won: bool
    tier: str = "registered"
    deal_type: str | None = None
    product_line: str | None = None
    from_approved_registration: bool = False
    stage: str | None = None
    deleted: bool = False

    @property
    def earns(self) -> bool:
        """Closed-won, live, with an amount, a currency and a close date."""
        return (self.is_won and not self.deleted and self.amount is not None and self.currency is not None
                and self.close_date is not None)


@dataclass(frozen=True)
class Slice:
    """One part of a deal (in plan currency) and the rate it earns."""

    low: Decimal
    high: Decimal
    base_rate: Decimal
    rate: Decimal          # base_rate + bonus, times the multiplier when accelerated
    accelerated: bool
    source: str            # e.g. "band 2 (up to 200000)", "tier gold", "override deal_type=renewal"

    @property
    def amount(self) -> Decimal:
        return self.high - self.low

    @property
    def commission(self) -> Decimal:
        return self.amount * self.rate


@dataclass(frozen=True)
class CapStep:
    name: str              # "per-deal cap" or "per-period cap"
    limit: Decimal         # plan currency
    before: Decimal
    after: Decimal


@dataclass
class Earned:
    """What one deal has earned (or why it earns nothing), everything the explanation needs."""

    deal: DealFacts
    due: Decimal                        # rounded, deal currency; 0 when nothing is due
    currency: str | None
    period: str | None                  # payout period label (the close date's quarter)
    plan: str | None = None
    plan_currency: str | None = None
    fx: Decimal | None = None
    amount_in_plan: Decimal | None = None
    schedule: str = ""
    bonus: Decimal = Decimal(0)
    slices: list[Slice] = field(default_factory=list)
    accelerator: str = ""
    caps: list[CapStep] = field(default_factory=list)
    in_plan: Decimal = Decimal(0)       # commission in plan currency after caps, unrounded
    unrounded: Decimal = Decimal(0)     # the same in deal currency, before the one rounding
    rounding: str = ""
    reason: str = ""                    # why nothing is due, or a problem that stopped the calculation
    problem: bool = False


@dataclass
class SpiffEarned:
    """What one deal earns from one SPIFF (a line of its own), with its explanation."""

    deal: DealFacts
    spiff: str
    due: Decimal                        # rounded, deal currency
    currency: str | None
    period: str | None
    plan: str | None
    text: str                           # the explanation the line carries
    reason: str = ""                    # why nothing (more) is due
    problem: bool = False

    @property
    def component(self) -> str:
        return f"spiff:{self.spiff}"
