"""Delivery after a scheduled sync (`notifications.send_after_sync`): the daemon's sync job calls
this once its run is over, so partners hear of the run's changes without a separate cron entry."""

from __future__ import annotations

import logging

from prm_sync.app import App
from prm_sync.services.notify_delivery import DeliveryReport, send_pending
from prm_sync.services.notify_render import templates_dir_of
from prm_sync.store.types import utcnow

log = logging.getLogger("prm_sync.notify")


def deliver_after_sync(app: App) -> DeliveryReport | None:
    """Send pending notifications when configured to; None when not. Never raises for a delivery
    problem (it is logged, and the messages stay pending for the next job)."""
    config = app.local().config
    settings = config.notifications
    if settings is None or not settings.send_after_sync or settings.smtp is None:
        return None
    with app.local().open_store() as store:
        report = send_pending(store, settings, utcnow(), config=config,
                              templates_dir=templates_dir_of(settings.templates_dir, config.base_dir))
    if report.outage:
        log.warning("notifications not delivered: %s; they stay pending", report.outage)
    for event_id, reason in {**report.retrying, **report.failed}.items():
        log.warning("notification %s not delivered: %s", event_id, reason)
    log.info("notifications: sent %d message(s)", report.messages)
    return report
