"""`prm-sync partners certify` with the program's certification catalogue, on a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prm_sync.cli.main import run

PROGRAM = """
program:
  tiers: [{name: registered}, {name: silver, requires: {certifications: {sales-pro: 1}}}]
  certifications:
    - {id: sales-pro, name: "Sales Professional", validity_months: 24, per: person}
    - {id: msp, name: "Managed Services Provider", per: partner}
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    assert run(["-q", "init"]) == 0
    with (tmp_path / "config.yaml").open("a", encoding="utf-8") as out:
        out.write(PROGRAM)
    assert run(["partners", "add", "Łódź Partnerzy"]) == 0
    out = capsys.readouterr().out
    return out.split()[2]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_certify_takes_a_catalogue_id_and_computes_the_expiry(site: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "partners", "certify", site, "cloud-guru", "--earned", "2026-01-10")
    assert code == 2 and "'cloud-guru' is not in program.certifications (sales-pro, msp)" in err
    code, _, err = cli(capsys, "partners", "certify", site, "sales-pro", "--earned", "2026-01-10")
    assert code == 2 and "held by a person: give --holder NAME" in err
    code, _, err = cli(capsys, "partners", "certify", site, "msp", "--earned", "2026-01-10", "--holder", "X")
    assert code == 2 and "held by the partner itself" in err
    code, out, err = cli(capsys, "partners", "certify", site, "sales-pro", "--earned", "2026-01-10",
                         "--holder", "Zofia Wójcik")
    assert code == 0, err
    # valid 24 months: through 2028-01-09
    assert "certification 'Sales Professional' held by Zofia Wójcik, expires 2028-01-09" in out
    assert cli(capsys, "partners", "certify", site, "msp", "--earned", "2026-02-01")[0] == 0
    code, out, _ = cli(capsys, "partners", "show", site, "--format", "json")
    certs = json.loads(out)["certifications"]
    assert [(c["catalogue_id"], c["holder"], c["expires_on"]) for c in certs] == [
        ("sales-pro", "Zofia Wójcik", "2028-01-09"), ("msp", None, None)]
