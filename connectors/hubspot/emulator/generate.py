"""Realistic generated portals: partner companies, their deal registrations and their deals.

Deterministic by seed. Faker is slow per call, so it only fills small pools of names once;
records are then assembled from the pools with ``random.Random`` (10,000 partners in well
under a second).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass

from faker import Faker

from connectors.hubspot.emulator.associations import AssociationStore
from connectors.hubspot.emulator.records import Record, RecordStore, derive_calculated
from connectors.hubspot.emulator.schema import DEFAULT_STAGES, REGISTRATION_STAGES
from connectors.hubspot.emulator.values import iso_ms

DAY_MS = 86_400_000
TIERS = ("platinum", "gold", "silver", "registered")
STATUSES = ("prospect", "onboarding", "active", "active", "active", "suspended", "terminated")
CURRENCIES = ("USD", "USD", "EUR", "GBP", "JPY", "VND")
PRODUCT_LINES = ("software", "hardware", "services")
DEAL_TYPES = ("newbusiness", "existingbusiness", "renewal")
PRODUCTS = ("Edge Gateway", "Cloud Suite", "Analytics Pro", "Support Plus", "Data Vault")


@dataclass
class _Pools:
    companies: list[str]
    first_names: list[str]
    last_names: list[str]
    countries: list[str]
    industries: list[str]
    cities: list[str]


def _pools(seed: int) -> _Pools:
    fake = Faker()
    fake.seed_instance(seed)
    return _Pools(
        companies=[fake.company() for _ in range(400)],
        first_names=[fake.first_name() for _ in range(150)],
        last_names=[fake.last_name() for _ in range(150)],
        countries=[fake.country_code() for _ in range(40)],
        industries=[fake.bs().split()[-1].upper() for _ in range(30)],
        cities=[fake.city() for _ in range(60)],
    )


@functools.cache
def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())[:24] or "company"


class PortalGenerator:
    def __init__(self, store: RecordStore, associations: AssociationStore, now_ms: int,
                 seed: int) -> None:
        self.store = store
        self.associations = associations
        self.now_ms = now_ms
        self.rng = random.Random(seed)
        self._random = self.rng.random
        self.pools = _pools(seed)
        schema = store.schema
        self.companies = schema.object_types["companies"]
        self.deals = schema.object_types["deals"]
        self.deal_to_company = associations.default_type("deals", "companies")

    def _pick(self, options: Sequence[str]) -> str:
        return options[int(self._random() * len(options))]

    def _between(self, low: int, high: int) -> int:
        """Like ``randint`` (inclusive), but cheaper."""
        return low + int(self._random() * (high - low + 1))

    def _uuid(self) -> str:
        """A random version-4 UUID from the seeded generator (formatted by hand: uuid.UUID is slow)."""
        h = f"{self.rng.getrandbits(128) & ~(0xF << 76) & ~(0x3 << 62) | (0x4 << 76) | (0x2 << 62):032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def _add(self, object_type_name: str, properties: dict[str, str]) -> Record:
        object_type = self.store.schema.object_types[object_type_name]
        now = self.now_ms
        created = now - self._between(DAY_MS, 400 * DAY_MS)
        updated = created + self._between(0, now - created)
        record_id = self.store.next_id()
        properties["hs_object_id"] = str(record_id)
        properties["createdate"] = iso_ms(created)
        properties[object_type.modified_property] = iso_ms(updated)
        derive_calculated(object_type, properties, self.store.schema)
        record = Record(record_id, properties, created, updated)
        self.store.add_loaded(object_type, record)
        return record

    def partner(self, index: int) -> Record:
        pools = self.pools
        name = f"{self._pick(pools.companies)} {pools.cities[index % len(pools.cities)]}"
        if index >= len(pools.companies):
            name = f"{name} {index}"
        domain = f"{_slug(name)}{index}.example.com"
        first, last = self._pick(pools.first_names), self._pick(pools.last_names)
        since = (self.now_ms - self._between(30, 2000) * DAY_MS) // DAY_MS * DAY_MS
        return self._add("companies", {
            "name": name,
            "domain": domain,
            "country": self._pick(pools.countries),
            "industry": self._pick(pools.industries),
            "phone": f"+1 555 {self._between(1000000, 9999999)}",
            "prm_id": self._uuid(),
            "prm_is_partner": "true",
            "prm_partner_tier": self._pick(TIERS),
            "prm_partner_status": self._pick(STATUSES),
            "prm_partner_since": iso_ms(since)[:10],
            "prm_channel_manager_email": f"{first}.{last}@vendor.example.com".lower(),
            "prm_territories": ";".join(sorted(self.rng.sample(pools.countries[:12], 2))),
        })

    def _deal_values(self, partner: Record, pipeline: str, stage: str) -> dict[str, str]:
        pools = self.pools
        customer = self._pick(pools.companies)
        first, last = self._pick(pools.first_names), self._pick(pools.last_names)
        close = self.now_ms + self._between(-120, 180) * DAY_MS
        amount = self._between(20, 5000) * 100
        return {
            "dealname": f"{customer} - {self._pick(PRODUCTS)}",
            "amount": str(amount),
            "deal_currency_code": self._pick(CURRENCIES),
            "pipeline": pipeline,
            "dealstage": stage,
            "closedate": iso_ms(close // DAY_MS * DAY_MS),
            "dealtype": self._pick(DEAL_TYPES),
            "prm_id": self._uuid(),
            "prm_customer_company": customer,
            "prm_contact_firstname": first,
            "prm_contact_lastname": last,
            "prm_contact_email": f"{first}.{last}@{_slug(customer)}.example.org".lower(),
            "prm_customer_website": f"https://{_slug(customer)}.example.org",
            "prm_products": self._pick(PRODUCTS),
            "prm_product_line": self._pick(PRODUCT_LINES),
        }

    def deal(self, partner: Record, registration: bool) -> Record:
        if registration:
            values = self._deal_values(partner, "partner_registrations",
                                       self._pick(REGISTRATION_STAGES))
            values["prm_registration_id"] = values["prm_id"]
        else:
            values = self._deal_values(partner, "default", self._pick(DEFAULT_STAGES))
        record = self._add("deals", values)
        if self.deal_to_company is not None:
            self.associations.link("deals", record.id, "companies", partner.id,
                                   self.deal_to_company)
        return record

    def run(self, n: int) -> None:
        for index in range(n):
            partner = self.partner(index)
            for _ in range(self._between(0, 2)):
                self.deal(partner, registration=True)
            for _ in range(self._between(0, 2)):
                self.deal(partner, registration=False)


def generate_portal(store: RecordStore, associations: AssociationStore, n: int, seed: int,
                    now_ms: int) -> None:
    """Add ``n`` partners with 0-2 registrations and 0-2 deals each to the store."""
    PortalGenerator(store, associations, now_ms, seed).run(n)
