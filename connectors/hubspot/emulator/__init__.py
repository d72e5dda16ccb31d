"""Offline HubSpot CRM emulator (objects, batch, search, properties, schemas, v4 associations)."""

from connectors.hubspot.emulator.emulator import HubSpotEmulator
from connectors.hubspot.emulator.ratelimit import RateLimits
from connectors.hubspot.emulator.schema import PortalSchema, PropertyDef, default_portal_schema
from connectors.hubspot.emulator.server import build, serve

__all__ = [
    "HubSpotEmulator",
    "PortalSchema",
    "PropertyDef",
    "RateLimits",
    "build",
    "default_portal_schema",
    "serve",
]
