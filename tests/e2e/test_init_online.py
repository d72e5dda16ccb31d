"""`prm-sync init --online` against an emulated org that lacks two mapped fields: the written mapping
comments them out (saying so there and on stdout), and `check --online` on the result passes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from connectors.hubspot.emulator import HubSpotEmulator
from connectors.hubspot.emulator.schema import default_portal_schema
from connectors.salesforce.emulator import SalesforceEmulator
from connectors.salesforce.emulator.schema import default_schema
from prm_sync.cli.main import run
from prm_sync.connector import (
    ApiUsage,
    Capabilities,
    Cursor,
    Deletion,
    FieldInfo,
    FieldKind,
    Page,
    PushRecord,
    UpsertResult,
)
from prm_sync.mapping import EntityMapper, compile_text
from prm_sync.services.init_online import fit_mapping

TOKEN = "pat-init-online"
NOTE = "# prm-sync init --online:"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    return tmp_path


@pytest.fixture
def hubspot_lacking_two(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubSpotEmulator]:
    schema = default_portal_schema()
    schema.remove_property("companies", "prm_territories")
    schema.remove_property("deals", "prm_products")
    emulator = HubSpotEmulator(token=TOKEN, schema=schema)
    emulator.start()
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("HUBSPOT_BASE_URL", emulator.base_url)
    yield emulator
    emulator.stop()
    assert not emulator.unexpected_errors, emulator.unexpected_errors


@pytest.fixture
def salesforce_lacking_two(monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesforceEmulator]:
    schema = default_schema()
    schema.remove_field("Account", "Territories__c")
    schema.remove_field("Lead", "Products__c")
    emulator = SalesforceEmulator(schema)
    emulator.start()
    monkeypatch.setenv("SF_INSTANCE_URL", emulator.base_url)
    monkeypatch.setenv("SF_SESSION_ID", emulator.session_id)
    monkeypatch.setenv("SF_CA_BUNDLE", str(emulator.ca_path))
    yield emulator
    emulator.stop()
    assert not emulator.unexpected_errors, emulator.unexpected_errors


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def line_number(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_hubspot_init_online_comments_out_what_the_portal_lacks(
        workdir: Path, hubspot_lacking_two: HubSpotEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    shipped = (Path(__file__).resolve().parents[2] / "mappings" / "hubspot.yaml").read_text()
    code, out, err = cli(capsys, "init", "--crm", "hubspot", "--online", "site")
    assert code == 0, err
    assert "the org lacks 2 mapped field(s)" in out
    assert f"line {line_number(shipped, 'territories:')}: partner.territories: companies has no field " \
           "prm_territories: commented out" in out
    assert f"line {line_number(shipped, 'products:')}: lead.products: deals has no field prm_products: " \
           "commented out" in out
    assert "prm-sync can create them in the org instead of leaving them out: run init again with " \
           "--online --keep-missing --force, then `prm-sync crm setup`" in out

    mapping = (workdir / "site" / "mappings" / "hubspot.yaml").read_text()
    lines = mapping.splitlines()
    at = lines.index("      # territories:     {crm: prm_territories}")
    assert lines[at - 1] == (f"      {NOTE} companies has no field prm_territories in this org; create it, "
                             "then uncomment:")
    assert "      # products:           {crm: prm_products}" in lines
    assert "      channel_manager: {crm: prm_channel_manager_email}" in lines   # the rest is untouched
    assert len(lines) == len(shipped.splitlines()) + 2                        # one note per field

    assert (workdir / "site" / "schemas" / "mapping.schema.json").is_file()
    assert (workdir / "site" / "schemas" / "config.schema.json").is_file()
    assert (workdir / "site" / "config.yaml").read_text().startswith(
        "# yaml-language-server: $schema=schemas/config.schema.json\n")

    code, out, err = cli(capsys, "--config", "site/config.yaml", "check", "--online")
    assert code == 0, out + err
    assert ": error: " not in out
    assert "against the CRM: ok: 0 error(s)" in out


def test_hubspot_init_online_keep_missing_then_crm_setup_creates_them(
        workdir: Path, hubspot_lacking_two: HubSpotEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    shipped = (Path(__file__).resolve().parents[2] / "mappings" / "hubspot.yaml").read_text()
    code, out, err = cli(capsys, "init", "--crm", "hubspot", "--online", "--keep-missing", "site")
    assert code == 0, err
    assert "the org lacks 2 mapped field(s), kept in" in out
    assert f"line {line_number(shipped, 'territories:')}: partner.territories: companies has no field " \
           "prm_territories" in out
    assert "create them (and whatever else the mapping needs) with `prm-sync crm setup`" in out
    assert (workdir / "site" / "mappings" / "hubspot.yaml").read_text() == shipped

    hubspot_lacking_two.reset_counters()
    code, out, err = cli(capsys, "--config", "site/config.yaml", "crm", "setup", "--yes")
    assert code == 0, out + err
    assert "created 2 item(s) with 2 write call(s)" in out   # one batch property create per object
    assert hubspot_lacking_two.write_calls() == 2
    code, out, err = cli(capsys, "--config", "site/config.yaml", "check", "--online")
    assert code == 0, out + err
    assert "against the CRM: ok: 0 error(s)" in out


def test_salesforce_init_online_comments_out_what_the_org_lacks(
        workdir: Path, salesforce_lacking_two: SalesforceEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "init", "--crm", "salesforce", "--online", "site")
    assert code == 0, err
    assert "the org lacks 2 mapped field(s)" in out
    assert "partner.territories: Account has no field Territories__c: commented out" in out
    assert "lead.products: Lead has no field Products__c: commented out" in out
    assert "still to look at" not in out
    mapping = (workdir / "site" / "mappings" / "salesforce.yaml").read_text()
    assert "      # territories:     {crm: Territories__c}" in mapping.splitlines()

    code, out, err = cli(capsys, "--config", "site/config.yaml", "check", "--online")
    assert code == 0, out + err
    assert "against the CRM: ok: 0 error(s), 0 warning(s)" in out


def test_init_online_that_cannot_log_in_writes_nothing(
        workdir: Path, hubspot_lacking_two: HubSpotEmulator, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-wrong")
    code, _, err = cli(capsys, "init", "--crm", "hubspot", "--online", "site")
    assert code == 3, err
    assert "pat-wrong" not in err
    assert not (workdir / "site" / "config.yaml").exists()
    assert not (workdir / "site" / "mappings").exists()


def test_init_online_names_the_config_it_writes_when_a_variable_is_unset(
        workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SF_INSTANCE_URL", raising=False)
    monkeypatch.delenv("SF_SESSION_ID", raising=False)
    code, _, err = cli(capsys, "init", "--crm", "salesforce", "--online", "site")
    assert code == 2
    assert "site/config.yaml:" in err and "SF_SESSION_ID is not set" in err
    assert not (workdir / "site" / "config.yaml").exists()


# ---- the text surgery on a block-style mapping (a fake connector: our own interface) -----------------

class OrgWithout:
    """A Connector whose describe lists every mapped field except those named."""

    crm = "salesforce"
    capabilities = Capabilities()

    def __init__(self, lacking: set[str]) -> None:
        self.lacking = lacking

    def describe(self, mapper: EntityMapper) -> dict[str, FieldInfo]:
        names = [f.crm for f in mapper.fields] + [r.crm for r in mapper.references if r.crm]
        names += [*mapper.constants, mapper.crm_key or "Id"]
        fields = {n: FieldInfo(n, "string", FieldKind.STRING) for n in names if n not in self.lacking}
        if mapper.crm_key:
            fields[mapper.crm_key] = FieldInfo(mapper.crm_key, "string", FieldKind.STRING, unique_key=True)
        return fields

    def read_changes(self, mapper: EntityMapper, since: Cursor | None, until: dt.datetime) -> Iterator[Page]:
        raise NotImplementedError

    def read_deletions(self, mapper: EntityMapper, since: dt.datetime | None) -> Iterator[Deletion]:
        raise NotImplementedError

    def upsert(self, mapper: EntityMapper, records: Sequence[PushRecord]) -> list[UpsertResult]:
        raise NotImplementedError

    def delete(self, mapper: EntityMapper, crm_ids: Sequence[str]) -> list[UpsertResult]:
        raise NotImplementedError

    def usage(self) -> ApiUsage:
        return ApiUsage(calls=0)

    def close(self) -> None:
        pass


BLOCK_MAPPING = """\
version: 1
crm: salesforce
entities:
  partner:
    object: Account
    crm_key: PRM_Id__c
    fields:
      name:
        crm: Name
        required: true

      territories:
        crm: Territories__c   # free text
        direction: push
      phone: {crm: Phone}
"""


def test_fit_comments_out_a_whole_block_style_field() -> None:
    connector: Any = OrgWithout({"Territories__c"})
    fitted = fit_mapping(BLOCK_MAPPING, "m.yaml", "salesforce", connector)
    assert [str(o) for o in fitted.omitted] == [
        "line 12: partner.territories: Account has no field Territories__c: commented out"]
    assert fitted.text.splitlines()[10:16] == [
        "",
        f"      {NOTE} Account has no field Territories__c in this org; create it, then uncomment:",
        "      # territories:",
        "      #   crm: Territories__c   # free text",
        "      #   direction: push",
        "      phone: {crm: Phone}",
    ]
    compiled = compile_text(fitted.text, "m.yaml", "salesforce")
    assert [f.name for f in compiled["partner"].fields] == ["name", "phone"]
    assert fitted.report.findings == []
