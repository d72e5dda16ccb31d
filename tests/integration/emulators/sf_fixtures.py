"""Salesforce emulator fixtures: an HTTPS emulator per test and a real simple-salesforce client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce

from connectors.salesforce.emulator import SalesforceEmulator

__all__ = ["make_sf_client", "make_sf_session", "sf", "sf_emulator", "sf_session", "sf_tls_dir"]


@pytest.fixture(scope="session")
def sf_tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One CA + server certificate for the whole run (made once, reused by every emulator)."""
    return tmp_path_factory.mktemp("sf-tls")


@pytest.fixture
def sf_emulator(sf_tls_dir: Path) -> Iterator[SalesforceEmulator]:
    emulator = SalesforceEmulator(tls_dir=sf_tls_dir)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


def make_sf_session(emulator: SalesforceEmulator) -> requests.Session:
    """A session trusting the emulator's CA. ``trust_env = False`` because REQUESTS_CA_BUNDLE
    in the environment would otherwise beat ``session.verify``."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(emulator.ca_path)
    return session


@pytest.fixture
def sf_session(sf_emulator: SalesforceEmulator) -> requests.Session:
    return make_sf_session(sf_emulator)


def make_sf_client(emulator: SalesforceEmulator, session: requests.Session | None = None,
                   version: str = "62.0") -> Salesforce:
    return Salesforce(instance_url=emulator.base_url, session_id=emulator.session_id,
                      session=session or make_sf_session(emulator), version=version)


@pytest.fixture
def sf(sf_emulator: SalesforceEmulator, sf_session: requests.Session) -> Salesforce:
    return make_sf_client(sf_emulator, sf_session)
