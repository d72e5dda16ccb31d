"""Every prm-sync table, and the metadata they belong to."""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from prm_sync.store.tables.base import StoreModel

if TYPE_CHECKING:
    from prm_sync.store.tables.base import STORE_METADATA
    from prm_sync.store.tables.bookkeeping import Conflict, Link, Quarantine, SyncCursor, SyncRun
    from prm_sync.store.tables.commissions import CommissionLine
    from prm_sync.store.tables.contacts import PartnerContact
    from prm_sync.store.tables.deals import Deal
    from prm_sync.store.tables.funds import FundAllocation, FundBudget, FundClaim, FundHistory, FundRequest
    from prm_sync.store.tables.notifications import Notification
    from prm_sync.store.tables.partners import (
        DERIVED_COLUMNS,
        Certification,
        Contract,
        Partner,
        PartnerStatusChange,
        PartnerTierChange,
    )
    from prm_sync.store.tables.registrations import Registration
    from prm_sync.store.tables.runlock import RunFence

#: Each table module is imported on first use of one of its tables (PEP 562): `partners list`
#: builds the partner tables, not the sync bookkeeping's, the deals' or the commissions' (issue 17).
#: STORE_METADATA (migrations, the schema check) imports them all first, so it always holds every table.
_MODULES = {
    **dict.fromkeys(["Conflict", "Link", "Quarantine", "SyncCursor", "SyncRun"], "bookkeeping"),
    "CommissionLine": "commissions", "PartnerContact": "contacts", "Deal": "deals", "Notification": "notifications",
    **dict.fromkeys(["FundAllocation", "FundBudget", "FundClaim", "FundHistory", "FundRequest"], "funds"),
    **dict.fromkeys(["DERIVED_COLUMNS", "Certification", "Contract", "Partner", "PartnerStatusChange",
                     "PartnerTierChange"], "partners"),
    "Registration": "registrations", "RunFence": "runlock",
}


def __getattr__(name: str) -> Any:
    if name == "STORE_METADATA":
        for module in set(_MODULES.values()):
            import_module(f"{__name__}.{module}")
        value: Any = import_module(f"{__name__}.base").STORE_METADATA
    elif name in _MODULES:
        value = getattr(import_module(f"{__name__}.{_MODULES[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULES, "STORE_METADATA"})


__all__ = [
    "DERIVED_COLUMNS",
    "STORE_METADATA",
    "Certification",
    "CommissionLine",
    "Conflict",
    "Contract",
    "Deal",
    "FundAllocation",
    "FundBudget",
    "FundClaim",
    "FundHistory",
    "FundRequest",
    "Link",
    "Notification",
    "Partner",
    "PartnerContact",
    "PartnerStatusChange",
    "PartnerTierChange",
    "Quarantine",
    "Registration",
    "RunFence",
    "StoreModel",
    "SyncCursor",
    "SyncRun",
]
