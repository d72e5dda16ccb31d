"""Org schema of the Salesforce emulator: objects, fields, picklists and flags.

``default_schema()`` returns a fresh, mutable copy of the shared vocabulary org (common brief);
tests change it before building an emulator, e.g.::

    schema = default_schema()
    schema.remove_field("Account", "PRM_Id__c")
    schema.set_picklist("Account", "Partner_Tier__c", ["Gold", "Silver"], restricted=True)
    SalesforceEmulator(schema=schema)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

STRING_TYPES = {"id", "string", "picklist", "url", "phone", "email", "textarea", "reference"}
#: describe types of compound fields: read-only structures made of other fields (their parts)
COMPOUND_TYPES = {"address", "location"}
NUMBER_TYPES = {"currency", "double", "int", "percent"}
SYSTEM_FIELDS = ("IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp")


@dataclass
class FieldDef:
    name: str
    type: str
    label: str = ""
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    external_id: bool = False
    unique: bool = False
    calculated: bool = False
    defaulted_on_create: bool = False
    picklist: list[str] = field(default_factory=list)
    restricted_picklist: bool = False
    default_value: Any = None
    reference_to: list[str] = field(default_factory=list)
    precision: int = 0
    scale: int = 0
    compound_field_name: str | None = None  # the compound field (BillingAddress) this one is a part of

    @property
    def required_on_create(self) -> bool:
        return self.createable and not self.nillable and not self.defaulted_on_create

    @property
    def relationship_name(self) -> str | None:
        """``Partner_Account__c`` -> ``Partner_Account__r``; ``AccountId`` -> ``Account``."""
        if self.type != "reference":
            return None
        if self.name.endswith("__c"):
            return self.name[:-3] + "__r"
        return self.name[:-2] if self.name.endswith("Id") else None

    @property
    def id_lookup(self) -> bool:
        return self.type == "id" or self.external_id or (self.unique and self.type == "string")


_Named = TypeVar("_Named", "FieldDef", "ObjectDef")


def _named(items: dict[str, _Named], name: str) -> _Named | None:
    """`items[name]`, else the item whose key is `name` in another case (API names ignore case)."""
    found = items.get(name)
    if found is not None:
        return found
    lowered = name.lower()
    return next((item for key, item in items.items() if key.lower() == lowered), None)


@dataclass
class ObjectDef:
    name: str
    key_prefix: str
    label: str
    fields: dict[str, FieldDef]
    custom: bool = False
    autonumber_format: str | None = None  # e.g. "PC-{0:06d}" for an auto-number Name

    def field(self, name: str) -> FieldDef | None:
        """The field called `name`: Salesforce's API names are case-insensitive."""
        return _named(self.fields, name)

    def relationship(self, name: str) -> FieldDef | None:
        for fdef in self.fields.values():
            if fdef.relationship_name == name:
                return fdef
        return None


@dataclass
class Schema:
    objects: dict[str, ObjectDef]

    def obj(self, name: str) -> ObjectDef | None:
        """Case-insensitive object lookup (SOQL and URLs are case-insensitive)."""
        return _named(self.objects, name)

    def by_prefix(self, key_prefix: str) -> ObjectDef | None:
        return next((o for o in self.objects.values() if o.key_prefix == key_prefix), None)

    def remove_field(self, obj: str, name: str) -> None:
        del self.objects[obj].fields[name]

    def add_field(self, obj: str, fdef: FieldDef) -> None:
        self.objects[obj].fields[fdef.name] = fdef

    def set_picklist(self, obj: str, name: str, values: list[str], *, restricted: bool | None = None) -> None:
        fdef = self.objects[obj].fields[name]
        fdef.picklist = list(values)
        if restricted is not None:
            fdef.restricted_picklist = restricted

    def set_flags(self, obj: str, name: str, **flags: Any) -> None:
        """Change FieldDef attributes, e.g. ``set_flags("Lead", "Email", nillable=False)``."""
        fdef = self.objects[obj].fields[name]
        for key, value in flags.items():
            if not hasattr(fdef, key):
                raise AttributeError(f"FieldDef has no attribute {key}")
            setattr(fdef, key, value)

    def copy(self) -> Schema:
        return dataclasses.replace(
            self,
            objects={
                k: dataclasses.replace(o, fields={n: dataclasses.replace(f) for n, f in o.fields.items()})
                for k, o in self.objects.items()
            },
        )


