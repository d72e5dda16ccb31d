"""`prm-sync notify send` against a real SMTP server (aiosmtpd) started by the test: one test per
notification kind, UTF-8 headers, escaping, opt-outs, fallback, outage, crash safety, dry run."""

from __future__ import annotations

import datetime as dt
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from prm_sync.store import Registration, open_store
from tests.e2e.notify_site import Received, Site, open_site


@pytest.fixture
def site(store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    with open_site(tmp_path, store_url, capsys, monkeypatch) as s:
        yield s


def by_subject(site: Site) -> dict[str, Received]:
    return {r.subject: r for r in site.smtp.inbox.received}


def people(site: Site) -> tuple[str, str]:
    """A partner with a Vietnamese name and two contacts: one reads Vietnamese, one English."""
    partner = site.partner("Công ty Ánh Dương")
    site.contact(partner, "--first-name", "Thị Hồng", "--last-name", "Nguyễn", "--email", "hong@anhduong.example",
                 "--role", "primary", "--language", "vi")
    site.contact(partner, "--first-name", "Mark", "--last-name", "Weber", "--email", "mark@anhduong.example",
                 "--role", "sales")
    site.contact(partner, "--first-name", "Finance", "--last-name", "Team", "--email", "fin@anhduong.example",
                 "--role", "finance")
    return partner, "Công ty Ánh Dương"


def test_registration_kinds_reach_the_partner_in_their_language(site: Site) -> None:
    partner, _ = people(site)
    received = site.register(partner, "Globex Việt Nam", "a@globex.example")
    approved = site.register(partner, "Initech", "b@initech.example")
    rejected = site.register(partner, "Hooli", "c@hooli.example")
    site.ok("leads", "approve", approved)
    site.ok("leads", "reject", rejected, "--reason", "khách hàng hiện hữu")
    out = site.ok("notify", "send")
    assert "sent 10 message(s) for 5 notification(s)" in out   # 5 events x (vi + en)
    inbox = by_subject(site)
    vi = inbox["Đăng ký bị từ chối: Hooli"]
    en = inbox["Registration rejected: Hooli"]
    assert vi.rcpt_tos == ["hong@anhduong.example"] and en.rcpt_tos == ["mark@anhduong.example"]
    assert b"=?utf-8?" in vi.raw.split(b"\r\n\r\n", 1)[0].lower()          # RFC 2047 subject and names
    assert str(vi.message["To"]) == "Thị Hồng Nguyễn <hong@anhduong.example>"
    assert vi.message["Content-Language"] == "vi"
    assert "Lý do: khách hàng hiện hữu" in vi.part("plain")
    assert "Lý do: khách hàng hiện hữu" in vi.part("html") and "<strong>Công ty Ánh Dương</strong>" in vi.part("html")
    assert "Reason: khách hàng hiện hữu" in en.part("plain")
    assert str(en.message["Reply-To"]) == "channel@vendor.example"
    assert "Registration received: Globex Việt Nam" in inbox and "Đã nhận đăng ký: Globex Việt Nam" in inbox
    assert "Registration approved: Initech" in inbox
    ids = {r.message["Message-ID"] for r in site.smtp.inbox.received}
    assert len(ids) == 10 and all(i.endswith("@vendor.example>") for i in ids)
    assert {n.state for n in site.outbox()} == {"sent"} and received
    # nothing twice
    site.smtp.inbox.received.clear()
    assert "sent 0 message(s)" in site.ok("notify", "send")
    assert site.smtp.inbox.received == []


def test_time_driven_kinds_and_conflicts(site: Site) -> None:
    partner, _ = people(site)
    other = site.partner("Beta Partners", manager="beta-cm@vendor.example")
    reg = site.register(partner, "Globex", "a@globex.example")
    site.register(other, "Globex", "b@globex.example")                                  # channel conflict
    soon = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    site.ok("partners", "contracts", "add", partner, "--start", "2025-01-01", "--end", soon, "--notice-days", "0")
    site.ok("partners", "certify", partner, "Sales Pro", "--earned", "2025-01-01", "--expires", soon,
            "--holder", "Lê Văn Tám")
    with open_store(site.store_url) as store, store.session() as session:
        row = session.get(Registration, reg)
        assert row is not None
        row.expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=25)
        session.add(row)
    site.ok("notify", "send")  # the scan runs first
    kinds = sorted(n.kind for n in site.outbox())
    assert kinds == ["certification_expiring", "channel_conflict", "contract_renewal_due",
                     "registration_expiring", "registration_received", "registration_received"]
    inbox = by_subject(site)
    conflict = inbox["Channel conflict: Globex (Beta Partners)"]
    assert conflict.rcpt_tos == ["beta-cm@vendor.example"]
    assert "Công ty Ánh Dương" in conflict.part("plain")
    renewal = inbox["Sắp đến hạn gia hạn hợp đồng: Công ty Ánh Dương"]
    assert set(renewal.rcpt_tos) == {"hong@anhduong.example"}
    assert inbox["Contract renewal due: Công ty Ánh Dương"].rcpt_tos == ["cm@vendor.example"]
    cert = inbox["Chứng chỉ sắp hết hạn: Sales Pro"]
    assert "(Lê Văn Tám)" in cert.part("plain") and cert.rcpt_tos == ["hong@anhduong.example"]
    assert inbox["Registration expiring in 25 days: Globex"].rcpt_tos == ["mark@anhduong.example"]
    assert inbox["Đăng ký sắp hết hạn sau 25 ngày: Globex"].rcpt_tos == ["hong@anhduong.example"]
    # the scan is idempotent: a second send records and sends nothing new
    count = len(site.smtp.inbox.received)
    site.ok("notify", "send")
    assert len(site.smtp.inbox.received) == count and len(site.outbox()) == 6


