"""Alerts: a run that ended with record errors, conflicts, or failed posts to a webhook.

The body is Slack-compatible (`{"text": ...}` plus a `prm_sync` object other receivers may read)
and passes through redaction: error texts come from CRMs and SDKs and might echo a credential.
Posting retries (the one RetryPolicy: connection errors, timeouts, 429 and 5xx, honouring Retry-After) and
never fails the run: a webhook that cannot be reached is logged as a warning.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from typing import Any

import requests

from prm_sync.config import AlertSettings
from prm_sync.connector.retry import RetryPolicy
from prm_sync.ops.metrics import RunOutcome, entity_numbers
from prm_sync.util.redact import redact, redact_value

log = logging.getLogger("prm_sync.alerts")


class _RetriableWebhookError(Exception):
    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"webhook answered HTTP {status}")
        self.retry_after = retry_after


def alert_reasons(outcome: RunOutcome) -> list[str]:
    """Which alert events the outcome raises: failure, errors (records quarantined, budget stop), conflicts."""
    if outcome.status == "failed":
        return ["failure"]
    if outcome.report is None or outcome.report.dry_run:
        return []
    reasons = []
    if outcome.report.total("invalid", "rejected") or outcome.report.stopped:
        reasons.append("errors")
    if outcome.report.total("conflict"):
        reasons.append("conflicts")
    return reasons


def alert_body(outcome: RunOutcome, reasons: list[str]) -> dict[str, Any]:
    host = socket.gethostname()
    numbers = {e: entity_numbers(outcome.report, e) for e in outcome.entities}
    errors = sum(n["errors"] for n in numbers.values())
    conflicts = sum(n["conflicts"] for n in numbers.values())
    if "failure" in reasons:
        headline = f"prm-sync run FAILED on {host}: {outcome.error or 'unknown error'}"
    else:
        parts = [f"{errors} record error(s)" if errors else "", f"{conflicts} conflict(s)" if conflicts else "",
                 f"stopped early: {outcome.report.stopped}" if outcome.report and outcome.report.stopped else ""]
        headline = f"prm-sync run on {host} needs a look: " + ", ".join(p for p in parts if p)
    lines = [headline]
    for entity, n in numbers.items():
        lines.append(f"• {entity}: {n['pulled']} read, {n['pushed']} pushed, {n['errors']} errors, "
                     f"{n['conflicts']} conflicts")
    lines.append("See `prm-sync status`, `prm-sync errors` and `prm-sync conflicts`.")
    body = {
        "text": "\n".join(lines),
        "prm_sync": {"host": host, "status": outcome.status, "reasons": reasons,
                     "started_at": outcome.started.isoformat(), "duration_s": round(outcome.duration_s, 3),
                     "error": outcome.error, "entities": numbers},
    }
    return redact_value(body)  # type: ignore[return-value]


def send_alert(settings: AlertSettings, outcome: RunOutcome, *, attempts: int = 4,
               sleep: Callable[[float], None] = time.sleep) -> bool:
    """Post an alert when the outcome calls for one the settings subscribe to; True if delivered."""
    reasons: list[str] = [r for r in alert_reasons(outcome) if r in settings.on]
    if not reasons:
        return False
    body = alert_body(outcome, reasons)

    def post() -> None:
        answer = requests.post(settings.webhook_url, json=body, timeout=settings.timeout_seconds)
        if answer.status_code == 429 or answer.status_code >= 500:
            raise _RetriableWebhookError(answer.status_code, _seconds(answer.headers.get("Retry-After")))
        answer.raise_for_status()

    policy = RetryPolicy(attempts=attempts, base_s=0.5, cap_s=8.0, max_retry_after_s=60.0, sleep=sleep,
                         retry_on=(requests.ConnectionError, requests.Timeout, _RetriableWebhookError),
                         honour_deadline=False)
    try:
        policy.call(post)
    except (requests.RequestException, _RetriableWebhookError) as exc:
        log.warning("alert webhook failed: %s", redact(str(exc)))
        return False
    log.info("alert sent (%s)", ", ".join(reasons), extra={"alert_reasons": reasons})
    return True


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
