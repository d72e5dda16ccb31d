"""The per-record shortcuts of a first load (issue 17) give what the general code gives."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from prm_sync.domain.channel_conflicts import REASON_ORDER, ChannelConflict, Holder
from prm_sync.domain.customer_identity import CustomerKeys, customer_keys
from prm_sync.mapping import load_mapping
from prm_sync.mapping.mapper import READ_MEMORY
from prm_sync.mapping.values import BadValue
from prm_sync.store.jsoncodec import _encode, dumps_json
from prm_sync.sync.report import Created

ROOT = Path(__file__).resolve().parents[3]
RAW = [None, "", "   ", "\t\n", "Acme", " padded ", "Đông Á", "true", "12.50", 7, Decimal("1.5"), True,
       "2026-03-01", "2026-03-01T10:00:00.000+0000", "a@b.example", " a@b.example ", "1e3", "-0.00", False, 0]


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_to_prm_reads_plain_text_fields_inline_as_their_read_would(crm: str) -> None:
    mapping = load_mapping(ROOT / "mappings" / f"{crm}.yaml")
    plain = direct = 0
    for mapper in mapping.entities.values():
        plain += sum(1 for _, _, is_plain, _, _ in mapper._pull_plan if is_plain)
        reads = {f.name: f.read for f in mapper.pull_fields}
        direct += sum(1 for name, _, is_plain, read, _ in mapper._pull_plan if not is_plain and read != reads[name])
        for raw in RAW * 2:  # twice: the second time from to_prm's memo where it read text
            record = {f.crm: raw for f in mapper.pull_fields}
            mapped = mapper.to_prm("c1", record)
            for fld in mapper.pull_fields:
                try:
                    expected = fld.read(raw)
                except BadValue:
                    assert fld.crm in mapped.problems
                    continue
                assert mapped.values[fld.name] == expected and type(mapped.values[fld.name]) is type(expected)
    assert plain > 3   # the shortcut is taken (names, phones, streets...)
    assert direct > 3   # and the direct reads (dates, amounts, emails...), which gave what `read` gives


def test_to_prm_remembers_what_it_read_of_a_text_but_never_a_problem_and_only_so_many() -> None:
    mapper = load_mapping(ROOT / "mappings" / "salesforce.yaml")["deal"]
    close = next(f for f in mapper.pull_fields if f.name == "close_date")
    memo = next(memo for name, *_, memo in mapper._pull_plan if name == "close_date")
    assert memo is not None
    first = mapper.to_prm("c1", {close.crm: "2026-03-01"}).values["close_date"]
    again = mapper.to_prm("c2", {close.crm: "2026-03-01"}).values["close_date"]
    assert again == first and memo == {"2026-03-01": first}
    for n in range(2):  # a bad text is named on every record that holds it
        assert close.crm in mapper.to_prm(f"bad{n}", {close.crm: "not a date"}).problems
    assert "not a date" not in memo
    for day in range(READ_MEMORY + 50):
        text = (date(2000, 1, 1) + timedelta(days=day)).isoformat()
        assert mapper.to_prm("c", {close.crm: text}).values["close_date"] == date.fromisoformat(text)
    assert len(memo) == READ_MEMORY


def test_created_diffs_read_like_the_dict_of_pairs() -> None:
    after = {"name": "Acme", "status": None, "tier": "gold"}
    created = Created(after)
    expected = {k: (None, v) for k, v in after.items()}
    assert dict(created) == expected and created == expected
    assert "status" in created and "phone" not in created and len(created) == 3
    assert created["tier"] == (None, "gold") and created.get("phone") is None
    assert {"status", "email"} & created.keys() == {"status"}
    assert list(created.items()) == list(expected.items())
    with pytest.raises(KeyError):
        created["phone"]


@pytest.mark.parametrize("value", [
    {"a": "x", "b": None, "c": "é\u2028\"", "d": Decimal("1.50")}, [1, 2.5, None, True], "text", 3, None, {}, [],
    {"nested": {"list": [Decimal("0.1"), {"k": "v"}]}},
])
def test_dumps_json_writes_what_json_dumps_writes(value: object) -> None:
    assert dumps_json(value) == json.dumps(value, default=_encode, separators=(",", ":"))


def test_dumps_json_still_refuses_unknown_types() -> None:
    with pytest.raises(TypeError, match="cannot store object"):
        dumps_json({"x": object()})


def test_a_conflict_message_per_reason() -> None:
    keys = CustomerKeys(name="acme", email_domain=None, web_domain=None)
    holder = Holder("registration", "r1", "p1", "Partner One", "protected", keys, "approved")
    texts = {reason: ChannelConflict(reason, holder, "name 'acme'").message for reason in REASON_ORDER}
    assert texts["other_partner"].startswith("registered by another partner: Partner One (registration r1)")
    assert texts["open_opportunity"].startswith("the CRM has an open deal for this customer:")
    assert texts["existing_customer"].startswith("already a customer:")
    assert texts["duplicate"].startswith("already registered by the same partner:")
    assert all(text.endswith("(matched on name 'acme')") for text in texts.values())


def test_free_mail_extras_still_count() -> None:
    assert customer_keys("Acme", "jo@acme-mail.example", None).email_domain == "acme-mail.example"
    assert customer_keys("Acme", "jo@acme-mail.example", None,
                         extra_free_mail=[" Acme-Mail.Example "]).email_domain is None
    assert customer_keys("Acme", "jo@gmail.com", None).email_domain is None
