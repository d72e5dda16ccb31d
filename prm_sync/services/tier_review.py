"""`partners review-tiers`: read each partner's record from the store, ask the domain which tier
the program gives it on a day, and (with --apply) change the tiers that move, with history.

Reviewed: live partners that are not terminated. Deals count when won with a close date;
registrations when approved (their approval day). Certifications count by catalogue id.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import Session, col, select

from prm_sync.config import Config
from prm_sync.domain.partner_score import PartnerScore, RegistrationOutcome
from prm_sync.domain.tier_rules import (
    HeldCertification,
    PartnerRecord,
    TierReview,
    WonDeal,
    record_score,
    review_tiers,
)
from prm_sync.errors import ConfigError, Problem
from prm_sync.program_config import ProgramSettings, fx_into
from prm_sync.services.program import score_rule, tier_rules
from prm_sync.services.program_fields import change_tier
from prm_sync.store import Certification, Deal, Partner, PartnerTierChange, Registration

NOT_REVIEWED = frozenset({"terminated"})
APPROVED = frozenset({"approved", "converted", "won", "lost"})   # statuses an approved registration moves to


@dataclass
class TierReviewReport:
    as_of: dt.date
    currency: str
    reviews: list[TierReview]

    @property
    def changes(self) -> list[TierReview]:
        return [r for r in self.reviews if r.changes]


def program_of(config: Config) -> ProgramSettings:
    if config.program is None:
        raise ConfigError([Problem(config.source, 1, "program",
                                   "no `program` section: tier review needs the program's tier requirements "
                                   "(see config.example.yaml)")])
    return config.program


def partner_records(session: Session, as_of: dt.date, leave_out: frozenset[str] = NOT_REVIEWED
                    ) -> list[PartnerRecord]:
    partners = session.exec(select(Partner).where(col(Partner.deleted_at).is_(None),
                                                  col(Partner.status).not_in(leave_out))
                            .order_by(Partner.name, Partner.id)).all()
    deals: dict[str, list[WonDeal]] = defaultdict(list)
    won_registrations: set[str] = set()
    for deal in session.exec(select(Deal).where(col(Deal.deleted_at).is_(None), col(Deal.is_won).is_(True),
                                                col(Deal.close_date).is_not(None), col(Deal.close_date) <= as_of)):
        assert deal.close_date is not None
        deals[deal.partner_id].append(WonDeal(deal.close_date, deal.amount, deal.currency or ""))
        if deal.registration_id:
            won_registrations.add(deal.registration_id)
    approved: dict[str, list[dt.date]] = defaultdict(list)
    outcomes: dict[str, list[RegistrationOutcome]] = defaultdict(list)
    for reg in session.exec(select(Registration).where(col(Registration.deleted_at).is_(None))):
        if reg.approved_at is not None:
            approved[reg.partner_id].append(reg.approved_at.date())
        outcomes[reg.partner_id].append(RegistrationOutcome(
            reg.created_at.date(), approved=reg.approved_at is not None or reg.status in APPROVED,
            rejected=reg.status == "rejected", won=reg.id in won_registrations))
    certs: dict[str, list[HeldCertification]] = defaultdict(list)
    for cert in session.exec(select(Certification)):
        certs[cert.partner_id].append(HeldCertification(cert.catalogue_id, cert.holder, cert.earned_on,
                                                        cert.expires_on))
    return [PartnerRecord(p.id, p.name, p.tier, p.tier_pinned_until, deals[p.id], approved[p.id], certs[p.id],
                          outcomes[p.id]) for p in partners]


def review_store_tiers(session: Session, config: Config, as_of: dt.date) -> TierReviewReport:
    program = program_of(config)
    reviews = review_tiers(tier_rules(program), partner_records(session, as_of), as_of,
                           grace_days=program.grace_days, fx=fx_into(program, config.commissions),
                           currency=program.currency, scoring=score_rule(program))
    return TierReviewReport(as_of, program.currency, reviews)


def partner_scores(session: Session, config: Config, as_of: dt.date) -> dict[str, PartnerScore]:
    """Each live partner's score on `as_of`, terminated ones too (empty when the program uses no score)."""
    rule = score_rule(config.program)
    if config.program is None or rule is None:
        return {}
    fx = fx_into(config.program, config.commissions)
    return {r.id: record_score(rule, r, as_of, fx) for r in partner_records(session, as_of, frozenset())}


def apply_tier_review(session: Session, config: Config, report: TierReviewReport, *, actor: str,
                      now: dt.datetime) -> list[PartnerTierChange]:
    """Change every tier the review moves (never a pinned one), each with a history row saying why."""
    program = program_of(config)
    changes = []
    for review in report.changes:
        partner = session.get(Partner, review.partner_id)
        if partner is None or partner.tier != review.current:
            continue  # changed since the review was read
        why = "; ".join([*(str(c) for c in review.reasons), *review.notes])
        reason = f"tier review as of {report.as_of}: {review.action} {review.current} -> {review.proposed}" + (
            f" ({why})" if why else "")
        changes.append(change_tier(session, partner, review.proposed, program=program, reason=reason,
                                   actor=actor, now=now))
    return changes
