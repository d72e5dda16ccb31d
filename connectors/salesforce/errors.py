"""Turning simple-salesforce / requests exceptions into prm-sync's error tree.

    SDK exception                                   -> what the connector raises
    requests SSLError (untrusted certificate)       -> CrmUnavailable (not retried; names host, CA file)
    requests ConnectionError / Timeout /
      ChunkedEncodingError                          -> TransientCrmError (retried)
    SalesforceGeneralError, status >= 500 or 429    -> TransientCrmError(status=...)
    SalesforceRefusedRequest 403 REQUEST_LIMIT_EXCEEDED
      "TotalRequests" (the org's daily limit)       -> BudgetExhausted (stop cleanly, resume later)
      any other REQUEST_LIMIT_EXCEEDED (concurrency)-> TransientCrmError
    SalesforceRefusedRequest (other 403)            -> CrmUnavailable (no access)
    SalesforceExpiredSession 401                    -> handled by the client (one re-login), then
                                                       CrmUnavailable
    SalesforceAuthenticationFailed (login)          -> CrmUnavailable
    anything else 4xx (malformed query, bad field)  -> SalesforceRequestError (not retried)

Messages carry Salesforce's `errorCode: message`, never a credential.
"""

from __future__ import annotations

import re
from typing import Any

import requests
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceRefusedRequest,
)

from connectors.transport_errors import Endpoint, certificate_error, certificate_failure, failed_url, root_cause
from prm_sync.connector import (
    BudgetExhausted,
    CrmError,
    CrmRefusedMapping,
    CrmUnavailable,
    MissingCrmField,
    TransientCrmError,
)

_TRANSIENT_NETWORK = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class SalesforceRequestError(CrmError):
    """Salesforce refused a whole request (4xx other than auth/limits); retrying will not help."""

    def __init__(self, message: str, *, status: int | None = None, error_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class SalesforceMissingField(SalesforceRequestError, MissingCrmField):
    """INVALID_FIELD: the org has no such field on the object (a mapping problem, not a record's)."""

    def __init__(self, message: str, *, status: int | None, crm_object: str, field: str) -> None:
        SalesforceRequestError.__init__(self, message, status=status, error_code="INVALID_FIELD")
        self.crm_object = crm_object
        self.field = field


# "No such column 'X' on entity 'Account'" (SOQL) / "No such column 'X' on sobject of type Account" (DML)
_NO_SUCH_COLUMN = re.compile(r"No such column '([^']+)' on (?:entity '([^']+)'|sobject of type (\w+))")


def refused_query(exc: SalesforceRequestError, crm_object: str) -> CrmRefusedMapping | None:
    """A 400 answer to a query built from the mapping, as the mapping problem it is (None: not
    one). A compound field (BillingAddress) gets the way out: Bulk API queries refuse them."""
    if isinstance(exc, SalesforceMissingField) or exc.status != 400:
        return None
    return CrmRefusedMapping(f"Salesforce refused the query for {crm_object}: {exc}{compound_hint(str(exc))}",
                             crm_object=crm_object)


def compound_hint(text: str) -> str:
    """The way out when Salesforce's refusal is about compound data (Bulk API queries take no
    address field), else nothing."""
    if "compound" not in text.lower():
        return ""
    return ("; a mapped field is a compound field (an address or a location): map its parts instead "
            "(`prm-sync check --online` names the field and its parts)")


def error_text(content: Any) -> str:
    """`errorCode: message` from a Salesforce error body (a list of errors, or a dict)."""
    items = content if isinstance(content, list) else [content]
    parts = []
    for item in items:
        if isinstance(item, dict):
            code = item.get("errorCode") or item.get("statusCode") or item.get("error") or "ERROR"
            message = item.get("message") or item.get("error_description") or ""
            parts.append(f"{code}: {message}" if message else str(code))
        elif item is not None:
            parts.append(str(item))
    return "; ".join(parts) or "no details"


def error_code(content: Any) -> str | None:
    first = content[0] if isinstance(content, list) and content else content
    if isinstance(first, dict):
        code = first.get("errorCode") or first.get("statusCode")
        return str(code) if code is not None else None
    return None


def classify(exc: BaseException, endpoint: Endpoint | None = None) -> BaseException | None:
    """The prm-sync exception to raise for an SDK/transport exception (None: not ours to map).

    SalesforceExpiredSession is not mapped here: the client decides (re-login once or give up).
    A certificate failure is CrmUnavailable at once (a retry cannot fix it); `endpoint` lets the
    messages name the URL and CA file.
    """
    endpoint = endpoint or Endpoint("Salesforce", "https://login.salesforce.com", None,
                                    "crm.salesforce.ca_bundle")
    if isinstance(exc, requests.exceptions.SSLError | requests.ConnectionError):
        tls = certificate_error(exc)
        if tls is not None:
            return certificate_failure(endpoint, exc, tls)
    if isinstance(exc, _TRANSIENT_NETWORK):
        return TransientCrmError(f"Salesforce: {failed_url(exc, endpoint.url)} unreachable: {root_cause(exc)}")
    if isinstance(exc, SalesforceAuthenticationFailed):
        return CrmUnavailable(f"Salesforce login failed: {exc.code}")
    if not isinstance(exc, SalesforceError):
        return None
    status = getattr(exc, "status", None)
    code = error_code(exc.content)
    text = error_text(exc.content)
    if code == "REQUEST_LIMIT_EXCEEDED":
        if status == 403 and "TotalRequests" in text:
            return BudgetExhausted(f"Salesforce's daily API limit is used up ({text}); the next run resumes")
        return TransientCrmError(f"Salesforce limit: {text}", status=status)
    if isinstance(exc, SalesforceExpiredSession):
        return CrmUnavailable(f"Salesforce session expired or invalid ({text})")
    if isinstance(exc, SalesforceRefusedRequest):
        return CrmUnavailable(f"Salesforce refused the request ({text})")
    if isinstance(status, int) and (status >= 500 or status == 429):
        return TransientCrmError(f"Salesforce error {status}: {text}", status=status)
    missing = _NO_SUCH_COLUMN.search(text) if code == "INVALID_FIELD" else None
    if missing is not None:
        field, crm_object = missing.group(1), missing.group(2) or missing.group(3)
        return SalesforceMissingField(f"{crm_object} has no field {field} in the CRM (INVALID_FIELD)", status=status,
                                      crm_object=crm_object, field=field)
    return SalesforceRequestError(f"Salesforce error {status}: {text}", status=status, error_code=code)
