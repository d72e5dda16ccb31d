"""The store package: pinned public names, the error tree, URL handling, no import side effects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import prm_sync.store as store_package
from prm_sync.store import errors
from prm_sync.store.engine import parse_store_url

PUBLIC_NAMES = {
    "STORE_METADATA", "BadStoreUrl", "Certification", "CommissionLine", "Conflict", "Contract",
    "Deal", "FundAllocation", "FundBudget", "FundClaim", "FundHistory", "FundRequest",
    "Link", "LockBroken", "LockHeld", "Money", "NotAPrmStore", "Notification", "Partner", "PartnerContact",
    "PartnerStatusChange",
    "PartnerTierChange",
    "Quarantine", "Registration", "SchemaAhead", "SchemaBehind", "Store", "StoreError",
    "StoreNotInitialized", "StoreUnavailable", "SyncCursor", "SyncRun", "UtcDateTime",
    "check_schema", "current_revision", "head_revision", "link_for_crm", "link_for_prm",
    "load_cursor", "lock_status", "new_id", "open_store", "parse_store_url", "run_lock", "save_cursor",
    "upgrade", "utcnow",
}


def test_public_api_is_pinned() -> None:
    assert set(store_package.__all__) == PUBLIC_NAMES
    assert all(hasattr(store_package, name) for name in PUBLIC_NAMES)


def test_error_tree_is_written_down_and_rooted_at_store_error() -> None:
    classes = [value for value in vars(errors).values()
               if isinstance(value, type) and issubclass(value, Exception)]
    assert len(classes) == 9
    doc = errors.__doc__ or ""
    for cls in classes:
        assert issubclass(cls, errors.StoreError)
        assert cls.__name__ in doc


@pytest.mark.parametrize(
    ("url", "driver"),
    [("postgresql://u@h/db", "postgresql+psycopg"), ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
     ("sqlite:///prm.db", "sqlite"), ("sqlite://", "sqlite")],
)
def test_url_normalisation(url: str, driver: str) -> None:
    assert parse_store_url(url).drivername == driver


def test_import_creates_no_engine_and_no_file(tmp_path: Path) -> None:
    code = (
        "import sqlalchemy, sqlalchemy.engine.create as c\n"
        "calls = []\n"
        "orig = c.create_engine\n"
        "sqlalchemy.create_engine = c.create_engine = lambda *a, **k: calls.append(a) or orig(*a, **k)\n"
        "import prm_sync.store, prm_sync.store.locks, prm_sync.store.schema\n"
        "print(len(calls))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "0"
    assert list(tmp_path.iterdir()) == []
