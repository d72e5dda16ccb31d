"""The notifications outbox: events recorded with the change that causes them (CLI and sync), and
history never notified (first sync, --full, merges, imports). Tests count the outbox."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from prm_sync.store import Notification, Registration, open_store
from tests.e2e.sync_world import World, open_world

NOTIFY = {"notifications": {"expiring_days": [30, 7]}}
STATUSES = ["Approved", "Rejected", "Expired", "Won", "Lost"]


@pytest.fixture
def world(store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with open_world("salesforce", store_url, tmp_path, capsys, monkeypatch) as w:
        w.extra_config = NOTIFY
        w.write_config()
        yield w


def outbox(world: World) -> list[Notification]:
    with open_store(world.store_url, create=False) as store, store.session() as session:
        return list(session.exec(select(Notification).order_by(Notification.id)))


def kinds(world: World) -> Counter[str]:
    return Counter(n.kind for n in outbox(world))


def test_history_is_never_notified(world: World, tmp_path: Path) -> None:
    h = world.harness
    partners = h.seed("partner", 10, PRM_Id__c=None)
    for i in range(1000):
        h.seed("lead", 1, Partner_Account__c=partners[i % 10], PRM_Id__c=None,
               Registration_Status__c=STATUSES[i % len(STATUSES)], Company=f"Past Customer {i}")
    # past won deals with their commissions already paid in the CRM
    deals = [h.seed("deal", 1, Partner_Account__c=partners[i % 10], PRM_Id__c=None, StageName="Closed Won",
                    CloseDate="2026-06-30", Amount=Decimal("25000"))[0] for i in range(20)]
    for deal in deals:
        h.seed("commission", 1, Opportunity__c=deal, Status__c="Paid", PRM_Id__c=None, Amount__c=Decimal("2500"))
    report = world.sync()
    assert report["exit"] == 0, report
    assert report["counts"]["lead"]["prm"]["create"] == 1000
    assert report["counts"]["deal"]["prm"]["create"] == 20
    assert outbox(world) == []                       # the first sync of an existing org
    assert world.sync("--full")["exit"] == 0
    assert outbox(world) == []                       # drift repair
    # a merge moves registrations between partners: nothing to tell
    rows = world.store_rows("partner")
    code, _, err = world.cli("partners", "merge", rows[0]["id"], rows[1]["id"], "--yes")
    assert code == 0, err
    # an import (and a re-import) of past registrations
    csv = tmp_path / "past.csv"
    csv.write_text("partner,company,contact,email\n" + "".join(
        f"{rows[0]['id']},Imported Co {i},Anh Lê,anh{i}@imported{i}.example\n" for i in range(5)), encoding="utf-8")
    assert world.cli("leads", "import", str(csv))[0] == 0
    assert world.cli("leads", "import", str(csv))[0] == 0
    assert world.sync()["exit"] == 0
    assert outbox(world) == []

    # live changes after that are news: one approval in the CRM, one rejection in the CLI
    [lead] = h.seed("lead", 1, Partner_Account__c=partners[2], PRM_Id__c=None, Registration_Status__c="Submitted",
                    Company="Fresh Customer")
    assert world.sync()["exit"] == 0
    assert kinds(world) == Counter({"registration_received": 1})
    h.modify("lead", lead, "Registration_Status__c", "Approved")
    assert world.sync()["exit"] == 0
    assert kinds(world) == Counter({"registration_received": 1, "registration_approved": 1})
    assert world.sync("--full")["exit"] == 0 and world.sync()["exit"] == 0  # no doubles
    assert kinds(world) == Counter({"registration_received": 1, "registration_approved": 1})


def test_cli_changes_record_events_in_their_transaction(world: World) -> None:
    world.harness.seed("partner", 1, PRM_Id__c=None)
    assert world.sync()["exit"] == 0
    [partner] = world.store_rows("partner")
    ids = []
    for company in ("Globex", "Initech", "Hooli"):
        code, out, err = world.cli("leads", "register", "--partner", partner["id"], "--company", company,
                                   "--contact", "Trần Văn Bình", "--email", f"binh@{company.lower()}.example")
        assert code == 0, err
        ids.append(out.split()[1])
    assert world.cli("leads", "approve", ids[0])[0] == 0
    assert world.cli("leads", "reject", ids[1], "--reason", "existing customer")[0] == 0
    # a refused change records nothing
    assert world.cli("leads", "reject", ids[2], "--reason", " ")[0] == 2
    assert kinds(world) == Counter({"registration_received": 3, "registration_approved": 1,
                                    "registration_rejected": 1})
    [rejected] = [n for n in outbox(world) if n.kind == "registration_rejected"]
    assert rejected.payload["reason"] == "existing customer" and rejected.subject_id == ids[1]
    # a second registration of the same customer by another partner: the channel manager hears of it
    world.harness.seed("partner", 1, PRM_Id__c=None)
    assert world.sync()["exit"] == 0
    other = next(r for r in world.store_rows("partner") if r["id"] != partner["id"])
    code, _, err = world.cli("leads", "register", "--partner", other["id"], "--company", "Globex",
                             "--contact", "Hank Scorpio", "--email", "hank@globex.example")
    assert code == 0, err
    assert kinds(world)["channel_conflict"] == 1

    # protection running out: the scan (each sync) sends the 7-day notice once, then expiry
    with open_store(world.store_url) as store, store.session() as session:
        reg = session.get(Registration, ids[2])
        assert reg is not None
        reg.expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=5)
        session.add(reg)
    assert world.sync()["exit"] == 0 and world.sync()["exit"] == 0
    expiring = [n for n in outbox(world) if n.kind == "registration_expiring"]
    assert [(n.subject_id, n.threshold) for n in expiring] == [(ids[2], 7)]
    with open_store(world.store_url) as store, store.session() as session:
        reg = session.get(Registration, ids[2])
        assert reg is not None
        reg.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        session.add(reg)
    assert world.cli("leads", "expire")[0] == 0
    assert kinds(world)["registration_expired"] == 1


def test_without_a_notifications_block_nothing_is_recorded(world: World) -> None:
    world.extra_config = None
    world.write_config()
    world.harness.seed("partner", 1, PRM_Id__c=None)
    assert world.sync()["exit"] == 0
    [partner] = world.store_rows("partner")
    code, _, err = world.cli("leads", "register", "--partner", partner["id"], "--company", "Globex",
                             "--contact", "Ann Lee")
    assert code == 0, err
    assert outbox(world) == []




@pytest.fixture(params=["hubspot", "salesforce"])
def crm_world(request: pytest.FixtureRequest, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
              monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    from tests.e2e.notify_site import SmtpServer

    smtp = SmtpServer()
    smtp.start()
    with open_world(request.param, store_url, tmp_path, capsys, monkeypatch) as w:
        w.extra_config = {"notifications": {"digest_weekday": None, "smtp": {
            "host": "127.0.0.1", "port": smtp.port, "security": "none", "from": "partners@vendor.example"}}}
        w.write_config()
        w.smtp = smtp  # type: ignore[attr-defined]
        yield w
    smtp.stop()


def test_crm_changes_reach_the_partner_by_email(crm_world: World) -> None:
    """Registration news made in the CRM: received, approved, rejected, expired, and the channel
    conflict a pulled registration is flagged with, each delivered to the partner's contacts."""
    world = crm_world
    h = world.harness
    key = "PRM_Id__c" if world.crm == "salesforce" else "prm_id"
    status = ("Registration_Status__c", "{}") if world.crm == "salesforce" else ("dealstage", "registration_{}")
    company = "Company" if world.crm == "salesforce" else "prm_customer_company"
    email = "Email" if world.crm == "salesforce" else "prm_contact_email"
    [acme, beta] = h.seed("partner", 2, **{key: None})
    assert world.sync()["exit"] == 0                       # the first sync: history
    partners = {link.crm_id: prm for prm, link in world.links("partner").items()}
    world.cli("partners", "edit", partners[acme], "--name", "Công ty Ánh Dương")
    world.cli("partners", "assign", partners[beta], "--channel-manager", "beta-cm@vendor.example")
    code, _, err = world.cli("partners", "contacts", "add", "--partner", partners[acme], "--first-name", "Hồng",
                             "--last-name", "Nguyễn", "--email", "hong@anhduong.example", "--language", "vi")
    assert code == 0, err
    assert world.sync()["exit"] == 0

    def lead(partner: str, name: str, stage: str, mail: str) -> str:
        value = status[1].format(stage if world.crm == "hubspot" else stage.title())
        if world.crm == "salesforce":
            return str(h.seed("lead", 1, Partner_Account__c=partner, **{key: None, status[0]: value, company: name,
                                                                         email: mail})[0])
        [crm_id] = h.seed("lead", 1, **{key: None, status[0]: value, company: name, email: mail})
        h.link("lead", crm_id, "partner", partner)
        return str(crm_id)

    first = lead(acme, "Globex", "submitted", "a@globex.example")
    second = lead(acme, "Initech", "submitted", "b@initech.example")
    third = lead(acme, "Hooli", "approved", "c@hooli.example")
    assert world.sync()["exit"] == 0
    h.modify("lead", first, status[0], status[1].format("approved" if world.crm == "hubspot" else "Approved"))
    h.modify("lead", second, status[0], status[1].format("rejected" if world.crm == "hubspot" else "Rejected"))
    h.modify("lead", third, status[0], status[1].format("expired" if world.crm == "hubspot" else "Expired"))
    lead(beta, "Globex", "submitted", "z@globex.example")                    # conflicts with Ánh Dương's
    assert world.sync()["exit"] == 0
    code, out, err = world.cli("notify", "send")
    assert code == 0, out + err
    subjects = {str(r.message["Subject"]): r.rcpt_tos for r in world.smtp.inbox.received}  # type: ignore[attr-defined]
    beta_name = next(r["name"] for r in world.store_rows("partner") if r["id"] == partners[beta])
    vi = ["hong@anhduong.example"]
    assert subjects == {
        "Đã nhận đăng ký: Globex": vi, "Đã nhận đăng ký: Initech": vi,
        "Đăng ký đã được duyệt: Hooli": vi, "Đăng ký đã được duyệt: Globex": vi,
        "Đăng ký bị từ chối: Initech": vi, "Đăng ký đã hết hạn: Hooli": vi,
        "Registration received: Globex": ["beta-cm@vendor.example"],          # no contacts: the fallback
        f"Channel conflict: Globex ({beta_name})": ["beta-cm@vendor.example"],
    }
