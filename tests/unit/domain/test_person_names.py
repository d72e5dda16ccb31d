"""A contact's name: given separately, or one full name split in the configured order."""

from __future__ import annotations

import pytest

from prm_sync.config import RegistrationSettings
from prm_sync.domain.person_names import split_full_name
from prm_sync.domain.registrations import parse_registration


@pytest.mark.parametrize(("full", "order", "expected"), [
    ("Hank Scorpio", "given_first", ("Hank", "Scorpio")),
    ("Hank Q  Scorpio", "given_first", ("Hank Q", "Scorpio")),
    ("Nguyễn Thị Minh Khai", "family_first", ("Thị Minh Khai", "Nguyễn")),
    ("Nguyễn Thị Minh Khai", "given_first", ("Nguyễn Thị Minh", "Khai")),
    ("Trần Văn An", "family_first", ("Văn An", "Trần")),
    ("Scorpio, Hank", "family_first", ("Hank", "Scorpio")),   # "Family, Given" whatever the order
    ("Scorpio, Hank", "given_first", ("Hank", "Scorpio")),
    ("Müller-Lüdenscheidt,  Jürgen  Karl", "given_first", ("Jürgen Karl", "Müller-Lüdenscheidt")),
    ("Madonna", "given_first", (None, "Madonna")),
    ("Madonna", "family_first", (None, "Madonna")),
    ("   ", "given_first", (None, None)),
])
def test_split_full_name(full: str, order: str, expected: tuple[str | None, str | None]) -> None:
    assert split_full_name(full, order) == expected  # type: ignore[arg-type]


def test_a_full_name_is_split_by_the_configured_order() -> None:
    raw = {"partner": "A", "company": "Hòa Phát", "contact": "Nguyễn Thị Minh Khai"}
    data = parse_registration(raw, name_order="family_first")
    assert (data.contact_first_name, data.contact_last_name) == ("Thị Minh Khai", "Nguyễn")
    data = parse_registration(raw)
    assert (data.contact_first_name, data.contact_last_name) == ("Nguyễn Thị Minh", "Khai")


def test_first_and_last_name_given_separately_are_taken_as_given() -> None:
    data = parse_registration({"partner": "A", "company": "B", "first_name": " Thị Minh Khai ", "last_name": "Nguyễn",
                               "contact": "ignored when last_name is given"}, name_order="given_first")
    assert (data.contact_first_name, data.contact_last_name) == ("Thị Minh Khai", "Nguyễn")
    data = parse_registration({"partner": "A", "company": "B", "contact_first_name": "Hank",
                               "contact_last_name": "Scorpio"})
    assert (data.contact_first_name, data.contact_last_name) == ("Hank", "Scorpio")
    data = parse_registration({"partner": "A", "company": "B", "first_name": "Hank", "contact": "Hank Scorpio"})
    assert (data.contact_first_name, data.contact_last_name) == ("Hank", "Scorpio")


def test_name_order_is_validated() -> None:
    assert RegistrationSettings().name_order == "given_first"
    assert RegistrationSettings(name_order="family_first").name_order == "family_first"
    with pytest.raises(ValueError, match="given_first"):
        RegistrationSettings(name_order="surname_first")  # type: ignore[arg-type]