def _label(name: str) -> str:
    base = name.removesuffix("__c").removesuffix("Id") if name != "Id" else "Record ID"
    return base.replace("_", " ").strip() or name


def _f(name: str, type_: str, **kw: Any) -> FieldDef:
    defaults: dict[str, Any] = {
        "string": 255,
        "url": 255,
        "phone": 40,
        "email": 80,
        "picklist": 255,
        "textarea": 32768,
        "id": 18,
        "reference": 18,
    }
    kw.setdefault("length", defaults.get(type_, 0))
    if type_ in NUMBER_TYPES:
        kw.setdefault("precision", 18)
        kw.setdefault("scale", 2 if type_ in ("currency", "double") else 0)
    return FieldDef(name=name, type=type_, label=kw.pop("label", _label(name)), **kw)


def _ro(name: str, type_: str, **kw: Any) -> FieldDef:
    return _f(name, type_, createable=False, updateable=False, **kw)


def _system_fields() -> list[FieldDef]:
    return [
        _ro("Id", "id", nillable=False, defaulted_on_create=True),
        _ro("IsDeleted", "boolean", nillable=False, defaulted_on_create=True),
        _ro("CreatedDate", "datetime", nillable=False, defaulted_on_create=True),
        _ro("LastModifiedDate", "datetime", nillable=False, defaulted_on_create=True),
        _ro("SystemModstamp", "datetime", nillable=False, defaulted_on_create=True),
    ]


def _ext_id(length: int = 36) -> FieldDef:
    return _f("PRM_Id__c", "string", length=length, external_id=True, unique=True, label="PRM Id")


CURRENCIES = ["USD", "EUR", "GBP", "JPY", "VND"]


def _currency() -> FieldDef:
    return _f(
        "CurrencyIsoCode",
        "picklist",
        picklist=CURRENCIES,
        restricted_picklist=True,
        defaulted_on_create=True,
        default_value="USD",
        length=3,
        label="Currency ISO Code",
    )


def _obj(name: str, prefix: str, fields: list[FieldDef], **kw: Any) -> ObjectDef:
    all_fields = _system_fields() + fields
    return ObjectDef(
        name=name,
        key_prefix=prefix,
        label=kw.pop("label", _label(name)),
        fields={f.name: f for f in all_fields},
        **kw,
    )


def _billing_address() -> list[FieldDef]:
    """Account's billing address: its text parts and the compound field made of them (with
    BillingCountryCode, a picklist part)."""
    part = {"compound_field_name": "BillingAddress"}
    return [
        _f("BillingStreet", "textarea", length=255, **part),
        _f("BillingCity", "string", length=40, **part),
        _f("BillingState", "string", length=80, **part),
        _f("BillingPostalCode", "string", length=20, **part),
        _f("BillingCountry", "string", length=80, **part),
        _f("BillingAddress", "address", createable=False, updateable=False, label="Billing Address"),
    ]


