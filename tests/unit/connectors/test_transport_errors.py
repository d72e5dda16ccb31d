"""A certificate failure is final; a TLS connection cut short is a dropped connection, retried."""

from __future__ import annotations

import ssl

import requests
import urllib3

from connectors.transport_errors import certificate_error


def _wrapped(inner: BaseException) -> requests.exceptions.SSLError:
    """How requests reports a TLS failure: its SSLError around urllib3's MaxRetryError around the ssl error."""
    pool_error = urllib3.exceptions.MaxRetryError(None, "/services/data", urllib3.exceptions.SSLError(inner))  # type: ignore[arg-type]  # no pool: a test
    return requests.exceptions.SSLError(pool_error)


def test_an_untrusted_certificate_is_a_certificate_error() -> None:
    verify = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    assert certificate_error(_wrapped(verify)) is verify


def test_an_eof_in_the_handshake_is_not_a_certificate_error() -> None:
    # seen when a server drops the connection mid-request (the emulator's dropped-connection fault)
    eof = ssl.SSLEOFError(8, "EOF occurred in violation of protocol (_ssl.c:2427)")
    assert certificate_error(_wrapped(eof)) is None


def test_a_reset_is_not_a_certificate_error() -> None:
    assert certificate_error(_wrapped(ssl.SSLZeroReturnError(6, "TLS/SSL connection has been closed"))) is None
    assert certificate_error(_wrapped(ssl.SSLSyscallError(5, "Some I/O error occurred"))) is None


def test_a_message_only_wrapper_naming_the_certificate_still_counts() -> None:
    only_text = requests.exceptions.SSLError("HTTPSConnectionPool: certificate verify failed: unable to get issuer")
    assert certificate_error(only_text) is not None
