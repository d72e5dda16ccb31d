"""A third CRM with no edit under prm_sync/: MemCRM (site/memcrm, test-only) registers itself through
the same entry points a real CRM package uses (site/memcrm-0.1.dist-info/entry_points.txt), passes
the whole connector contract suite and runs a full `prm-sync sync` of partners through the CLI.

Both run in child processes whose PYTHONPATH holds site/: that is how an installed package is seen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAPPING = HERE / "mapping.yaml"
API_KEY = "mem-secret-key-5f1c"   # as harness_memcrm.API_KEY (that module needs memcrm installed)
ROOT = HERE.parents[2]
SITE = HERE / "site"
PRM_SYNC = Path(sys.executable).parent / "prm-sync"


def _env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join([str(SITE), str(ROOT), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, **extra}


def test_the_contract_suite_passes_on_a_third_crm() -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(HERE / "contract_memcrm.py")], cwd=ROOT, env=_env(), capture_output=True,
                          text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "16 passed" in done.stdout


def test_a_full_partner_sync_through_the_cli(tmp_path: Path) -> None:
    state_file = tmp_path / "memcrm.json"
    state_file.write_text(json.dumps({
        "api_key": API_KEY, "next_id": 3, "objects": {"partners": {
            "M000001": {"id": "M000001", "modstamp": "2026-11-26T21:27:34+00:00", "archived_at": None, "links": {},
                        "fields": {"kind": "partner", "name": "Công ty Đông Á", "tier": "gold", "status": "active"}},
            "M000002": {"id": "M000002", "modstamp": "2026-11-26T21:27:35+00:00", "archived_at": None, "links": {},
                        "fields": {"kind": "reseller", "name": "Not a partner"}},
        }}}, ensure_ascii=False), encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(
        "crm:\n  type: memcrm\n  memcrm:\n"
        f"    state_file: {state_file}\n    api_key: ${{MEMCRM_API_KEY}}\n"
        f"store:\n  url: sqlite:///{tmp_path / 'prm.db'}\n"
        f"mappings: {MAPPING}\n", encoding="utf-8")
    env = _env(MEMCRM_API_KEY=API_KEY)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(PRM_SYNC), "--config", str(config), *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, check=False, timeout=300)

    assert cli("check").returncode == 0, cli("check").stderr
    assert cli("db", "upgrade").returncode == 0
    added = cli("partners", "add", "Müller & Söhne GmbH", "--tier", "silver", "--status", "active")
    assert added.returncode == 0, added.stderr
    synced = cli("sync", "--entity", "partner")
    assert synced.returncode == 0, synced.stdout + synced.stderr

    crm = json.loads(state_file.read_text(encoding="utf-8"))["objects"]["partners"]
    pushed = [r for r in crm.values() if r["fields"].get("name") == "Müller & Söhne GmbH"]
    assert len(pushed) == 1 and pushed[0]["fields"]["kind"] == "partner" and pushed[0]["fields"]["prm_id"]
    assert pushed[0]["fields"]["tier"] == "silver"
    assert crm["M000001"]["fields"]["prm_id"]                 # the CRM's partner got its PRM id written back
    listed = json.loads(cli("partners", "list", "--format", "json").stdout)
    assert sorted(p["name"] for p in listed) == ["Công ty Đông Á", "Müller & Söhne GmbH"]
    again = cli("sync", "--entity", "partner")
    assert again.returncode == 0, again.stderr
    assert len(json.loads(state_file.read_text(encoding="utf-8"))["objects"]["partners"]) == 3
    assert API_KEY not in synced.stdout + synced.stderr + again.stdout + again.stderr
