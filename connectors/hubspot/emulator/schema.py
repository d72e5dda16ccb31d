"""Portal schema: object types and their properties, as the properties API describes them.

``default_portal_schema()`` ships the objects and PRM properties of the shared vocabulary
(companies, contacts, deals and the custom objects ``partner_commissions``, ``partner_fund_requests``
and ``partner_fund_claims``). A test builds a
portal lacking a property with ``schema.remove_property(...)`` or changes enumeration options
with ``schema.set_options(...)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from connectors.hubspot.emulator.associations import AssociationType, default_association_types

STRING, NUMBER, DATE, DATETIME, ENUMERATION, BOOL = (
    "string", "number", "date", "datetime", "enumeration", "bool",
)
SYSTEM_PROPERTIES = ("hs_object_id", "createdate")
WON_STAGES_DEFAULT = frozenset({"closedwon", "registration_won", "registration_converted"})
CLOSED_STAGES_DEFAULT = WON_STAGES_DEFAULT | {
    "closedlost", "registration_lost", "registration_rejected", "registration_expired"}

#: Standard object type ids of HubSpot (objectTypeId) and the singular aliases it accepts.
STANDARD_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3"}
SINGULAR_ALIASES = {"contact": "contacts", "company": "companies", "deal": "deals"}
#: a few of hs_language's options (HubSpot lists every locale): (code, label)
CONTACT_LANGUAGES = (("en", "English"), ("vi", "Vietnamese"), ("de", "German"), ("fr", "French"),
                     ("es", "Spanish"), ("ja", "Japanese"))


@dataclass
class PropertyDef:
    name: str
    type: str
    label: str = ""
    field_type: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)  # (label, value)
    has_unique_value: bool = False
    read_only: bool = False
    calculated: bool = False
    group_name: str = "prm"
    description: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            self.label = self.name.replace("_", " ").title()
        if not self.field_type:
            self.field_type = {
                STRING: "text", NUMBER: "number", DATE: "date", DATETIME: "date",
                ENUMERATION: "select", BOOL: "booleancheckbox",
            }[self.type]
        if self.type == BOOL and not self.options:
            self.options = [("Yes", "true"), ("No", "false")]

    @property
    def option_values(self) -> list[str]:
        return [value for _, value in self.options]

    def to_json(self) -> dict[str, object]:
        """The property as GET /crm/v3/properties/{objectType}/{name} answers it."""
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "description": self.description,
            "groupName": self.group_name,
            "options": [
                {"label": label, "value": value, "displayOrder": index, "hidden": False}
                for index, (label, value) in enumerate(self.options)
            ],
            "displayOrder": -1,
            "calculated": self.calculated,
            "externalOptions": False,
            "hasUniqueValue": self.has_unique_value,
            "hidden": False,
            "hubspotDefined": not self.name.startswith("prm_"),
            "formField": not self.read_only,
            "archived": False,
            "modificationMetadata": {
                "archivable": not self.read_only,
                "readOnlyDefinition": self.read_only,
                "readOnlyValue": self.read_only,
                "readOnlyOptions": False,
            },
            "createdAt": "2024-01-01T00:00:00Z",
            "updatedAt": "2024-01-01T00:00:00Z",
        }


@dataclass
class ObjectTypeDef:
    name: str                       # plural API name, e.g. "companies" / "partner_commissions"
    object_type_id: str             # "0-2" or "2-12345"
    modified_property: str          # "hs_lastmodifieddate" (contacts: "lastmodifieddate")
    default_properties: list[str]   # returned when a read names no properties
    properties: dict[str, PropertyDef] = field(default_factory=dict)
    custom: bool = False
    fully_qualified_name: str = ""
    singular_label: str = ""
    plural_label: str = ""
    primary_display_property: str = ""

    def add(self, *defs: PropertyDef) -> None:
        for prop in defs:
            self.properties[prop.name] = prop

    @property
    def unique_properties(self) -> list[str]:
        return [p.name for p in self.properties.values() if p.has_unique_value]

    @property
    def system_properties(self) -> tuple[str, ...]:
        return (*SYSTEM_PROPERTIES, self.modified_property)


@dataclass
class PortalSchema:
    portal_id: int
    object_types: dict[str, ObjectTypeDef] = field(default_factory=dict)
    #: HubSpot documents objectTypeId and fullyQualifiedName for custom objects; the short
    #: ``p_<name>`` form works too. The bare name is accepted when this is True (lenient).
    accept_bare_custom_name: bool = True
    #: "enterprise" has custom objects; any other tier answers the schemas API with 403 MISSING_SCOPES
    #: (a private app on such a portal cannot be granted the crm.schemas.custom.* scopes)
    tier: str = "enterprise"
    #: True: a created pipeline / stage keeps the `pipelineId` / `stageId` the request asked for (the
    #: v1 and date-versioned APIs); False: HubSpot picks numeric ids (/crm/v3/pipelines, whose
    #: PipelineInput has no id)
    honour_requested_ids: bool = False
    #: object type name -> its pipelines as GET /crm/v3/pipelines/{objectType} answers them
    pipelines: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: object type name -> its property groups as GET /crm/v3/properties/{objectType}/groups answers them
    groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    association_types: list[AssociationType] = field(default_factory=list)
    next_number: int = 50_000_000
    won_stages: frozenset[str] = WON_STAGES_DEFAULT
    closed_stages: frozenset[str] = CLOSED_STAGES_DEFAULT

    def add(self, object_type: ObjectTypeDef) -> None:
        self.object_types[object_type.name] = object_type

    def new_number(self) -> str:
        """A HubSpot-chosen numeric id (pipelines, stages, custom object ids)."""
        self.next_number += 1
        return str(self.next_number)

    def stage_flags(self) -> tuple[frozenset[str], frozenset[str]]:
        """(won, closed) deal stage ids: closed stages are `isClosed`; won ones have probability 1."""
        won: set[str] = set()
        closed: set[str] = set()
        for pipeline in self.pipelines.get("deals", []):
            for stage in pipeline["stages"]:
                meta = stage.get("metadata") or {}
                if str(meta.get("isClosed", "false")).lower() == "true":
                    closed.add(stage["id"])
                    if float(meta.get("probability") or 0) >= 1.0:
                        won.add(stage["id"])
        return frozenset(won), frozenset(closed)

    def sync_pipeline_options(self) -> None:
        """The deal `pipeline` and `dealstage` properties offer what the pipelines hold (as HubSpot)."""
        self.won_stages, self.closed_stages = self.stage_flags()
        deals = self.object_types.get("deals")
        if deals is None:
            return
        pipelines = self.pipelines.get("deals", [])
        if "pipeline" in deals.properties:
            deals.properties["pipeline"].options = [(p["label"], p["id"]) for p in pipelines]
        if "dealstage" in deals.properties:
            deals.properties["dealstage"].options = [(st["label"], st["id"]) for p in pipelines for st in p["stages"]]

    def metadata(self) -> dict[str, Any]:
        """Everything `crm setup` may create, for tests comparing before/after (byte-equal)."""
        return {
            "objectTypes": {name: {"id": t.object_type_id, "properties": [p.to_json() for p in t.properties.values()]}
                            for name, t in sorted(self.object_types.items())},
            "groups": self.groups, "pipelines": self.pipelines,
            "associationTypes": [vars(t) for t in self.association_types],
        }

    def resolve(self, type_ref: str) -> ObjectTypeDef | None:
        """Find an object type by name, objectTypeId, fullyQualifiedName or alias."""
        ref = type_ref.lower()
        ref = SINGULAR_ALIASES.get(ref, ref)
        for object_type in self.object_types.values():
            names = {object_type.object_type_id}
            if object_type.custom:
                names |= {object_type.fully_qualified_name.lower(), f"p_{object_type.name}"}
                if self.accept_bare_custom_name:
                    names.add(object_type.name)
            else:
                names.add(object_type.name)
            if ref in names:
                return object_type
        return None

    def remove_property(self, object_type: str, name: str) -> None:
        del self.object_types[object_type].properties[name]

    def set_options(self, object_type: str, name: str, values: Iterable[str]) -> None:
        prop = self.object_types[object_type].properties[name]
        prop.options = [(value.replace("_", " ").title(), value) for value in values]

    def custom_types(self) -> list[ObjectTypeDef]:
        return [t for t in self.object_types.values() if t.custom]


def _options(*values: str) -> list[tuple[str, str]]:
    return [(value.replace("_", " ").title(), value) for value in values]


def _system(modified: str) -> list[PropertyDef]:
    return [
        PropertyDef("hs_object_id", NUMBER, "Record ID", read_only=True, group_name="info"),
        PropertyDef("createdate", DATETIME, "Create Date", read_only=True, group_name="info"),
        PropertyDef(modified, DATETIME, "Last Modified Date", read_only=True, group_name="info"),
    ]


DEFAULT_STAGES = (
    "appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
    "decisionmakerboughtin", "contractsent", "closedwon", "closedlost",
)
REGISTRATION_STAGES = (
    "registration_submitted", "registration_approved", "registration_rejected",
    "registration_converted", "registration_won", "registration_lost", "registration_expired",
)
#: Stages whose deals count as won / closed (drives hs_is_closed_won and hs_is_closed).
WON_STAGES = WON_STAGES_DEFAULT
CLOSED_STAGES = CLOSED_STAGES_DEFAULT


def _companies() -> ObjectTypeDef:
    companies = ObjectTypeDef(
        "companies", "0-2", "hs_lastmodifieddate", ["name", "domain"],
        singular_label="Company", plural_label="Companies", primary_display_property="name",
    )
    companies.add(
        *_system("hs_lastmodifieddate"),
        PropertyDef("name", STRING, "Company name"),
        PropertyDef("domain", STRING, "Company Domain Name"),
        PropertyDef("country", STRING, "Country/Region"),
        PropertyDef("phone", STRING, "Phone Number", field_type="phonenumber"),
        PropertyDef("industry", STRING, "Industry"),
        PropertyDef("prm_id", STRING, "PRM ID", has_unique_value=True),
        PropertyDef("prm_is_partner", BOOL, "Is PRM partner"),
        PropertyDef("prm_partner_tier", ENUMERATION, "Partner tier",
                    options=_options("platinum", "gold", "silver", "registered")),
        PropertyDef("prm_partner_status", ENUMERATION, "Partner status", options=_options(
            "prospect", "onboarding", "active", "suspended", "terminated")),
        PropertyDef("prm_partner_since", DATE, "Partner since"),
        PropertyDef("prm_channel_manager_email", STRING, "Channel manager email"),
        PropertyDef("prm_territories", STRING, "Territories"),
        PropertyDef("prm_partner_discount", NUMBER, "Partner discount (%)"),
        PropertyDef("prm_valid_certifications", NUMBER, "Valid certifications"),
    )
    return companies


def _contacts() -> ObjectTypeDef:
    contacts = ObjectTypeDef(
        "contacts", "0-1", "lastmodifieddate", ["firstname", "lastname", "email"],
        singular_label="Contact", plural_label="Contacts", primary_display_property="email",
    )
    contacts.add(
        *_system("lastmodifieddate"),
        PropertyDef("hs_lastmodifieddate", DATETIME, "Object last modified", read_only=True,
                    group_name="info"),
        # HubSpot deduplicates contacts by email: one contact per address (also an idProperty).
        PropertyDef("email", STRING, "Email", has_unique_value=True, group_name="contactinformation"),
        PropertyDef("firstname", STRING, "First Name", group_name="contactinformation"),
        PropertyDef("lastname", STRING, "Last Name", group_name="contactinformation"),
        PropertyDef("phone", STRING, "Phone Number", group_name="contactinformation"),
        PropertyDef("company", STRING, "Company Name", group_name="contactinformation"),
        PropertyDef("website", STRING, "Website URL", group_name="contactinformation"),
        PropertyDef("hs_language", ENUMERATION, "Preferred language", group_name="contactinformation",
                    options=[(label, code) for code, label in CONTACT_LANGUAGES]),
        PropertyDef("prm_id", STRING, "PRM ID", has_unique_value=True),
        PropertyDef("prm_partner_contact", BOOL, "Partner contact"),
        PropertyDef("prm_partner_role", ENUMERATION, "Partner contact role",
                    options=[(r.title(), r) for r in ("primary", "sales", "technical", "finance")]),
    )
    return contacts


def _deals() -> ObjectTypeDef:
    deals = ObjectTypeDef(
        "deals", "0-3", "hs_lastmodifieddate",
        ["dealname", "amount", "closedate", "pipeline", "dealstage"],
        singular_label="Deal", plural_label="Deals", primary_display_property="dealname",
    )
    deals.add(
        *_system("hs_lastmodifieddate"),
        PropertyDef("dealname", STRING, "Deal Name"),
        PropertyDef("amount", NUMBER, "Amount"),
        PropertyDef("deal_currency_code", STRING, "Currency"),
        PropertyDef("dealstage", ENUMERATION, "Deal Stage", field_type="radio",
                    options=_options(*DEFAULT_STAGES, *REGISTRATION_STAGES)),
        PropertyDef("pipeline", ENUMERATION, "Pipeline", field_type="select",
                    options=_options("default", "partner_registrations")),
        PropertyDef("closedate", DATETIME, "Close Date"),
        PropertyDef("dealtype", ENUMERATION, "Deal Type",
                    options=_options("newbusiness", "existingbusiness", "renewal")),
        PropertyDef("prm_id", STRING, "PRM ID", has_unique_value=True),
        PropertyDef("prm_customer_company", STRING, "Customer company"),
        PropertyDef("prm_contact_firstname", STRING, "Customer contact first name"),
        PropertyDef("prm_contact_lastname", STRING, "Customer contact last name"),
        PropertyDef("prm_contact_name", STRING, "Customer contact name"),  # full name, display only
        PropertyDef("prm_contact_email", STRING, "Customer contact email"),
        PropertyDef("prm_customer_website", STRING, "Customer website"),
        PropertyDef("prm_products", STRING, "Products"),
        PropertyDef("prm_product_line", ENUMERATION, "Product line",
                    options=_options("software", "hardware", "services")),
        PropertyDef("prm_registration_id", STRING, "Registration id"),
        PropertyDef("prm_fund_request_id", STRING, "Fund request id"),
        PropertyDef("hs_is_closed_won", BOOL, "Is Closed Won", read_only=True, calculated=True,
                    group_name="dealinformation"),
        PropertyDef("hs_is_closed", BOOL, "Is Deal Closed?", read_only=True, calculated=True,
                    group_name="dealinformation"),
    )
    return deals


def _partner_commissions(portal_id: int, type_id: str) -> ObjectTypeDef:
    commissions = ObjectTypeDef(
        "partner_commissions", type_id, "hs_lastmodifieddate", ["prm_id"], custom=True,
        fully_qualified_name=f"p{portal_id}_partner_commissions",
        singular_label="Partner commission", plural_label="Partner commissions",
        primary_display_property="prm_id",
    )
    commissions.add(
        *_system("hs_lastmodifieddate"),
        PropertyDef("prm_id", STRING, "PRM ID", has_unique_value=True),
        PropertyDef("amount", NUMBER, "Amount"),
        PropertyDef("currency", STRING, "Currency"),
        PropertyDef("status", ENUMERATION, "Status",
                    options=_options("calculated", "approved", "paid", "clawback")),
        PropertyDef("period", STRING, "Period"),
        PropertyDef("explanation", STRING, "Explanation", field_type="textarea"),
    )
    return commissions


_STAMP = "2024-01-01T00:00:00Z"
#: (label, probability, closed) of the stages of the two pipelines the default portal holds
_STAGE_META = {
    "closedwon": ("Closed won", "1.0", True), "closedlost": ("Closed lost", "0.0", True),
    "registration_won": ("Won", "1.0", True), "registration_converted": ("Converted", "1.0", True),
    "registration_lost": ("Lost", "0.0", True), "registration_rejected": ("Rejected", "0.0", True),
    "registration_expired": ("Expired", "0.0", True),
}


def stage_json(stage_id: str, label: str, order: int, probability: str, closed: bool) -> dict[str, Any]:
    return {"id": stage_id, "label": label, "displayOrder": order,
            "metadata": {"isClosed": "true" if closed else "false", "probability": probability},
            "createdAt": _STAMP, "updatedAt": _STAMP, "archived": False,
            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}


def pipeline_json(pipeline_id: str, label: str, order: int, stages: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": pipeline_id, "label": label, "displayOrder": order, "stages": stages,
            "createdAt": _STAMP, "updatedAt": _STAMP, "archived": False}


def group_json(name: str, label: str, order: int = -1) -> dict[str, Any]:
    return {"name": name, "label": label, "displayOrder": order, "archived": False}


def _stages(ids: Iterable[str]) -> list[dict[str, Any]]:
    out = []
    for order, stage_id in enumerate(ids):
        label, probability, closed = _STAGE_META.get(
            stage_id, (stage_id.removeprefix("registration_").replace("_", " ").capitalize(), "0.2", False))
        out.append(stage_json(stage_id, label, order, probability, closed))
    return out


_STANDARD_GROUPS = {"companies": ("companyinformation", "Company information"),
                    "contacts": ("contactinformation", "Contact information"),
                    "deals": ("dealinformation", "Deal information")}


def _partner_fund_requests(portal_id: int, type_id: str) -> ObjectTypeDef:
    requests = ObjectTypeDef(
        "partner_fund_requests", type_id, "hs_lastmodifieddate", ["prm_id"], custom=True,
        fully_qualified_name=f"p{portal_id}_partner_fund_requests",
        singular_label="Partner fund request", plural_label="Partner fund requests",
        primary_display_property="prm_id",
    )
    requests.add(
        *_system("hs_lastmodifieddate"),
        PropertyDef("prm_id", STRING, "PRM ID", has_unique_value=True),
        PropertyDef("prm_period", STRING, "Budget period"),
        PropertyDef("prm_activity_type", ENUMERATION, "Activity type", options=_options(
            "event", "webinar", "advertising", "content", "training", "other")),
        PropertyDef("prm_description", STRING, "Description", field_type="textarea"),
        PropertyDef("prm_planned_start", DATE, "Planned start"),
        PropertyDef("prm_planned_end", DATE, "Planned end"),
        PropertyDef("prm_requested_amount", NUMBER, "Requested amount"),
        PropertyDef("prm_approved_amount", NUMBER, "Approved amount"),
        PropertyDef("currency", STRING, "Currency"),
        PropertyDef("prm_expected_leads", NUMBER, "Expected leads"),
        PropertyDef("status", ENUMERATION, "Status", options=_options(
            "submitted", "approved", "rejected", "claimed", "paid", "expired")),
    )
    return requests


def _partner_fund_claims(portal_id: int, type_id: str) -> ObjectTypeDef:
    claims = ObjectTypeDef(
        "partner_fund_claims", type_id, "hs_lastmodifieddate", ["prm_id"], custom=True,
        fully_qualified_name=f"p{portal_id}_partner_fund_claims",
        singular_label="Partner fund claim", plural_label="Partner fund claims",
        primary_display_property="prm_id",
    )
    claims.add(
        *_system("hs_lastmodifieddate"),
        PropertyDef("prm_id", STRING, "PRM ID", has_unique_value=True),
        PropertyDef("amount", NUMBER, "Amount"),
        PropertyDef("currency", STRING, "Currency"),
        PropertyDef("prm_proof", STRING, "Proof (URLs or file paths)", field_type="textarea"),
        PropertyDef("status", ENUMERATION, "Status", options=_options("submitted", "approved", "rejected", "paid")),
        PropertyDef("prm_paid_at", DATETIME, "Paid at"),
    )
    return claims


def default_portal_schema(
    portal_id: int = 12345, commissions_type_id: str = "2-12345", *, tier: str = "enterprise",
    honour_requested_ids: bool = False,
) -> PortalSchema:
    """A fresh (mutable) schema: each emulator gets its own copy."""
    schema = PortalSchema(portal_id, tier=tier, honour_requested_ids=honour_requested_ids)
    for object_type in (
        _companies(), _contacts(), _deals(), _partner_commissions(portal_id, commissions_type_id),
        _partner_fund_requests(portal_id, "2-12346"), _partner_fund_claims(portal_id, "2-12347"),
    ):
        schema.add(object_type)
    schema.pipelines["deals"] = [
        pipeline_json("default", "Sales Pipeline", 0, _stages(DEFAULT_STAGES)),
        pipeline_json("partner_registrations", "Partner registrations", 1, _stages(REGISTRATION_STAGES)),
    ]
    for name in schema.object_types:
        standard = _STANDARD_GROUPS.get(name)
        schema.groups[name] = [group_json(*standard)] if standard else []
        schema.groups[name] += [group_json("info", "Information"), group_json("prm", "PRM")]
    schema.association_types = default_association_types()
    schema.sync_pipeline_options()
    return schema


def empty_portal_schema(portal_id: int = 12345, *, tier: str = "enterprise",
                        honour_requested_ids: bool = False) -> PortalSchema:
    """A portal as HubSpot hands it over: the standard objects and properties, the default deal
    pipeline, and none of what prm-sync needs (no `prm` group, no prm_* property, no
    partner_registrations pipeline, no custom object: partner_commissions, the fund objects): `crm setup` creates it."""
    schema = default_portal_schema(portal_id, tier=tier, honour_requested_ids=honour_requested_ids)
    for custom in [name for name, object_type in schema.object_types.items() if object_type.custom]:
        del schema.object_types[custom]
        del schema.groups[custom]
    for name, object_type in schema.object_types.items():
        for prop in [p for p in object_type.properties if p.startswith("prm_")]:
            del object_type.properties[prop]
        schema.groups[name] = [g for g in schema.groups[name] if g["name"] != "prm"]
    schema.pipelines["deals"] = [p for p in schema.pipelines["deals"] if p["id"] == "default"]
    schema.association_types = [t for t in schema.association_types
                                if {t.from_type, t.to_type} <= set(schema.object_types)]
    schema.sync_pipeline_options()
    return schema
