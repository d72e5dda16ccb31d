"""The configured partner program (config `program`) turned into the domain's rule types."""

from __future__ import annotations

from decimal import Decimal

from prm_sync.domain.partner_score import ScoreRule
from prm_sync.domain.scorecards import TierTarget
from prm_sync.domain.tier_rules import Requirements, TierRule
from prm_sync.program_config import ProgramSettings

MONTHS_PER_YEAR = Decimal(12)


def tier_rules(program: ProgramSettings) -> list[TierRule]:
    return [TierRule(t.name, Requirements(
        window_months=t.requires.window_months, revenue=t.requires.revenue, won_deals=t.requires.won_deals,
        approved_registrations=t.requires.approved_registrations,
        certifications=dict(t.requires.certifications), min_score=t.requires.min_score)) for t in program.tiers]


def score_rule(program: ProgramSettings | None) -> ScoreRule | None:
    """The partner score's rule, when the program uses a score (`program.score` or a `min_score`)."""
    settings = program.scoring() if program is not None else None
    if program is None or settings is None:
        return None
    targets = program.score_targets()
    won, certs = targets["won_deals"], targets["certifications"]
    return ScoreRule(weights=settings.weights.as_dict(), window_months=settings.window_months,
                     revenue_target=targets["revenue"], won_deals_target=int(won) if won is not None else None,
                     certifications_target=int(certs) if certs is not None else None)


def tier_targets(program: ProgramSettings | None) -> list[TierTarget]:
    """Yearly revenue and deal targets per tier (a window of N months scaled to 12), lowest first."""
    if program is None:
        return []
    targets = []
    for t in program.tiers:
        scale = MONTHS_PER_YEAR / t.requires.window_months
        need = t.requires
        targets.append(TierTarget(
            t.name, need.revenue * scale if need.revenue is not None else None,
            Decimal(need.won_deals) * scale if need.won_deals is not None else None))
    return targets
