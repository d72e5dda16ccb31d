"""`prm-sync leads import` as a user reruns it: fix the bad rows, run the file again, nothing doubles;
`;` and tab files; a 1 MB cell refused for its row only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prm_sync.cli.main import run

HEADER = "partner,company,contact,email,website,estimated_value,currency,expected_close,products\n"

ROWS = [
    "Alpha,Globex,Hank Scorpio,hank@globex.com,,1200.50,USD,2099-01-31,Software",
    "Alpha,Bad Co,Pat Doe,not-an-email,,,,,",
    "Beta,Initech,Bill Lumbergh,bill@initech.com,,,,,",
    "Nobody,Hooli,Gavin Belson,,,,,,",
    "Beta,Müller GmbH,Jürgen Müller,jm@mueller.de,,,,,",
]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    assert run(["-q", "init"]) == 0
    for name in ("Alpha", "Beta"):
        assert run(["-q", "partners", "add", name, "--status", "active"]) == 0
    capsys.readouterr()
    return tmp_path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def leads(capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    code, out, err = cli(capsys, "leads", "list", "--format", "json")
    assert code == 0, err
    return json.loads(out)


def write(path: Path, rows: list[str], delimiter: str = ",") -> None:
    lines = [HEADER.strip(), *rows]
    path.write_text("".join(line.replace(",", delimiter) + "\n" for line in lines), encoding="utf-8")


def test_fix_two_bad_rows_and_rerun_imports_nothing_twice(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(site / "regs.csv", ROWS)
    code, out, err = cli(capsys, "leads", "import", "regs.csv")
    assert code == 1 and out.strip() == "imported 3, invalid 2, flagged as conflicts 0"
    assert [line.split(":")[1] for line in err.splitlines()] == ["3", "5"]
    ids = {r["company"]: r["id"] for r in leads(capsys)}

    fixed = list(ROWS)
    fixed[1] = "Alpha,Bad Co,Pat Doe,pat@badco.com,,,,,"
    fixed[3] = "Beta,Hooli,Gavin Belson,,,,,,"
    write(site / "regs.csv", fixed)
    code, out, err = cli(capsys, "leads", "import", "regs.csv")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"regs.csv:2: already imported (registration {ids['Globex']})",
        f"regs.csv:4: already imported (registration {ids['Initech']})",
        f"regs.csv:6: already imported (registration {ids['Müller GmbH']})",
        "imported 2, already imported 3, invalid 0, flagged as conflicts 0",
    ]
    assert len(leads(capsys)) == 5

    code, out, _ = cli(capsys, "leads", "import", "regs.csv")
    assert code == 0 and out.splitlines()[-1] == "imported 0, already imported 5, invalid 0, flagged as conflicts 0"
    assert len(leads(capsys)) == 5


def test_a_changed_row_updates_a_submitted_registration_and_says_so_for_an_approved_one(
    site: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    write(site / "regs.csv", [ROWS[0], ROWS[2]])
    assert cli(capsys, "leads", "import", "regs.csv")[0] == 0
    ids = {r["company"]: r["id"] for r in leads(capsys)}
    assert cli(capsys, "leads", "approve", ids["Initech"])[0] == 0
    changed = "Beta,Initech,Bill Lumbergh,bill@initech.com,,900,USD,,"
    write(site / "regs.csv", [ROWS[0].replace("1200.50", "1500"), changed])
    code, out, err = cli(capsys, "leads", "import", "regs.csv")
    assert code == 1
    assert out.splitlines() == [f"regs.csv:2: updated registration {ids['Globex']}",
                                "imported 0, updated 1, invalid 1, flagged as conflicts 0"]
    assert err.strip() == (f"regs.csv:3: registration {ids['Initech']} is approved: this row's changes are not "
                           "applied (an import updates only a submitted registration)")
    values = {r["company"]: (r["estimated_value"], r["status"]) for r in leads(capsys)}
    assert values == {"Globex": ("1500", "submitted"), "Initech": (None, "approved")}


@pytest.mark.parametrize(("delimiter", "option"), [(";", []), ("\t", []), (";", ["--delimiter", ";"]),
                                                   ("\t", ["--delimiter", "tab"])])
def test_semicolon_and_tab_files(
    site: Path, capsys: pytest.CaptureFixture[str], delimiter: str, option: list[str],
) -> None:
    write(site / "regs.csv", [ROWS[0], ROWS[2]], delimiter)
    code, out, err = cli(capsys, "leads", "import", "regs.csv", *option)
    assert (code, err, out.strip()) == (0, "", "imported 2, invalid 0, flagged as conflicts 0")
    assert {r["company"] for r in leads(capsys)} == {"Globex", "Initech"}


def test_a_one_megabyte_cell_refuses_its_row_only(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(site / "big.csv", [ROWS[0], "Alpha,Big Co,Pat Doe,,,,,," + "x" * 1_048_576, ROWS[2]])
    code, out, err = cli(capsys, "leads", "import", "big.csv")
    assert code == 1 and "internal error" not in err
    assert err.strip() == "big.csv:3: field too long: products has 1048576 characters (at most 32768)"
    assert out.strip() == "imported 2, invalid 1, flagged as conflicts 0"
    assert {r["company"] for r in leads(capsys)} == {"Globex", "Initech"}
