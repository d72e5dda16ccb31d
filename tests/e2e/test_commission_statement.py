"""`commissions statement` (HTML and CSV) and the "statement ready" email carrying the same
statement: HTML body, CSV attachment, delivered to the partner's finance contact."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from prm_sync.store import CommissionLine, Deal, open_store
from tests.e2e.notify_site import Site, open_site


@pytest.fixture
def site(store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    with open_site(tmp_path, store_url, capsys, monkeypatch) as s:
        yield s


def seed_lines(site: Site, partner: str) -> None:
    with open_store(site.store_url) as store, store.session() as session:
        session.add(Deal(id="d-1", partner_id=partner, name="Globex – Phần mềm <b>", amount=Decimal("12500.00"),
                         currency="EUR", is_won=True, is_closed=True))
        session.add(Deal(id="d-2", partner_id=partner, name="Initech", amount=Decimal("8000.00"), currency="USD",
                         is_won=True, is_closed=True))
        session.flush()
        session.add(CommissionLine(id="l-1", deal_id="d-1", partner_id=partner, amount=Decimal("1250.00"),
                                   currency="EUR", status="approved", period="2026-Q3", plan="standard",
                                   explanation="10% of 12500.00 EUR (gold)"))
        session.add(CommissionLine(id="l-2", deal_id="d-1", partner_id=partner, amount=Decimal("-250.00"),
                                   currency="EUR", status="approved", period="2026-Q3", kind="clawback",
                                   plan="standard", explanation="deal partly refunded"))
        session.add(CommissionLine(id="l-3", deal_id="d-2", partner_id=partner, amount=Decimal("400.10"),
                                   currency="USD", status="paid", period="2026-08", plan="standard",
                                   component="spiff:q3-push", explanation="SPIFF Q3 push"))
        session.add(CommissionLine(id="l-4", deal_id="d-2", partner_id=partner, amount=Decimal("99.00"),
                                   currency="USD", status="approved", period="2026-Q2", plan="standard"))


def test_statement_csv_html_and_the_statement_ready_email(site: Site, tmp_path: Path) -> None:
    partner = site.partner("Công ty Ánh Dương")
    site.contact(partner, "--first-name", "Thu", "--last-name", "Phạm", "--email", "thu@anhduong.example",
                 "--role", "finance", "--language", "vi")
    seed_lines(site, partner)
    out = site.ok("commissions", "statement", "--partner", "công ty ánh dương", "--period", "2026-Q3",
                  "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    got = [(r["line_id"], r["kind"], r["amount"], r["currency"]) for r in rows]
    assert sorted(got[:3]) == [("l-1", "commission", "1250.00", "EUR"), ("l-2", "clawback", "-250.00", "EUR"),
                               ("l-3", "commission", "400.10", "USD")]
    assert got[3:] == [("", "total", "1000.00", "EUR"), ("", "total", "400.10", "USD")]
    by_id = {r["line_id"]: r for r in rows}
    assert by_id["l-3"]["rule"] == "standard / spiff:q3-push" and by_id["l-1"]["deal"] == "Globex – Phần mềm <b>"
    html = site.ok("commissions", "statement", "--partner", partner, "--period", "2026-Q3")
    assert "Globex – Phần mềm &lt;b&gt;" in html and "1000.00 EUR" in html and "deal partly refunded" in html
    code, _, err = site.cli("commissions", "statement", "--partner", partner, "--period", "Q3")
    assert code == 2 and "not a period" in err

    code, _, err = site.cli("commissions", "statement", "--partner", partner, "--period", "2026-Q3", "--notify",
                            "--out", str(tmp_path / "s.html"))
    assert code == 0 and "queued" in err
    site.ok("commissions", "statement", "--partner", partner, "--period", "2026-Q3", "--notify", "--format", "csv")
    assert [n.kind for n in site.outbox()] == ["statement_ready"]          # once per partner and period
    site.ok("notify", "send")
    [mail] = site.smtp.inbox.received
    assert mail.rcpt_tos == ["thu@anhduong.example"]
    assert mail.subject == "Bảng kê hoa hồng 2026-Q3: Công ty Ánh Dương"
    body = mail.part("html")
    assert "Globex – Phần mềm &lt;b&gt;" in body and "deal partly refunded" in body and "1000.00 EUR" in body
    assert "Tổng EUR: 1000.00" in mail.part("plain")
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_filename() == "commission-statement-2026-Q3.csv"
    assert attachment.get_content_type() == "text/csv"
    attached = attachment.get_content()
    if isinstance(attached, bytes):
        attached = attached.decode("utf-8")
    assert attached.replace("\r\n", "\n") == out
