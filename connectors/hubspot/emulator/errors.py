"""HubSpot's error bodies.

Top level (any 4xx/5xx): ``{"status": "error", "message", "correlationId", "category",
"errors": [{"message", "code", "context"}], "context", "links"}``. Entries of a 207's
``errors`` list are "standard errors" (the SDK requires status, category, message, context,
links and errors on each). A validation failure keeps HubSpot's legacy message form
``Property values were not valid: [{"isValid": false, ...}]``.
"""

from __future__ import annotations

import json
import uuid

from werkzeug.wrappers import Response

from connectors.emulator_kit import json_response
from connectors.hubspot.emulator.values import ValueProblem

BATCH_LIMIT_MESSAGE = (
    "The maximum number of inputs supported in a batch is {limit}. "
    "Please reduce the number of items and try again"
)
AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
    "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


def error_body(
    message: str,
    category: str,
    *,
    errors: list[dict[str, object]] | None = None,
    context: dict[str, list[str]] | None = None,
    sub_category: str | None = None,
) -> dict[str, object]:
    body: dict[str, object] = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        "errors": errors or [],
        "context": context or {},
        "links": {},
    }
    if sub_category:
        body["subCategory"] = sub_category
    return body


class HubSpotError(Exception):
    """Raised by handlers; turned into the JSON error answer."""

    def __init__(self, status: int, body: dict[str, object]) -> None:
        super().__init__(body.get("message"))
        self.status = status
        self.body = body

    def response(self) -> Response:
        return json_response(self.body, self.status)


def validation_error(message: str, **extra: object) -> HubSpotError:
    return HubSpotError(400, error_body(message, "VALIDATION_ERROR", **extra))  # type: ignore[arg-type]


def invalid_properties(problems: list[ValueProblem], input_index: int | None = None) -> HubSpotError:
    legacy = json.dumps([p.as_legacy() for p in problems], separators=(",", ":"))
    details: list[dict[str, object]] = [
        {
            "message": p.message,
            "code": p.code,
            "context": {"propertyName": [p.name]}
            | ({"inputIndex": [str(input_index)]} if input_index is not None else {}),
        }
        for p in problems
    ]
    return validation_error(f"Property values were not valid: {legacy}", errors=details)


def batch_limit_error(limit: int) -> HubSpotError:
    return validation_error(BATCH_LIMIT_MESSAGE.format(limit=limit))


def not_found(message: str = "resource not found") -> HubSpotError:
    return HubSpotError(404, error_body(message, "OBJECT_NOT_FOUND"))


def unauthorized() -> HubSpotError:
    return HubSpotError(401, error_body(AUTH_MESSAGE, "INVALID_AUTHENTICATION"))


def standard_error(
    message: str, category: str, context: dict[str, list[str]], sub_category: str | None = None
) -> dict[str, object]:
    """One entry of a 207 answer's ``errors`` list."""
    entry: dict[str, object] = {
        "status": "error",
        "category": category,
        "message": message,
        "context": context,
        "links": {},
        "errors": [],
    }
    if sub_category:
        entry["subCategory"] = sub_category
    return entry


def injected_error(status: int) -> dict[str, object]:
    """Body of an injected fault status, in the category HubSpot would use."""
    if status == 429:
        body = error_body("You have reached your ten_secondly_rolling limit.", "RATE_LIMITS")
        body |= {"errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}
        return body
    category = {
        400: "VALIDATION_ERROR", 401: "INVALID_AUTHENTICATION", 403: "MISSING_SCOPES",
        404: "OBJECT_NOT_FOUND", 409: "CONFLICT", 423: "LOCKED",
    }.get(status, "INTERNAL_ERROR" if status >= 500 else "VALIDATION_ERROR")
    return error_body(f"Injected fault: HTTP {status}", category)
