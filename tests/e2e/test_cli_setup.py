"""The CLI as a user runs it: init, check, db upgrade, partners add/list/show, exit codes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from prm_sync.cli.main import run


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    return tmp_path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("crm", ["hubspot", "salesforce"])
def test_init_writes_config_mapping_and_a_private_store(
    workdir: Path, crm: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = cli(capsys, "init", "--crm", crm, "site")
    assert code == 0
    assert (workdir / "site" / "config.yaml").exists()
    mapping_lines = (workdir / "site" / "mappings" / f"{crm}.yaml").read_text().splitlines()
    assert mapping_lines[0] == "# yaml-language-server: $schema=../schemas/mapping.schema.json"
    assert mapping_lines[1].startswith("# prm-sync mapping")
    db = workdir / "site" / "prm.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert "revision" in out

    # check needs the CRM secrets, named when missing
    for var in ("HUBSPOT_ACCESS_TOKEN", "SF_INSTANCE_URL", "SF_SESSION_ID"):
        monkeypatch.delenv(var, raising=False)
    code, _, err = cli(capsys, "--config", "site/config.yaml", "check")
    assert code == 2
    assert "site/config.yaml:" in err and "is not set" in err
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-secret-value")
    monkeypatch.setenv("SF_INSTANCE_URL", "https://example.my.salesforce.com")
    monkeypatch.setenv("SF_SESSION_ID", "00Dsecret")
    code, out, err = cli(capsys, "--config", "site/config.yaml", "check")
    assert code == 0, err
    assert "ok" in out
    assert "pat-secret-value" not in out + err and "00Dsecret" not in out + err


def test_init_refuses_to_overwrite(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "init")[0] == 0
    before = (workdir / "config.yaml").read_text()
    code, _, err = cli(capsys, "init", "--crm", "salesforce")
    assert code == 2 and "--force" in err
    assert (workdir / "config.yaml").read_text() == before


def test_partners_add_list_show(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "init")[0] == 0
    code, out, err = cli(capsys, "partners", "add", "Acme Partners", "--tier", "gold", "--country", "us")
    assert code == 0, err  # no CRM token needed for local work
    code, out, _ = cli(capsys, "partners", "list", "--format", "json")
    rows = json.loads(out)
    assert [(r["name"], r["tier"], r["country"]) for r in rows] == [("Acme Partners", "gold", "US")]
    code, out, _ = cli(capsys, "partners", "show", "acme partners", "--format", "json")
    assert code == 0 and json.loads(out)["id"] == rows[0]["id"]
    code, _, err = cli(capsys, "partners", "show", "Nobody")
    assert code == 2 and "no partner" in err
    code, _, err = cli(capsys, "partners", "add", "X", "--country", "USA")
    assert code == 2 and "ISO 3166" in err
    code, _, err = cli(capsys, "partners", "add", "X", "--tier", "diamond")
    assert code == 2 and "diamond" in err


def test_store_behind_says_what_to_run(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "init")[0] == 0
    (workdir / "prm.db").unlink()
    code, _, err = cli(capsys, "partners", "list")
    assert code == 2
    assert "prm-sync db upgrade" in err or "prm-sync init" in err
    assert "Traceback" not in err
    assert cli(capsys, "db", "upgrade")[0] == 0
    assert cli(capsys, "partners", "list")[0] == 0


def test_missing_config_file_is_a_usage_error(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "check")
    assert code == 2 and "config.yaml: file not found" in err


def test_console_script_runs_without_traceback(workdir: Path) -> None:
    exe = Path(sys.executable).with_name("prm-sync")
    done = subprocess.run([str(exe), "check"], capture_output=True, text=True, cwd=workdir,
                          env={**os.environ, "PRM_SYNC_CONFIG": "nope.yaml"}, check=False)
    assert done.returncode == 2
    assert "nope.yaml: file not found" in done.stderr and "Traceback" not in done.stderr
    help_text = subprocess.run([str(exe), "partners", "add", "--help"], capture_output=True, text=True,
                               check=False).stdout
    assert "Example:" in help_text
