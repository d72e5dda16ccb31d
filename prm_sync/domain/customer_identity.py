"""Who a registration is for: customer keys from a company name, an email and a website.

Two registrations name the same customer when any of their keys are equal:
- `name:` the company name without case, accents, punctuation, spaces, and legal forms at
  either end ("ACME, Inc." and "Acme Incorporated" -> `acme`; "Công ty TNHH ABC" and
  "ABC Co., Ltd" -> `abc`); a name with ü, ö, ä, ø or å has a key per ASCII spelling
  ("Müller" -> `muller` and `mueller`, see transliteration);
- `domain:` the registrable domain of the contact's email (free-mail providers ignored) or of
  the website (scheme, `www.`, port and path dropped; `eu.shop.acme.co.uk` -> `acme.co.uk`).
Multi-part public suffixes are known from a short built-in list plus the rule "co/com/net/org/
gov/edu/ac/or/ne under a two-letter country code", so no public-suffix download is needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from prm_sync.domain.transliteration import fold_text, has_two_way_letters, spelling_variants

MATCH_FIELDS: tuple[str, ...] = ("name", "email_domain", "website")

_NON_WORD = re.compile(r"[^a-z0-9]+")
_JOINERS = re.compile(r"[.\-'’]")
_HOST_CHARS = re.compile(r"[a-z0-9.-]+")
_DIGITS_AND_DOTS = re.compile(r"[0-9.]+")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_PATH_START = re.compile(r"[/?#]")

# Legal forms, stripped only at the start or the end of a name (never in the middle).
LEGAL_WORDS: frozenset[str] = frozenset({
    "inc", "incorporated", "corp", "corporation", "llc", "llp", "lp", "ltd", "limited", "gmbh", "ag",
    "kg", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "plc", "pty", "pte", "pvt", "jsc", "co",
    "company", "the", "oy", "oyj", "ab", "as", "asa", "aps", "kk", "bhd", "sdn", "se", "tnhh",
    "ctcp", "cty", "mtv", "ltda", "sl", "group", "holding", "holdings",
})
LEGAL_PHRASES: tuple[tuple[str, ...], ...] = (
    ("cong", "ty"), ("co", "phan"), ("trach", "nhiem", "huu", "han"), ("mot", "thanh", "vien"),
    ("private", "limited"), ("public", "limited", "company"), ("kabushiki", "kaisha"),
)

FREE_MAIL_DOMAINS: frozenset[str] = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "rocketmail.com", "hotmail.com",
    "outlook.com", "live.com", "msn.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me",
    "protonmail.com", "protonmail.ch", "pm.me", "gmx.com", "gmx.net", "gmx.de", "mail.ru", "bk.ru",
    "inbox.ru", "list.ru", "yandex.ru", "yandex.com", "qq.com", "163.com", "126.com", "yeah.net",
    "sina.com", "sohu.com", "zoho.com", "web.de", "t-online.de", "orange.fr", "free.fr",
    "laposte.net", "naver.com", "daum.net", "hanmail.net", "rediffmail.com", "tutanota.com",
    "fastmail.com", "hey.com", "mail.com", "email.com",
})
# Providers with a domain per country (yahoo.co.uk, hotmail.fr, outlook.com.vn ...).
FREE_MAIL_BRANDS: frozenset[str] = frozenset({"yahoo", "hotmail", "outlook", "live", "gmx", "yandex"})

MULTI_PART_SUFFIXES: frozenset[str] = frozenset({
    "co.uk", "org.uk", "me.uk", "ltd.uk", "plc.uk", "net.uk", "ac.uk", "gov.uk", "com.au", "net.au",
    "org.au", "edu.au", "gov.au", "asn.au", "id.au", "com.vn", "net.vn", "org.vn", "edu.vn", "gov.vn",
    "biz.vn", "info.vn", "name.vn", "pro.vn", "health.vn", "co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp",
    "co.nz", "org.nz", "net.nz", "co.za", "com.br", "com.cn", "net.cn", "org.cn", "gov.cn", "com.hk",
    "com.tw", "com.sg", "com.my", "co.in", "firm.in", "net.in", "org.in", "co.id", "co.kr", "or.kr",
    "com.mx", "com.ar", "com.tr", "co.th", "in.th", "com.ph", "com.pk", "com.sa", "com.eg", "co.il",
    "com.ng", "co.ke", "com.co", "com.pe", "com.ua", "com.pl", "co.at", "or.at", "gv.at",
})
_SECOND_LEVEL_GENERIC: frozenset[str] = frozenset({"co", "com", "net", "org", "gov", "edu", "ac", "or", "ne"})
# Hosts where each customer has a subdomain: keep one label more than the registrable domain.
SHARED_HOSTS: frozenset[str] = frozenset({
    "github.io", "wixsite.com", "blogspot.com", "wordpress.com", "herokuapp.com", "myshopify.com",
    "squarespace.com", "weebly.com", "netlify.app", "vercel.app", "azurewebsites.net",
})
# Sites that say nothing about the customer's own domain.
NON_CUSTOMER_SITES: frozenset[str] = frozenset({
    "facebook.com", "linkedin.com", "google.com", "instagram.com", "twitter.com", "x.com",
    "youtube.com", "zalo.me",
})


def name_tokens(company: str) -> list[str]:
    """The words of a company name after folding; dots, hyphens and apostrophes join ("S.A." -> "sa",
    "Co-op" -> "coop"), & becomes "and"."""
    folded = fold_text(company).replace("&", " and ")
    folded = _JOINERS.sub("", folded)
    return [t for t in _NON_WORD.split(folded) if t]


def _strip_ends(tokens: list[str]) -> list[str]:
    changed = True
    while changed and tokens:
        changed = False
        for phrase in LEGAL_PHRASES:
            n = len(phrase)  # (the first and last words tested before any slice: most names match none)
            if tokens and tokens[0] == phrase[0] and tuple(tokens[:n]) == phrase:
                tokens, changed = tokens[n:], True
            if tokens and tokens[-1] == phrase[-1] and tuple(tokens[-n:]) == phrase:
                tokens, changed = tokens[:-n], True
        if tokens and tokens[0] in LEGAL_WORDS:
            tokens, changed = tokens[1:], True
        if tokens and tokens[-1] in LEGAL_WORDS:
            tokens, changed = tokens[:-1], True
        if tokens and tokens[-1] == "and":  # "Smith & Co" -> "smith and" -> "smith"
            tokens, changed = tokens[:-1], True
    return tokens


def company_key(company: str | None) -> str | None:
    """The normalised company name, or None when nothing is left to compare."""
    if not company:
        return None
    tokens = name_tokens(company)
    core = _strip_ends(list(tokens)) or tokens  # a name that is all legal words stays itself
    key = "".join(core)
    return key or None


#: names, hosts and sites remembered by the key functions below: a conflict check computes the
#: keys of every registration it sees, and the same customer's name and site come back again and
#: again (that is what a channel conflict is); each is a pure function of one string
KEY_CACHE_SIZE = 8192


@lru_cache(maxsize=KEY_CACHE_SIZE)
def company_keys(company: str | None) -> tuple[str, ...]:
    """`company_key` of each spelling of the name ("Müller GmbH" -> muller, mueller), the usual first."""
    first = company_key(company)
    if first is None or company is None or not has_two_way_letters(company):
        return () if first is None else (first,)
    found = dict.fromkeys(key for key in map(company_key, spelling_variants(company)[1:]) if key)
    found.pop(first, None)
    return (first, *found)


@lru_cache(maxsize=KEY_CACHE_SIZE)
def _clean_host(host: str) -> str | None:
    host = fold_text(host.strip().strip(".")).rstrip(".")
    if not host or "." not in host or not _HOST_CHARS.fullmatch(host):
        return None
    if _DIGITS_AND_DOTS.fullmatch(host):  # an IP address is not a customer's domain
        return None
    return host


@lru_cache(maxsize=KEY_CACHE_SIZE)
def registrable_domain(host: str | None) -> str | None:
    """`shop.eu.acme.co.uk` -> `acme.co.uk`; `www.acme.com` -> `acme.com`; None if not a host name."""
    if not host:
        return None
    clean = _clean_host(host)
    if clean is None:
        return None
    labels = [label for label in clean.split(".") if label]
    if len(labels) < 2:
        return None
    last_two = ".".join(labels[-2:])
    multi = last_two in MULTI_PART_SUFFIXES or (len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL_GENERIC)
    keep = 3 if multi else 2
    if ".".join(labels[-keep:]) in SHARED_HOSTS or (not multi and last_two in SHARED_HOSTS):
        keep += 1
    if len(labels) < keep:
        return None if multi else clean
    return ".".join(labels[-keep:])


def email_domain(email: str | None, extra_free_mail: Iterable[str] = ()) -> str | None:
    """The registrable domain of a business email; None for free-mail addresses or no address."""
    if not email or "@" not in email:
        return None
    return _business_domain(email.strip().rsplit("@", 1)[1], tuple(extra_free_mail))


@lru_cache(maxsize=KEY_CACHE_SIZE)  # one answer per mail host: a company's contacts share theirs
def _business_domain(host: str, extra_free_mail: tuple[str, ...]) -> str | None:
    domain = registrable_domain(host)
    if domain is None:
        return None
    extra = {d.strip().lower() for d in extra_free_mail} if extra_free_mail else frozenset()
    clean = _clean_host(host) or domain
    if domain in FREE_MAIL_DOMAINS or clean in FREE_MAIL_DOMAINS or domain in extra or clean in extra \
            or domain.split(".")[0] in FREE_MAIL_BRANDS:
        return None
    return domain


@lru_cache(maxsize=KEY_CACHE_SIZE)
def website_domain(website: str | None) -> str | None:
    """The registrable domain of a website URL or bare host name; None for social pages."""
    if not website or not website.strip():
        return None
    text = website.strip()
    text = _SCHEME.sub("", text)
    host = _PATH_START.split(text, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0]
    domain = registrable_domain(host)
    if domain is None or domain in NON_CUSTOMER_SITES:
        return None
    return domain


@dataclass(frozen=True, slots=True)
class CustomerKeys:
    """The keys a customer is matched on; `keys` is what an index is built from."""

    name: str | None
    email_domain: str | None
    web_domain: str | None
    other_names: tuple[str, ...] = ()  # the name's other spellings (transliteration), usually none

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.other_names) if self.name else self.other_names

    @property
    def keys(self) -> frozenset[str]:
        found = {f"name:{name}" for name in self.names}
        for domain in (self.email_domain, self.web_domain):
            if domain:
                found.add(f"domain:{domain}")
        return frozenset(found)


def customer_keys(
    company: str | None, email: str | None = None, website: str | None = None, *,
    match_on: Iterable[str] = MATCH_FIELDS, extra_free_mail: Iterable[str] = (),
) -> CustomerKeys:
    """The customer keys of a registration, limited to the `match_on` fields."""
    wanted = set(match_on)
    names = company_keys(company) if "name" in wanted else ()
    by_email = email_domain(email, extra_free_mail) if "email_domain" in wanted else None
    by_site = website_domain(website) if "website" in wanted else None
    if by_site == by_email:
        by_site = by_email  # usually the same domain: one string (a conflict index holds many of these)
    return CustomerKeys(name=names[0] if names else None, email_domain=by_email, web_domain=by_site,
                        other_names=names[1:])


@lru_cache(maxsize=KEY_CACHE_SIZE)  # a popular customer's first holders explain every later registration
def explain_match(a: CustomerKeys, b: CustomerKeys) -> str:
    """Which keys two customers share, for a conflict message ("name 'acme', domain acme.com")."""
    parts = []
    theirs = set(b.names)
    shared_name = next((name for name in a.names if name in theirs), None)
    if shared_name:
        parts.append(f"name '{shared_name}'")
    shared = {a.email_domain, a.web_domain} & {b.email_domain, b.web_domain} - {None}
    parts += [f"domain {d}" for d in sorted(d for d in shared if d)]
    return ", ".join(parts)
