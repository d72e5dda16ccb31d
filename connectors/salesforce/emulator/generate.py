"""Deterministic fake org: partner Accounts, their referred Leads and Opportunities.

Fast by design (``generate 10000`` well under a second): faker fills small name pools once,
a seeded ``random.Random`` combines them, and rows are built directly (they are valid by
construction, so the per-write validation is skipped).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal
from typing import Any

from faker import Faker

from connectors.salesforce.emulator.store import Store
from connectors.salesforce.emulator.values import make_id

TIERS = ["Platinum", "Gold", "Silver", "Registered"]
STATUSES = ["Active", "Active", "Active", "Onboarding", "Prospect", "Suspended", "Terminated"]
COUNTRIES = ["US", "GB", "DE", "FR", "JP", "VN", "CA", "AU", "NL", "ES"]
INDUSTRIES = ["Technology", "Finance", "Healthcare", "Manufacturing", "Retail", "Consulting"]
CURRENCIES = ["USD", "USD", "USD", "EUR", "GBP", "JPY", "VND"]
STAGES = ["Prospecting", "Qualification", "Negotiation/Review", "Closed Won", "Closed Lost"]
REG_STATUSES = ["Submitted", "Approved", "Rejected", "Converted", "Won", "Lost", "Expired"]
PRODUCTS = ["Analytics Suite", "Edge Gateway", "Support Plan", "Cloud Backup", "Training"]
OPP_TYPES = ["New Business", "Existing Customer - Upgrade", "Existing Customer - Renewal"]
LINES = ["Software", "Hardware", "Services"]


class _Pools:
    def __init__(self, seed: int) -> None:
        fake = Faker("en_US")
        fake.seed_instance(seed)
        self.companies = [fake.company() for _ in range(400)]
        self.first = [fake.first_name() for _ in range(200)]
        self.last = [fake.last_name() for _ in range(200)]
        self.words = [fake.word() for _ in range(100)]


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())[:24] or "partner"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


def generate_org(store: Store, n: int, seed: int = 0) -> None:
    """Add ``n`` partner Accounts (plus Leads and Opportunities) to ``store``."""
    rng = random.Random(seed)
    pools = _Pools(seed)
    now = store.now()
    accounts: list[dict[str, Any]] = []
    for i in range(n):
        company = f"{rng.choice(pools.companies)} {rng.choice(pools.words).title()}"
        slug = _slug(company)
        stamp = now - dt.timedelta(minutes=rng.randrange(1, 60 * 24 * 365))
        accounts.append(_add(store, "Account", stamp, {
            "Name": company, "Type": "Partner", "Website": f"https://www.{slug}{i}.example",
            "Phone": f"+1 555 {rng.randrange(1000000, 9999999)}",
            "BillingCountryCode": rng.choice(COUNTRIES), "Industry": rng.choice(INDUSTRIES),
            "PRM_Id__c": _uuid(rng), "Partner_Tier__c": rng.choice(TIERS),
            "Partner_Status__c": rng.choice(STATUSES),
            "Partner_Since__c": (now - dt.timedelta(days=rng.randrange(30, 3000))).date(),
            "Channel_Manager_Email__c":
                f"{rng.choice(pools.first).lower()}.{rng.choice(pools.last).lower()}@vendor.example",
            "Territories__c": ";".join(sorted(rng.sample(COUNTRIES, rng.randrange(1, 4)))),
        }))
    for account in accounts:
        if rng.random() < 0.6:
            for _ in range(rng.randrange(1, 4)):
                _lead(store, rng, pools, account, now)
        if rng.random() < 0.5:
            for _ in range(rng.randrange(1, 3)):
                _opportunity(store, rng, pools, account, now)


def generate_mix(store: Store, partners: int, leads: int, opportunities: int, seed: int = 0) -> None:
    """Exactly ``partners`` partner Accounts, ``leads`` partner-referred Leads and ``opportunities``
    partner Opportunities (each with a PRM id), spread evenly over the partners: the benchmark's
    data set, whose mix must not depend on chance."""
    rng = random.Random(seed)
    pools = _Pools(seed)
    now = store.now()
    accounts = []
    for i in range(partners):
        company = f"{rng.choice(pools.companies)} {rng.choice(pools.words).title()}"
        accounts.append(_add(store, "Account", now - dt.timedelta(minutes=rng.randrange(1, 60 * 24 * 365)), {
            "Name": company, "Type": "Partner", "Website": f"https://www.{_slug(company)}{i}.example",
            "BillingCountryCode": rng.choice(COUNTRIES), "Industry": rng.choice(INDUSTRIES),
            "PRM_Id__c": _uuid(rng), "Partner_Tier__c": rng.choice(TIERS), "Partner_Status__c": rng.choice(STATUSES),
            "Partner_Since__c": (now - dt.timedelta(days=rng.randrange(30, 3000))).date(),
            "Phone": f"+1 555 {rng.randrange(1000000, 9999999)}",
            "Channel_Manager_Email__c": f"{rng.choice(pools.first).lower()}.{rng.choice(pools.last).lower()}"
                                        "@vendor.example",
            "Territories__c": ";".join(sorted(rng.sample(COUNTRIES, rng.randrange(1, 4)))),
        }))
    for i in range(leads if accounts else 0):
        _lead(store, rng, pools, accounts[i % len(accounts)], now)
    for i in range(opportunities if accounts else 0):
        record = _opportunity(store, rng, pools, accounts[i % len(accounts)], now)
        record["PRM_Id__c"] = record.get("PRM_Id__c") or _uuid(rng)
        store.index("Opportunity", record)


def _lead(store: Store, rng: random.Random, pools: _Pools, account: dict[str, Any],
          now: dt.datetime) -> None:
    first, last = rng.choice(pools.first), rng.choice(pools.last)
    company = rng.choice(pools.companies)
    _add(store, "Lead", now - dt.timedelta(minutes=rng.randrange(1, 60 * 24 * 180)), {
        "Name": f"{first} {last}", "FirstName": first, "LastName": last, "Company": company,
        "Email": f"{first.lower()}.{last.lower()}@{_slug(company)}.example",
        "Website": f"https://{_slug(company)}.example", "Status": "Open - Not Contacted",
        "LeadSource": "Partner Referral", "CurrencyIsoCode": rng.choice(CURRENCIES),
        "PRM_Id__c": _uuid(rng), "Partner_Account__c": account["Id"],
        "Estimated_Value__c": _money(rng, 1000, 250000),
        "Expected_Close_Date__c": (now + dt.timedelta(days=rng.randrange(-60, 180))).date(),
        "Registration_Status__c": rng.choice(REG_STATUSES),
        "Products__c": ";".join(rng.sample(PRODUCTS, rng.randrange(1, 3))),
        "IsConverted": False, "ConvertedOpportunityId": None,
    })


def _opportunity(store: Store, rng: random.Random, pools: _Pools, account: dict[str, Any],
                 now: dt.datetime) -> dict[str, Any]:
    stage = rng.choice(STAGES)
    return _add(store, "Opportunity", now - dt.timedelta(minutes=rng.randrange(1, 60 * 24 * 180)), {
        "Name": f"{rng.choice(pools.companies)} - {rng.choice(PRODUCTS)}", "AccountId": None,
        "Amount": _money(rng, 5000, 500000), "CurrencyIsoCode": rng.choice(CURRENCIES),
        "StageName": stage,
        "CloseDate": (now + dt.timedelta(days=rng.randrange(-90, 180))).date(),
        "Type": rng.choice(OPP_TYPES), "IsWon": stage == "Closed Won",
        "IsClosed": stage.startswith("Closed"), "Partner_Account__c": account["Id"],
        "PRM_Id__c": _uuid(rng) if rng.random() < 0.3 else None,
        "PRM_Registration_Id__c": None, "Product_Line__c": rng.choice(LINES),
    })


def _add(store: Store, obj: str, stamp: dt.datetime, values: dict[str, Any]) -> dict[str, Any]:
    """Insert a row valid by construction (only fields the schema knows are kept)."""
    objdef = store.schema.objects[obj]
    number = store.next_number[obj]
    store.next_number[obj] = number + 1
    record = {k: v for k, v in values.items() if k in objdef.fields}
    record.update(Id=make_id(objdef.key_prefix, number), IsDeleted=False, CreatedDate=stamp,
                  LastModifiedDate=stamp, SystemModstamp=stamp)
    store.records[obj][record["Id"]] = record
    store.index(obj, record)
    return record
