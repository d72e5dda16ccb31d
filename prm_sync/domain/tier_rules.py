"""Tier requirements: which tier a partner's record earns on a day, and why.

The rules (config `program.tiers`, lowest first):
- A tier's requirements all must hold (AND); a tier without requirements always holds.
  The partner qualifies for the highest tier whose requirements hold.
- Trailing window: with `window_months: 12` and as-of 2026-12-31, deals closed (and
  registrations approved) from 2026-01-01 through 2026-12-31 count: the window's first day is
  excluded, the as-of day included (`start < day <= as_of`, `start` = as-of minus the months,
  clamped to the month's last day).
- Revenue is won deals' amounts converted into the program currency with `fx` (one unit of a
  currency in the program currency); a deal in a currency without a rate adds no revenue (it
  is said so in the notes) but still counts as a won deal. A revenue requirement is met by
  exactly that amount.
- Minimum score (`min_score`): the partner score (domain/partner_score.py, config
  `program.score`) on as-of is at least that figure; exactly the figure meets it.
- A certification counts while `earned_on <= as_of <= expires_on` (one expiring the day before
  as-of does not count); a count is the number of distinct holders of that catalogue id.
- Grace: a partner whose record no longer earns its current tier is demoted only when the
  record also fell short of that tier `grace_days` before as-of; it then goes to the higher of
  the tiers the two dates give. Otherwise it stays, in grace.
- A partner pinned until a date on or after as-of keeps its tier; the review reports what the
  rules would give. So does a partner whose tier is not one of the program's tiers.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from prm_sync.domain.partner_score import PartnerScore, RegistrationOutcome, ScoreRule, partner_score

ZERO = Decimal(0)
CENT = Decimal("0.01")
Action = Literal["promote", "demote", "keep", "grace", "pinned"]


@dataclass(frozen=True)
class Requirements:
    window_months: int = 12
    revenue: Decimal | None = None
    won_deals: int | None = None
    approved_registrations: int | None = None
    certifications: Mapping[str, int] = field(default_factory=dict)
    min_score: Decimal | None = None


@dataclass(frozen=True)
class TierRule:
    name: str
    requires: Requirements = Requirements()


@dataclass(frozen=True)
class WonDeal:
    close_date: dt.date
    amount: Decimal | None
    currency: str


@dataclass(frozen=True)
class HeldCertification:
    catalogue_id: str | None
    holder: str | None
    earned_on: dt.date
    expires_on: dt.date | None

    def valid_on(self, day: dt.date) -> bool:
        return self.earned_on <= day and (self.expires_on is None or day <= self.expires_on)


@dataclass(frozen=True)
class PartnerRecord:
    id: str
    name: str
    tier: str
    pinned_until: dt.date | None = None
    won_deals: Sequence[WonDeal] = ()
    approved_registrations: Sequence[dt.date] = ()     # approval days
    certifications: Sequence[HeldCertification] = ()
    registrations: Sequence[RegistrationOutcome] = ()   # for the score: submitted, decided, won


def record_score(scoring: ScoreRule, record: PartnerRecord, as_of: dt.date,
                 fx: Mapping[str, Decimal]) -> PartnerScore:
    """The partner score of the record on `as_of` (window: `scoring.window_months`)."""
    valid = {(c.catalogue_id, c.holder) for c in record.certifications if c.valid_on(as_of)}
    return partner_score(scoring, as_of=as_of, start=months_before(as_of, scoring.window_months),
                         won=[(d.close_date, d.amount, d.currency) for d in record.won_deals],
                         registrations=record.registrations, valid_certifications=len(valid), fx=fx)


@dataclass(frozen=True)
class Check:
    tier: str
    requirement: str
    needed: str
    has: str
    met: bool
    key: str = ""           # the requirement's config key when a note may explain it ("min_score")

    def __str__(self) -> str:
        verdict = "met" if self.met else "NOT met"
        return f"{self.tier} {self.requirement}: needs {self.needed}, has {self.has} ({verdict})"


@dataclass(frozen=True)
class TierReview:
    partner_id: str
    partner: str
    current: str
    qualified: str          # what the rules give on as-of
    proposed: str           # after grace and pins: what --apply sets
    action: Action
    checks: list[Check]     # every requirement of every tier
    reasons: list[Check]    # why: the given tier's checks, and the unmet ones of the tier above it
    notes: list[str]

    @property
    def changes(self) -> bool:
        return self.proposed != self.current


def months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _money(value: Decimal) -> str:
    return f"{value.quantize(CENT, ROUND_HALF_UP):,}"


def tier_checks(rule: TierRule, record: PartnerRecord, as_of: dt.date, fx: Mapping[str, Decimal],
                currency: str, scoring: ScoreRule | None = None) -> tuple[list[Check], list[str]]:
    """Each requirement of `rule` against the record on `as_of` (needed, has, met), and notes."""
    need = rule.requires
    start = months_before(as_of, need.window_months)
    in_window = [d for d in record.won_deals if start < d.close_date <= as_of]
    checks: list[Check] = []
    notes: list[str] = []
    window = f"in {need.window_months} months to {as_of}"
    if need.revenue is not None:
        revenue = ZERO
        missing: dict[str, int] = {}
        for deal in in_window:
            if deal.amount is None:
                continue
            rate = fx.get(deal.currency)
            if rate is None:
                missing[deal.currency] = missing.get(deal.currency, 0) + 1
            else:
                revenue += deal.amount * rate
        notes += [f"{n} won deal(s) in {cur} left out of revenue: no fx rate into {currency}"
                  for cur, n in sorted(missing.items())]
        checks.append(Check(rule.name, f"won revenue {window}", f"{_money(need.revenue)} {currency}",
                            f"{_money(revenue)} {currency}", revenue >= need.revenue))
    if need.won_deals is not None:
        checks.append(Check(rule.name, f"won deals {window}", str(need.won_deals), str(len(in_window)),
                            len(in_window) >= need.won_deals))
    if need.approved_registrations is not None:
        approved = sum(1 for day in record.approved_registrations if start < day <= as_of)
        checks.append(Check(rule.name, f"approved registrations {window}", str(need.approved_registrations),
                            str(approved), approved >= need.approved_registrations))
    for cert_id, count in need.certifications.items():
        holders = {c.holder for c in record.certifications if c.catalogue_id == cert_id and c.valid_on(as_of)}
        checks.append(Check(rule.name, f"valid '{cert_id}' certifications on {as_of}", str(count),
                            str(len(holders)), len(holders) >= count))
    if need.min_score is not None:
        if scoring is None:
            raise ValueError(f"tier {rule.name} requires a minimum score but no score rule was given")
        scored = record_score(scoring, record, as_of, fx)
        checks.append(Check(rule.name, f"partner score in {scoring.window_months} months to {as_of}",
                            str(need.min_score), str(scored.score), scored.score >= need.min_score, "min_score"))
    return checks, notes


def qualified_tier(rules: Sequence[TierRule], record: PartnerRecord, as_of: dt.date, fx: Mapping[str, Decimal],
                   currency: str, scoring: ScoreRule | None = None) -> tuple[str, list[Check], list[str]]:
    """The highest tier whose requirements all hold on `as_of`, every check made, and notes."""
    best = rules[0].name
    checks: list[Check] = []
    notes: list[str] = []
    for rule in rules:
        mine, said = tier_checks(rule, record, as_of, fx, currency, scoring)
        checks += mine
        notes += [n for n in said if n not in notes]
        if all(c.met for c in mine):
            best = rule.name
    return best, checks, notes


def review_partner(rules: Sequence[TierRule], record: PartnerRecord, as_of: dt.date, *, grace_days: int,
                   fx: Mapping[str, Decimal], currency: str, scoring: ScoreRule | None = None) -> TierReview:
    """The tier the rules give the partner on `as_of`, what a review would set, and why."""
    order = [r.name for r in rules]
    rank = {name: i for i, name in enumerate(order)}
    current_rank = rank.get(record.tier, -1)
    qualified, checks, notes = qualified_tier(rules, record, as_of, fx, currency, scoring)
    proposed, action = qualified, _action(rank[qualified], current_rank)
    if record.tier not in rank:   # a tier the program does not rank: reported, left alone
        notes.append(f"current tier '{record.tier}' is not in program.tiers: left as it is")
        proposed, action = record.tier, "keep"
    if action == "demote" and grace_days:
        earlier = as_of - dt.timedelta(days=grace_days)
        then, _, _ = qualified_tier(rules, record, earlier, fx, currency, scoring)
        if rank[then] >= current_rank:
            proposed, action = record.tier, "grace"
            notes.append(f"earns only {qualified} now but still earned {record.tier} on {earlier} "
                         f"(grace {grace_days} days): stays {record.tier}")
        elif rank[then] > rank[qualified]:
            proposed = then
            notes.append(f"earned {then} on {earlier} (grace {grace_days} days): demoted to {then}, not {qualified}")
    if record.pinned_until is not None and record.pinned_until >= as_of:
        if proposed != record.tier:
            notes.append(f"pinned at {record.tier} until {record.pinned_until}: rules give {proposed}, not applied")
        proposed, action = record.tier, "pinned"
    above = order[rank[qualified] + 1] if rank[qualified] + 1 < len(order) else None
    reasons = [c for c in checks if c.tier == qualified or (c.tier == above and not c.met)]
    if scoring is not None and any(c.key == "min_score" for c in reasons):   # what the score is made of
        notes.append(record_score(scoring, record, as_of, fx).explain())
    return TierReview(record.id, record.name, record.tier, qualified, proposed, action, checks, reasons, notes)


def _action(new_rank: int, current_rank: int) -> Action:
    if new_rank > current_rank:
        return "promote"
    return "demote" if new_rank < current_rank else "keep"


def review_tiers(rules: Sequence[TierRule], records: Sequence[PartnerRecord], as_of: dt.date, *, grace_days: int,
                 fx: Mapping[str, Decimal], currency: str, scoring: ScoreRule | None = None) -> list[TierReview]:
    """One review per partner, in the order given."""
    return [review_partner(rules, r, as_of, grace_days=grace_days, fx=fx, currency=currency, scoring=scoring)
            for r in records]
