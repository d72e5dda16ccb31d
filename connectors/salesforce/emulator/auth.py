"""Sessions and logins of the Salesforce emulator: SOAP login, OAuth password and JWT grants.

Pointing simple-salesforce's login at the emulator: it builds login URLs by formatting
``https://{domain}.salesforce.com/services/...``. Pass ``domain=f"127.0.0.1:{port}?"``
(see ``SalesforceEmulator.login_domain``): the URL becomes
``https://127.0.0.1:PORT?.salesforce.com/services/Soap/u/62.0``, i.e. path ``/`` with the
real path pushed into the query string. The emulator routes ``POST /`` by that query string
(or, with a ``#`` suffix instead of ``?``, by the body: SOAP envelope vs form). The issued
``serverUrl`` / ``instance_url`` point back at the emulator, so later REST calls go to it.
"""

from __future__ import annotations

import secrets
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import jwt
from werkzeug.wrappers import Request, Response

from connectors.emulator_kit import json_response

FIXED_SESSION_ID = "00D8d0000000001!AQEmulatorFixedSessionId"
ORG_ID = "00D8d0000000001EAA"
USER_ID = "0058d0000000001AAA"
_SOAP_NS = "urn:partner.soap.sforce.com"


@dataclass
class AuthConfig:
    """Who may log in: users map username -> password+security token (concatenated)."""

    users: dict[str, str] = field(
        default_factory=lambda: {"prm@example.com": "secretTOKEN"}
    )
    consumer_key: str = "emulator-consumer-key"
    consumer_secret: str = "emulator-consumer-secret"
    jwt_public_key: str | bytes | None = None   # PEM public key or certificate for jwt-bearer
    fixed_session_id: str | None = FIXED_SESSION_ID


class Sessions:
    def __init__(self, config: AuthConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._live: dict[str, str] = {}
        if config.fixed_session_id:
            self._live[config.fixed_session_id] = "fixed"

    def issue(self, username: str) -> str:
        token = f"{ORG_ID[:15]}!AQ{secrets.token_urlsafe(40)}"
        with self._lock:
            self._live[token] = username
        return token

    def valid(self, token: str) -> bool:
        with self._lock:
            return token in self._live

    def expire(self, token: str | None = None) -> int:
        """Expire one session (or all when None); returns how many were expired."""
        with self._lock:
            if token is None:
                count = len(self._live)
                self._live.clear()
                return count
            return 1 if self._live.pop(token, None) is not None else 0

    def check(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() in ("bearer", "oauth") and self.valid(token.strip())


def invalid_session() -> Response:
    return json_response(
        [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], 401
    )


def _soap_fault(code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:sf="urn:fault.partner.soap.sforce.com" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>sf:{code}</faultcode><faultstring>{code}: {message}</faultstring>"
        '<detail><sf:LoginFault xsi:type="sf:LoginFault">'
        f"<sf:exceptionCode>{code}</sf:exceptionCode>"
        f"<sf:exceptionMessage>{message}</sf:exceptionMessage>"
        "</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return Response(body, status=500, content_type="text/xml;charset=UTF-8")


def soap_login(request: Request, sessions: Sessions, base_url: str, version: str) -> Response:
    try:
        root = ET.fromstring(request.get_data())
    except ET.ParseError:
        return _soap_fault("INVALID_LOGIN", "Invalid username, password, security token; "
                                            "or user locked out.")
    username = root.findtext(f".//{{{_SOAP_NS}}}username") or ""
    password = root.findtext(f".//{{{_SOAP_NS}}}password") or ""
    if sessions.config.users.get(username.strip()) != password.strip():
        return _soap_fault("INVALID_LOGIN", "Invalid username, password, security token; "
                                            "or user locked out.")
    token = sessions.issue(username)
    server_url = f"{base_url}/services/Soap/u/{version}/{ORG_ID[:15]}"
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns="{_SOAP_NS}"><soapenv:Body><loginResponse><result>'
        f"<metadataServerUrl>{base_url}/services/Soap/m/{version}/{ORG_ID[:15]}"
        "</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>true</sandbox>"
        f"<serverUrl>{server_url}</serverUrl><sessionId>{token}</sessionId>"
        f"<userId>{USER_ID}</userId><userInfo><organizationId>{ORG_ID}</organizationId>"
        f"<userName>{username}</userName></userInfo></result></loginResponse>"
        "</soapenv:Body></soapenv:Envelope>"
    )
    return Response(body, status=200, content_type="text/xml;charset=UTF-8")


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)


def _token_response(sessions: Sessions, username: str, base_url: str) -> Response:
    token = sessions.issue(username)
    return json_response({
        "access_token": token, "instance_url": base_url,
        "id": f"{base_url}/id/{ORG_ID}/{USER_ID}", "token_type": "Bearer",
        "issued_at": "0", "signature": "emulator",
    })


def oauth_token(request: Request, sessions: Sessions, base_url: str) -> Response:
    form = request.form
    grant = form.get("grant_type", "")
    config = sessions.config
    if grant == "password":
        if (form.get("client_id") != config.consumer_key
                or form.get("client_secret") != config.consumer_secret):
            return _oauth_error("invalid_client_id", "client identifier invalid")
        username = form.get("username", "")
        if config.users.get(username) != form.get("password"):
            return _oauth_error("invalid_grant", "authentication failure")
        return _token_response(sessions, username, base_url)
    if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
        return _jwt_grant(form.get("assertion", ""), sessions, base_url)
    return _oauth_error("unsupported_grant_type", "grant type not supported")


def _jwt_grant(assertion: str, sessions: Sessions, base_url: str) -> Response:
    config = sessions.config
    if not config.jwt_public_key:
        return _oauth_error("invalid_grant", "no public key configured for JWT bearer flow")
    key: Any = config.jwt_public_key
    if isinstance(key, str):
        key = key.encode()
    if b"BEGIN CERTIFICATE" in key:
        from cryptography import x509

        key = x509.load_pem_x509_certificate(key).public_key()
    try:
        claims = jwt.decode(assertion, key, algorithms=["RS256"],
                            options={"verify_aud": False, "require": ["exp", "sub", "iss"]})
    except jwt.PyJWTError as exc:
        return _oauth_error("invalid_grant", f"invalid assertion: {exc}")
    if claims.get("iss") != config.consumer_key:
        return _oauth_error("invalid_client_id", "client identifier invalid")
    if claims.get("sub") not in config.users:
        return _oauth_error("invalid_grant", "user hasn't approved this consumer")
    return _token_response(sessions, claims["sub"], base_url)
