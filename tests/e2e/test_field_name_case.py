"""Salesforce field names are case-insensitive: a mapping may spell them as it likes.

`SELECT territories__c` is answered with the org's own spelling (`"Territories__c": ...` in REST
JSON), so a mapping spelled otherwise must still find its values: before, every such field was
stored as None on each pull, and a pushed value was then "changed back" by the next pull.
`check --online` accepts such a mapping (tests/integration/test_check_online.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.sync_world import open_world
from tests.e2e.test_sync_bulk_query import set_bulk_query_threshold


@pytest.mark.parametrize("read", ["rest", "bulk"])
def test_a_mapping_spelled_in_another_case_reads_and_writes_its_fields(
        read: str, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    with open_world("salesforce", sqlite_url, tmp_path, capsys, monkeypatch) as world:
        world.edit_mapping("{crm: Territories__c}", "{crm: territories__c}")
        world.edit_mapping("{crm: Industry}", "{crm: INDUSTRY}")
        text = world.mapping_path.read_text(encoding="utf-8")
        world.mapping_path.write_text(text.replace("crm_key: PRM_Id__c", "crm_key: prm_id__C", 1), encoding="utf-8")
        if read == "bulk":
            set_bulk_query_threshold(world, 1)
        crm_id = world.harness.seed("partner", 1, Name="Zürich Partner AG", Territories__c="DACH",
                                    Industry="Technology")[0]
        first = world.sync()
        assert first["exit"] == 0, first
        (row,) = world.store_rows("partner")
        assert (row["territories"], row["industry"]) == ("DACH", "Technology")
        assert world.crm_by_key("partner", row["id"]) is not None   # its PRM id was written back

        assert world.cli("partners", "edit", row["id"], "--territories", "DACH, NORAM")[0] == 0
        (edited,) = world.store_rows("partner")
        assert edited["territories"] != "DACH"
        pushed = world.sync()
        assert pushed["exit"] == 0, pushed
        (account,) = world.harness.emulator.records("Account")
        assert (account["Id"], account["Territories__c"]) == (crm_id, edited["territories"])
        again = world.sync()
        assert again["exit"] == 0 and again["counts"] == {}, again
        assert world.store_rows("partner") == [edited | {"updated_at": world.store_rows("partner")[0]["updated_at"]}]
