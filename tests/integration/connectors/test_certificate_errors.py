"""A certificate the client does not trust: one attempt, then a message naming host, CA file and fix.

The emulators are served over TLS with their own CA (connectors/emulator_kit/tls.py); the client
trusts either the system store or another CA. The retry policy's sleeps are recorded: a retried
call would sleep between attempts.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

from connectors.emulator_kit.tls import make_tls_material
from connectors.hubspot.emulator import HubSpotEmulator
from connectors.salesforce.emulator import SalesforceEmulator
from prm_sync.cli.main import run
from prm_sync.config import Config
from prm_sync.connector import RetryPolicy
from prm_sync.errors import CrmUnavailable
from prm_sync.mapping import load_mapping

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module", params=["hubspot", "salesforce"])
def tls_emulator(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tls_dir = tmp_path_factory.mktemp("tls")
    emulator: Any = (HubSpotEmulator(tls=True, tls_dir=tls_dir) if request.param == "hubspot"
                     else SalesforceEmulator(tls_dir=tls_dir))
    emulator.crm = request.param
    emulator.start("127.0.0.1", 0)
    assert emulator.base_url.startswith("https://")
    yield emulator
    emulator.stop()


def section(emulator: Any, ca_bundle: str | None) -> dict[str, Any]:
    base: dict[str, Any] = ({"access_token": "pat-x", "base_url": emulator.base_url} if emulator.crm == "hubspot"
                            else {"instance_url": emulator.base_url, "session_id": emulator.session_id})
    if ca_bundle:
        base["ca_bundle"] = ca_bundle
    return base


@pytest.mark.parametrize("trust", ["system store", "another CA"])
def test_an_untrusted_certificate_is_not_retried_and_says_how_to_fix(
    tls_emulator: Any, trust: str, tmp_path: Path
) -> None:
    other_ca = str(make_tls_material(tmp_path / "other")[1]) if trust == "another CA" else None
    crm = tls_emulator.crm
    config = Config.model_validate({"crm": {"type": crm, crm: section(tls_emulator, other_ca)},
                                    "mappings": "m.yaml"})
    sleeps: list[float] = []
    (entry,) = entry_points(group="prm_sync.connectors", name=crm)
    connector = entry.load()(config, retry=RetryPolicy(sleep=sleeps.append))
    mapper = next(iter(load_mapping(ROOT / "mappings" / f"{crm}.yaml").entities.values()))
    try:
        with pytest.raises(CrmUnavailable) as caught:
            connector.describe(mapper)
    finally:
        connector.close()
    assert sleeps == [], "a certificate failure was retried"
    message = str(caught.value)
    host = tls_emulator.base_url.split("://")[1].rstrip("/")
    assert host in message
    assert "certificate" in message and "verify failed" in message
    assert (other_ca in message) if other_ca else ("system" in message)
    assert f"crm.{crm}.ca_bundle" in message
    assert "after 6 attempts" not in message


def test_check_online_reports_the_certificate_failure_with_exit_3(
    tls_emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = tls_emulator.crm
    make_tls_material(tmp_path / "other")
    values = section(tls_emulator, "other/emulator-ca.pem")     # relative to the config file
    secret = "access_token" if crm == "hubspot" else "session_id"
    monkeypatch.setenv("PRM_TEST_CRM_SECRET", values.pop(secret))
    lines = [f"crm:\n  type: {crm}\n  {crm}:", f'    {secret}: "${{PRM_TEST_CRM_SECRET}}"']
    lines += [f"    {key}: {value}" for key, value in values.items()]
    (tmp_path / "config.yaml").write_text("\n".join(lines) + f"\nmappings: {ROOT / 'mappings' / f'{crm}.yaml'}\n")
    code = run(["--config", str(tmp_path / "config.yaml"), "check", "--online"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert str((tmp_path / "other" / "emulator-ca.pem").resolve()) in err
    assert "Traceback" not in err


@pytest.mark.parametrize("crm", ["hubspot", "salesforce"])
def test_an_unreachable_crm_names_the_url_and_the_underlying_cause(crm: str) -> None:
    import socket

    with socket.socket() as probe:     # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"https://127.0.0.1:{port}"
    values = ({"access_token": "pat-x", "base_url": url} if crm == "hubspot"
              else {"instance_url": url, "session_id": "00Dx"})
    config = Config.model_validate({"crm": {"type": crm, crm: values}, "mappings": "m.yaml"})
    sleeps: list[float] = []
    (entry,) = entry_points(group="prm_sync.connectors", name=crm)
    connector = entry.load()(config, retry=RetryPolicy(attempts=3, sleep=sleeps.append))
    mapper = next(iter(load_mapping(ROOT / "mappings" / f"{crm}.yaml").entities.values()))
    try:
        with pytest.raises(CrmUnavailable) as caught:
            connector.describe(mapper)
    finally:
        connector.close()
    message = str(caught.value)
    assert len(sleeps) == 2          # a refused connection is worth retrying
    assert f"127.0.0.1:{port}/" in message and "Connection refused" in message, message
    assert not message.endswith("MaxRetryError")
