"""Object types and association types: what to put in the API path, and which type ids to use.

Standard objects go by their plural name. A custom object named in the mapping by its name
(``partner_commissions``) is resolved to its objectTypeId (``2-12345``) through
/crm-object-schemas/v3/schemas, read once per connector and only when needed; a mapping may
also give the objectTypeId itself.
"""

from __future__ import annotations

import re
from typing import Any

from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.errors import HubSpotMissingObjectType, HubSpotRequestError

STANDARD_TYPE_IDS = {
    "contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5", "products": "0-7",
    "line_items": "0-8", "quotes": "0-14", "calls": "0-48", "emails": "0-49", "meetings": "0-47",
    "notes": "0-46", "tasks": "0-27",
}
_SINGULAR = {"contact": "contacts", "company": "companies", "deal": "deals", "ticket": "tickets"}
_TYPE_ID = re.compile(r"^\d+-\d+$")

HUBSPOT_DEFINED = "HUBSPOT_DEFINED"
USER_DEFINED = "USER_DEFINED"
#: HubSpot's default (unlabelled) association type ids between standard objects (SDK_FACTS).
DEFAULT_ASSOCIATION_TYPES = {
    ("0-1", "0-2"): 279, ("0-2", "0-1"): 280, ("0-3", "0-1"): 3, ("0-1", "0-3"): 4,
    ("0-3", "0-2"): 341, ("0-2", "0-3"): 342,
}
#: Type ids HubSpot defines (defaults above, and the "Primary" labels deal/company, contact/company).
HUBSPOT_DEFINED_IDS = frozenset(DEFAULT_ASSOCIATION_TYPES.values()) | {1, 2, 5, 6}


class ObjectTypes:
    def __init__(self, client: HubSpotClient) -> None:
        self.client = client
        self._schemas: list[dict[str, Any]] | None = None

    def _custom_schemas(self) -> list[dict[str, Any]]:
        if self._schemas is None:
            answer = self.client.call(self.client.schemas_api.get_all_with_http_info)
            self._schemas = list((answer or {}).get("results") or [])
        return self._schemas

    def path_name(self, ref: str) -> str:
        """What to put in /crm/v3/objects/{here}: a standard plural name or an objectTypeId."""
        name = _SINGULAR.get(ref.lower(), ref.lower())
        if name in STANDARD_TYPE_IDS or _TYPE_ID.match(name):
            return name
        for schema in self._custom_schemas():
            names = {str(schema.get(k, "")).lower() for k in ("name", "fullyQualifiedName", "objectTypeId")}
            if name in names or f"p_{name}" in names:
                return str(schema["objectTypeId"])
        raise HubSpotMissingObjectType(f"HubSpot has no object type '{ref}' (not standard, no custom schema)",
                                       crm_object=ref)

    def required_properties(self, ref: str) -> frozenset[str]:
        """Properties a custom object requires on create (its schema's requiredProperties)."""
        path = self.path_name(ref)
        if path in STANDARD_TYPE_IDS:
            return frozenset()
        for schema in self._custom_schemas():
            if str(schema.get("objectTypeId")) == path:
                return frozenset(str(name) for name in schema.get("requiredProperties") or ())
        return frozenset()

    def type_id(self, ref: str) -> str:
        path = self.path_name(ref)
        return STANDARD_TYPE_IDS.get(path, path)

    def modified_property(self, ref: str) -> str:
        """The property search filters and sorts on: contacts keep `lastmodifieddate`."""
        return "lastmodifieddate" if self.type_id(ref) == "0-1" else "hs_lastmodifieddate"

    def association_type(self, from_ref: str, to_ref: str, type_id: int | None) -> tuple[str, int]:
        """(category, typeId) for writing an association from -> to."""
        if type_id is not None:
            return (HUBSPOT_DEFINED if type_id in HUBSPOT_DEFINED_IDS else USER_DEFINED), type_id
        pair = (self.type_id(from_ref), self.type_id(to_ref))
        if pair in DEFAULT_ASSOCIATION_TYPES:
            return HUBSPOT_DEFINED, DEFAULT_ASSOCIATION_TYPES[pair]
        for schema in self._custom_schemas():
            for assoc in schema.get("associations") or []:
                if (str(assoc.get("fromObjectTypeId")), str(assoc.get("toObjectTypeId"))) == pair:
                    return USER_DEFINED, int(assoc["id"])
        raise HubSpotRequestError(
            f"no association type from {from_ref} to {to_ref}: give association_type in the mapping",
            status=404)
