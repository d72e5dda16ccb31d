"""Logins (SOAP, OAuth password, JWT bearer) and session expiry with simple-salesforce."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceExpiredSession

from connectors.salesforce.emulator import AuthConfig, SalesforceEmulator


def test_soap_login_with_security_token(sf_emulator: SalesforceEmulator,
                                        sf_session: requests.Session) -> None:
    sf = Salesforce(username="prm@example.com", password="secret", security_token="TOKEN",
                    domain=sf_emulator.login_domain, session=sf_session)
    assert sf.sf_instance == sf_emulator.instance
    assert sf.session_id != sf_emulator.session_id
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0


def test_soap_login_wrong_password_is_invalid_login(sf_emulator: SalesforceEmulator,
                                                    sf_session: requests.Session) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as info:
        Salesforce(username="prm@example.com", password="wrong", security_token="TOKEN",
                   domain=sf_emulator.login_domain, session=sf_session)
    assert info.value.code == "INVALID_LOGIN"


def test_fragment_domain_trick_also_works(sf_emulator: SalesforceEmulator,
                                          sf_session: requests.Session) -> None:
    sf = Salesforce(username="prm@example.com", password="secret", security_token="TOKEN",
                    domain=f"{sf_emulator.instance}#", session=sf_session)
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 0


def test_oauth_password_grant(sf_emulator: SalesforceEmulator,
                              sf_session: requests.Session) -> None:
    sf = Salesforce(username="prm@example.com", password="secretTOKEN",
                    consumer_key="emulator-consumer-key",
                    consumer_secret="emulator-consumer-secret",
                    domain=sf_emulator.login_domain, session=sf_session)
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 0
    with pytest.raises(SalesforceAuthenticationFailed) as info:
        Salesforce(username="prm@example.com", password="nope",
                   consumer_key="emulator-consumer-key",
                   consumer_secret="emulator-consumer-secret",
                   domain=sf_emulator.login_domain, session=sf_session)
    assert info.value.code == "invalid_grant"


def _rsa_key_and_cert(directory: Path) -> tuple[Path, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jwt-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    key_path = directory / "jwt.key"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return key_path, cert.public_bytes(serialization.Encoding.PEM)


def test_jwt_bearer_verifies_signature(tmp_path: Path, sf_tls_dir: Path) -> None:
    key_path, cert_pem = _rsa_key_and_cert(tmp_path)
    config = AuthConfig(jwt_public_key=cert_pem)
    with SalesforceEmulator(tls_dir=sf_tls_dir, auth_config=config) as emulator:
        session = requests.Session()
        session.trust_env = False
        session.verify = str(emulator.ca_path)
        sf = Salesforce(username="prm@example.com", consumer_key="emulator-consumer-key",
                        privatekey_file=str(key_path), domain=emulator.login_domain,
                        session=session)
        assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0
        wrong = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = wrong.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()).decode()
        with pytest.raises(SalesforceAuthenticationFailed):
            Salesforce(username="prm@example.com", consumer_key="emulator-consumer-key",
                       privatekey=pem, domain=emulator.login_domain, session=session)


def test_expired_session_answers_401(sf: Salesforce, sf_emulator: SalesforceEmulator) -> None:
    sf.query("SELECT Id FROM Account")
    assert sf_emulator.expire_session(sf_emulator.session_id) == 1
    with pytest.raises(SalesforceExpiredSession) as info:
        sf.query("SELECT Id FROM Account")
    assert info.value.content == [{"message": "Session expired or invalid",
                                   "errorCode": "INVALID_SESSION_ID"}]


def test_login_client_relogs_after_admin_expiry(sf_emulator: SalesforceEmulator,
                                                sf_session: requests.Session) -> None:
    sf = Salesforce(username="prm@example.com", password="secret", security_token="TOKEN",
                    domain=sf_emulator.login_domain, session=sf_session)
    first = sf.session_id
    expired = sf_session.post(f"{sf_emulator.base_url}/__admin__/sessions/expire", json={})
    assert expired.json()["expired"] >= 1
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0
    assert sf.session_id != first
