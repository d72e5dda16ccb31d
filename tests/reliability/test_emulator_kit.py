"""The emulator-kit extensions the reliability suite relies on (kill points, request log), and
emulator fixes it found (numbers out of range, years before 1000)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from connectors.emulator_kit import Fault
from prm_sync.sandbox import Sandbox
from tests.reliability.crm_side import CrmRefused, create_record, crm_user
from tests.reliability.world import start_world


@pytest.fixture(scope="module")
def hubspot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    world = start_world("hubspot", tmp_path_factory.mktemp("kit"), generate=0)
    yield world.sandbox
    world.sandbox.stop()


def companies(sandbox: Sandbox) -> list[str]:
    return [r["properties"]["name"] for r in sandbox.emulator.dump()["objects"]["companies"]]


@pytest.mark.parametrize("when", ["before", "after"])
def test_fault_when_and_on_hit(hubspot: Sandbox, when: str) -> None:
    calls: list[str] = []
    hubspot.emulator.inject(Fault(path="/companies$", method="POST", status=503, when=when,  # type: ignore[arg-type]
                                  on_hit=lambda: calls.append("hit")))
    user = crm_user(hubspot)
    with pytest.raises(CrmRefused):
        create_record(user, "partner", {"name": f"Made {when}?"})
    assert calls == ["hit"]
    # "after": the CRM did the work before answering with the error; "before": it did nothing
    assert (f"Made {when}?" in companies(hubspot)) is (when == "after")


def test_request_log_records_api_calls_in_order(hubspot: Sandbox) -> None:
    hubspot.emulator.request_log = []
    try:
        create_record(crm_user(hubspot), "partner", {"name": "Logged"})
        requests.get(f"{hubspot.base_url}/__admin__/counters", timeout=5)  # admin calls are not logged
        [logged] = hubspot.emulator.request_log
    finally:
        hubspot.emulator.request_log = None
    assert (logged.method, logged.path) == ("POST", "/crm/v3/objects/companies")
    assert b"Logged" in logged.body


def test_on_hit_is_python_only() -> None:
    fault = Fault(path="x", when="after", on_hit=lambda: None)
    assert "on_hit" not in fault.to_json() and fault.to_json()["when"] == "after"
    with pytest.raises(ValueError, match="on_hit"):
        Fault.from_json({"path": "x", "on_hit": "os.system"})
    with pytest.raises(ValueError, match="when"):
        Fault.from_json({"path": "x", "when": "during"})


def test_salesforce_refuses_numbers_beyond_18_digits(tmp_path: Path) -> None:
    world = start_world("salesforce", tmp_path, generate=1)
    try:
        user = crm_user(world.sandbox)
        partner = user.ids("partner")[0]
        for value in ("1e400", "123456789012345678901234567890.99"):
            with pytest.raises(CrmRefused, match="NUMBER_OUTSIDE_VALID_RANGE"):
                create_record(user, "lead", {"Company": "Big", "Estimated_Value__c": value}, partner)
        create_record(user, "lead", {"Company": "Fine", "Estimated_Value__c": "-100.50"}, partner)
    finally:
        world.sandbox.stop()


def test_hubspot_dates_before_year_1000_are_zero_padded(hubspot: Sandbox) -> None:
    user = crm_user(hubspot)
    crm_id = create_record(user, "lead", {"prm_customer_company": "Old", "closedate": "0001-01-01T00:00:00.000Z"})
    [deal] = [r for r in hubspot.emulator.dump()["objects"]["deals"] if str(r["id"]) == crm_id]
    assert deal["properties"]["closedate"] == "0001-01-01T00:00:00.000Z"
