"""The PRM field catalogue: which fields each synced entity has, and their kinds.

This is the vocabulary a mapping file may name on the PRM side (`entities.partner.fields.tier`).
It is plain data so that the mapping compiler, the store and the sync engine agree on one list,
and so that an unknown PRM field in a mapping can be answered with the valid names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FieldKind(StrEnum):
    """Value kinds a PRM field holds; the mapping's `type` converts CRM values into these."""

    STRING = "string"
    INT = "int"
    DECIMAL = "decimal"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    EMAIL = "email"
    URL = "url"


@dataclass(frozen=True)
class KindRule:
    """What the mapping and `check --online` know of a value kind (one entry per kind, here).

    `feeds`: the PRM kinds a CRM value of this kind may fill (the mapping's `type` vs the PRM field).
    `stored_in`: the mapping types a CRM field of this kind reads and writes without loss (a text
    field holds text-like values only: a date kept in a text field needs `type: string`).
    How a kind is read from and written to the wire: prm_sync.mapping.values (READERS, WRITERS).
    """

    feeds: frozenset[FieldKind]
    stored_in: frozenset[FieldKind]


_TEXT = frozenset({FieldKind.STRING})
KIND_RULES: dict[FieldKind, KindRule] = {
    FieldKind.STRING: KindRule(frozenset(FieldKind), frozenset({FieldKind.STRING, FieldKind.EMAIL, FieldKind.URL})),
    FieldKind.INT: KindRule(frozenset({FieldKind.DECIMAL}) | _TEXT, frozenset({FieldKind.INT})),
    FieldKind.DECIMAL: KindRule(_TEXT, frozenset({FieldKind.DECIMAL, FieldKind.INT})),
    FieldKind.BOOL: KindRule(_TEXT, frozenset({FieldKind.BOOL})),
    FieldKind.DATE: KindRule(frozenset({FieldKind.DATETIME}) | _TEXT, frozenset({FieldKind.DATE})),
    FieldKind.DATETIME: KindRule(frozenset({FieldKind.DATE}) | _TEXT, frozenset({FieldKind.DATETIME})),
    FieldKind.EMAIL: KindRule(_TEXT, frozenset({FieldKind.EMAIL, FieldKind.STRING})),
    FieldKind.URL: KindRule(_TEXT, frozenset({FieldKind.URL, FieldKind.STRING})),
}


class Entity(StrEnum):
    """The synced entities, in sync (reference) order."""

    PARTNER = "partner"
    PARTNER_CONTACT = "partner_contact"
    FUND_REQUEST = "fund_request"
    FUND_CLAIM = "fund_claim"
    LEAD = "lead"
    DEAL = "deal"
    COMMISSION = "commission"


SYNC_ORDER: tuple[Entity, ...] = (
    Entity.PARTNER, Entity.PARTNER_CONTACT, Entity.FUND_REQUEST, Entity.FUND_CLAIM, Entity.LEAD, Entity.DEAL,
    Entity.COMMISSION,
)

PARTNER_TIERS: tuple[str, ...] = ("registered", "silver", "gold", "platinum")
PARTNER_STATUSES: tuple[str, ...] = ("prospect", "onboarding", "active", "suspended", "terminated")
REGISTRATION_STATUSES: tuple[str, ...] = (
    "submitted", "approved", "rejected", "converted", "won", "lost", "expired",
)
COMMISSION_STATUSES: tuple[str, ...] = ("calculated", "approved", "paid", "clawback")
DEAL_TYPES: tuple[str, ...] = ("new", "upsell", "renewal")
CONTACT_ROLES: tuple[str, ...] = ("primary", "sales", "technical", "finance")
FUND_REQUEST_STATUSES: tuple[str, ...] = ("submitted", "approved", "rejected", "claimed", "paid", "expired")
FUND_CLAIM_STATUSES: tuple[str, ...] = ("submitted", "approved", "rejected", "paid")
FUND_ACTIVITY_TYPES: tuple[str, ...] = ("event", "webinar", "advertising", "content", "training", "other")


@dataclass(frozen=True)
class PrmField:
    """One field of a PRM entity. `choices` closes the value set (a mapping's `values` must land in it)."""

    name: str
    kind: FieldKind
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reference:
    """A PRM field holding another entity's PRM id; mappings resolve it through links."""

    name: str
    target: Entity


