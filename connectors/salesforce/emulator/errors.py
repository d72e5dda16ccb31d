"""Salesforce-shaped error responses."""

from __future__ import annotations

from werkzeug.wrappers import Response

from connectors.emulator_kit import json_response

NOT_FOUND_MESSAGE = "The requested resource does not exist"


def sf_error(status: int, error_code: str, message: str,
             fields: list[str] | None = None) -> Response:
    body: dict[str, object] = {"message": message, "errorCode": error_code}
    if fields is not None:
        body["fields"] = fields
    return json_response([body], status)


def not_found(message: str = NOT_FOUND_MESSAGE) -> Response:
    return sf_error(404, "NOT_FOUND", message)


def query_error(soql: str, message: str, error_code: str, pos: int) -> Response:
    """MALFORMED_QUERY / INVALID_FIELD with the caret excerpt Salesforce prints."""
    text = f"\n{soql}\n{' ' * pos}^\nERROR at Row:1:Column:{pos + 1}\n{message}"
    return sf_error(400, error_code, text)
