"""The `crm.salesforce` section of config.yaml, and Salesforce's registration with prm-sync."""

from __future__ import annotations

import re

from pydantic import Field, ValidationInfo, field_validator, model_validator

from prm_sync.connector import CrmPlugin, CrmTimeouts, SecretField, SecureUrl


class SalesforceSettings(CrmTimeouts):
    instance_url: SecureUrl | None = None
    session_id: str | None = SecretField(None)
    username: str | None = None
    password: str | None = SecretField(None)
    security_token: str | None = SecretField(None)
    domain: str = "login"
    consumer_key: str | None = None
    private_key_file: str | None = None
    api_version: str = "62.0"
    ca_bundle: str | None = None
    bulk_threshold: int = Field(2000, ge=1)
    bulk_query_threshold: int = Field(10_000, ge=1)  # first full reads above this: Bulk API 2.0 query job

    @field_validator("api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not re.fullmatch(r"\d{2}\.0", value):
            raise ValueError(f"'{value}' is not an API version like '62.0'")
        return value

    @model_validator(mode="after")
    def _one_auth(self, info: ValidationInfo) -> SalesforceSettings:
        if info.context and info.context.get("local"):
            return self  # a store-only command: how to log in does not matter
        methods = [
            name for name, present in (
                ("session_id", self.session_id is not None),
                ("username/password", self.password is not None),
                ("consumer_key/private_key_file (JWT)", self.consumer_key is not None),
            ) if present
        ]
        if len(methods) != 1:
            raise ValueError(
                "give exactly one way to authenticate: session_id (with instance_url), "
                "username/password/security_token, or consumer_key/private_key_file"
                + (f"; found {', '.join(methods)}" if methods else "")
            )
        if self.session_id is not None and not self.instance_url:
            raise ValueError("session_id needs instance_url")
        if self.consumer_key is not None and not (self.private_key_file and self.username):
            raise ValueError("JWT auth needs consumer_key, private_key_file and username")
        if self.password is not None and not self.username:
            raise ValueError("password auth needs username")
        return self


def _soql_problem(where: str) -> str | None:
    return "a SOQL WHERE fragment cannot contain ';'" if ";" in where else None


def _picklist_code_field(name: str) -> str | None:
    """BillingCountryCode and the like exist only with State and Country/Territory Picklists."""
    if not name.lower().endswith(("countrycode", "statecode")):
        return None
    return (f"{name} exists only when the org has State and Country/Territory Picklists "
            f"enabled: enable them in Setup, or map the field to the text field {name[:-len('Code')]}")


INIT_CONFIG = """\
# Secrets come from the environment: export SF_INSTANCE_URL=... SF_SESSION_ID=...
# (or use username/password/security_token, or OAuth JWT: see config.example.yaml).
crm:
  type: salesforce
  salesforce:
    instance_url: "${SF_INSTANCE_URL}"
    session_id: "${SF_SESSION_ID}"
    api_version: "62.0"
    ca_bundle: "${SF_CA_BUNDLE:-}"   # PEM of a custom CA (corporate proxy, the local sandbox); empty: none
"""

PLUGIN = CrmPlugin(name="salesforce", label="Salesforce", settings=SalesforceSettings, filter_is_text=True,
                   filter_hint="a Salesforce filter is a SOQL WHERE fragment (text)", check_filter=_soql_problem,
                   init_config=INIT_CONFIG, unique_key_hint="mark the field External ID (Salesforce)",
                   missing_field_hint=_picklist_code_field)
