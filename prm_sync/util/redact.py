"""Redaction: secrets replaced by '***' in everything prm-sync shows, logs, stores or posts.

Two kinds of secret are recognised:
- literal values: every secret config.yaml interpolated from the environment (`remember_secrets`,
  called by `load_config`), and the values of environment variables whose names say they hold a
  secret (…TOKEN, …SECRET, …PASSWORD, …SESSION_ID, …PRIVATE_KEY, …API_KEY, …WEBHOOK…), each also
  in its escaped forms (repr, JSON, URL-quoted) and without surrounding whitespace;
- patterns: Bearer/OAuth tokens, Salesforce session ids (00D…!…), HubSpot private-app tokens
  (pat-…), PEM private keys, `password=…`-style pairs, and the password part of a URL.

This module imports only the standard library, so every layer may use it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

MASK = "***"
MIN_CONFIG_SECRET = 4     # shorter "secrets" would mask ordinary words
MIN_ENV_SECRET = 8
MIN_URL_PATH_SECRET = 8   # '/hooks/…' yes, '/' or '/api' no
SECRET_ENV_NAME = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSWD|SESSION_?ID|PRIVATE_?KEY|API_?KEY|WEBHOOK|CREDENTIAL", re.IGNORECASE
)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S), MASK),
    (re.compile(r"\b(Bearer|OAuth)\s+(?!\*\*\*)[A-Za-z0-9._~+/=!-]{6,}", re.IGNORECASE), r"\1 " + MASK),
    (re.compile(r"\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._-]+"), MASK),
    (re.compile(r"\bpat-[a-z0-9]{2,12}-[A-Za-z0-9-]{8,}"), MASK),
    (re.compile(r"(?<=://)([^/\s:@]+):(?!\*\*\*@)([^/\s@]+)@"), r"\1:" + MASK + "@"),
)

# `password=…`, `"token": "…"`: masked when the value looks like a credential rather than a word
# ("access_token: required key is missing" is a config message, not a leak).
_PAIR = re.compile(
    r"\b((?:access_|refresh_|security_|client_|api_?)?token|session_?id|sid|password|passwd|pwd|"
    r"(?:client_|consumer_)?secret|api_?key|private_key)(\\?[\"']?\s*[:=]\s*\\?[\"']?)"
    r"(?!\*\*\*|\$\{)([^\s\"'\\&,;}]+)", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z]{1,19}")

_lock = threading.Lock()
_config_secrets: set[str] = set()
_compiled: tuple[frozenset[str], re.Pattern[str] | None] = (frozenset(), None)


def remember_secrets(values: Iterable[str]) -> None:
    """Add secret values (from config interpolation) to what is masked from now on in this process."""
    found: set[str] = set()
    for value in values:
        if not isinstance(value, str):
            continue
        found.add(value)
        if "://" in value:   # a secret URL (a Slack webhook): its path alone is the secret in error texts
            parts = urlsplit(value.strip())
            tail = parts.path + (f"?{parts.query}" if parts.query else "")
            if len(parts.path) >= MIN_URL_PATH_SECRET:
                found |= {tail, parts.path}
    with _lock:
        _config_secrets.update(found)


def _variants(value: str, minimum: int) -> set[str]:
    found: set[str] = set()
    for base in {value, value.strip()}:
        if len(base.strip()) < minimum:
            continue
        found |= {base, repr(base)[1:-1], json.dumps(base)[1:-1], quote(base, safe=""), quote(base)}
    return {v for v in found if len(v) >= minimum}


def _env_secrets() -> set[str]:
    return {value for name, value in os.environ.items() if SECRET_ENV_NAME.search(name) and value}


def _literal_pattern() -> re.Pattern[str] | None:
    global _compiled
    env = _env_secrets()
    with _lock:
        key = frozenset(_config_secrets | {f"\0env\0{v}" for v in env})
        if key == _compiled[0]:
            return _compiled[1]
        literals: set[str] = set()
        for value in _config_secrets:
            literals |= _variants(value, MIN_CONFIG_SECRET)
        for value in env:
            literals |= _variants(value, MIN_ENV_SECRET)
        ordered = sorted(literals, key=len, reverse=True)
        pattern = re.compile("|".join(re.escape(v) for v in ordered)) if ordered else None
        _compiled = (key, pattern)
        return pattern


def redact(text: str) -> str:
    """`text` with every known secret value and every secret-looking token replaced by '***'."""
    if not text:
        return text
    literal = _literal_pattern()
    if literal is not None:
        text = literal.sub(MASK, text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return _PAIR.sub(_mask_pair, text)


def _mask_pair(match: re.Match[str]) -> str:
    if _WORD.fullmatch(match.group(3)):
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{MASK}"


def redact_value(value: object) -> object:
    """Strings redacted; lists, tuples and dicts walked; anything else returned as it is."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v) for v in value)
    return value


class RedactingFilter(logging.Filter):
    """Renders a record's message and traceback once, redacted, before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_prm_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: show it rather than lose the record
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = redact(message), ()
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._prm_redacted = True
        return True
