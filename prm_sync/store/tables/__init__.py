"""Every prm-sync table, and the metadata they belong to."""

from prm_sync.store.tables.base import STORE_METADATA, StoreModel
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
