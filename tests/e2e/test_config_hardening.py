"""config.yaml and mapping files cannot exhaust the machine, smuggle a secret or send one in clear.

Each refusal is exit 2 with FILE:LINE (issue 15 items 4, 6, 7; issue 21 item 8's YAML messages).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from prm_sync.cli.main import run
from prm_sync.yamlsource import MAX_YAML_BYTES

ALIAS_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
HUBSPOT_HEAD = 'crm:\n  type: hubspot\n  hubspot:\n    access_token: "${HUBSPOT_ACCESS_TOKEN}"\n'


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-test-token")
    monkeypatch.delenv("PRM_UNSET_SECRET", raising=False)


def check(capsys: pytest.CaptureFixture[str], config: Path, *extra: str) -> tuple[int, str]:
    code = run(["--config", str(config), "check", *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert "pat-test-token" not in out + err
    return code, err


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ----- resources (issue 15 item 4) --------------------------------------------------------------
def test_alias_bomb_in_config_is_refused_at_its_first_anchor(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    config = write(tmp_path / "config.yaml", HUBSPOT_HEAD + "mappings: m.yaml\n" + ALIAS_BOMB)
    code, err = check(capsys, config)
    assert code == 2
    assert f"{config}:6: " in err and "anchors and aliases are not allowed" in err


def test_alias_bomb_in_mapping_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = write(tmp_path / "m.yaml", "version: 1\ncrm: hubspot\n" + ALIAS_BOMB)
    config = write(tmp_path / "config.yaml", HUBSPOT_HEAD + f"mappings: {mapping}\n")
    code, err = check(capsys, config)
    assert code == 2
    assert f"{mapping}:3: " in err and "anchors and aliases are not allowed" in err


def test_a_merge_key_alias_is_refused_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path / "config.yaml", HUBSPOT_HEAD + "mappings: m.yaml\nx: &base {a: 1}\ny:\n  <<: *base\n")
    code, err = check(capsys, config)
    assert code == 2 and f"{config}:6: " in err


def test_mappings_dev_zero_is_refused_naming_the_config_line(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path / "config.yaml", HUBSPOT_HEAD + "store: {url: 'sqlite:///x.db'}\nmappings: /dev/zero\n")
    code, err = check(capsys, config)
    assert code == 2
    assert "/dev/zero: not a regular file" in err
    assert f"{config}:6: mappings:" in err


def test_config_dev_zero_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = check(capsys, Path("/dev/zero"))
    assert code == 2 and "/dev/zero: not a regular file" in err


def test_a_fifo_is_refused_without_blocking(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "mapping.fifo"
    os.mkfifo(fifo)   # opening it for reading would wait for a writer forever
    config = write(tmp_path / "config.yaml", HUBSPOT_HEAD + f"mappings: {fifo}\n")
    code, err = check(capsys, config)
    assert code == 2 and f"{fifo}: not a regular file" in err


def test_a_huge_file_is_refused_by_its_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    huge = write(tmp_path / "m.yaml", "version: 1\n" + "# padding\n" * (MAX_YAML_BYTES // 10 + 1))
    config = write(tmp_path / "config.yaml", HUBSPOT_HEAD + f"mappings: {huge}\n")
    code, err = check(capsys, config)
    assert code == 2
    assert f"{huge}: larger than 1 MiB" in err and f"{config}:5: mappings:" in err
    big_config = write(tmp_path / "big.yaml", HUBSPOT_HEAD + "mappings: m.yaml\n" + "#\n" * (MAX_YAML_BYTES // 2))
    code, err = check(capsys, big_config)
    assert code == 2 and f"{big_config}: larger than 1 MiB" in err


def test_missing_mapping_names_the_config_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path / "config.yaml", HUBSPOT_HEAD + "sync: {conflict: crm_wins}\nmappings: nope/hub.yaml\n")
    code, err = check(capsys, config)
    assert code == 2
    assert "nope/hub.yaml: file not found" in err
    assert f"{config}:6: mappings: the mapping file" in err


# ----- YAML syntax errors a person can act on (issue 21 item 8) ------------------------------------
def test_indentation_slip_is_reported_at_its_own_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = HUBSPOT_HEAD + "mappings: m.yaml\nstore:\n  url: sqlite:///prm.db\n\nsync:\n  entities: [partner]\n"
    body += "".join(f"  # note {n}\n" for n in range(11, 20)) + "  conflict: crm_wins\n"
    body += " lookback_seconds: 30\n"    # line 21: one space too few (the parser's context is line 1)
    config = write(tmp_path / "config.yaml", body)
    assert body.splitlines()[20].startswith(" lookback")
    code, err = check(capsys, config)
    assert code == 2
    message = err.split(f"{config}:21: ", 1)[-1]
    assert f"{config}:21: " in err, err
    assert "indentation does not fit" in message and "<block" not in message


def test_a_tab_is_told_to_use_spaces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path / "config.yaml", "crm:\n\ttype: hubspot\n")
    code, err = check(capsys, config)
    assert code == 2 and f"{config}:2: " in err
    assert "use spaces" in err.split(f"{config}:2: ", 1)[-1]


# ----- secrets only from the environment (issue 15 item 6) -----------------------------------------
@pytest.mark.parametrize("head", [
    'crm:\n  type: hubspot\n  hubspot:\n    access_token: "${PRM_UNSET_SECRET:-Zq9literalsecret}"\n',
    'crm:\n  type: salesforce\n  salesforce:\n    session_id: "${PRM_UNSET_SECRET:-00Dliteral}"\n'
    '    instance_url: https://x.my.salesforce.com\n',
])
def test_a_default_on_a_secret_key_is_refused(head: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path / "config.yaml", head + "mappings: m.yaml\n")
    code, err = check(capsys, config)
    assert code == 2
    assert f"{config}:4: " in err and "no default" in err
    assert "Zq9literal" not in err and "00Dliteral" not in err


def test_a_default_on_the_webhook_url_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path / "config.yaml", HUBSPOT_HEAD + "mappings: m.yaml\nalerts:\n"
                   "  webhook_url: \"${PRM_UNSET_SECRET:-https://hooks.example.com/T0/B0/xyz}\"\n")
    code, err = check(capsys, config)
    assert code == 2 and f"{config}:7: alerts.webhook_url" in err and "hooks.example.com" not in err


def test_secret_keys_are_marked_in_the_schema_itself() -> None:
    from prm_sync.config import Config, secret_keys

    names = secret_keys(Config)
    assert {"access_token", "session_id", "password", "security_token", "webhook_url"} <= names
    assert "base_url" not in names and "username" not in names


# ----- clear text refused (issue 15 item 7) --------------------------------------------------------
@pytest.mark.parametrize("url", ["http://api.hubapi.com", "http://10.0.0.5:8080", "http://[2001:db8::1]/"])
def test_http_to_a_remote_host_is_refused(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path / "config.yaml", HUBSPOT_HEAD + f"    base_url: {url}\nmappings: m.yaml\n")
    code, err = check(capsys, config)
    assert code == 2 and f"{config}:5: crm.hubspot.base_url" in err and "https" in err


def test_http_to_salesforce_and_the_webhook_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SF_SESSION_ID", "00Dsecret")
    monkeypatch.setenv("HOOK", "http://hooks.example.com/x")
    config = write(tmp_path / "config.yaml", 'crm:\n  type: salesforce\n  salesforce:\n'
                   '    session_id: "${SF_SESSION_ID}"\n    instance_url: http://x.my.salesforce.com\n'
                   'mappings: m.yaml\nalerts:\n  webhook_url: "${HOOK}"\n')
    code, err = check(capsys, config)
    assert code == 2
    assert f"{config}:5: crm.salesforce.instance_url" in err
    assert f"{config}:8: alerts.webhook_url" in err and "hooks.example.com" not in err


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://127.5.0.1", "http://localhost:9",
                                 "http://[::1]:8080"])
def test_http_to_loopback_is_allowed(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = Path(__file__).parents[2] / "mappings" / "hubspot.yaml"
    config = write(tmp_path / "config.yaml", HUBSPOT_HEAD + f"    base_url: '{url}'\nmappings: {mapping}\n")
    code, err = check(capsys, config)
    assert code == 0, err


# ----- ca_bundle (issue 21 item 8) -----------------------------------------------------------------
def test_ca_bundle_is_relative_to_the_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.emulator_kit.tls import make_tls_material
    from prm_sync.config import load_config

    make_tls_material(tmp_path / "site" / "tls")
    mapping = Path(__file__).parents[2] / "mappings" / "hubspot.yaml"
    write(tmp_path / "site" / "config.yaml", HUBSPOT_HEAD + "    ca_bundle: tls/emulator-ca.pem\n"
                   f"mappings: {mapping}\n")
    monkeypatch.chdir(tmp_path)      # not the config's directory
    code, err = check(capsys, Path("site/config.yaml"))
    assert code == 0, err
    loaded = load_config(Path("site/config.yaml"))
    assert loaded.crm.hubspot is not None
    assert loaded.crm.hubspot.ca_bundle == str((tmp_path / "site" / "tls" / "emulator-ca.pem").resolve())


@pytest.mark.parametrize("problem", ["missing", "unreadable", "not PEM"])
def test_a_bad_ca_bundle_is_exit_2_at_its_line(problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                               ) -> None:
    bundle = tmp_path / "ca.pem"
    if problem == "unreadable":
        bundle.mkdir()               # a directory: root can read any file, not a directory as a file
    elif problem == "not PEM":
        bundle.write_text("hello\n")
    config = write(tmp_path / "config.yaml", 'crm:\n  type: salesforce\n  salesforce:\n'
                   '    session_id: "${HUBSPOT_ACCESS_TOKEN}"\n    instance_url: https://x.my.salesforce.com\n'
                   "    ca_bundle: ca.pem\nmappings: m.yaml\n")
    code, err = check(capsys, config)
    assert code == 2, err
    assert f"{config}:6: crm.salesforce.ca_bundle: CA bundle" in err
    assert "internal error" not in err
