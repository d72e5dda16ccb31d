"""Shared base for the offline CRM emulators (see briefs: emulator kit contract)."""

from connectors.emulator_kit.base import ADMIN_PREFIX, DroppedConnection, Emulator, LoggedRequest, json_response
from connectors.emulator_kit.faults import Fault, FaultTable
from connectors.emulator_kit.tls import make_tls_material

__all__ = [
    "ADMIN_PREFIX",
    "DroppedConnection",
    "Emulator",
    "Fault",
    "FaultTable",
    "LoggedRequest",
    "json_response",
    "make_tls_material",
]
