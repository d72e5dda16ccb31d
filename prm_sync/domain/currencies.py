"""ISO 4217 currency codes and their minor units (from the `iso4217` package's ISO data).

A code must be an active ISO 4217 currency with a minor unit: "XYZ" is refused, and so are the
units without one (gold XAU, the testing code XTS, "no currency" XXX), which no deal is paid in.
"""

from __future__ import annotations

from functools import cache


@cache
def _minor_units() -> dict[str, int]:
    # imported on first use: loading config.yaml needs it only when a section names a currency (issue 17)
    from iso4217 import Currency

    return {c.code: int(c.exponent) for c in Currency if c.exponent is not None}


def is_iso_currency(code: str) -> bool:
    return code in _minor_units()


def minor_units(code: str, default: int = 2) -> int:
    """Decimals of `code` (JPY 0, USD 2, BHD 3); `default` for a code ISO 4217 does not know."""
    return _minor_units().get(code, default)


def require_iso_currency(code: str) -> str:
    """`code` if it is an ISO 4217 currency; ValueError (for pydantic and the CLI) otherwise."""
    if not is_iso_currency(code):
        raise ValueError(f"'{code}' is not an ISO 4217 currency code (such as USD, EUR, JPY)")
    return code
