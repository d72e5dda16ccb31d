"""Offline Salesforce REST / Bulk 2.0 / login emulator (HTTPS), built on the emulator kit."""

from connectors.salesforce.emulator.app import SalesforceEmulator, serve
from connectors.salesforce.emulator.auth import FIXED_SESSION_ID, AuthConfig
from connectors.salesforce.emulator.schema import FieldDef, ObjectDef, Schema, default_schema

__all__ = [
    "FIXED_SESSION_ID",
    "AuthConfig",
    "FieldDef",
    "ObjectDef",
    "SalesforceEmulator",
    "Schema",
    "default_schema",
    "serve",
]
