"""Lookback without waste: re-read each stretch of time once, when the CRM's index has settled.

A CRM's change index (HubSpot search) lags its writes by up to `lookback`. Reading
`since = cursor - lookback` on every run is safe but re-reads the same records run after run
(1,000 back-filled records: 5 search pages a run for 5 minutes). For a connector that can add one
settled window to its change read (`SettledRechecks`), each run instead reads:

* forward from the exact compound cursor (new changes, at once), and
* the window ``[settled horizon, run start - lookback)``: time that has settled since the last
  run, so every change in it is in the index now. The horizon then moves to its end.

Invariant: every change with modstamp below the horizon has been read (or superseded). A change
missing from the index when its own time was read forward is read when its window settles.
That is also why the cursor may move past prm-sync's own writes (their `UpsertResult.position`):
a change by someone else between the old cursor and those writes is at or after the horizon
(it was not visible yet at the last read, or came after it), so a settled window re-reads it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session

from prm_sync.connector import UpsertResult
from prm_sync.store.bookkeeping import load_cursor, save_cursor
from prm_sync.sync.context import RunContext

CHANGES = "changes"     # the compound change cursor's stream
SETTLED = "settled"     # the settled horizon's stream (its record_id unused)


def rechecks(ctx: RunContext) -> bool:
    """Whether this run uses settled windows instead of re-reading the whole lookback."""
    return bool(ctx.lookback) and ctx.connector.capabilities.rechecks_settled_windows


def settled_window(session: Session, ctx: RunContext, entity: str,
                   cursor_modstamp: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """``[start, end)``: the time settled since the last settled read (None: nothing new).
    Without a horizon yet (a store from before this), it starts where the lookback would."""
    stored = load_cursor(session, entity, SETTLED)
    start = stored.modstamp if stored else cursor_modstamp - ctx.lookback
    end = ctx.started - ctx.lookback
    return (start, end) if start < end else None


def save_horizon(session: Session, ctx: RunContext, entity: str) -> None:
    """After a pull that read up to the run start: all before ``start - lookback`` is read.
    Call only in the unit of work that commits after the pull's last page."""
    end = ctx.started - ctx.lookback
    stored = load_cursor(session, entity, SETTLED)
    if stored is None or stored.modstamp < end:
        save_cursor(session, entity, SETTLED, end, None)


def advance_past_own_writes(session: Session, ctx: RunContext, entity: str,
                            results: Sequence[UpsertResult]) -> None:
    """Move the change cursor just past the versions prm-sync itself wrote, so the next run does
    not read them back. Sound only with settled windows (see the module docstring)."""
    if not rechecks(ctx) or ctx.dry_run:
        return
    positions = [r.position for r in results if r.ok and r.position is not None]
    if not positions:
        return
    last = max(positions)
    stored = load_cursor(session, entity, CHANGES)
    if stored is None:
        return  # never pulled: the first pull reads everything anyway
    if (stored.modstamp, stored.record_id or "") < (last.modstamp, last.record_id):
        save_cursor(session, entity, CHANGES, last.modstamp, last.record_id)
