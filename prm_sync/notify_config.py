"""The `notifications` block of config.yaml: outbox thresholds, recipients, SMTP, templates.

Without a `notifications` block prm-sync records no notifications at all (nothing is queued
for a mail server that was never configured). The SMTP password comes from the environment
(`password: ${SMTP_PASSWORD}`), like every secret.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from prm_sync.domain.notifications import DEFAULT_RECIPIENTS, Kind, NotifyPolicy

ROLE_NAMES = ("primary", "sales", "technical", "finance", "channel_manager")


def _secret(default: Any = ..., **kwargs: Any) -> Any:
    return Field(default, json_schema_extra={"x-secret": True}, **kwargs)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SmtpSettings(_Strict):
    host: str = Field(min_length=1)
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="starttls (port 587), tls (implicit TLS, port 465), none (local relay only)")
    user: str | None = None
    password: str | None = _secret(None)
    from_address: str = Field(alias="from", min_length=3, description="From: address, e.g. partners@vendor.example")
    reply_to: str | None = None
    timeout_seconds: float = Field(30.0, gt=0, le=600)
    ca_bundle: str | None = Field(None, description="CA file to trust for the server's certificate")


def _days(values: list[int]) -> list[int]:
    if any(v < 0 for v in values) or len(set(values)) != len(values):
        raise ValueError("must be distinct whole numbers of days, 0 or more")
    return sorted(values, reverse=True)


class NotificationSettings(_Strict):
    horizon_days: int = Field(7, ge=0, le=365, description="events older than this are history: never sent")
    expiring_days: list[int] = Field(default_factory=lambda: [30, 7], description="registration expiring notices")
    renewal_days: list[int] = Field(default_factory=lambda: [60, 30], description="contract renewal notices")
    certification_days: list[int] = Field(default_factory=lambda: [30], description="certification expiry notices")
    recipients: dict[Kind, list[Literal["primary", "sales", "technical", "finance", "channel_manager"]]] = Field(
        default_factory=dict, description="kind -> roles, overriding the defaults (docs/notifications.md)")
    language: str = Field("en", description="language of a recipient without a preferred one (channel managers)")
    templates_dir: str | None = Field(None, description="templates overriding the shipped ones (same names)")
    rate_per_minute: int = Field(60, ge=1, le=100_000)
    max_attempts: int = Field(8, ge=1, le=100)
    send_after_sync: bool = Field(False, description="the scheduler delivers pending messages after each sync job")
    digest_weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] | None = \
        Field("monday", description="the day `notify send` records the channel-manager digest (null: never)")
    smtp: SmtpSettings | None = None

    @field_validator("expiring_days", "renewal_days", "certification_days")
    @classmethod
    def _check_days(cls, value: list[int]) -> list[int]:
        return _days(value)

    def policy(self) -> NotifyPolicy:
        return NotifyPolicy(
            horizon=dt.timedelta(days=self.horizon_days), expiring_days=tuple(self.expiring_days),
            renewal_days=tuple(self.renewal_days), certification_days=tuple(self.certification_days),
            recipients={str(k): tuple(v) for k, v in self.recipients.items()},
        )

    def roles(self, kind: str) -> tuple[str, ...]:
        return tuple(self.recipients.get(Kind(kind), ())) or DEFAULT_RECIPIENTS[Kind(kind)]
