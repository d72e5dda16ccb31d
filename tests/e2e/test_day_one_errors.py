"""Day one, as a new user follows the README: the sandbox's export lines work with the config `init`
wrote; no commission plan is said plainly (issue 21 item 8)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from prm_sync.cli.main import run

EXE = Path(sys.executable).with_name("prm-sync")


def _clean_env() -> dict[str, str]:
    names = ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_BASE_URL", "SF_INSTANCE_URL", "SF_SESSION_ID", "SF_CA_BUNDLE",
             "PRM_SYNC_CONFIG", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
    return {k: v for k, v in os.environ.items() if k not in names}


@pytest.mark.parametrize("crm", ["hubspot", "salesforce"])
def test_sandbox_export_lines_are_what_the_init_config_reads(crm: str, tmp_path: Path) -> None:
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _clean_env()
    subprocess.run([str(EXE), "init", "--crm", crm, str(site)], check=True, env=env, capture_output=True)
    sandbox = subprocess.Popen([str(EXE), "sandbox", "--crm", crm, "--dir", "sandbox-files"], cwd=elsewhere,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert sandbox.stderr is not None
        exports = []
        for line in sandbox.stderr:       # the sandbox says how to point prm-sync at it, then serves
            if line.strip().startswith("export "):
                exports.append(line.strip())
            if "Ctrl-C to stop" in line:
                break
        names = {re.match(r"export (\w+)=", e).group(1) for e in exports}   # type: ignore[union-attr]
        config_reads = set(re.findall(r"\$\{(\w+)", (site / "config.yaml").read_text(encoding="utf-8")))
        assert names == config_reads, (names, config_reads)
        script = "\n".join([*exports, f'exec "{EXE}" --config config.yaml check --online'])
        done = subprocess.run(["bash", "-c", script], cwd=site, env=env, capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "against the CRM: ok" in done.stdout
    finally:
        sandbox.send_signal(signal.SIGTERM)
        sandbox.wait(timeout=30)


def test_commissions_calculate_without_a_plan_says_where_to_add_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-x")
    assert run(["init", "--crm", "hubspot", "."]) == 0
    capsys.readouterr()
    code = run(["commissions", "calculate"])
    err = capsys.readouterr().err
    assert code == 2
    assert "config.yaml: commissions.plans: no commission plan is configured" in err
    assert "top-level `commissions:` section" in err and "config.example.yaml" in err
    # check says ok, and warns
    code = run(["check"])
    out = capsys.readouterr().out
    assert code == 0
    assert "config.yaml: commissions.plans: warning: no commission plan is configured" in out
    # an empty commissions section: named at its line
    with (tmp_path / "config.yaml").open("a", encoding="utf-8") as config:
        config.write("commissions:\n  rounding: half_up\n")
    line = len((tmp_path / "config.yaml").read_text(encoding="utf-8").splitlines()) - 1
    assert run(["commissions", "calculate"]) == 2
    assert f"config.yaml:{line}: commissions.plans: no commission plan is configured: add a plan under " \
           "commissions.plans" in capsys.readouterr().err


def test_an_unknown_currency_on_the_command_line_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["init", "--crm", "hubspot", "."]) == 0
    assert run(["partners", "add", "Oelwerk GmbH"]) == 0
    capsys.readouterr()
    code = run(["leads", "register", "--partner", "Oelwerk GmbH", "--company", "Globex", "--contact", "Hank Scorpio",
                "--value", "100", "--currency", "XYZ"])
    assert code == 2
    assert "'XYZ' is not an ISO 4217 currency code" in capsys.readouterr().err