def test_html_in_names_is_escaped(site: Site) -> None:
    partner = site.partner("<script>alert(1)</script> & Co")
    site.contact(partner, "--first-name", "<b>Bold</b>", "--last-name", "O'Brien", "--email", "x@evil.example")
    site.register(partner, "<img src=x onerror=alert(2)>", "a@c.example")
    site.ok("notify", "send")
    [message] = site.smtp.inbox.received
    html = message.part("html")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html
    assert "<script>alert(1)</script> & Co" in message.part("plain")   # text is text


def test_opt_out_and_fallback_to_the_channel_manager(site: Site) -> None:
    partner = site.partner("Gamma GmbH", manager="gamma-cm@vendor.example")
    site.contact(partner, "--last-name", "Müller", "--email", "m@gamma.example", "--opt-out",
                 "registration_received")
    site.contact(partner, "--last-name", "Schäfer", "--role", "sales")            # no email
    reg = site.register(partner, "Initech", "a@initech.example")
    site.ok("leads", "approve", reg)
    site.ok("notify", "send")
    inbox = by_subject(site)
    assert inbox["Registration received: Initech"].rcpt_tos == ["gamma-cm@vendor.example"]   # fallback
    assert inbox["Registration approved: Initech"].rcpt_tos == ["m@gamma.example"]


def test_smtp_outage_leaves_messages_pending_until_the_next_run(site: Site) -> None:
    partner, _ = people(site)
    site.register(partner, "Globex", "a@globex.example")
    site.smtp.stop()
    code, _, err = site.cli("notify", "send")
    assert code == 1 and "cannot reach SMTP server 127.0.0.1" in err and "stay pending" in err
    assert [n.state for n in site.outbox()] == ["pending"]
    _, out, _ = site.cli("status")
    assert "Notifications: 1 pending" in out
    site.smtp.start()
    assert "sent 2 message(s) for 1 notification(s)" in site.ok("notify", "send")
    assert [n.state for n in site.outbox()] == ["sent"]


def test_a_refused_message_is_retried_with_backoff(site: Site) -> None:
    partner = site.partner("Delta AG")
    site.contact(partner, "--last-name", "Gone", "--email", "gone@delta.example")
    site.register(partner, "Globex", "a@globex.example")
    site.smtp.inbox.refuse.add("gone@delta.example")
    code, _, err = site.cli("notify", "send")
    assert code == 1 and "will retry" in err and "550" in err
    [note] = site.outbox()
    assert note.state == "pending" and note.attempts == 1 and note.next_attempt_at is not None
    assert note.next_attempt_at > dt.datetime.now(dt.UTC)
    site.smtp.inbox.refuse.clear()
    assert "sent 0 message(s)" in site.ok("notify", "send")      # not due yet (backoff)


def test_crash_between_acceptance_and_commit_loses_nothing(site: Site) -> None:
    partner = site.partner("Epsilon Ltd")
    site.contact(partner, "--last-name", "Trần", "--email", "tran@epsilon.example")
    for i in range(3):
        site.register(partner, f"Customer {i}", f"a{i}@c{i}.example")
    process = site.subprocess("notify", "send")
    site.smtp.inbox.on_data = lambda: os.kill(process.pid, signal.SIGKILL)   # accepted, then killed
    assert process.wait(timeout=60) == -signal.SIGKILL
    site.smtp.inbox.on_data = None
    assert len(site.smtp.inbox.received) == 1
    assert [n.state for n in site.outbox()] == ["pending"] * 3      # the commit never happened
    assert "sent 3 message(s)" in site.ok("notify", "send")
    received = site.smtp.inbox.received
    ids = [r.message["Message-ID"] for r in received]
    assert len(received) == 4 and len(set(ids)) == 3                # every one delivered
    assert ids[0] == ids[1]                                         # the duplicate carries the same Message-ID


