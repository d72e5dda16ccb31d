"""The `program` block of config.yaml: tier requirements, certification catalogue, discounts.

Without a `program` block nothing is automatic: `partners review-tiers` refuses to run (there
are no rules to apply), scorecards show no progress to a next tier, and partners carry no
discount. config.example.yaml ships a realistic program to start from.

Cross-checks that need the rest of the config (tier names against `partners.tiers`,
catalogue ids, the fx table's currency) are made by `program_problems`, so that each one
names its own key and line.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from prm_sync.domain.commissions.plans import CommissionSettings, Money, Rate

Path = tuple[str | int, ...]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TierRequirements(_Strict):
    """All of these must hold (AND); a requirement left out is not required."""

    window_months: int = Field(12, ge=1, le=60)     # trailing window for revenue, deals, registrations
    revenue: Money | None = None                    # won revenue in the window, in program.currency
    won_deals: int | None = Field(None, ge=0)
    approved_registrations: int | None = Field(None, ge=0)
    certifications: dict[str, int] = Field(default_factory=dict)   # catalogue id -> valid holders needed
    min_score: Decimal | None = Field(None, ge=0, le=100)        # partner score (program.score) on the day

    @field_validator("certifications")
    @classmethod
    def _counts(cls, value: dict[str, int]) -> dict[str, int]:
        for cert_id, count in value.items():
            if count < 1:
                raise ValueError(f"certifications.{cert_id}: needs a count of 1 or more")
        return value


def _weight(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a weight")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a weight (a number of 0 or more)") from None
    if not result.is_finite() or result < 0:
        raise ValueError(f"'{value}' must be a weight of 0 or more")
    return result


Weight = Annotated[Decimal, BeforeValidator(_weight)]


class ScoreWeights(_Strict):
    """Relative weights of the score's components (only their proportions matter)."""

    revenue: Weight = Decimal(40)
    won_deals: Weight = Decimal(20)
    registration_approval: Weight = Decimal(10)
    registration_win: Weight = Decimal(10)
    certifications: Weight = Decimal(20)

    @model_validator(mode="after")
    def _some(self) -> ScoreWeights:
        if sum(self.as_dict().values()) <= 0:
            raise ValueError("the weights must not all be 0 (their sum must be more than 0)")
        return self

    def as_dict(self) -> dict[str, Decimal]:
        return {name: getattr(self, name) for name in type(self).model_fields}


class ScoreTargets(_Strict):
    """What earns a component full marks; left out: the highest tier's requirement of that kind."""

    revenue: Money | None = None          # program.currency, over the score's window
    won_deals: int | None = Field(None, ge=1)
    certifications: int | None = Field(None, ge=1)


class ScoreSettings(_Strict):
    window_months: int = Field(12, ge=1, le=60)
    weights: ScoreWeights = ScoreWeights()
    targets: ScoreTargets = ScoreTargets()


class TierSettings(_Strict):
    name: str
    requires: TierRequirements = TierRequirements()

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return value.strip().lower()