def default_schema() -> Schema:
    """A fresh copy of the default org: Account, Contact, Lead, Opportunity, Partner_Commission__c,
    Partner_Fund_Request__c, Partner_Fund_Claim__c (MDF)."""
    account = _obj(
        "Account",
        "001",
        [
            _f("Name", "string", nillable=False, label="Account Name"),
            _f(
                "Type",
                "picklist",
                label="Account Type",
                picklist=[
                    "Prospect",
                    "Customer",
                    "Partner",
                    "Customer - Direct",
                    "Customer - Channel",
                    "Channel Partner / Reseller",
                    "Installation Partner",
                    "Technology Partner",
                    "Other",
                ],
            ),
            _f("Website", "url"),
            _f("Phone", "phone"),
            *_billing_address(),
            _f(
                "BillingCountryCode",
                "picklist",
                length=2,
                compound_field_name="BillingAddress",
                picklist=[
                    "US",
                    "GB",
                    "DE",
                    "FR",
                    "JP",
                    "VN",
                    "CA",
                    "AU",
                    "NL",
                    "ES",
                    "IT",
                    "IN",
                    "BR",
                    "SG",
                ],
            ),
            _f(
                "Industry",
                "picklist",
                picklist=[
                    "Technology",
                    "Finance",
                    "Healthcare",
                    "Manufacturing",
                    "Retail",
                    "Education",
                    "Consulting",
                    "Telecommunications",
                    "Energy",
                    "Media",
                ],
            ),
            _ext_id(),
            _f(
                "Partner_Tier__c",
                "picklist",
                restricted_picklist=True,
                picklist=["Platinum", "Gold", "Silver", "Registered"],
            ),
            _f(
                "Partner_Status__c",
                "picklist",
                restricted_picklist=True,
                picklist=["Prospect", "Onboarding", "Active", "Suspended", "Terminated"],
            ),
            _f("Partner_Since__c", "date"),
            _f("Channel_Manager_Email__c", "email"),
            _f("Territories__c", "string"),
            _f("Partner_Discount__c", "percent", scale=2),
            _f("Valid_Certifications__c", "double", scale=0),
        ],
    )
    lead = _obj(
        "Lead",
        "00Q",
        [
            _ro("Name", "string", length=121, label="Full Name"),
        _f("FirstName", "string", length=40),
            _f("LastName", "string", length=80, nillable=False),
            _f("Company", "string", nillable=False),
            _f("Email", "email"),
            _f("Website", "url"),
            _f(
                "Status",
                "picklist",
                nillable=False,
                defaulted_on_create=True,
                default_value="Open - Not Contacted",
                restricted_picklist=True,
                picklist=[
                    "Open - Not Contacted",
                    "Working - Contacted",
                    "Closed - Converted",
                    "Closed - Not Converted",
                ],
            ),
            _f(
                "LeadSource",
                "picklist",
                picklist=["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"],
            ),
            _currency(),
            _ext_id(),
            _f("Partner_Account__c", "reference", reference_to=["Account"]),
            _f("Estimated_Value__c", "currency"),
            _f("Expected_Close_Date__c", "date"),
            _f(
                "Registration_Status__c",
                "picklist",
                restricted_picklist=True,
                picklist=[
                    "Submitted",
                    "Approved",
                    "Rejected",
                    "Converted",
                    "Won",
                    "Lost",
                    "Expired",
                ],
            ),
            _f("Products__c", "string"),
            _f("PRM_Fund_Request_Id__c", "string", length=36, label="PRM Fund Request Id"),
            _ro(
                "IsConverted",
                "boolean",
                nillable=False,
                defaulted_on_create=True,
                default_value=False,
            ),
            _ro("ConvertedOpportunityId", "reference", reference_to=["Opportunity"]),
        ],
    )
    contact = _obj(
        "Contact",
        "003",
        [
            _ro("Name", "string", length=121, label="Full Name"),
            _f("FirstName", "string", length=40),
            _f("LastName", "string", length=80, nillable=False),
            _f("AccountId", "reference", reference_to=["Account"], label="Account ID"),
            _f("Email", "email"),
            _f("Phone", "phone"),
            _f("Title", "string", length=128),
            _ext_id(),
            _f(
                "Partner_Role__c",
                "picklist",
                restricted_picklist=True,
                picklist=["Primary", "Sales", "Technical", "Finance"],
            ),
            _f("Preferred_Language__c", "picklist", picklist=["en", "vi", "de", "fr", "es", "ja"]),
        ],
    )
    opportunity = _obj(
        "Opportunity",
        "006",
        [
            _f("Name", "string", length=120, nillable=False),
            _f("AccountId", "reference", reference_to=["Account"]),
            _f("Amount", "currency"),
            _currency(),
            _f(
                "StageName",
                "picklist",
                nillable=False,
                restricted_picklist=True,
                picklist=[
                    "Prospecting",
                    "Qualification",
                    "Needs Analysis",
                    "Proposal/Price Quote",
                    "Negotiation/Review",
                    "Closed Won",
                    "Closed Lost",
                ],
            ),
            _f("CloseDate", "date", nillable=False),
            _f(
                "Type",
                "picklist",
                picklist=[
                    "New Business",
                    "Existing Customer - Upgrade",
                    "Existing Customer - Renewal",
                ],
            ),
            _ro("IsWon", "boolean", nillable=False, defaulted_on_create=True, calculated=False),
            _ro("IsClosed", "boolean", nillable=False, defaulted_on_create=True),
            _f("Partner_Account__c", "reference", reference_to=["Account"]),
            _ext_id(),
            _f("PRM_Registration_Id__c", "string", length=36),
            _f("PRM_Fund_Request_Id__c", "string", length=36, label="PRM Fund Request Id"),
            _f(
                "Product_Line__c",
                "picklist",
                restricted_picklist=True,
                picklist=["Software", "Hardware", "Services"],
            ),
        ],
    )
    commission = _obj(
        "Partner_Commission__c",
        "a0X",
        [
            _ro(
                "Name",
                "string",
                length=80,
                nillable=False,
                defaulted_on_create=True,
                label="Commission Number",
            ),
            _ext_id(),
            _f("Amount__c", "currency"),
            _currency(),
            _f(
                "Status__c",
                "picklist",
                restricted_picklist=True,
                picklist=["Calculated", "Approved", "Paid", "Clawback"],
            ),
            _f("Period__c", "string", length=20),
            _f("Opportunity__c", "reference", reference_to=["Opportunity"]),
            _f("Partner_Account__c", "reference", reference_to=["Account"]),
            _f("Explanation__c", "textarea", length=32768),
        ],
        custom=True,
        autonumber_format="PC-{0:06d}",
        label="Partner Commission",
    )
    fund_request = _obj(
        "Partner_Fund_Request__c",
        "a0Y",
        [
            _ro("Name", "string", length=80, nillable=False, defaulted_on_create=True, label="Fund Request Number"),
            _ext_id(),
            _f("Partner_Account__c", "reference", reference_to=["Account"]),
            _f("Period__c", "string", length=20),
            _f("Activity_Type__c", "picklist",
               picklist=["Event", "Webinar", "Advertising", "Content", "Training", "Other"]),
            _f("Description__c", "textarea", length=32768),
            _f("Planned_Start__c", "date"),
            _f("Planned_End__c", "date"),
            _f("Requested_Amount__c", "currency"),
            _f("Approved_Amount__c", "currency"),
            _currency(),
            _f("Expected_Leads__c", "double", scale=0),
            _f("Status__c", "picklist", restricted_picklist=True,
               picklist=["Submitted", "Approved", "Rejected", "Claimed", "Paid", "Expired"]),
        ],
        custom=True,
        autonumber_format="FR-{0:06d}",
        label="Partner Fund Request",
    )
    fund_claim = _obj(
        "Partner_Fund_Claim__c",
        "a0Z",
        [
            _ro("Name", "string", length=80, nillable=False, defaulted_on_create=True, label="Fund Claim Number"),
            _ext_id(),
            _f("Fund_Request__c", "reference", reference_to=["Partner_Fund_Request__c"]),
            _f("Partner_Account__c", "reference", reference_to=["Account"]),
            _f("Amount__c", "currency"),
            _currency(),
            _f("Proof__c", "textarea", length=32768),
            _f("Status__c", "picklist", restricted_picklist=True,
               picklist=["Submitted", "Approved", "Rejected", "Paid"]),
            _f("Paid_At__c", "datetime"),
        ],
        custom=True,
        autonumber_format="FC-{0:06d}",
        label="Partner Fund Claim",
    )
    return Schema({o.name: o for o in (account, contact, lead, opportunity, commission, fund_request, fund_claim)})


def empty_schema() -> Schema:
    """An org untouched by prm-sync: the standard objects (Account, Contact, Lead, Opportunity) with
    their standard fields only, no custom field and no custom object (what `crm setup` starts from)."""
    schema = default_schema()
    for name in [n for n, o in schema.objects.items() if o.custom]:
        del schema.objects[name]
    for obj in schema.objects.values():
        for fname in [n for n in obj.fields if n.endswith("__c")]:
            del obj.fields[fname]
    return schema
