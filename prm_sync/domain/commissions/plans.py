"""The `commissions` block of config.yaml: plans, rates, bands, caps (validated, Decimal only).

Rates are written as "5%" or "0.05"; money as a quoted string or an integer. A YAML float
(`rate: 0.1`) is refused: a float cannot hold money or a rate exactly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from prm_sync.domain.currencies import require_iso_currency
from prm_sync.domain.fields import DEAL_TYPES, PARTNER_TIERS


def _money(value: Any) -> Decimal:
    if isinstance(value, (bool, float)):
        raise ValueError(f"write {value!r} as a quoted string, e.g. \"{value}\" (floats are not exact)")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"'{value}' is not an amount") from None
    if not result.is_finite() or result < 0:
        raise ValueError(f"'{value}' must be a finite amount of 0 or more")
    return result


def _rate(value: Any) -> Decimal:
    text = str(value).strip() if not isinstance(value, float) else None
    if text is None:
        raise ValueError(f"write {value!r} as a quoted string such as \"10%\" (floats are not exact)")
    percent = text.endswith("%")
    try:
        result = Decimal(text.rstrip("%").strip())
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a rate such as \"10%\" or \"0.1\"") from None
    if percent:
        result = result / 100
    if not result.is_finite() or result < 0 or result > 10:
        raise ValueError(f"'{value}' is not a sensible rate")
    return result


Money = Annotated[Decimal, BeforeValidator(_money)]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$"), AfterValidator(require_iso_currency)]
Rate = Annotated[Decimal, BeforeValidator(_rate)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Effective(_Strict):
    from_: dt.date = Field(alias="from")
    to: dt.date | None = None

    @model_validator(mode="after")
    def _order(self) -> Effective:
        if self.to is not None and self.to <= self.from_:
            raise ValueError("effective.to must be after effective.from (to is exclusive)")
        return self


class Band(_Strict):
    up_to: Money | None = None
    rate: Rate


class Bands(_Strict):
    mode: Literal["marginal", "flat"] = "marginal"
    table: list[Band] = Field(min_length=1)

    @model_validator(mode="after")
    def _ascending(self) -> Bands:
        limits = [b.up_to for b in self.table]
        if limits[-1] is not None:
            raise ValueError("the last band must have no up_to (it takes everything above)")
        bounded = [x for x in limits[:-1] if x is not None]
        if len(bounded) != len(limits) - 1 or bounded != sorted(set(bounded)):
            raise ValueError("band up_to values must be given and strictly ascending")
        return self


class OverrideWhen(_Strict):
    deal_type: Literal[DEAL_TYPES] | None = None  # type: ignore[valid-type]
    product_line: str | None = None


class Override(_Strict):
    when: OverrideWhen
    rate: Rate


class Accelerator(_Strict):
    period: Literal["month", "quarter", "year"] = "quarter"
    quota: Money
    multiplier: Rate


class Caps(_Strict):
    per_deal: Money | None = None
    per_period: Money | None = None


class SpiffWhen(_Strict):
    """Which deals a SPIFF pays on (all given conditions must hold; none given: every won deal)."""

    product_line: str | None = None
    deal_type: Literal[DEAL_TYPES] | None = None  # type: ignore[valid-type]
    registration: bool | None = None   # true: only deals from an approved registration


class Spiff(_Strict):
    """A time-boxed incentive: its own commission line per deal closed in [from, to).

    Not multiplied by the accelerator; outside the plan's caps unless `counts_toward_caps`.
    The budget (plan currency) is granted in close-date order; SPIFFs already approved or paid
    keep their share.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    from_: dt.date = Field(alias="from")   # close date, inclusive
    to: dt.date                            # close date, exclusive
    when: SpiffWhen = SpiffWhen()
    amount: Money | None = None            # per deal, plan currency
    rate: Rate | None = None               # of the deal amount
    budget: Money | None = None            # plan currency; none: unlimited
    counts_toward_caps: bool = False

    @model_validator(mode="after")
    def _shape(self) -> Spiff:
        if self.to <= self.from_:
            raise ValueError(f"spiff '{self.name}': to must be after from (to is exclusive)")
        if (self.amount is None) == (self.rate is None):
            raise ValueError(f"spiff '{self.name}': give either amount (per deal) or rate, not both")
        return self


class Plan(_Strict):
    name: str
    currency: CurrencyCode
    effective: Effective
    tier_rates: dict[Literal[PARTNER_TIERS], Rate] = Field(default_factory=dict)  # type: ignore[valid-type]
    bands: Bands | None = None
    overrides: list[Override] = Field(default_factory=list)
    registration_bonus: Rate = Decimal(0)
    accelerator: Accelerator | None = None
    caps: Caps = Caps()
    spiffs: list[Spiff] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_schedule(self) -> Plan:
        if not self.tier_rates and self.bands is None:
            raise ValueError(f"plan '{self.name}' needs tier_rates or bands")
        names = [s.name for s in self.spiffs]
        if len(set(names)) != len(names):
            raise ValueError(f"plan '{self.name}': spiff names must be distinct")
        return self


class CommissionSettings(_Strict):
    rounding: Literal["half_up", "half_even"] = "half_up"
    decimals: dict[str, int] = Field(default_factory=lambda: {"default": 2})   # default: for non-ISO codes only
    fx: dict[CurrencyCode, Rate] = Field(default_factory=dict)
    plans: list[Plan] = Field(default_factory=list)

    @model_validator(mode="after")
    def _decimals_keys(self) -> CommissionSettings:
        for key in self.decimals:
            if key != "default":
                require_iso_currency(key)
        return self
