"""Customer names across transliterations: "Müller" is "Mueller" and "Muller", "Mueller" is never "Muller"."""

from __future__ import annotations

import datetime as dt

import pytest

from prm_sync.domain.channel_conflicts import ConflictIndex, deal_holders, deal_keys, registration_holder
from prm_sync.domain.customer_identity import company_keys, customer_keys, explain_match
from prm_sync.domain.registrations import Protection
from prm_sync.domain.transliteration import MAX_VARIANTS, spelling_variants

T0 = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)

SAME_CUSTOMER = [
    # German: umlauts as the bare vowel or vowel + e, ß as ss
    ("Müller GmbH", "Mueller GmbH"),
    ("Müller GmbH", "Muller AG"),
    ("MÜLLER GMBH", "Mueller GmbH"),
    ("Bäckerei Schäfer", "Baeckerei Schaefer"),
    ("Bäckerei Schäfer", "Backerei Schafer"),
    ("Größe KG", "Groesse KG"),
    ("Straßenbau Köln", "Strassenbau Koeln"),
    ("Jägermeister SE", "JAEGERMEISTER"),
    ("Müller & Söhne", "Mueller & Soehne"),
    ("Müller & Söhne", "Mueller & Sohne"),
    ("Über Technik", "Ueber Technik"),
    ("Hästens Sängar AB", "Haestens Saengar"),
    ("Mu\u0308ller GmbH", "Mueller GmbH"),  # decomposed (NFD) text, as macOS writes it
    # Scandinavian: ø as o or oe, å as a or aa, æ as ae
    ("Ørsted AS", "Orsted AS"),
    ("Ørsted AS", "Oersted"),
    ("Søndergård ApS", "Soendergaard ApS"),
    ("Søndergård ApS", "Sondergaard"),  # one letter each way in one word
    ("Blåbær AS", "Blaabaer AS"),
    ("Blåbær AS", "Blabaer"),
    ("Åkerlund & Rausing", "Aakerlund & Rausing"),
    ("Bjørn Hansen Consult", "Bjoern Hansen Consult"),
    ("Mærsk", "Maersk"),
    # Vietnamese: đ as d, tones and accents stripped
    ("Tập đoàn Công nghệ Đông Á", "Tap doan Cong nghe Dong A"),
    ("Đại Việt Solutions", "Dai Viet Solutions"),
    ("Ánh Dương Co", "Anh Duong"),
    ("Công ty TNHH Hòa Phát", "Hoa Phat JSC"),
    # French: accents stripped, œ as oe
    ("Société Générale", "Societe Generale"),
    ("Crédit Agricole S.A.", "CREDIT AGRICOLE"),
    ("L'Oréal", "LOreal"),
    ("Œuvre Française", "Oeuvre Francaise"),
    ("Citroën", "Citroen"),
]

DIFFERENT_CUSTOMERS = [
    ("Mueller GmbH", "Muller GmbH"),   # plain ASCII is never rewritten
    ("Manuel Ltd", "Manul Ltd"),
    ("Blue Ocean", "Blu Ocean"),
    ("Aarhus Consult", "Arhus Consult"),
    ("Goethe Verlag", "Gothe Verlag"),
    ("Müller GmbH", "Möller GmbH"),
    ("Müller GmbH", "Miller GmbH"),
    ("Bäcker KG", "Becker KG"),
    ("Søren Data", "Saren Data"),
    ("Blåbær AS", "Blaber AS"),        # æ is only ever ae
    ("Đông Á", "Dong An"),
    ("Société Générale", "Societe Generali"),
    ("Straße AG", "Strase AG"),
    ("Acme", "Acme Widgets"),
    ("Acme Co Works", "Acme Works"),
]


def conflicts(registered: str, candidate: str) -> list[str]:
    index = ConflictIndex()
    holder = registration_holder("r1", "A", "Partner A", customer_keys(registered), Protection("submitted", T0))
    assert holder is not None
    index.add(holder)
    return [c.reason for c in index.find(customer_keys(candidate), "B", T0 + dt.timedelta(days=1))]


@pytest.mark.parametrize(("a", "b"), SAME_CUSTOMER)
def test_transliterations_of_one_customer_conflict_both_ways(a: str, b: str) -> None:
    assert conflicts(a, b) == ["other_partner"]
    assert conflicts(b, a) == ["other_partner"]


@pytest.mark.parametrize(("a", "b"), DIFFERENT_CUSTOMERS)
def test_different_customers_do_not_conflict_either_way(a: str, b: str) -> None:
    assert conflicts(a, b) == []
    assert conflicts(b, a) == []


@pytest.mark.parametrize("name", ["Mueller GmbH", "Manuel", "Blue", "Aarhus", "Goethe", "Citroen", "Acme, Inc."])
def test_plain_ascii_has_exactly_its_own_key(name: str) -> None:
    assert len(company_keys(name)) == 1
    assert len(customer_keys(name).keys) == 1


def test_the_first_key_is_the_folded_name_and_the_variants_follow() -> None:
    assert company_keys("Müller GmbH") == ("muller", "mueller")
    assert company_keys("Đông Á") == ("donga",)  # nothing ambiguous: one key
    assert company_keys(None) == () and company_keys(" ,. ") == ()


def test_a_match_on_a_variant_is_explained_with_that_variant() -> None:
    assert explain_match(customer_keys("Müller GmbH"), customer_keys("Mueller AG")) == "name 'mueller'"
    assert explain_match(customer_keys("Müller GmbH"), customer_keys("Muller AG")) == "name 'muller'"


def test_a_crm_deal_named_with_umlauts_is_an_open_opportunity_for_the_ascii_spelling() -> None:
    index = ConflictIndex()
    index.add_all(deal_holders("d1", "C", "Partner C", deal_keys("Müller & Söhne - 50 seats"),
                               stage="Negotiation", is_closed=False, is_won=False))
    found = index.find(customer_keys("Mueller & Soehne"), "B", T0)
    assert [c.reason for c in found] == ["open_opportunity"]


def test_variants_are_bounded_for_a_name_full_of_umlauts() -> None:
    many = " ".join(["Ärger", "Öl", "Über", "Äpfel", "Østen", "Åre", "Bär", "Mühle"] * 20)
    variants = spelling_variants(many)
    assert 2 <= len(variants) <= MAX_VARIANTS
    assert variants[0] == spelling_variants(many)[0]  # deterministic, folded spelling first
    folded_words = variants[0].split()
    assert folded_words[:3] == ["arger", "ol", "uber"]
    assert any(v.split()[:3] == ["aerger", "oel", "ueber"] for v in variants)  # the all-long spelling
    keys = customer_keys(many)
    assert len(keys.keys) <= MAX_VARIANTS


def test_few_ambiguous_letters_give_every_combination() -> None:
    assert sorted(spelling_variants("Søndergård")) == sorted(
        ["sondergard", "soendergard", "sondergaard", "soendergaard"])
    assert spelling_variants("Straße") == ["strasse"]
    assert spelling_variants("Mueller") == ["mueller"]
