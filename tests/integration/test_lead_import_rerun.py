"""`leads import` is safe to rerun: a natural key per row (partner + normalised company + contact
email), updates of rows still submitted, `;` and tab delimiters, and cells of any size."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from sqlmodel import func, select

from prm_sync.config import RegistrationSettings
from prm_sync.errors import UsageError
from prm_sync.services.lead_import import FIELD_LIMIT_CHARS, ImportReport, import_leads
from prm_sync.services.partners import add_partner
from prm_sync.services.registrations import approve_registration, register_lead
from prm_sync.store import Registration, Store

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=2)
SETTINGS = RegistrationSettings()
HEADER = "partner,company,contact,email,website,estimated_value,currency,expected_close,products\n"
GOOD = [
    "Alpha,Globex Ltd,Hank Scorpio,hank@globex.com,,1200.50,USD,2026-09-30,Software",
    "Alpha,Initech,Bill Lumbergh,bill@initech.com,,500,USD,2026-09-30,",
    "Beta,Müller GmbH,Jürgen Müller,jm@mueller.de,,,,,",
    "Beta,Hooli,Gavin Belson,gavin@hooli.com,,,,,",
]


@pytest.fixture
def partners(store: Store) -> Store:
    with store.session(write=True) as session:
        for name in ("Alpha", "Beta"):
            add_partner(session, name=name, status="active")
    return store


def run_import(store: Store, text: str, now: dt.datetime = NOW, **options: object) -> ImportReport:
    with store.session(write=True) as session:
        return import_leads(session, io.StringIO(text), SETTINGS, now, **options)  # type: ignore[arg-type]


def count(store: Store) -> int:
    with store.session() as session:
        return session.exec(select(func.count()).select_from(Registration)).one()


def by_company(store: Store) -> dict[str, Registration]:
    with store.session() as session:
        return {r.company: r for r in session.exec(select(Registration)).all()}


def test_the_same_file_twice_imports_each_row_once(partners: Store) -> None:
    text = HEADER + "\n".join(GOOD) + "\n"
    first = run_import(partners, text)
    assert first.imported == 4 and first.already == []
    second = run_import(partners, text, LATER)
    assert (second.imported, second.updated, second.errors) == (0, 0, [])
    ids = {r.company: r.id for r in by_company(partners).values()}
    assert second.already == [(2, f"already imported (registration {ids['Globex Ltd']})"),
                              (3, f"already imported (registration {ids['Initech']})"),
                              (4, f"already imported (registration {ids['Müller GmbH']})"),
                              (5, f"already imported (registration {ids['Hooli']})")]
    assert count(partners) == 4
    assert by_company(partners)["Globex Ltd"].updated_at == NOW  # untouched


def test_a_duplicate_row_inside_one_file_is_imported_once(partners: Store) -> None:
    text = HEADER + "\n".join([GOOD[0], GOOD[1], GOOD[0],
                               # same natural key: company normalised, email case-insensitive
                               "Alpha,GLOBEX LIMITED,Hank Scorpio,HANK@globex.com,,1200.50,USD,2026-09-30,Software",
                               "Beta,Globex Ltd,Hank Scorpio,hank@globex.com,,,,,"]) + "\n"
    report = run_import(partners, text)
    assert report.imported == 3
    assert report.already == [(4, "already imported, line 2")]
    assert report.errors == [(5, "same partner, company and email as line 2 but other values: not imported "
                                 "(keep one of the two rows)")]
    assert count(partners) == 3  # line 6: another partner, another registration (flagged as a conflict)
    assert report.flagged == 1


def test_fix_the_bad_rows_and_rerun_the_file(partners: Store) -> None:
    bad = [GOOD[0], "Alpha,Bad Email Co,Pat Doe,not-an-email,,,,,", GOOD[1], "Nobody,Lost Co,Pat Doe,,,,,,", GOOD[2]]
    first = run_import(partners, HEADER + "\n".join(bad) + "\n")
    assert first.imported == 3 and [line for line, _ in first.errors] == [3, 5]
    fixed = list(bad)
    fixed[1] = "Alpha,Bad Email Co,Pat Doe,pat@badmail.co,,,,,"
    fixed[3] = "Beta,Lost Co,Pat Doe,,,,,,"
    second = run_import(partners, HEADER + "\n".join(fixed) + "\n", LATER)
    assert (second.imported, second.updated, second.errors) == (2, 0, [])
    assert [line for line, _ in second.already] == [2, 4, 6]
    assert count(partners) == 5


def test_a_changed_row_updates_a_submitted_registration_but_not_an_approved_one(partners: Store) -> None:
    run_import(partners, HEADER + "\n".join(GOOD) + "\n")
    ids = {r.company: r.id for r in by_company(partners).values()}
    with partners.session(write=True) as session:
        approve_registration(session, ids["Initech"], SETTINGS, NOW)
    changed = [
        "Alpha,Globex Limited,Hank Scorpio,hank@globex.com,globex.com,2400,EUR,2026-10-31,Services",
        "Alpha,Initech,Bill Lumbergh,bill@initech.com,,999,USD,2026-09-30,",
        GOOD[2], GOOD[3],
    ]
    report = run_import(partners, HEADER + "\n".join(changed) + "\n", LATER)
    assert report.imported == 0 and report.updated == 1
    assert report.updates == [(2, f"updated registration {ids['Globex Ltd']}")]
    assert report.errors == [(3, f"registration {ids['Initech']} is approved: this row's changes are not applied "
                                 "(an import updates only a submitted registration)")]
    rows = {r.id: r for r in by_company(partners).values()}
    globex, initech = rows[ids["Globex Ltd"]], rows[ids["Initech"]]
    assert (globex.company, globex.website, globex.estimated_value, globex.currency, globex.products) == (
        "Globex Limited", "globex.com", Decimal("2400"), "EUR", "Services")
    assert globex.expected_close == dt.date(2026, 10, 31) and globex.updated_at == LATER
    assert globex.created_at == NOW and globex.status == "submitted"
    assert initech.estimated_value == Decimal("500") and initech.status == "approved"
    assert count(partners) == 4


def test_strict_rerun_with_an_unappliable_change_changes_nothing(partners: Store) -> None:
    run_import(partners, HEADER + GOOD[0] + "\n" + GOOD[1] + "\n")
    ids = {r.company: r.id for r in by_company(partners).values()}
    with partners.session(write=True) as session:
        approve_registration(session, ids["Initech"], SETTINGS, NOW)
    text = HEADER + "\n".join([GOOD[0].replace("1200.50", "1300"), GOOD[1].replace("500", "600"), GOOD[3]]) + "\n"
    report = run_import(partners, text, LATER, strict=True)
    assert report.strict_refused and [line for line, _ in report.errors] == [3]
    assert by_company(partners)["Globex Ltd"].estimated_value == Decimal("1200.50") and count(partners) == 2


@pytest.mark.parametrize(("delimiter", "given"), [(";", None), ("\t", None), (";", ";"), ("\t", "\t")])
def test_semicolon_and_tab_delimited_files(partners: Store, delimiter: str, given: str | None) -> None:
    rows = [["Alpha", "Globex, Inc.", "Hank Scorpio", "hank@globex.com", "", "1200.50", "EUR", "2026-09-30", "SW"],
            ["Beta", "Initech", "Bill Lumbergh", "", "", "", "", "", ""]]
    text = "".join(delimiter.join(cells) + "\n" for cells in [HEADER.strip().split(","), *rows])
    report = run_import(partners, text, delimiter=given)
    assert (report.imported, report.errors) == (2, [])
    assert by_company(partners)["Globex, Inc."].estimated_value == Decimal("1200.50")


def test_a_wrong_delimiter_given_says_what_the_header_looks_like(partners: Store) -> None:
    text = HEADER.replace(",", ";") + "Alpha;Globex;Hank Scorpio;;;;;;\n"
    with pytest.raises(UsageError, match="missing: partner"):
        run_import(partners, text, delimiter=",")


def test_a_one_megabyte_cell_is_refused_for_its_row_and_the_other_rows_import(partners: Store) -> None:
    huge = "x" * 1_048_576
    text = HEADER + "\n".join([GOOD[0], f'Alpha,Big Co,Pat Doe,,,,,,"{huge}"', GOOD[1],
                               f"Beta,{huge},Pat Doe,,,,,,", GOOD[3]]) + "\n"
    report = run_import(partners, text, source="regs.csv")
    assert report.imported == 3
    assert report.errors == [
        (3, f"field too long: products has 1048576 characters (at most {FIELD_LIMIT_CHARS})"),
        (5, f"field too long: company has 1048576 characters (at most {FIELD_LIMIT_CHARS})"),
    ]
    assert count(partners) == 3


def test_a_file_that_is_not_csv_at_all_is_a_usage_error_naming_the_line(partners: Store) -> None:
    text = HEADER + GOOD[0] + '\nAlpha,"unterminated' + "x" * 100 + "\n"
    with pytest.raises(UsageError, match=r"regs\.csv:3: "):
        run_import(partners, text, source="regs.csv", read_limit_chars=64)


def test_rerunning_an_unchanged_file_keeps_what_the_crm_changed_since(partners: Store) -> None:
    text = HEADER + GOOD[0] + "\n"
    run_import(partners, text)
    with partners.session(write=True) as session:  # as a sync brings a CRM-side correction back
        reg = session.exec(select(Registration)).one()
        reg.estimated_value, reg.products = Decimal("9999"), "Hardware"
        session.add(reg)
    report = run_import(partners, text, LATER)
    assert (report.imported, report.updated, len(report.already), report.errors) == (0, 0, 1, [])
    globex = by_company(partners)["Globex Ltd"]
    assert (globex.estimated_value, globex.products) == (Decimal("9999"), "Hardware")
    # the row itself changed since its import: the file's new value is applied
    report = run_import(partners, HEADER + GOOD[0].replace("1200.50", "1300") + "\n", LATER)
    assert report.updated == 1
    assert by_company(partners)["Globex Ltd"].estimated_value == Decimal("1300")
    # and running that file again changes nothing more
    report = run_import(partners, HEADER + GOOD[0].replace("1200.50", "1300") + "\n", LATER)
    assert (report.updated, len(report.already)) == (0, 1)


def test_a_registration_made_by_hand_and_equal_to_a_row_is_known_as_its_import_afterwards(partners: Store) -> None:
    with partners.session(write=True) as session:
        register_lead(session, {"partner": "Alpha", "company": "Initech", "contact": "Bill Lumbergh",
                                "email": "bill@initech.com", "estimated_value": "500", "currency": "USD",
                                "expected_close": "2026-09-30"}, SETTINGS, NOW)
    text = HEADER + GOOD[1] + "\n"
    assert len(run_import(partners, text, LATER).already) == 1
    assert by_company(partners)["Initech"].updated_at == NOW
    with partners.session(write=True) as session:  # the CRM corrects it afterwards
        reg = session.exec(select(Registration)).one()
        reg.estimated_value = Decimal("750")
        session.add(reg)
    report = run_import(partners, text, LATER)
    assert (report.updated, len(report.already)) == (0, 1)
    assert by_company(partners)["Initech"].estimated_value == Decimal("750")
