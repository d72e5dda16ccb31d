"""The notifications line of `prm-sync status`: pending, retrying and failed messages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from prm_sync.store import Notification


def notification_status(session: Session) -> dict[str, Any]:
    """{} when the outbox is empty; else counts per state, retrying ones and the last error."""
    counts = {str(state): int(n) for state, n in session.exec(
        select(Notification.state, func.count()).group_by(Notification.state)).all()}
    if not counts:
        return {}
    retrying = int(session.exec(select(func.count()).select_from(Notification).where(
        Notification.state == "pending", Notification.attempts > 0)).one())
    last = session.exec(select(Notification.last_error).where(
        col(Notification.last_error).is_not(None), Notification.state != "sent")
        .order_by(col(Notification.id).desc())).first()
    return {"pending": counts.get("pending", 0), "retrying": retrying, "failed": counts.get("failed", 0),
            "sent": counts.get("sent", 0), "last_error": last}


def describe_notifications(info: dict[str, Any]) -> str:
    line = (f"Notifications: {info['pending']} pending ({info['retrying']} retrying), {info['failed']} failed, "
            f"{info['sent']} sent")
    return line + (f"; last error: {info['last_error']}" if info.get("last_error") else "")
