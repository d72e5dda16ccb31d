"""Currency codes are ISO 4217, amounts are shown with the currency's minor units (issue 21 item 8)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from prm_sync.domain.commissions import DealFacts, calculate, explain
from prm_sync.domain.commissions.plans import CommissionSettings
from prm_sync.domain.currencies import is_iso_currency, minor_units
from prm_sync.domain.errors import RuleViolation
from prm_sync.domain.registrations import parse_registration


def test_iso_codes_and_their_minor_units() -> None:
    assert is_iso_currency("USD") and is_iso_currency("VND") and is_iso_currency("BHD")
    assert not is_iso_currency("XYZ") and not is_iso_currency("usd") and not is_iso_currency("US")
    assert not is_iso_currency("XAU")          # gold has no minor unit: not a trading currency here
    assert (minor_units("USD"), minor_units("JPY"), minor_units("BHD"), minor_units("VND")) == (2, 0, 3, 0)


def _settings(currency: str, **extra: object) -> CommissionSettings:
    return CommissionSettings.model_validate({
        "plans": [{"name": "p", "currency": currency, "effective": {"from": "2026-01-01"},
                   "tier_rates": {"gold": "10%"}}], **extra})


def test_a_plan_in_an_unknown_currency_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"XYZ.*ISO 4217"):
        _settings("XYZ")
    with pytest.raises(ValidationError, match=r"XYZ.*ISO 4217"):
        _settings("USD", fx={"XYZ": "1.1"})
    with pytest.raises(ValidationError, match=r"XYZ.*ISO 4217"):
        _settings("USD", decimals={"default": 2, "XYZ": 2})


def test_a_registration_in_an_unknown_currency_is_refused() -> None:
    row = {"partner": "Acme", "company": "Globex", "contact": "Hank Scorpio", "estimated_value": "100",
           "currency": "XYZ"}
    with pytest.raises(RuleViolation, match="'XYZ' is not an ISO 4217"):
        parse_registration(row, today=dt.date(2026, 7, 1))


@pytest.mark.parametrize(("currency", "amount", "shown"), [
    ("JPY", "1500000", "Rounded once (half_up, 0 decimals): 150000 JPY"),
    ("BHD", "1234.567", "Rounded once (half_up, 3 decimals): 123.457 BHD"),
    ("USD", "1234.5", "Rounded once (half_up, 2 decimals): 123.45 USD"),
])
def test_explain_prints_amounts_with_the_currencys_decimals(currency: str, amount: str, shown: str) -> None:
    cfg = _settings(currency, decimals={"default": 2})
    facts = DealFacts(deal_id="d1", partner_id="P1", amount=Decimal(amount), currency=currency,
                      close_date=dt.date(2026, 7, 15), is_won=True, tier="gold")
    text = explain(calculate(cfg, [facts])["d1"])
    assert shown in text, text
    assert f", {amount if currency != 'USD' else '1234.50'} {currency}" in text.splitlines()[0], text