class CertificationSettings(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    validity_months: int | None = Field(None, ge=1, le=240)   # none: does not expire
    per: Literal["person", "partner"] = "person"


class ProgramSettings(_Strict):
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    grace_days: int = Field(0, ge=0, le=730)
    crm_tier_pin_days: int = Field(0, ge=0, le=3650)            # a tier edited in the CRM is pinned this long
    tiers: list[TierSettings] = Field(min_length=1)            # lowest first
    certifications: list[CertificationSettings] = Field(default_factory=list)
    discounts: dict[str, Rate] = Field(default_factory=dict)    # tier -> discount ("15%")
    score: ScoreSettings | None = None                          # the partner score (0-100)

    def scoring(self) -> ScoreSettings | None:
        """The score settings in use: `score` as given, the defaults when only a tier's `min_score`
        asks for a score, else None (no score is computed or shown)."""
        if self.score is not None:
            return self.score
        return ScoreSettings() if any(t.requires.min_score is not None for t in self.tiers) else None

    def score_targets(self) -> dict[str, Decimal | None]:
        """The targets of the score: as given, else the highest tier's requirement of that kind
        (certifications: the sum of its counts)."""
        settings = self.scoring() or ScoreSettings()
        given = settings.targets
        derived: dict[str, Decimal | None] = {"revenue": None, "won_deals": None, "certifications": None}
        for tier in self.tiers:   # lowest first: the last that states one wins
            need = tier.requires
            if need.revenue is not None:
                derived["revenue"] = need.revenue
            if need.won_deals:
                derived["won_deals"] = Decimal(need.won_deals)
            if need.certifications:
                derived["certifications"] = Decimal(sum(need.certifications.values()))
        return {"revenue": given.revenue if given.revenue is not None else derived["revenue"],
                "won_deals": Decimal(given.won_deals) if given.won_deals is not None else derived["won_deals"],
                "certifications": (Decimal(given.certifications) if given.certifications is not None
                                   else derived["certifications"])}

    def tier_names(self) -> list[str]:
        return [t.name for t in self.tiers]

    def discount_for(self, tier: str) -> Decimal | None:
        return self.discounts.get(tier)

    def catalogue(self) -> dict[str, CertificationSettings]:
        return {c.id: c for c in self.certifications}


def program_problems(program: ProgramSettings, partner_tiers: Sequence[str],
                     commissions: CommissionSettings | None) -> Iterator[tuple[Path, str]]:
    """(path, message) for every rule the program breaks against the rest of the config."""
    names = program.tier_names()
    catalogue = program.catalogue()
    for i, tier in enumerate(program.tiers):
        if tier.name not in partner_tiers:
            yield ("program", "tiers", i, "name"), (
                f"'{tier.name}' is not one of partners.tiers ({', '.join(partner_tiers)})")
        elif names.index(tier.name) != i:
            yield ("program", "tiers", i, "name"), f"tier '{tier.name}' is listed twice"
        for cert_id in tier.requires.certifications:
            if cert_id not in catalogue:
                known = ", ".join(catalogue) or "none: add program.certifications"
                yield ("program", "tiers", i, "requires", "certifications", cert_id), (
                    f"'{cert_id}' is not in the certification catalogue (known: {known})")
    order = [partner_tiers.index(n) for n in names if n in partner_tiers]
    if order != sorted(order):
        yield ("program", "tiers"), "list the tiers lowest first, in the order of partners.tiers"
    for tier_name in program.discounts:
        if tier_name not in names:
            yield ("program", "discounts", tier_name), (
                f"'{tier_name}' is not a tier of program.tiers ({', '.join(names)})")
    if len({c.id for c in program.certifications}) != len(program.certifications):
        yield ("program", "certifications"), "certification ids must be distinct"
    scoring = program.scoring()
    if scoring is not None:
        weights = scoring.weights.as_dict()
        for name, target in program.score_targets().items():
            if target is None and weights[name] > 0:
                where: Path = (("program", "score", "weights", name) if program.score is not None
                               else ("program", "tiers"))
                yield where, (f"the score's '{name}' weighs {weights[name]} but has no target: give "
                              f"program.score.targets.{name}, a tier requirement of that kind, or weight 0")
    if commissions is not None and commissions.fx:
        quoted_in = {p.currency for p in commissions.plans if p.currency not in commissions.fx}
        if quoted_in and program.currency not in quoted_in:
            yield ("program", "currency"), (
                f"'{program.currency}': commissions.fx is expressed in {', '.join(sorted(quoted_in))}; "
                "the program must use that currency (or give fx rates in it)")


def fx_into(program: ProgramSettings, commissions: CommissionSettings | None) -> dict[str, Decimal]:
    """What one unit of each currency is worth in the program currency (the program's own is 1)."""
    rates = dict(commissions.fx) if commissions is not None else {}
    rates.pop(program.currency, None)
    return {**rates, program.currency: Decimal(1)}
