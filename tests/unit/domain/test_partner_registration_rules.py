"""State machines (partner lifecycle, registration workflow), territories, tiers, contracts, input rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from prm_sync.domain.contracts import ContractTerms, add_months, check_terms, due_reasons, next_term, renewal_action
from prm_sync.domain.errors import RuleViolation
from prm_sync.domain.fields import PARTNER_STATUSES, REGISTRATION_STATUSES
from prm_sync.domain.partners import PARTNER_TRANSITIONS, check_partner_transition, check_tier
from prm_sync.domain.registrations import (
    REGISTRATION_TRANSITIONS,
    Protection,
    check_registration_transition,
    extended_end,
    parse_registration,
)
from prm_sync.domain.territories import parse_territories

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
ALLOWED_PARTNER = {
    ("prospect", "onboarding"), ("prospect", "terminated"), ("onboarding", "active"), ("onboarding", "terminated"),
    ("active", "suspended"), ("active", "terminated"), ("suspended", "active"), ("suspended", "terminated"),
}


@pytest.mark.parametrize("current", PARTNER_STATUSES)
@pytest.mark.parametrize("target", PARTNER_STATUSES)
def test_partner_lifecycle_allows_exactly_the_table(current: str, target: str) -> None:
    if (current, target) in ALLOWED_PARTNER:
        check_partner_transition(current, target, reason="why")
    else:
        with pytest.raises(RuleViolation, match=f"cannot go from {current} to {target}|already {current}"):
            check_partner_transition(current, target, reason="why")


def test_partner_lifecycle_table_covers_every_status_and_terminated_is_final() -> None:
    assert set(PARTNER_TRANSITIONS) == set(PARTNER_STATUSES)
    with pytest.raises(RuleViolation, match="terminated is final"):
        check_partner_transition("terminated", "active")
    with pytest.raises(RuleViolation, match="not one of"):
        check_partner_transition("active", "paused")


def test_tiers_are_checked_against_the_configured_list() -> None:
    assert check_tier(" Gold ") == "gold"
    assert check_tier("diamond", ["registered", "diamond"]) == "diamond"
    with pytest.raises(RuleViolation, match="'diamond' is not one of registered, silver, gold, platinum"):
        check_tier("diamond")


def test_territories_accept_countries_subdivisions_and_regions() -> None:
    assert parse_territories("us, US-CA;emea vn VN") == ["US", "US-CA", "EMEA", "VN"]
    assert parse_territories(["gb-eng", "APAC"]) == ["GB-ENG", "APAC"]
    assert parse_territories("") == []
    with pytest.raises(RuleViolation) as caught:
        parse_territories("USA, XX-CA, EU, US-")
    assert all(code in str(caught.value) for code in ("'USA'", "XX is not", "'EU'", "'US-'"))


@pytest.mark.parametrize("current", REGISTRATION_STATUSES)
@pytest.mark.parametrize("target", REGISTRATION_STATUSES)
def test_registration_workflow_allows_exactly_the_table(current: str, target: str) -> None:
    if target in REGISTRATION_TRANSITIONS[current]:
        check_registration_transition(current, target)
    else:
        with pytest.raises(RuleViolation, match=f"cannot go from {current} to {target}"):
            check_registration_transition(current, target)


def test_protection_period_with_a_controlled_clock() -> None:
    submitted = Protection("submitted", T0)
    assert submitted.ends_at(90) == T0 + 90 * DAY
    assert not submitted.should_expire(T0 + 90 * DAY - dt.timedelta(seconds=1), 90)
    assert submitted.should_expire(T0 + 90 * DAY, 90)
    approved = Protection("approved", T0, approved_at=T0 + 10 * DAY)
    assert approved.ends_at(30) == T0 + 40 * DAY
    stored = Protection("approved", T0, expires_at=T0 + 5 * DAY, extended_until=T0 + 50 * DAY)
    assert stored.ends_at(90) == T0 + 50 * DAY and stored.is_protected(T0 + 49 * DAY)
    assert not Protection("won", T0).should_expire(T0 + 1000 * DAY)
    assert not Protection("expired", T0).is_protected(T0)


def test_extension_counts_from_the_end_or_from_now_when_past() -> None:
    assert extended_end(T0 + 10 * DAY, T0, 30) == T0 + 40 * DAY
    assert extended_end(T0, T0 + 10 * DAY, 30) == T0 + 40 * DAY
    with pytest.raises(RuleViolation):
        extended_end(T0, T0, 0)


def test_parse_registration_cleans_values_and_lists_every_problem() -> None:
    data = parse_registration({"partner": " Acme ", "company": "Globex", "contact": "Hank Q Scorpio",
                               "email": "Hank@Globex.com", "estimated_value": "12,500.50", "currency": "usd",
                               "expected_close": "2026-06-30", "products": "Software"}, today=T0.date())
    assert (data.contact_first_name, data.contact_last_name) == ("Hank Q", "Scorpio")
    assert data.estimated_value == Decimal("12500.50") and data.currency == "USD" and data.email == "hank@globex.com"
    with pytest.raises(RuleViolation) as caught:
        parse_registration({"company": "", "email": "nope", "estimated_value": "-3", "currency": "dollars",
                            "expected_close": "2025-01-01"}, today=T0.date())
    message = str(caught.value)
    for part in ("partner: missing", "company: missing", "contact: missing", "email: 'nope'",
                 "estimated_value: '-3'", "'DOLLARS' is not an ISO 4217 currency", "2025-01-01 is in the past"):
        assert part in message
    with pytest.raises(RuleViolation, match="currency: needed"):
        parse_registration({"partner": "A", "company": "B", "contact": "C", "estimated_value": "1e3"})


def test_contract_renewal_rules() -> None:
    yearly = ContractTerms(dt.date(2026, 1, 1), dt.date(2026, 12, 31), auto_renew=True, notice_days=60)
    assert renewal_action(yearly, dt.date(2026, 12, 30)) is None
    assert renewal_action(yearly, dt.date(2026, 12, 31)) == "renew"
    assert next_term(yearly) == (dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    fixed = ContractTerms(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert renewal_action(fixed, dt.date(2026, 6, 30)) is None
    assert renewal_action(fixed, dt.date(2026, 7, 1)) == "expire"
    odd = ContractTerms(dt.date(2026, 1, 10), dt.date(2026, 2, 18), auto_renew=True)
    assert next_term(odd) == (dt.date(2026, 2, 19), dt.date(2026, 3, 30))
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)


def test_contract_due_by_end_or_by_notice_deadline() -> None:
    terms = ContractTerms(dt.date(2026, 1, 1), dt.date(2026, 12, 31), auto_renew=True, notice_days=60)
    assert due_reasons(terms, dt.date(2026, 10, 1), 30) == []
    assert due_reasons(terms, dt.date(2026, 10, 15), 30) == ["notice deadline 2026-11-01 (due)"]
    assert due_reasons(terms, dt.date(2026, 12, 10), 30) == ["notice deadline 2026-11-01 (passed)",
                                                              "renews 2026-12-31"]
    with pytest.raises(RuleViolation, match="ends 2025-01-01 before it starts"):
        check_terms(ContractTerms(dt.date(2026, 1, 1), dt.date(2025, 1, 1)))
    with pytest.raises(RuleViolation, match="needs an end date"):
        check_terms(ContractTerms(dt.date(2026, 1, 1), None, auto_renew=True))
