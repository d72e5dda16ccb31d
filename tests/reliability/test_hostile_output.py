"""Hostile output: names typed in the CRM that attack whoever reads prm-sync's output.

Spreadsheet formulas, rich markup and terminal escape sequences are put into partner names and
registration companies in each CRM (over its REST API), synced in, then shown by every output:
tables, `partners show`, CSV, and the sync's own text log. Each (CRM, payload, output) checked is one
case of the summary line's `hostile_output=N`; every payload must reach the store exactly once
(`lost`/`duplicated` otherwise).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from prm_sync.cli.main import run
from prm_sync.ops.terminal_text import plain_line
from prm_sync.sandbox import start_sandbox
from tests.e2e.hostile_site import ESCAPES, FORMULAS, MARKUP
from tests.reliability.crm_side import crm_user
from tests.reliability.ledger import Ledger

PAYLOADS = {**FORMULAS, **MARKUP, **ESCAPES}
TABLES = {"partners list": ("partners", "list"), "leads list": ("leads", "list"),
          "partners show": ("partners", "show")}
CSVS = {"partners list csv": ("partners", "list", "--format", "csv"),
        "leads list csv": ("leads", "list", "--format", "csv")}


@dataclass
class Outcome:
    """What each output showed, per payload (True: shown safely), and how many times each arrived."""

    shown: dict[tuple[str, str], bool] = field(default_factory=dict)
    arrived: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(args))
    return code, out.getvalue(), err.getvalue()


def _controls(text: str) -> list[str]:
    return sorted({hex(ord(ch)) for ch in text if (ord(ch) < 32 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F})


def _exercise(crm: str, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    sandbox = start_sandbox(crm, generate=0, workdir=tmp / "sandbox")
    outcome = Outcome()
    try:
        for name, value in sandbox.env.items():
            monkeypatch.setenv(name, value)
        if crm == "salesforce":
            monkeypatch.setenv("SF_CA_BUNDLE", str(sandbox.emulator.ca_path))
        monkeypatch.setenv("COLUMNS", "500")
        monkeypatch.delenv("PRM_SYNC_CONFIG", raising=False)
        directory = tmp / "prm"
        assert run(["-q", "init", "--crm", crm, str(directory)]) == 0
        config = ["--config", str(directory / "config.yaml")]
        user = crm_user(sandbox)
        for key, payload in PAYLOADS.items():
            partner = user.create_partner(payload, "Gold" if crm == "salesforce" else "gold")
            user.create_lead(partner, payload, f"Contact {key}")
        code, out, err = _cli(*config, "--log-format", "text", "-v", "sync")
        if code not in (0, 1) or _controls(out + err):
            outcome.problems.append(f"sync: exit {code}, controls {_controls(out + err)}")
        code, out, err = _cli(*config, "partners", "list", "--format", "json")
        listed = json.loads(out)
        names = [p["name"] for p in listed]
        ids = {p["name"]: p["id"] for p in listed}
        outcome.arrived = {key: names.count(payload) for key, payload in PAYLOADS.items()}
        for output, args in TABLES.items():
            for key, payload in PAYLOADS.items():
                extra = (ids.get(payload, "missing"),) if output == "partners show" else ()
                code, out, err = _cli(*config, *args, *extra)
                visible = plain_line(payload)
                outcome.shown[(output, key)] = code == 0 and not _controls(out + err) and visible in out
        for output, args in CSVS.items():
            code, out, err = _cli(*config, *args)
            cells = {cell for row in csv.reader(io.StringIO(out, newline="")) for cell in row}
            for key, payload in PAYLOADS.items():
                expected = "'" + payload if key in FORMULAS else payload
                outcome.shown[(output, key)] = code == 0 and expected in cells and payload not in (
                    cells if key in FORMULAS else set())
        return outcome
    finally:
        sandbox.stop()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    class Lazy(dict[str, Outcome]):
        def __missing__(self, crm: str) -> Outcome:
            monkeypatch = pytest.MonkeyPatch()
            try:
                self[crm] = _exercise(crm, tmp_path_factory.mktemp(f"hostile-output-{crm}"), monkeypatch)
            finally:
                monkeypatch.undo()
            return self[crm]

    yield Lazy()


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_hostile_names_reach_the_store_once_and_every_output_safely(crm: str, outcomes: dict[str, Outcome],
                                                                    ledger: Ledger) -> None:
    outcome = outcomes[crm]
    assert outcome.problems == []
    for key, count in outcome.arrived.items():
        ledger.lost += count == 0
        ledger.duplicated += max(count - 1, 0)
        assert count == 1, f"{crm}: {key} arrived {count} times"
    bad = [case for case, ok in outcome.shown.items() if not ok]
    for output, key in outcome.shown:
        ledger.hostile_outputs.add(f"{crm}:{output}:{key}")
    assert bad == [], bad
    assert len(outcome.shown) == len(PAYLOADS) * (len(TABLES) + len(CSVS))
