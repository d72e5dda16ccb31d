"""What went wrong on the wire, said so that an admin can act on it (shared by both connectors).

A certificate the client does not trust will not start being trusted on a retry: it is reported
at once (CrmUnavailable, exit 3) naming the host, the CA file in use and how to fix it. Other
transport failures keep being retried by the caller, but their message names the URL and the
underlying cause instead of a wrapper's class name ("MaxRetryError").
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from prm_sync.connector import CrmUnavailable


@dataclass(frozen=True)
class Endpoint:
    """Which CRM a connector talks to, and the CA bundle it verifies with (None: the system store)."""

    crm: str                 # "HubSpot", "Salesforce"
    url: str                 # the configured base/instance URL (login host for SOAP/JWT logins)
    ca_bundle: str | None
    ca_key: str              # the config key that sets the bundle, e.g. "crm.hubspot.ca_bundle"


def exception_chain(exc: BaseException) -> list[BaseException]:
    """`exc` and what it wraps: urllib3's `.reason`, `__cause__`, `__context__`, exception args."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 12:
        chain.append(current)
        nxt = getattr(current, "reason", None)
        if not isinstance(nxt, BaseException):
            nxt = current.__cause__ or current.__context__
        if nxt is None and current.args and isinstance(current.args[0], BaseException):
            nxt = current.args[0]
        current = nxt
    return chain


#: TLS errors of a connection cut short (a dropped or reset connection, an EOF mid-handshake): transient,
#: retried like any other dropped connection, never reported as a certificate problem
_CUT_SHORT = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError, ssl.SSLWantReadError,
              ssl.SSLWantWriteError)


def _about_certificate(text: str) -> bool:
    upper = text.upper()
    return "CERTIFICATE" in upper or "UNKNOWN_CA" in upper or "UNKNOWN CA" in upper


def certificate_error(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error at the bottom of `exc`, if the failure is the server's certificate (which a retry
    cannot fix). A connection cut short during or after the handshake is not one: it is retried."""
    chain = exception_chain(exc)
    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            return link
        if isinstance(link, ssl.SSLError) and not isinstance(link, _CUT_SHORT) and _about_certificate(str(link)):
            return link
    if any(isinstance(link, _CUT_SHORT) for link in chain):
        return None
    for link in chain:   # urllib3/requests SSLError wrapping only a message
        if type(link).__name__ == "SSLError" and _about_certificate(str(link)):
            return ssl.SSLError(str(link))
    return None


def failed_url(exc: BaseException, fallback: str) -> str:
    """The URL of the failed request (scheme://host:port/path) as far as the exception tells it."""
    for link in exception_chain(exc):
        request = getattr(link, "request", None)
        url = getattr(request, "url", None)
        if isinstance(url, str) and url:
            return url.split("?", 1)[0]
        pool = getattr(link, "pool", None)
        if pool is not None and getattr(pool, "host", None):
            path = getattr(link, "url", "") or ""
            return f"{pool.scheme}://{_host_port(pool.host, pool.port)}{path.split('?', 1)[0]}"
    return fallback


def _host_port(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port else shown


def root_cause(exc: BaseException) -> str:
    """The innermost cause, as `Type: message` (what a wrapper such as MaxRetryError hides)."""
    last = exception_chain(exc)[-1]
    text = str(last).strip()
    if "Caused by" in text:   # urllib3 puts the real cause inside the message
        text = text.split("Caused by", 1)[1].strip(" ()")
    return f"{type(last).__name__}: {text}" if text else type(last).__name__


def certificate_failure(endpoint: Endpoint, exc: BaseException, tls: ssl.SSLError) -> CrmUnavailable:
    url = failed_url(exc, endpoint.url)
    host = urlsplit(url).netloc or url
    reason = getattr(tls, "verify_message", None) or str(tls.reason or tls)
    if isinstance(tls, ssl.SSLCertVerificationError) and tls.verify_message:
        reason = f"certificate verify failed: {tls.verify_message}"
    elif "verify failed" not in reason and "CERTIFICATE_VERIFY_FAILED" in str(tls):
        reason = f"certificate verify failed: {reason}"
    trusted = (f"the CA file {endpoint.ca_bundle} ({endpoint.ca_key})" if endpoint.ca_bundle
               else f"the system CA store (no {endpoint.ca_key} is set)")
    return CrmUnavailable(
        f"{endpoint.crm}: the TLS certificate of {host} ({url}) is not trusted: {reason}. "
        f"Trusted: {trusted}. To fix: if {host} sits behind a TLS-inspecting proxy or is a sandbox, set "
        f"{endpoint.ca_key} to the PEM file of the CA that signed its certificate (relative to config.yaml); "
        "if the URL is wrong, correct it. Not retried: retrying cannot fix a certificate."
    )
