"""The emulator accepts each request of Salesforce's Postman collection (method, path, body).

The collection lives outside the repo in ``../shared/vendor-specs/salesforce-postman``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce

from connectors.salesforce.emulator import SalesforceEmulator

SPECS = Path(__file__).resolve().parents[3].parent / "shared" / "vendor-specs" / \
    "salesforce-postman"
FILES = sorted(SPECS.rglob("*.json")) if SPECS.is_dir() else []
pytestmark = pytest.mark.skipif(not FILES, reason=f"vendor specs folder absent: {SPECS}")


def _spec(name: str) -> dict[str, Any]:
    return json.loads((SPECS / name).read_text())


def _path_template(spec: dict[str, Any]) -> str:
    url = spec["url"].split("?", 1)[0]
    return re.sub(r"^\{\{(_endpoint|url)\}\}(\{\{site\}\})?", "", url)


def _fill(template: str, values: dict[str, str]) -> str:
    path = template.replace("{{version}}", "62.0").replace("v{{version}}", "v62.0")
    for key, value in values.items():
        path = path.replace(key, value)
    return path


@pytest.fixture
def seeded(sf: Salesforce) -> dict[str, str]:
    account = sf.Account.create({"Name": "Postman", "PRM_Id__c": "pm-1"})["id"]
    return {"<SOBJECT_API_NAME>": "Account", "<RECORD_ID>": account,
            "<FIELD_NAME>": "PRM_Id__c", "<FIELD_VALUE>": "pm-1"}


def _send(session: requests.Session, sf: Salesforce, base: str, method: str, path: str,
          **kwargs: Any) -> requests.Response:
    return session.request(method, base + path, headers=sf.headers, **kwargs)


REST_CASES = [
    ("rest/query.json", {"q": "SELECT Name FROM Account"}, None, 200),
    ("rest/queryall.json", {"q": "SELECT Name FROM Account"}, None, 200),
    ("rest/limit.json", None, None, 200),
    ("rest/describe_global.json", None, None, 200),
    ("rest/sobject_describe.json", None, None, 200),
    ("rest/sobject_rows.json", None, None, 200),
    ("rest/sobject_rows_by_external_id.json", None, None, 200),
    ("rest/sobject_create.json", None, {"Name": "test"}, 201),
    ("rest/sobject_rows_update.json", None, {"Name": "value"}, 204),
    ("rest/sobject_get_updated.json",
     {"start": "2020-01-01T00:00:00+00:00", "end": "2099-01-01T00:00:00+00:00"}, None, 200),
    ("rest/sobject_get_deleted.json",
     {"start": "2020-01-01T00:00:00+00:00", "end": "2099-01-01T00:00:00+00:00"}, None, 200),
    ("rest/sobject_rows_delete.json", None, None, 204),
]


@pytest.mark.parametrize("name, params, body, status", REST_CASES)
def test_rest_requests_of_the_collection(sf: Salesforce, sf_emulator: SalesforceEmulator,
                                         sf_session: requests.Session, seeded: dict[str, str],
                                         name: str, params: dict[str, str] | None,
                                         body: dict[str, Any] | None, status: int) -> None:
    spec = _spec(name)
    path = _fill(_path_template(spec), seeded)
    if spec.get("dataMode") == "raw" and spec.get("rawModeData"):
        json.loads(spec["rawModeData"])  # the documented body is JSON
    response = _send(sf_session, sf, sf_emulator.base_url, spec["method"], path,
                     params=params, json=body)
    assert response.status_code == status, response.text
    assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")


def test_composite_collection_requests(sf: Salesforce, sf_emulator: SalesforceEmulator,
                                       sf_session: requests.Session,
                                       seeded: dict[str, str]) -> None:
    base = sf_emulator.base_url
    create = _spec("composite/sobject_collections_create.json")
    assert set(json.loads(create["rawModeData"])) == {"allOrNone", "records"}
    made = _send(sf_session, sf, base, create["method"], _fill(_path_template(create), seeded),
                 json={"allOrNone": False, "records": [
                     {"attributes": {"type": "Account"}, "Name": "C1"}]}).json()
    assert made[0]["success"]
    update = _spec("composite/sobject_collections_update.json")
    updated = _send(sf_session, sf, base, update["method"],
                    _fill(_path_template(update), seeded),
                    json={"allOrNone": True, "records": [
                        {"attributes": {"type": "Account"}, "Id": made[0]["id"],
                         "Name": "C2"}]}).json()
    assert updated[0]["success"]
    retrieve = _spec("composite/sobject_collections_retrieve.json")
    got = _send(sf_session, sf, base, retrieve["method"],
                _fill(_path_template(retrieve), seeded),
                params={"ids": made[0]["id"], "fields": "Name"}).json()
    assert got[0]["Name"] == "C2"
    delete = _spec("composite/sobject_collections_delete.json")
    gone = _send(sf_session, sf, base, delete["method"], _fill(_path_template(delete), seeded),
                 params={"ids": made[0]["id"], "allOrNone": "false"}).json()
    assert gone[0]["success"]


def test_bulk_ingest_and_query_requests(sf: Salesforce, sf_emulator: SalesforceEmulator,
                                        sf_session: requests.Session,
                                        seeded: dict[str, str]) -> None:
    base = sf_emulator.base_url
    create = _spec("bulk_v2/create_job.json")
    body = json.loads(create["rawModeData"])
    body["object"] = "Account"
    job = _send(sf_session, sf, base, create["method"], _fill(_path_template(create), {}),
                json=body).json()
    assert job["state"] == "Open"
    values = {"{{_jobId}}": job["id"]}
    upload = _spec("bulk_v2/upload_job_data.json")
    header = {**sf.headers, "Content-Type": "text/csv"}
    uploaded = sf_session.request(upload["method"], base + _fill(_path_template(upload), values),
                                  data=f"Id,Name\n{seeded['<RECORD_ID>']},Bulk\n",
                                  headers=header)
    assert uploaded.status_code == 201
    close = _spec("bulk_v2/close_or_abort_a_job.json")
    closed = _send(sf_session, sf, base, close["method"], _fill(_path_template(close), values),
                   json=json.loads(close["rawModeData"]))
    assert closed.status_code == 200
    info = _spec("bulk_v2/get_job_info.json")
    assert _send(sf_session, sf, base, info["method"], _fill(_path_template(info), values)
                 ).json()["state"] == "JobComplete"
    for name in ("bulk_v2/get_job_successful_record_results.json",
                 "bulk_v2/get_job_failed_record_results.json"):
        spec = _spec(name)
        result = _send(sf_session, sf, base, spec["method"], _fill(_path_template(spec), values))
        assert result.status_code == 200 and result.text.startswith("sf__Id,")
    query = _spec("query/create_job_query.json")
    qjob = _send(sf_session, sf, base, query["method"], _fill(_path_template(query), {}),
                 json={"operation": "query", "query": "SELECT Id, Name FROM Account",
                       "contentType": "CSV", "columnDelimiter": "COMMA",
                       "lineEnding": "LF"}).json()
    qvalues = {"{{_jobId}}": qjob["id"]}
    assert qjob["state"] == "UploadComplete"
    qinfo = _spec("query/get_job_info_query.json")
    states = [_send(sf_session, sf, base, qinfo["method"], _fill(_path_template(qinfo), qvalues)
                    ).json()["state"] for _ in range(2)]
    assert states == ["InProgress", "JobComplete"]
    results = _spec("query/get_job_query_result.json")
    page = _send(sf_session, sf, base, results["method"], _fill(_path_template(results), qvalues))
    assert page.text.splitlines()[1].endswith(',"Bulk"')
    assert page.headers["Sforce-Locator"] == "null"


def test_auth_requests(sf_emulator: SalesforceEmulator, sf_session: requests.Session) -> None:
    soap = _spec("auth/soap_login.json")
    envelope = soap["rawModeData"].replace("{{username}}", "prm@example.com") \
        .replace("{{password}}{{secretToken}}", "secretTOKEN")
    path = _path_template(soap).replace("{{version}}", "62.0")
    answer = sf_session.post(sf_emulator.base_url + path, data=envelope,
                             headers={h["key"]: h["value"] for h in soap["headerData"]})
    assert answer.status_code == 200 and "<sessionId>" in answer.text
    oauth = _spec("auth/oauth_username_password.json")
    form = {d["key"]: d["value"] for d in oauth["data"]}
    form.update(client_id="emulator-consumer-key", client_secret="emulator-consumer-secret",
                username="prm@example.com", password="secretTOKEN")
    token = sf_session.post(sf_emulator.base_url + _path_template(oauth), data=form).json()
    assert token["instance_url"] == sf_emulator.base_url and token["access_token"]
