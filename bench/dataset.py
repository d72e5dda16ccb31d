"""The benchmark data set: exactly P partners, R registrations and D deals in an emulator, and
the "1 % changed" edit, both done inside the emulator process (no API calls counted)."""

from __future__ import annotations

import random
from typing import Any

from connectors.hubspot.emulator import HubSpotEmulator
from connectors.hubspot.emulator.generate import PortalGenerator
from connectors.salesforce.emulator import SalesforceEmulator
from connectors.salesforce.emulator.generate import generate_mix

#: the CRM objects holding each entity, and a field the "changed" edit rewrites
SF_OBJECTS = {"partner": ("Account", "Phone"), "lead": ("Lead", "Products__c"),
              "deal": ("Opportunity", "Name")}
HS_OBJECTS = {"partner": ("companies", "phone"), "lead": ("deals", "prm_products"),
              "deal": ("deals", "dealname")}


def fill(emulator: Any, partners: int, registrations: int, deals: int, seed: int = 7) -> None:
    if isinstance(emulator, SalesforceEmulator):
        with emulator.lock:
            generate_mix(emulator.store, partners, registrations, deals, seed)
        return
    assert isinstance(emulator, HubSpotEmulator)
    with emulator.lock:
        gen = PortalGenerator(emulator.store, emulator.associations, emulator.now_ms(), seed)
        made = [gen.partner(i) for i in range(partners)]
        for i in range(registrations if made else 0):
            gen.deal(made[i % len(made)], registration=True)
        for i in range(deals if made else 0):
            gen.deal(made[i % len(made)], registration=False)
        emulator.set_search_lag(0)  # rebuilds the search caches


def touch(emulator: Any, fraction: float, seed: int = 11) -> int:
    """Change `fraction` of the records of every synced entity (a new value and a new modified
    time, as a user's edit would); the number of records changed."""
    rng = random.Random(seed)
    changed = 0
    if isinstance(emulator, SalesforceEmulator):
        with emulator.lock:
            stamp = emulator.store.now()
            for obj, field in dict(SF_OBJECTS.values()).items():
                ids = sorted(rid for rid, r in emulator.store.records[obj].items() if not r["IsDeleted"])
                for rid in rng.sample(ids, round(len(ids) * fraction)):
                    emulator.store.update(obj, rid, {field: f"changed {rng.randrange(10**6)}"}, stamp)
                    changed += 1
        return changed
    assert isinstance(emulator, HubSpotEmulator)
    with emulator.lock:
        now = emulator.now_ms()
        for name in ("companies", "deals"):
            object_type = emulator.schema.object_types[name]
            table = emulator.store.table(object_type)
            field = "phone" if name == "companies" else "prm_products"
            ids = sorted(table.records)
            for rid in rng.sample(ids, round(len(ids) * fraction)):
                emulator.store.update(object_type, table.records[rid], {field: f"changed {rng.randrange(10**6)}"},
                                      now)
                changed += 1
    return changed
