"""Outputs that cannot attack: no formula runs from a CSV cell, no markup or escape sequence reaches a terminal."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
from decimal import Decimal
from pathlib import Path

import pytest

from prm_sync.ops.logsetup import configure_logging
from prm_sync.util.safe_csv import FORMULA_STARTS, neutralise, write_csv
from tests.e2e.hostile_site import ESCAPES, FORMULAS, MARKUP, HostileSite, build_site

CSV_OUTPUTS = {  # command -> the columns holding hostile text
    "partners list": (("partners", "list", "--format", "csv"), ("name", "channel_manager")),
    "leads list": (("leads", "list", "--format", "csv"), ("partner", "company")),
    "report scorecard": (("report", "scorecard", "--period", "2026-Q3", "--format", "csv"), ("partner",)),
    "commissions export": (("commissions", "export", "--period", "2026-Q3"), ("partner_name", "deal_name")),
    "partners contracts": (("partners", "contracts", "--format", "csv"), ("partner",)),
    "errors list": (("errors", "list", "--format", "csv"), ("reason",)),
    "conflicts list": (("conflicts", "list", "--format", "csv"), ("prm_value", "crm_value")),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> HostileSite:
    mp = pytest.MonkeyPatch()
    mp.delenv("PRM_SYNC_CONFIG", raising=False)
    try:
        built = build_site(tmp_path_factory.mktemp("hostile") / "prm", {**FORMULAS, **MARKUP, **ESCAPES})
        lines = _json(built, "commissions", "list")
        assert built.cli("-q", "commissions", "approve", *[x["id"] for x in lines]) == 0
        return built
    finally:
        mp.undo()


def _out(site: HostileSite, *args: str) -> tuple[int, str, str]:
    """Run the CLI with its own stdout/stderr (the module-scoped site outlives capsys)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = site.cli(*args)
    return code, out.getvalue(), err.getvalue()


def _json(site: HostileSite, *args: str) -> list[dict[str, str]]:
    code, out, err = _out(site, *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("output", sorted(CSV_OUTPUTS))
def test_a_formula_cell_in_each_csv_output_is_neutralised(site: HostileSite, output: str) -> None:
    args, hostile_columns = CSV_OUTPUTS[output]
    code, out, err = _out(site, *args)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert rows
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(FORMULA_STARTS) or _is_number(cell), f"{output}: {column}={cell!r}"
    seen = {row[c] for row in rows for c in hostile_columns}
    for formula in FORMULAS.values():
        assert "'" + formula in seen, f"{output}: {formula!r} not written as text"
    code, raw, err = _out(site, *args, "--raw")
    assert code == 0, err
    raw_seen = {row[c] for row in csv.DictReader(io.StringIO(raw, newline="")) for c in hostile_columns}
    assert set(FORMULAS.values()) <= raw_seen  # --raw: exactly as stored, for programs


def test_payout_amounts_stay_numbers(site: HostileSite) -> None:
    code, out, _ = _out(site, "commissions", "export", "--period", "2026-Q3")
    assert code == 0
    amounts = [row["amount"] for row in csv.DictReader(io.StringIO(out, newline=""))]
    assert amounts and all(Decimal(a) > 0 and not a.startswith("'") for a in amounts)


def _is_number(cell: str) -> bool:
    try:
        Decimal(cell)
    except ArithmeticError:
        return False
    return True


@pytest.mark.parametrize(("value", "cell"), [
    (Decimal("-120.50"), "-120.50"), ("-120.50", "-120.50"), (-3, "-3"), ("+49", "+49"), (1.5e-3, "0.0015"),
    ("-", "'-"), ("=1+2", "'=1+2"), ("@SUM(A1)", "'@SUM(A1)"), ("+1 555 0100", "'+1 555 0100"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-120.50 EUR", "'-120.50 EUR"), ("Acme", "Acme"), (None, ""),
])
def test_neutralise_leaves_numbers_and_quotes_formulas(value: object, cell: str) -> None:
    assert neutralise(value) == cell


def test_write_csv_raw_writes_cells_as_they_are() -> None:
    buffer = io.StringIO()
    write_csv(buffer, ("a", "b"), [{"a": "=1+2", "b": Decimal("-1.50")}], raw=True)
    assert buffer.getvalue() == "a,b\n=1+2,-1.50\n"


TERMINAL_OUTPUTS = [("partners", "list"), ("leads", "list"), ("report", "scorecard", "--period", "2026-Q3"),
                    ("commissions", "list"), ("partners", "contracts"), ("errors", "list"), ("conflicts", "list")]


def _assert_terminal_safe(text: str) -> None:
    bad = sorted({hex(ord(ch)) for ch in text if (ord(ch) < 32 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F})
    assert not bad, f"control characters reach the terminal: {bad}"


@pytest.mark.parametrize("args", TERMINAL_OUTPUTS, ids=" ".join)
def test_tables_show_markup_literally_and_no_escape_sequence(site: HostileSite, args: tuple[str, ...],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    code, out, err = _out(site, *args)
    assert code == 0, err
    _assert_terminal_safe(out + err)
    if args[0] in ("partners", "leads", "report"):
        assert "Acme [/x] Partners" in out and "[link=http://evil.example]Click me[/link]" in out
        assert "Title Co" in out and "Clear Ltd" in out


def test_show_and_explain_strip_escape_sequences(site: HostileSite) -> None:
    for name in (*ESCAPES.values(), *MARKUP.values()):
        code, out, err = _out(site, "partners", "show", name)
        assert code == 0, err
        _assert_terminal_safe(out + err)
    line = _json(site, "commissions", "list")[0]
    code, out, err = _out(site, "commissions", "explain", line["id"])
    assert code == 0, err
    _assert_terminal_safe(out + err)


def test_error_messages_and_text_logs_strip_escape_sequences(site: HostileSite) -> None:
    code, _, err = _out(site, "partners", "show", "nobody\x1b]0;pwned\x07\x1b[2J", "--log-format", "text")
    assert code == 2 and "nobody" in err
    _assert_terminal_safe(err)
    stream = io.StringIO()
    configure_logging("text", stream=stream)
    logging.getLogger("prm_sync.test").warning("partner %s rejected", ESCAPES["osc-title"])
    assert "partner Title Co rejected" in stream.getvalue()
    _assert_terminal_safe(stream.getvalue())


def test_tables_fit_the_width_without_wrapping_names(site: HostileSite, monkeypatch: pytest.MonkeyPatch) -> None:
    for width in (80, 200):
        monkeypatch.setenv("COLUMNS", str(width))
        code, out, err = _out(site, "report", "scorecard", "--period", "2026-Q3")
        assert code == 0, err
        lines = out.splitlines()
        assert all(len(line) <= width for line in lines), f"wider than {width}"
        body = [line for line in lines if line.startswith("│")]
        assert len(body) == len(site.names)  # one line per partner: none wrapped
        assert "_" not in "".join(lines[:6]) and "Revenue" in out


def test_empty_results_say_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
    empty = build_site(tmp_path / "prm", {})
    for args, sentence in ((("conflicts",), "No open conflicts."), (("partners", "list"), "No partners."),
                           (("errors", "list"), "No quarantined records."),
                           (("leads", "list"), "No registrations."),
                           (("report", "scorecard", "--period", "2026-Q3"), "No partners to score in 2026-Q3.")):
        code, out, err = _out(empty, *args)
        assert code == 0, err
        assert out.strip() == sentence, args
