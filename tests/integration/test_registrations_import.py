"""`leads import` service: 10,000 rows with 100 bad ones, one transaction, conflicts inside the file."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlmodel import func, select

from prm_sync.config import RegistrationSettings
from prm_sync.errors import UsageError
from prm_sync.services.lead_import import import_leads
from prm_sync.services.partners import add_partner
from prm_sync.services.registrations import register_lead
from prm_sync.store import Registration, Store

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
SETTINGS = RegistrationSettings()
HEADER = "partner,company,contact,email,website,estimated_value,currency,expected_close,products\n"
BAD_KINDS = (
    ("Alpha,,Pat Doe,p@x.com,,10,USD,2026-09-01,SW", "company: missing"),
    ("Alpha,Bad Email Co,Pat Doe,not-an-email,,10,USD,2026-09-01,SW", "email: 'not-an-email'"),
    ("Nobody,Lost Co,Pat Doe,,,10,USD,2026-09-01,SW", "no partner with id or name 'Nobody'"),
    ("Alpha,Cheap Co,Pat Doe,,,ten,USD,2026-09-01,SW", "estimated_value: 'ten'"),
    ("Alpha,Late Co,Pat Doe,,,10,USD,2025-01-01,SW", "is in the past"),
)


def make_csv(rows: int, bad_every: int) -> tuple[str, dict[int, str]]:
    """CSV text and {line number: expected reason} for the bad rows (line 1 is the header)."""
    lines, bad = [HEADER], {}
    for i in range(rows):
        line_no = i + 2
        if bad_every and i % bad_every == bad_every - 1:
            text, reason = BAD_KINDS[(i // bad_every) % len(BAD_KINDS)]
            bad[line_no] = reason
            lines.append(text + "\n")
            continue
        partner = "Alpha" if i % 2 else "Beta"
        lines.append(f"{partner},Customer {i} Ltd,Buyer {i},buyer{i}@customer{i}.com,www.customer{i}.com,"
                     f"{1000 + i}.50,USD,2026-09-30,Software\n")
    return "".join(lines), bad


@pytest.fixture
def partners(store: Store) -> Store:
    with store.session(write=True) as session:
        for name in ("Alpha", "Beta"):
            add_partner(session, name=name, status="active")
    return store


def test_ten_thousand_rows_with_a_hundred_bad_ones(partners: Store) -> None:
    text, bad = make_csv(10_000, 100)     # its speed: bench/bench_leads_import.py
    with partners.session(write=True) as session:
        report = import_leads(session, io.StringIO(text), SETTINGS, NOW)
    assert report.imported == 9_900 and report.flagged == 0
    assert dict(report.errors).keys() == bad.keys()
    assert all(bad[line] in reason for line, reason in report.errors)
    with partners.session() as session:
        assert session.exec(select(func.count()).select_from(Registration)).one() == 9_900
        sample = session.get(Registration, report.ids[-1])
        assert sample is not None and sample.company == "Customer 9998 Ltd" and sample.status == "submitted"


def test_strict_imports_nothing_when_a_row_is_bad(partners: Store) -> None:
    text, bad = make_csv(300, 100)
    with partners.session(write=True) as session:
        report = import_leads(session, io.StringIO(text), SETTINGS, NOW, strict=True)
    assert report.strict_refused and report.imported == 0 and [line for line, _ in report.errors] == sorted(bad)
    with partners.session() as session:
        assert session.exec(select(func.count()).select_from(Registration)).one() == 0


def test_conflicts_inside_the_file_and_with_the_store_are_flagged(partners: Store) -> None:
    with partners.session(write=True) as session:
        first = register_lead(session, {"partner": "Alpha", "company": "Globex", "contact": "Hank"}, SETTINGS, NOW)[0]
    text = HEADER + ("Beta,GLOBEX INC.,Ann Lee,,,,,,\n"
                     'Beta,"Công ty TNHH ABC",Ann Lee,,,,,,\n'
                     'Alpha,"ABC Co., Ltd",Bo Lee,,,,,,\n'
                     "Beta,Umbrella,Ann Lee,ann@gmail.com,,,,,\n"
                     "Alpha,Hooli,Bo Lee,bo@gmail.com,,,,,\n")
    with partners.session(write=True) as session:
        report = import_leads(session, io.StringIO(text), SETTINGS, NOW)
        rows = {r.company: r for r in session.exec(select(Registration)).all()}
    assert report.imported == 5 and report.flagged == 2 and report.errors == []
    assert rows["GLOBEX INC."].conflict_with == f"Alpha (registration {first.id})"
    assert rows["ABC Co., Ltd"].conflict_reason == "other_partner"
    assert rows["ABC Co., Ltd"].conflict_with == f"Beta (registration {rows['Công ty TNHH ABC'].id})"
    assert rows["Hooli"].conflict_reason is None  # gmail.com is not a customer domain


def test_header_and_shape_errors(partners: Store) -> None:
    with partners.session(write=True) as session, pytest.raises(UsageError, match=r"unknown: colour"):
        import_leads(session, io.StringIO("partner,company,colour\n"), SETTINGS, NOW)
    text = HEADER + "Alpha,Acme,Pat Doe,,,,,,,extra\n\nAlpha,\"Multi\nLine Co\",Pat Doe,,,,,,\nAlpha,X,,,,,,,\n"
    with partners.session(write=True) as session:
        report = import_leads(session, io.StringIO(text), SETTINGS, NOW)
    assert report.imported == 1
    assert report.errors == [(2, "more values than columns"), (6, "contact: missing (a contact name is needed)")]
