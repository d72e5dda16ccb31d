"""Associations between records (v4 model): typed, stored both ways.

Every association has a type id per direction. The default ("unlabeled") type ids of the
standard objects are HubSpot's (SDK_FACTS); for the custom object ``partner_commissions``
we chose ids in the 1000s (category USER_DEFINED, as custom-object schema associations are
defined by the portal):

    partner_commissions -> deals 1001, deals -> partner_commissions 1002,
    partner_commissions -> companies 1003, companies -> partner_commissions 1004,
    partner_fund_requests -> companies 1005 (1006 back), partner_fund_claims ->
    partner_fund_requests 1007 (1008 back), partner_fund_claims -> companies 1009 (1010 back).

Deal/company also knows HubSpot's "Primary" labelled pair (deal->company 5, company->deal 6).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

HUBSPOT_DEFINED = "HUBSPOT_DEFINED"
USER_DEFINED = "USER_DEFINED"


@dataclass(frozen=True)
class AssociationType:
    from_type: str
    to_type: str
    type_id: int
    inverse_id: int
    category: str = HUBSPOT_DEFINED
    label: str | None = None
    default: bool = True


def _pair(a: str, b: str, a_to_b: int, b_to_a: int, category: str = HUBSPOT_DEFINED,
          label: str | None = None, default: bool = True) -> list[AssociationType]:
    return [
        AssociationType(a, b, a_to_b, b_to_a, category, label, default),
        AssociationType(b, a, b_to_a, a_to_b, category, label, default),
    ]


def default_association_types() -> list[AssociationType]:
    return [
        *_pair("contacts", "companies", 279, 280),
        *_pair("deals", "contacts", 3, 4),
        *_pair("deals", "companies", 341, 342),
        *_pair("deals", "companies", 5, 6, label="Primary", default=False),
        *_pair("partner_commissions", "deals", 1001, 1002, USER_DEFINED),
        *_pair("partner_commissions", "companies", 1003, 1004, USER_DEFINED),
        *_pair("partner_fund_requests", "companies", 1005, 1006, USER_DEFINED),
        *_pair("partner_fund_claims", "partner_fund_requests", 1007, 1008, USER_DEFINED),
        *_pair("partner_fund_claims", "companies", 1009, 1010, USER_DEFINED),
    ]


class AssociationStore:
    """(from_type, to_type) -> from_id -> to_id -> set of type ids. Both directions kept."""

    def __init__(self, types: list[AssociationType] | None = None) -> None:
        self.types = types if types is not None else default_association_types()
        self._by_id = {(t.from_type, t.to_type, t.type_id): t for t in self.types}
        self._links: dict[tuple[str, str], dict[int, dict[int, set[int]]]] = defaultdict(
            lambda: defaultdict(dict)
        )

    def refresh(self) -> None:
        """After types were added to the list this store was given (custom object schemas)."""
        self._by_id = {(t.from_type, t.to_type, t.type_id): t for t in self.types}

    def type_for(self, from_type: str, to_type: str, type_id: int) -> AssociationType | None:
        return self._by_id.get((from_type, to_type, type_id))

    def default_type(self, from_type: str, to_type: str) -> AssociationType | None:
        for assoc_type in self.types:
            if (assoc_type.from_type, assoc_type.to_type) == (from_type, to_type) and (
                assoc_type.default
            ):
                return assoc_type
        return None

    def link(self, from_type: str, from_id: int, to_type: str, to_id: int,
             assoc_type: AssociationType) -> None:
        forward = self._links[(from_type, to_type)][from_id]
        forward.setdefault(to_id, set()).add(assoc_type.type_id)
        backward = self._links[(to_type, from_type)][to_id]
        backward.setdefault(from_id, set()).add(assoc_type.inverse_id)

    def unlink(self, from_type: str, from_id: int, to_type: str, to_id: int) -> None:
        self._links[(from_type, to_type)][from_id].pop(to_id, None)
        self._links[(to_type, from_type)][to_id].pop(from_id, None)

    def targets(self, from_type: str, from_id: int, to_type: str) -> dict[int, set[int]]:
        by_from = self._links.get((from_type, to_type))
        if not by_from:
            return {}
        return by_from.get(from_id, {})

    def drop_record(self, object_type: str, record_id: int) -> None:
        """Remove every association of a record (archiving a record drops its links)."""
        for (from_type, to_type), by_from in list(self._links.items()):
            if from_type == object_type:
                for to_id in list(by_from.get(record_id, {})):
                    self.unlink(from_type, record_id, to_type, to_id)

    def spec_json(self, from_type: str, to_type: str, type_id: int) -> dict[str, object]:
        assoc_type = self.type_for(from_type, to_type, type_id)
        category = assoc_type.category if assoc_type else HUBSPOT_DEFINED
        label = assoc_type.label if assoc_type else None
        return {"category": category, "typeId": type_id, "label": label}

    # ---- dump / load ---------------------------------------------------------------------
    def dump(self) -> list[list[object]]:
        """Each association once, as [from_type, from_id, to_type, to_id, type_id]."""
        rows: list[list[object]] = []
        for (from_type, to_type), by_from in self._links.items():
            for from_id, targets in by_from.items():
                for to_id, type_ids in targets.items():
                    for type_id in sorted(type_ids):
                        assoc_type = self.type_for(from_type, to_type, type_id)
                        if assoc_type is not None and assoc_type.type_id < assoc_type.inverse_id:
                            rows.append([from_type, from_id, to_type, to_id, type_id])
        return rows

    def load(self, rows: list[list[object]]) -> None:
        for from_type, from_id, to_type, to_id, type_id in rows:
            assoc_type = self.type_for(str(from_type), str(to_type), int(type_id))  # type: ignore[call-overload]
            if assoc_type is None:
                raise ValueError(f"unknown association type {from_type}->{to_type} {type_id}")
            self.link(str(from_type), int(from_id), str(to_type), int(to_id), assoc_type)  # type: ignore[call-overload]
