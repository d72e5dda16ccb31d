"""The weekly channel-manager digest, delivered to each channel manager over SMTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from prm_sync.store import CommissionLine, Deal, Registration, open_store
from tests.e2e.notify_site import Site, open_site


@pytest.fixture
def site(store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    with open_site(tmp_path, store_url, capsys, monkeypatch) as s:
        yield s


def test_weekly_digest_per_channel_manager(site: Site) -> None:
    alpha = site.partner("Alpha Ánh", manager="cm@vendor.example")
    beta = site.partner("Beta <GmbH>", manager="cm@vendor.example")
    site.partner("Gamma", manager="other-cm@vendor.example")
    waiting = site.register(alpha, "Globex", "a@globex.example")
    expiring = site.register(beta, "Initech", "b@initech.example")
    site.ok("leads", "approve", expiring)
    conflicted = site.register(beta, "Globex", "c@globex.example")
    today = dt.datetime.now(dt.UTC)
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    month_before = last_month.replace(day=1) - dt.timedelta(days=1)
    with open_store(site.store_url) as store, store.session() as session:
        reg = session.get(Registration, expiring)
        assert reg is not None
        reg.expires_at = today + dt.timedelta(days=3)
        session.add(reg)
        session.add(Deal(id="d-old", partner_id=alpha, name="Big", amount=Decimal("9000"), currency="USD",
                         is_won=True, is_closed=True, close_date=month_before.date(), stage="Closed Won"))
        session.add(Deal(id="d-new", partner_id=alpha, name="Small", amount=Decimal("100"), currency="USD",
                         is_won=True, is_closed=True, close_date=last_month.date(), stage="Closed Won"))
        session.flush()
        session.add(CommissionLine(id="l-wait", deal_id="d-new", partner_id=alpha, amount=Decimal("10.00"),
                                   currency="USD", status="calculated", period="2026-Q3"))
    assert "queued 2 digest(s)" in site.ok("notify", "digest")
    assert "queued 0 digest(s)" in site.ok("notify", "digest")       # once per manager and week
    site.ok("notify", "send")
    digests = {tuple(r.rcpt_tos): r for r in site.smtp.inbox.received if r.subject.startswith("Weekly")}
    mail = digests[("cm@vendor.example",)]
    text = mail.part("plain").replace("\r\n", "\n")
    assert (f"Waiting for approval: 2\n- Alpha Ánh: Globex ({waiting})\n- Beta <GmbH>: Globex ({conflicted})"
            in text)
    assert "Expiring this week: 1\n- Beta <GmbH>: Initech" in text
    assert f"Open conflicts: 1\n- Beta <GmbH>: Globex / Alpha Ánh (registration {waiting})" in text
    assert "Commissions waiting for approval: 1\n- Alpha Ánh: 10.00 USD (2026-Q3)" in text
    assert "Score dropped: 1\n- Alpha Ánh" in text
    assert "Beta &lt;GmbH&gt;" in mail.part("html") and "Beta <GmbH>" not in mail.part("html")
    other = digests[("other-cm@vendor.example",)].part("plain")
    assert "Waiting for approval: 0" in other and "Alpha" not in other


def test_notify_send_queues_the_digest_on_its_weekday(site: Site) -> None:
    site.partner("Alpha", manager="cm@vendor.example")
    weekday = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[
        dt.datetime.now(dt.UTC).weekday()]
    site.ok("notify", "send")
    assert site.smtp.inbox.received == []                  # not configured: no digest
    site.write_config(digest_weekday=weekday)
    site.ok("notify", "send")
    site.ok("notify", "send")
    assert [r.rcpt_tos for r in site.smtp.inbox.received] == [["cm@vendor.example"]]


def test_delivery_after_a_scheduled_sync_when_configured(site: Site) -> None:
    from prm_sync.app import App
    from prm_sync.ops.notify_job import deliver_after_sync

    partner = site.partner("Alpha", manager="cm@vendor.example")
    site.register(partner, "Globex", "a@globex.example")
    assert deliver_after_sync(App(site.config_path)) is None          # not configured: nothing sent
    assert site.smtp.inbox.received == []
    site.write_config(send_after_sync=True)
    report = deliver_after_sync(App(site.config_path))
    assert report is not None and report.ok
    assert [r.rcpt_tos for r in site.smtp.inbox.received] == [["cm@vendor.example"]]