def _f(name: str, kind: FieldKind = FieldKind.STRING, choices: tuple[str, ...] = ()) -> PrmField:
    return PrmField(name, kind, choices)


K = FieldKind

FIELDS: dict[Entity, dict[str, PrmField]] = {
    Entity.PARTNER: {f.name: f for f in (
        _f("name"),
        _f("tier", K.STRING, PARTNER_TIERS),
        _f("status", K.STRING, PARTNER_STATUSES),
        _f("country"),
        _f("website", K.URL),
        _f("phone"),
        _f("industry"),
        _f("joined_on", K.DATE),
        _f("channel_manager", K.EMAIL),
        _f("territories"),
        _f("discount_percent", K.DECIMAL),
        _f("valid_certifications", K.INT),
    )},
    Entity.PARTNER_CONTACT: {f.name: f for f in (
        _f("first_name"),
        _f("last_name"),
        _f("email", K.EMAIL),
        _f("phone"),
        _f("role", K.STRING, CONTACT_ROLES),
        _f("language"),                 # a notification template language: en, vi, ...
    )},
    Entity.LEAD: {f.name: f for f in (
        _f("company"),
        _f("contact_first_name"),
        _f("contact_last_name"),
        _f("email", K.EMAIL),
        _f("website", K.URL),
        _f("estimated_value", K.DECIMAL),
        _f("currency"),
        _f("expected_close", K.DATE),
        _f("status", K.STRING, REGISTRATION_STATUSES),
        _f("products"),
        _f("converted", K.BOOL),
        _f("fund_request_id"),          # the MDF request behind it (ROI): a fund request's PRM id
    )},
    Entity.DEAL: {f.name: f for f in (
        _f("name"),
        _f("amount", K.DECIMAL),
        _f("currency"),
        _f("stage"),
        _f("close_date", K.DATE),
        _f("is_won", K.BOOL),
        _f("is_closed", K.BOOL),
        _f("deal_type", K.STRING, DEAL_TYPES),
        _f("product_line"),
        _f("registration_id"),
        _f("fund_request_id"),          # the MDF request behind it (ROI), a CRM field pulled
    )},
    Entity.FUND_REQUEST: {f.name: f for f in (
        _f("period"),
        _f("activity_type", K.STRING, FUND_ACTIVITY_TYPES),
        _f("description"),
        _f("planned_start", K.DATE),
        _f("planned_end", K.DATE),
        _f("requested_amount", K.DECIMAL),
        _f("approved_amount", K.DECIMAL),
        _f("currency"),
        _f("expected_leads", K.INT),
        _f("status", K.STRING, FUND_REQUEST_STATUSES),
    )},
    Entity.FUND_CLAIM: {f.name: f for f in (
        _f("amount", K.DECIMAL),
        _f("currency"),
        _f("proof"),
        _f("status", K.STRING, FUND_CLAIM_STATUSES),
        _f("paid_at", K.DATETIME),
    )},
    Entity.COMMISSION: {f.name: f for f in (
        _f("amount", K.DECIMAL),
        _f("currency"),
        _f("status", K.STRING, COMMISSION_STATUSES),
        _f("period"),
        _f("explanation"),
    )},
}

REFERENCES: dict[Entity, dict[str, Reference]] = {
    Entity.PARTNER: {},
    Entity.PARTNER_CONTACT: {"partner_id": Reference("partner_id", Entity.PARTNER)},
    Entity.FUND_REQUEST: {"partner_id": Reference("partner_id", Entity.PARTNER)},
    Entity.FUND_CLAIM: {
        "request_id": Reference("request_id", Entity.FUND_REQUEST),
        "partner_id": Reference("partner_id", Entity.PARTNER),
    },
    Entity.LEAD: {"partner_id": Reference("partner_id", Entity.PARTNER)},
    Entity.DEAL: {"partner_id": Reference("partner_id", Entity.PARTNER)},
    Entity.COMMISSION: {
        "deal_id": Reference("deal_id", Entity.DEAL),
        "partner_id": Reference("partner_id", Entity.PARTNER),
    },
}
