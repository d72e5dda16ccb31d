"""Customer identity: company names, email domains and websites normalised into matching keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prm_sync.domain.customer_identity import (
    company_key,
    company_keys,
    customer_keys,
    email_domain,
    explain_match,
    fold_text,
    registrable_domain,
    website_domain,
)


@pytest.mark.parametrize(("a", "b"), [
    ("ACME, Inc.", "Acme Incorporated"),
    ("Acme Corp", "ACME CORPORATION"),
    ("Acme LLC", "acme"),
    ("Acme Ltd", "Acme Limited"),
    ("Công ty TNHH ABC", "ABC Co., Ltd"),
    ("Công ty Cổ phần Đại Việt", "CTCP Dai Viet"),
    ("CÔNG TY TNHH MỘT THÀNH VIÊN ĐỒNG TÂM", "Dong Tam Co., Ltd."),
    ("Cty TNHH Hòa Phát", "Hoa Phat JSC"),
    ("Siemens AG", "Siemens"),
    ("Müller GmbH & Co. KG", "Muller GmbH"),
    ("Société Générale S.A.", "Societe Generale SA"),
    ("Acme S.A.S.", "Acme SAS"),
    ("Philips N.V.", "Philips NV"),
    ("Heineken B.V.", "Heineken"),
    ("BHP Group PLC", "BHP"),
    ("Telstra Pty Ltd", "Telstra Pty. Limited"),
    ("The Coca-Cola Company", "Coca Cola Co."),
    ("Johnson & Johnson", "Johnson and Johnson"),
    ("  acme   widgets,  inc ", "Acme-Widgets Inc."),
    ("O'Reilly Media, Inc.", "OReilly Media"),
    ("Smith & Co", "Smith"),
    ("Nokia Oyj", "Nokia"),
    ("Infosys Private Limited", "Infosys Pvt Ltd"),
])
def test_same_company_same_key(a: str, b: str) -> None:
    assert company_key(a) == company_key(b) is not None


@pytest.mark.parametrize(("a", "b"), [
    ("Acme", "Acme Widgets"),
    ("Coop Bank", "Bank"),
    ("ABC", "ABD Co., Ltd"),
    ("Acme Co Works", "Acme Works"),  # legal words are only stripped at the ends
])
def test_different_companies_differ(a: str, b: str) -> None:
    assert company_key(a) != company_key(b)


def test_a_name_made_only_of_legal_words_keeps_itself() -> None:
    assert company_key("Company Inc") == "companyinc"
    assert company_key("") is None and company_key(None) is None and company_key(" ,. ") is None


def test_fold_text_handles_vietnamese_and_other_non_decomposing_letters() -> None:
    assert fold_text("Đặng Đình Đức") == "dang dinh duc"
    assert fold_text("Søren Łukasz Straße") == "soren lukasz strasse"


@pytest.mark.parametrize(("email", "domain"), [
    ("jane@acme.com", "acme.com"),
    ("JANE@Mail.ACME.com", "acme.com"),
    ("bob@sales.acme.co.uk", "acme.co.uk"),
    ("an@hoaphat.com.vn", "hoaphat.com.vn"),
    ("x@acme.vn", "acme.vn"),
    ("someone@gmail.com", None),
    ("someone@googlemail.com", None),
    ("someone@yahoo.co.uk", None),
    ("someone@hotmail.fr", None),
    ("someone@outlook.com.vn", None),
    ("someone@proton.me", None),
    ("someone@mail.ru", None),
    ("someone@qq.com", None),
    ("someone@163.com", None),
    ("not-an-email", None),
    ("", None),
    (None, None),
])
def test_email_domain(email: str | None, domain: str | None) -> None:
    assert email_domain(email) == domain


def test_configured_free_mail_domains_are_ignored_too() -> None:
    assert email_domain("a@fpt.vn") == "fpt.vn"
    assert email_domain("a@fpt.vn", ["FPT.vn"]) is None


@pytest.mark.parametrize(("website", "domain"), [
    ("https://www.acme.com/about?x=1", "acme.com"),
    ("http://shop.eu.acme.com:8080/x", "acme.com"),
    ("www.acme.co.uk", "acme.co.uk"),
    ("https://portal.acme.com.au/", "acme.com.au"),
    ("acme.com.vn", "acme.com.vn"),
    ("https://user@acme.io#top", "acme.io"),
    ("https://acme.github.io/site", "acme.github.io"),
    ("https://www.facebook.com/acme", None),
    ("http://192.168.1.10/", None),
    ("co.uk", None),
    ("localhost", None),
    ("", None),
])
def test_website_domain(website: str, domain: str | None) -> None:
    assert website_domain(website) == domain


def test_registrable_domain_knows_country_second_levels_without_a_list_entry() -> None:
    assert registrable_domain("a.b.acme.co.ke") == "acme.co.ke"
    assert registrable_domain("a.b.acme.org.vn") == "acme.org.vn"
    assert registrable_domain("acme.de") == "acme.de"


def test_customer_keys_match_email_against_website_and_respect_match_on() -> None:
    by_email = customer_keys("Globex", "hank@globex.com")
    by_site = customer_keys("Globex Corporation", None, "https://www.globex.com")
    assert by_email.keys & by_site.keys == {"name:globex", "domain:globex.com"}
    assert explain_match(by_email, by_site) == "name 'globex', domain globex.com"
    only_domains = customer_keys("Globex", "hank@globex.com", match_on=["email_domain"])
    assert only_domains.keys == {"domain:globex.com"}
    assert customer_keys("Globex", "hank@gmail.com").keys == {"name:globex"}


_PIECES = [*"abcÄäöüßøåéèçđơưạệ .,-'&/:@", "GmbH", "Inc", "Công ty", "https://", "www.", ".com", ".co.uk"]
_NAMES = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)


@given(st.one_of(st.none(), _NAMES))
def test_remembered_key_functions_answer_as_their_first_computation(text: str | None) -> None:
    """company_keys, website_domain and registrable_domain remember their answers (a first load
    asks them for the same customers again and again): asked twice, after other strings, they
    give what the function computes afresh."""
    for remembered in (company_keys, website_domain, registrable_domain):
        first = remembered(text)
        remembered("something else entirely.example")
        assert remembered(text) == first == remembered.__wrapped__(text)
