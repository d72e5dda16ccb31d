"""The run lock's fencing token and its holder (one row, id 1): see prm_sync.store.fence."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from prm_sync.store.tables.base import StoreModel
from prm_sync.store.types import UtcDateTime


class RunFence(StoreModel, table=True):
    """Who holds the run lock, until when, and the generation (fencing token) it was given.

    Every real run bumps `generation` when it takes the lock and checks it in each unit of work's
    transaction; breaking a stale lock bumps it again, so the old holder can no longer commit."""

    __tablename__ = "run_fence"

    id: int = Field(default=1, primary_key=True)
    generation: int = 0
    owner: str | None = None          # who holds the OS lock, as locks.py identifies it
    holder: str | None = None         # the same, for people (pid, host, since)
    acquired_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    deadline_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    stale_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    released_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
