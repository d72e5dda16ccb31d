"""Rounding per currency and the plan-currency conversions (config `commissions.fx`).

`fx[C]` is what one unit of currency C is worth in the plan currency. Amounts are converted
into the plan currency by multiplying (exact), and back by dividing once, just before the one
rounding of a line; intermediate values are never rounded.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from prm_sync.domain.commissions.plans import CommissionSettings
from prm_sync.domain.currencies import minor_units

PRECISION = 40  # digits kept by intermediate arithmetic (well above any money amount)
ZERO = Decimal(0)


class MissingFx(ValueError):
    """No `commissions.fx` rate for a currency that must be converted."""


def context() -> decimal.Context:
    return decimal.Context(prec=PRECISION, rounding=ROUND_HALF_EVEN)


def decimals_for(settings: CommissionSettings, currency: str) -> int:
    """The configured decimals of `currency`, else its ISO 4217 minor units (JPY 0, BHD 3), else
    the configured default."""
    if currency in settings.decimals:
        return settings.decimals[currency]
    return minor_units(currency, default=settings.decimals.get("default", 2))


def round_money(settings: CommissionSettings, amount: Decimal, currency: str) -> Decimal:
    """Round once, to the currency's decimals, with the configured rule."""
    mode = ROUND_HALF_UP if settings.rounding == "half_up" else ROUND_HALF_EVEN
    exponent = Decimal(1).scaleb(-decimals_for(settings, currency))
    return amount.quantize(exponent, rounding=mode, context=context())


def fx_rate(settings: CommissionSettings, currency: str, plan_currency: str) -> Decimal:
    """Plan-currency value of one unit of `currency`; MissingFx when the config has none."""
    if currency == plan_currency:
        return Decimal(1)
    rate = settings.fx.get(currency)
    if rate is None or rate == 0:
        raise MissingFx(f"no commissions.fx rate for {currency} (needed to convert into {plan_currency})")
    return rate


def convert(settings: CommissionSettings, amount: Decimal, currency: str, to_currency: str) -> Decimal:
    """`amount` of `currency` expressed in `to_currency`, through the fx table (unrounded).

    The currency the fx table is quoted in is any plan currency that has no fx entry itself.
    """
    if currency == to_currency:
        return amount
    bases = {plan.currency for plan in settings.plans if plan.currency not in settings.fx}
    with decimal.localcontext(context()):
        if currency in settings.fx:
            in_base = amount * settings.fx[currency]
        elif currency in bases:
            in_base = amount
        else:
            raise MissingFx(f"no commissions.fx rate for {currency} (needed to convert into {to_currency})")
        if to_currency in bases:
            return in_base
        rate = settings.fx.get(to_currency)
        if not rate:
            raise MissingFx(f"no commissions.fx rate for {to_currency} (needed to convert {currency} into it)")
        return in_base / rate


def plain(amount: Decimal) -> str:
    """Fixed-point text of an amount (no exponent), for explanations and files."""
    return format(amount, "f")


def shown(amount: Decimal, places: int = 2, most: int = 12) -> str:
    """An amount for explanations: at least `places` decimals, more only when they carry value
    (at most `most`, then an ellipsis), never an exponent."""
    normal = amount.normalize(context()) if amount else ZERO
    exp = normal.as_tuple().exponent
    digits = max(places, -exp) if isinstance(exp, int) else places
    if digits > most:
        return f"{amount:.{most}f}..."
    return f"{amount:.{digits}f}"
