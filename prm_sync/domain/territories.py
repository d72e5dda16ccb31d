"""Territories: ISO 3166-1 alpha-2 countries, ISO 3166-2 subdivisions ('US-CA'), named regions.

The country list is built in (no download); subdivision codes are checked for shape and for a
valid country part, not against the full ISO 3166-2 list.
"""

from __future__ import annotations

import re

from prm_sync.domain.errors import RuleViolation

_ISO_COUNTRY_TEXT = """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV
BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES
ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE
IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU
NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM
SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE
VG VI VN VU WF WS YE YT ZA ZM ZW
"""
ISO_COUNTRIES: frozenset[str] = frozenset(_ISO_COUNTRY_TEXT.split())
NAMED_REGIONS: frozenset[str] = frozenset({"EMEA", "APAC", "AMER", "LATAM", "NORAM", "ANZ", "DACH", "MEA"})
_SUBDIVISION = re.compile(r"^([A-Z]{2})-([A-Z0-9]{1,3})$")


def territory_problem(code: str) -> str | None:
    """Why `code` (already upper-case) is not a territory, or None when it is one."""
    if code in ISO_COUNTRIES or code in NAMED_REGIONS:
        return None
    sub = _SUBDIVISION.match(code)
    if sub:
        return None if sub.group(1) in ISO_COUNTRIES else f"'{code}': {sub.group(1)} is not an ISO 3166 country"
    return (f"'{code}' is not an ISO 3166 country (US, VN), a subdivision (US-CA) "
            f"or a region ({', '.join(sorted(NAMED_REGIONS))})")


def parse_territories(text: str | list[str] | tuple[str, ...]) -> list[str]:
    """Territory codes from 'us, US-CA;emea' (or a list): upper-cased, de-duplicated, in order.
    Raises RuleViolation naming every bad code."""
    parts = text if isinstance(text, list | tuple) else re.split(r"[,;\s]+", text)
    codes: list[str] = []
    problems: list[str] = []
    for part in parts:
        code = part.strip().upper()
        if not code or code in codes:
            continue
        problem = territory_problem(code)
        if problem:
            problems.append(problem)
        else:
            codes.append(code)
    if problems:
        raise RuleViolation("territories: " + "; ".join(problems))
    return codes


def format_territories(codes: list[str]) -> str | None:
    """The stored form (and the CRM's text field): 'US,US-CA,EMEA'; None for no territory."""
    return ",".join(codes) or None


def country_problem(code: str) -> str | None:
    """Why `code` is not an ISO 3166-1 alpha-2 country code, or None."""
    if code in ISO_COUNTRIES:
        return None
    return f"country: '{code}' is not an ISO 3166 two-letter code such as US or VN"