def test_dry_run_writes_eml_files_and_rate_limit(site: Site, tmp_path: Path) -> None:
    partner, _ = people(site)
    for i in range(3):
        site.register(partner, f"Khách hàng {i}", f"a{i}@c{i}.example")
    out = site.ok("notify", "send", "--dry-run", "--out", str(tmp_path / "eml"))
    assert "wrote 6 message(s)" in out and site.smtp.inbox.received == []
    files = sorted((tmp_path / "eml").glob("*.eml"))
    assert len(files) == 6 and b"=?utf-8?q?Kh=C3=A1ch_h=C3=A0ng?=" in files[0].read_bytes()
    assert {n.state for n in site.outbox()} == {"pending"}
    site.write_config(rate_per_minute=2)
    out = site.ok("notify", "send")
    assert "sent 2 message(s) for 1 notification(s)" in out and "2 left for the next run" in out


def test_templates_dir_overrides_and_check_reports_file_line(site: Site, tmp_path: Path) -> None:
    partner, _ = people(site)
    custom = tmp_path / "my-templates" / "en"
    custom.mkdir(parents=True)
    (custom / "registration_received.j2").write_text(
        "{% block subject %}Got it: {{ company }}{% endblock %}\n{% block text %}Thanks {{ recipient.name }}"
        "{% endblock %}\n{% block html %}<p>Thanks {{ recipient.name }}</p>{% endblock %}\n", encoding="utf-8")
    site.write_config(templates_dir="my-templates")
    assert site.cli("check")[0] == 0
    site.register(partner, "Globex", "a@globex.example")
    site.ok("notify", "send")
    assert set(by_subject(site)) == {"Got it: Globex", "Đã nhận đăng ký: Globex"}   # vi still shipped
    # a typo in a variable and a syntax error: check names the file and line, exit 2
    (custom / "registration_received.j2").write_text(
        "{% block subject %}Got it{% endblock %}\n{% block text %}\n\nHello {{ recipent.name }}{% endblock %}\n"
        "{% block html %}x{% endblock %}\n", encoding="utf-8")
    (custom / "registration_approved.j2").write_text("{% block subject %}{{ company {% endblock %}\n",
                                                     encoding="utf-8")
    code, out, err = site.cli("check")
    assert code == 2
    err = "\n".join(__import__("json").loads(line)["msg"] for line in err.splitlines() if line.startswith("{"))
    assert f"{custom / 'registration_received.j2'}:4: 'recipent' is undefined" in err
    assert f"{custom / 'registration_approved.j2'}:1:" in err
    code, out, err = site.cli("notify", "preview", "registration_approved", "--partner", partner, "--language", "vi")
    assert code == 0 and "Subject: Đăng ký đã được duyệt: Globex GmbH" in out and "Công ty Ánh Dương" in out


def test_implicit_tls_and_starttls(store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.e2e.notify_site import tls_server

    with open_site(tmp_path, store_url, capsys, monkeypatch) as site:
        partner = site.partner("Zeta SA")
        site.contact(partner, "--last-name", "Đặng", "--email", "dang@zeta.example")
        site.register(partner, "Globex", "a@globex.example")
        for security in ("tls", "starttls"):
            with tls_server(tmp_path, security) as (port, ca, inbox):
                monkeypatch.setenv("SMTP_PASSWORD", "s3cret-pw")
                site.notifications = {}
                site.write_config()
                config = __import__("json").loads(site.config_path.read_text())
                config["notifications"]["smtp"].update(port=port, security=security, ca_bundle=str(ca),
                                                       user="prm", password="${SMTP_PASSWORD}")
                site.config_path.write_text(__import__("json").dumps(config))
                site.ok("notify", "send")
                assert [r.rcpt_tos for r in inbox.received] == [["dang@zeta.example"]]
                assert inbox.logins == [("prm", "s3cret-pw")]
            with open_store(site.store_url) as store, store.session() as session:   # send it again
                from sqlmodel import select

                from prm_sync.store import Notification

                for note in session.exec(select(Notification)).all():
                    note.state, note.sent_at = "pending", None
                    session.add(note)
