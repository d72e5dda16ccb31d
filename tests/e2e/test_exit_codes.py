"""Exit codes say what happened (issue 15 item 8): 70 for internal errors and a full disk, 2 (with the
mapping's FILE:LINE) for a CRM field the mapping names but the org lacks, discovered mid-run."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.hubspot.emulator import HubSpotEmulator
from connectors.hubspot.emulator.schema import default_portal_schema
from connectors.salesforce.emulator import SalesforceEmulator
from connectors.salesforce.emulator.schema import default_schema
from prm_sync.cli.main import run
from prm_sync.errors import EXIT_INTERNAL
from tests.e2e.ops_workspace import EXE

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "pat-exit-codes"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def mapping_line(site: Path, crm: str, needle: str) -> int:
    lines = (site / "mappings" / f"{crm}.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines) if needle in text) + 1


@pytest.fixture(params=["salesforce", "hubspot"])
def site_missing_field(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                       ) -> Iterator[tuple[str, Path]]:
    """A site whose CRM lacks the field mapped as partner.joined_on (created after `check --online`)."""
    crm = request.param
    emulator: Any
    if crm == "salesforce":
        schema = default_schema()
        schema.remove_field("Account", "Partner_Since__c")
        emulator = SalesforceEmulator(schema)
        emulator.start()
        monkeypatch.setenv("SF_SESSION_ID", emulator.session_id)
        section = (f'  salesforce:\n    instance_url: "{emulator.base_url}"\n'
                   f'    session_id: "${{SF_SESSION_ID}}"\n    ca_bundle: "{emulator.ca_path}"\n')
    else:
        portal = default_portal_schema()
        portal.remove_property("companies", "prm_partner_since")
        emulator = HubSpotEmulator(token=TOKEN, schema=portal)
        emulator.start()
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
        section = f'  hubspot:\n    access_token: "${{HUBSPOT_ACCESS_TOKEN}}"\n    base_url: "{emulator.base_url}"\n'
    site = tmp_path / "site"
    (site / "mappings").mkdir(parents=True)
    shutil.copy(ROOT / "mappings" / f"{crm}.yaml", site / "mappings" / f"{crm}.yaml")
    (site / "config.yaml").write_text(f"crm:\n  type: {crm}\n{section}mappings: mappings/{crm}.yaml\n")
    yield crm, site
    emulator.stop()


def test_a_missing_crm_field_found_mid_run_is_a_mapping_error(
    site_missing_field: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    crm, site = site_missing_field
    config = str(site / "config.yaml")
    assert cli(capsys, "--config", config, "db", "upgrade")[0] == 0
    assert cli(capsys, "--config", config, "partners", "add", "Ölwerk GmbH")[0] == 0
    code, _, err = cli(capsys, "--config", config, "sync")
    assert code == 2, err
    line = mapping_line(site, crm, "joined_on:")
    where = f"mappings/{crm}.yaml:{line}: entities.partner.fields.joined_on.crm: "
    assert where in err, err
    assert "has no field" in err and "internal error" not in err and "Traceback" not in err
    # check --online names the same place
    code, out, _ = cli(capsys, "--config", config, "check", "--online")
    assert code == 2 and where in out


def test_an_internal_error_exits_70(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from prm_sync.app import App

    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "init", "--crm", "hubspot", ".")[0] == 0

    def broken(self: App, **_: Any) -> Any:
        raise ZeroDivisionError("a bug")

    for opener in ("open_store", "open_plain_store"):    # our own code, standing in for a bug
        monkeypatch.setattr(App, opener, broken)
    code, _, err = cli(capsys, "partners", "list")
    assert code == EXIT_INTERNAL == 70
    assert "internal error" in err and "ZeroDivisionError" in err


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (needs root: CAP_SYS_ADMIN); unmounted afterwards."""
    mount_point = tmp_path / "tmpfs"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_says_so_and_exits_70(small_tmpfs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The store on a 2 MiB tmpfs with 96 KiB left; a 3000-row import (one transaction) fills it."""
    monkeypatch.chdir(small_tmpfs)
    assert cli(capsys, "init", "--crm", "hubspot", ".")[0] == 0
    assert cli(capsys, "partners", "add", "Acme")[0] == 0
    leads = tmp_path / "leads.csv"
    leads.write_text("partner,company,contact,email,website,estimated_value,currency,expected_close,products\n"
                     + "".join(f"Acme,Customer {n} Ltd,Jo Doe,jo{n}@cust{n}.example,https://cust{n}.example,1000,USD,"
                               "2027-01-01,widgets\n" for n in range(3000)), encoding="utf-8")
    free = os.statvfs(small_tmpfs)
    with (small_tmpfs / "filler").open("wb") as filler, contextlib.suppress(OSError):
        filler.write(b"\0" * (free.f_bavail * free.f_frsize - 96 * 1024))
    code, _, err = cli(capsys, "leads", "import", str(leads))
    assert code == EXIT_INTERNAL, err
    assert "the disk is full" in err and "free some space" in err, err
    assert "internal error" not in err and "Traceback" not in err
    (small_tmpfs / "filler").unlink()
    code, out, _ = cli(capsys, "leads", "list", "--format", "json")
    assert code == 0 and "Customer 1 Ltd" not in out     # nothing half-written


def test_every_exit_code_is_documented(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "--help")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert code == 0
    for exit_code in ("0", "1", "2", "3", "70", "75", "141"):
        assert f"\n    {exit_code} " in out or f"\n  {exit_code} " in out, exit_code
        assert f"| {exit_code} |" in readme, exit_code


@pytest.mark.parametrize("args", [["--help"], ["partners", "list", "--help"]])
def test_output_cut_short_by_its_reader_exits_141_quietly(args: list[str]) -> None:
    """`prm-sync ... | head`: the reader went away. Like any tool killed by SIGPIPE (141 under
    `set -o pipefail`), never 1 (record errors) and no traceback or shutdown noise."""
    read_end, write_end = os.pipe()
    os.close(read_end)   # the reader is gone before anything is written
    try:
        done = subprocess.run([str(EXE), *args], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (141, "")
