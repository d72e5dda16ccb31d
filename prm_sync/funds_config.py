"""The `funds:` block of config.yaml (market development funds; docs/funds.md).

    funds:
      default_allocation: {gold: 10000, silver: 5000}   # per tier, in each budget's currency
      expiry_days: 30                                   # an approved request with no claim expires
      claim_over_approval: refuse                       # or cap: a claim above the approval is capped

Tier names must be partners.tiers (checked with the rest of the config).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

from pydantic import Field, field_validator

from prm_sync.crm_plugins import Strict
from prm_sync.domain.funds import ClaimOverApproval, FundSettings


class FundsConfig(Strict):
    default_allocation: dict[str, Decimal] = Field(
        default_factory=dict, description="each tier's allocation in a budget (budget currency) unless set directly")
    expiry_days: int = Field(30, ge=0, le=3650,
                             description="an approved request with no claim this many days after the activity end "
                                         "expires, releasing its reservation")
    claim_over_approval: ClaimOverApproval = Field(
        "refuse", description="a claim above what remains of the approved amount: refuse, or cap it to that")

    @field_validator("default_allocation")
    @classmethod
    def _amounts(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for tier, amount in value.items():
            if not amount.is_finite() or amount < 0:
                raise ValueError(f"{tier}: an allocation is an amount of 0 or more, not {amount}")
        return {tier.strip().lower(): amount for tier, amount in value.items()}

    def settings(self) -> FundSettings:
        return FundSettings(self.expiry_days, self.claim_over_approval, dict(self.default_allocation))


def funds_problems(funds: FundsConfig, partner_tiers: Sequence[str]) -> Iterator[tuple[tuple[str, ...], str]]:
    for tier in funds.default_allocation:
        if tier not in partner_tiers:
            yield ("funds", "default_allocation", tier), (
                f"'{tier}' is not one of partners.tiers ({', '.join(partner_tiers)})")
