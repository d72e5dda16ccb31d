"""What a CRM user does in the CRM, done over the emulator's own REST API (plain HTTP, no SDK,
no connector): create, bulk-edit and delete records, so the scenario's CRM-side work goes
through the same request handling the connector's reads will meet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import requests

from prm_sync.sandbox import Sandbox

SF_OBJECTS = {"partner": "Account", "lead": "Lead", "deal": "Opportunity", "commission": "Partner_Commission__c"}
HS_OBJECTS = {"partner": "companies", "lead": "deals", "deal": "deals", "commission": "partner_commissions"}
HS_DEAL_TO_COMPANY = 341


class CrmUser(Protocol):
    def create_partner(self, name: str, tier: str) -> str: ...
    def create_lead(self, partner_crm_id: str, company: str, last_name: str) -> str: ...
    def touch(self, entity: str, crm_ids: Sequence[str], fields: Mapping[str, Any]) -> None: ...
    def edit(self, entity: str, crm_id: str, fields: Mapping[str, Any]) -> None: ...
    def delete(self, entity: str, crm_id: str) -> None: ...
    def ids(self, entity: str) -> list[str]: ...


class SalesforceUser:
    def __init__(self, sandbox: Sandbox) -> None:
        self.emulator = sandbox.emulator
        self.http = requests.Session()
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
        self.http.verify = str(sandbox.emulator.ca_path)
        self.http.headers["Authorization"] = f"Bearer {sandbox.emulator.session_id}"
        self.base = f"{sandbox.base_url}/services/data/v62.0"

    def _ok(self, response: requests.Response) -> Any:
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def create_partner(self, name: str, tier: str) -> str:
        body = {"Name": name, "Type": "Partner", "Partner_Tier__c": tier, "Partner_Status__c": "Active"}
        return str(self._ok(self.http.post(f"{self.base}/sobjects/Account", json=body))["id"])

    def create_lead(self, partner_crm_id: str, company: str, last_name: str) -> str:
        body = {"Company": company, "LastName": last_name, "LeadSource": "Partner Referral",
                "Partner_Account__c": partner_crm_id, "Registration_Status__c": "Submitted"}
        return str(self._ok(self.http.post(f"{self.base}/sobjects/Lead", json=body))["id"])

    def touch(self, entity: str, crm_ids: Sequence[str], fields: Mapping[str, Any]) -> None:
        obj = SF_OBJECTS[entity]
        for start in range(0, len(crm_ids), 200):
            records = [{"attributes": {"type": obj}, "Id": i, **fields} for i in crm_ids[start:start + 200]]
            results = self._ok(self.http.patch(f"{self.base}/composite/sobjects",
                                               json={"allOrNone": True, "records": records}))
            assert all(r["success"] for r in results), str(results)[:500]

    def edit(self, entity: str, crm_id: str, fields: Mapping[str, Any]) -> None:
        self._ok(self.http.patch(f"{self.base}/sobjects/{SF_OBJECTS[entity]}/{crm_id}", json=dict(fields)))

    def delete(self, entity: str, crm_id: str) -> None:
        self._ok(self.http.delete(f"{self.base}/sobjects/{SF_OBJECTS[entity]}/{crm_id}"))

    def ids(self, entity: str) -> list[str]:
        wanted = {"partner": lambda r: r.get("Type") == "Partner",
                  "lead": lambda r: r.get("LeadSource") == "Partner Referral",
                  "deal": lambda r: r.get("Partner_Account__c") is not None,
                  "commission": lambda r: True}[entity]
        return sorted(r["Id"] for r in self.emulator.records(SF_OBJECTS[entity]) if wanted(r))


class HubSpotUser:
    def __init__(self, sandbox: Sandbox) -> None:
        self.emulator = sandbox.emulator
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {sandbox.env['HUBSPOT_ACCESS_TOKEN']}"
        self.base = f"{sandbox.base_url}/crm/v3/objects"

    def _ok(self, response: requests.Response) -> Any:
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def create_partner(self, name: str, tier: str) -> str:
        body = {"properties": {"name": name, "prm_is_partner": "true", "prm_partner_tier": tier.lower(),
                               "prm_partner_status": "active"}}
        return str(self._ok(self.http.post(f"{self.base}/companies", json=body))["id"])

    def create_lead(self, partner_crm_id: str, company: str, last_name: str) -> str:
        body = {"properties": {"dealname": f"{company} registration", "pipeline": "partner_registrations",
                               "dealstage": "registration_submitted", "prm_customer_company": company,
                               "prm_contact_lastname": last_name},
                "associations": [{"to": {"id": partner_crm_id}, "types": [
                    {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": HS_DEAL_TO_COMPANY}]}]}
        return str(self._ok(self.http.post(f"{self.base}/deals", json=body))["id"])

    def touch(self, entity: str, crm_ids: Sequence[str], fields: Mapping[str, Any]) -> None:
        obj = HS_OBJECTS[entity]
        for start in range(0, len(crm_ids), 100):
            inputs = [{"id": i, "properties": dict(fields)} for i in crm_ids[start:start + 100]]
            self._ok(self.http.post(f"{self.base}/{obj}/batch/update", json={"inputs": inputs}))

    def edit(self, entity: str, crm_id: str, fields: Mapping[str, Any]) -> None:
        self._ok(self.http.patch(f"{self.base}/{HS_OBJECTS[entity]}/{crm_id}", json={"properties": dict(fields)}))

    def delete(self, entity: str, crm_id: str) -> None:
        self._ok(self.http.delete(f"{self.base}/{HS_OBJECTS[entity]}/{crm_id}"))

    def ids(self, entity: str) -> list[str]:
        pipeline = {"lead": "partner_registrations", "deal": "default"}.get(entity)
        dump = self.emulator.dump()["objects"][HS_OBJECTS[entity]]
        return sorted((str(r["id"]) for r in dump if r["archivedMs"] is None and (
            pipeline is None or r["properties"].get("pipeline") == pipeline) and (
            entity != "partner" or r["properties"].get("prm_is_partner") == "true")), key=int)


def crm_user(sandbox: Sandbox) -> CrmUser:
    return SalesforceUser(sandbox) if sandbox.crm == "salesforce" else HubSpotUser(sandbox)


class CrmRefused(Exception):
    """The CRM answered an error to a write (the value never entered the CRM)."""


def _checked(response: requests.Response) -> Any:
    if response.status_code >= 300:
        raise CrmRefused(response.text[:300])
    return response.json() if response.content else None


def create_record(user: CrmUser, entity: str, fields: Mapping[str, Any], partner_crm_id: str | None = None) -> str:
    """Create one record with exactly `fields` (plus what keeps it in the mapping's filter);
    raises CrmRefused when the CRM will not take it."""
    if isinstance(user, SalesforceUser):
        extra = {"partner": {"Type": "Partner"},
                 "lead": {"LeadSource": "Partner Referral", "LastName": "Hostile",
                          "Partner_Account__c": partner_crm_id}}.get(entity, {})
        body = {**extra, **fields}
        return str(_checked(user.http.post(f"{user.base}/sobjects/{SF_OBJECTS[entity]}", json=body))["id"])
    assert isinstance(user, HubSpotUser)
    extra = {"partner": {"prm_is_partner": "true"},
             "lead": {"pipeline": "partner_registrations", "dealstage": "registration_submitted",
                      "dealname": "Hostile registration"}}.get(entity, {})
    payload: dict[str, Any] = {"properties": {**extra, **fields}}
    if entity == "lead" and partner_crm_id:
        payload["associations"] = [{"to": {"id": partner_crm_id}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": HS_DEAL_TO_COMPANY}]}]
    return str(_checked(user.http.post(f"{user.base}/{HS_OBJECTS[entity]}", json=payload))["id"])


def edit_record(user: CrmUser, entity: str, crm_id: str, fields: Mapping[str, Any]) -> None:
    if isinstance(user, SalesforceUser):
        _checked(user.http.patch(f"{user.base}/sobjects/{SF_OBJECTS[entity]}/{crm_id}", json=dict(fields)))
        return
    assert isinstance(user, HubSpotUser)
    _checked(user.http.patch(f"{user.base}/{HS_OBJECTS[entity]}/{crm_id}", json={"properties": dict(fields)}))
