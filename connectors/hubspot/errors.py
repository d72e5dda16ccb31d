"""Classifying what the HubSpot SDK raises into prm-sync's error tree.

Each generated package of hubspot-api-client has its own ``ApiException`` (no common base but
``Exception``), so exceptions are recognised by their ``status`` attribute, never by class.
Messages are built from HubSpot's answer body only: the SDK's own ``str()`` would dump headers,
and nothing here ever names the access token.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import urllib3

from connectors.transport_errors import Endpoint, certificate_error, certificate_failure, failed_url, root_cause
from prm_sync.connector import (
    BudgetExhausted,
    CrmError,
    CrmRefusedMapping,
    CrmUnavailable,
    MissingCrmField,
    TransientCrmError,
)


class HubSpotRequestError(CrmError):
    """HubSpot refused a request as invalid (4xx other than auth and rate limits).

    Raised for reads and schema calls (a mapping naming an unknown property or object type);
    batch writes turn these into per-record REJECTED results instead.
    """

    def __init__(self, message: str, *, status: int, body: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: Mapping[str, Any] = body or {}


class HubSpotMissingObjectType(HubSpotRequestError, CrmRefusedMapping):
    """The portal has no such object type (not standard, no custom schema): a read of it cannot be
    made, whatever the retries; the mapping names it (a MappingError at `entities.E.object`)."""

    def __init__(self, message: str, *, crm_object: str) -> None:
        HubSpotRequestError.__init__(self, message, status=404)
        self.crm_object = crm_object


class HubSpotMissingProperty(HubSpotRequestError, MissingCrmField):
    """PROPERTY_DOESNT_EXIST: the portal has no such property (a mapping problem, not a record's)."""

    def __init__(self, message: str, *, status: int, body: Mapping[str, Any], crm_object: str, field: str) -> None:
        HubSpotRequestError.__init__(self, message, status=status, body=body)
        self.crm_object = crm_object
        self.field = field


def missing_property(body: Mapping[str, Any]) -> str | None:
    """The property a VALIDATION_ERROR says does not exist (errors[].code PROPERTY_DOESNT_EXIST)."""
    for error in body.get("errors") or []:
        if isinstance(error, dict) and error.get("code") == "PROPERTY_DOESNT_EXIST":
            names = (error.get("context") or {}).get("propertyName") or []
            if names:
                return str(names[0])
    return None


def error_body(exc: BaseException) -> dict[str, Any]:
    """The parsed JSON body of an SDK ApiException ({} when absent or not JSON)."""
    raw = getattr(exc, "body", None)
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def error_message(body: Mapping[str, Any], status: int | None) -> str:
    message = body.get("message")
    if isinstance(message, str) and message:
        return message
    return f"HubSpot answered HTTP {status}"


def _retry_after(exc: BaseException) -> float | None:
    headers = getattr(exc, "headers", None)
    if not headers:
        return None
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _object_of(exc: BaseException) -> str:
    """The object type in the failed request's path (/crm/v3/objects/{type}/...), when known."""
    for link in (exc, getattr(exc, "__context__", None)):
        url = str(getattr(link, "url", "") or "")
        if "/objects/" in url:
            return url.split("/objects/", 1)[1].split("/", 1)[0]
    return "the object"


def classify(exc: BaseException, endpoint: Endpoint | None = None) -> BaseException:
    """The exception to raise instead of an SDK / urllib3 one.

    429 (not the daily limit), 5xx, dropped connections and timeouts -> TransientCrmError;
    429 with the DAILY policy -> BudgetExhausted; 401/403 and TLS failures -> CrmUnavailable;
    other 4xx -> HubSpotRequestError (callers handling batches catch it). `endpoint` lets the
    messages name the URL and CA file.
    """
    endpoint = endpoint or Endpoint("HubSpot", "https://api.hubapi.com", None, "crm.hubspot.ca_bundle")
    tls = certificate_error(exc)
    if tls is not None:
        return certificate_failure(endpoint, exc, tls)
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        body = error_body(exc)
        message = error_message(body, status)
        if status == 429:
            if str(body.get("policyName", "")).upper() == "DAILY":
                return BudgetExhausted(f"HubSpot's daily API limit is used up: {message}")
            return TransientCrmError(f"HubSpot rate limit: {message}", retry_after=_retry_after(exc),
                                     status=429)
        if status >= 500:
            return TransientCrmError(f"HubSpot server error {status}: {message}",
                                     retry_after=_retry_after(exc), status=status)
        if status == 401:
            return CrmUnavailable(f"HubSpot refused the access token (HTTP 401): {message}")
        if status == 403:   # a valid token without the scope, or a portal without the feature
            return CrmUnavailable(
                f"HubSpot refused the call (HTTP 403 {body.get('category') or 'FORBIDDEN'}): {message}; the private "
                "app lacks a scope this needs, or the portal's subscription lacks the feature (custom objects "
                "need Enterprise: docs/crm-setup.md)")
        if status == 0:  # the SDK's wrapper around urllib3's SSLError
            return CrmUnavailable(f"HubSpot TLS failure: {getattr(exc, 'reason', '')}".strip())
        missing = missing_property(body)
        if missing is not None:
            crm_object = _object_of(exc)
            return HubSpotMissingProperty(f"{crm_object} has no field {missing} in the CRM (PROPERTY_DOESNT_EXIST)",
                                          status=status, body=body, crm_object=crm_object, field=missing)
        return HubSpotRequestError(message, status=status, body=body)
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and isinstance(
        exc.reason, urllib3.exceptions.SSLError
    ):
        return CrmUnavailable(f"HubSpot TLS failure: {exc.reason}")
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError):
        return TransientCrmError(f"HubSpot connection to {failed_url(exc, endpoint.url)} failed: {root_cause(exc)}")
    return exc
