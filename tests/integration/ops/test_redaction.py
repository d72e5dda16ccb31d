"""Redaction: secret values and secret-looking text are masked in text, log records and tracebacks."""

from __future__ import annotations

import io
import json
import logging

import pytest

from prm_sync.ops.logsetup import RUN_ID, configure_logging
from prm_sync.util.redact import MASK, RedactingFilter, redact, remember_secrets

SF_SESSION = "00D5g000004ABcd!AQ8AQJ3kLm.nOpQrStUvWxYz0123456789abcdefGHIJ"
HS_TOKEN = "pat-na1-1a2b3c4d-5e6f-7a8b-9c0d-ef1234567890"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234\nabcd==\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(("text", "secret"), [
    (f"Authorization: Bearer {HS_TOKEN}", HS_TOKEN),
    ("Authorization: Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl"),
    (f"session {SF_SESSION} expired", SF_SESSION),
    (f"token={HS_TOKEN}&x=1", HS_TOKEN),
    (f"key file: {PEM} end", "MIIEowIBAAKCAQEA1234"),
    ('{"password": "hunter2hunter2"}', "hunter2hunter2"),
    ("security_token='Zz9Yy8Xx7'", "Zz9Yy8Xx7"),
    ("postgresql+psycopg://app:s3cr3tpw@db.example.com/prm", "s3cr3tpw"),
    ("client_secret: ABCDEF123456", "ABCDEF123456"),
])
def test_patterns_are_masked(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert MASK in out


def test_remembered_secret_is_masked_in_every_escaped_form() -> None:
    secret = "plain-secret value/with?chars\n"
    remember_secrets([secret])
    for shown in (secret, secret.strip(), repr(secret), json.dumps(secret), "x=plain-secret%20value%2Fwith%3Fchars"):
        assert "plain-secret" not in redact(f"before {shown} after"), shown


def test_secret_named_environment_variables_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_API_KEY", "k3y-from-the-env-42")
    monkeypatch.setenv("HOME_DIRECTORY_HINT", "not-a-secret-value")
    assert redact("got k3y-from-the-env-42 and not-a-secret-value") == "got *** and not-a-secret-value"


def test_ordinary_text_and_config_hints_are_left_alone() -> None:
    text = ('config.yaml:4: crm.hubspot.access_token: secrets come from the environment: write access_token: '
            '"${YOUR_VARIABLE}"; 12 partners pushed, token refresh ok')
    assert redact(text) == text


def test_log_record_message_args_and_traceback_are_redacted() -> None:
    stream = io.StringIO()
    configure_logging("json", verbose=1, quiet=False, stream=stream)
    token = RUN_ID.set("run-abc")
    try:
        raise ValueError(f"Invalid header value b'Bearer {HS_TOKEN}\\n'")
    except ValueError:
        logging.getLogger("prm_sync.test").exception("call failed for %s", SF_SESSION, extra={"note": HS_TOKEN})
    finally:
        RUN_ID.reset(token)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 1
    record = lines[0]
    assert record["run_id"] == "run-abc" and record["level"] == "error"
    assert "ValueError" in record["exc"] and "Traceback" in record["exc"]
    for secret in (HS_TOKEN, SF_SESSION):
        assert secret not in stream.getvalue()
    assert record["note"] == MASK


def test_text_format_has_run_id_and_redacts() -> None:
    stream = io.StringIO()
    configure_logging("text", verbose=0, quiet=False, stream=stream)
    token = RUN_ID.set("run-xyz")
    try:
        logging.getLogger("prm_sync.test").info("header Bearer %s", HS_TOKEN)
        logging.getLogger("prm_sync.test").debug("hidden at INFO")
    finally:
        RUN_ID.reset(token)
    out = stream.getvalue()
    assert "[run-xyz] prm_sync.test: header Bearer ***" in out
    assert "hidden" not in out and HS_TOKEN not in out


def test_filter_works_on_foreign_handlers() -> None:
    record = logging.LogRecord("urllib3", logging.DEBUG, __file__, 1, "sent %s", (f"Bearer {HS_TOKEN}",), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "sent Bearer ***"
