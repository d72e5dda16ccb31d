"""The README's "Getting started" block works literally, line by line, in bash from the top of a clone:
`make install`, `source .venv/bin/activate` (prm-sync on PATH), `init`, `cd prm`, check, sync.

What a test cannot do literally, and what it does instead:
- a real org: the `export SF_INSTANCE_URL=… SF_SESSION_ID=…` line gets the Salesforce sandbox's values
  (and SF_CA_BUNDLE, the sandbox's own CA, which the config `init` writes reads);
- `make install` in a fresh clone creates a virtualenv from the package index: the test checks with
  `make -n` that the target creates .venv and installs prm-sync there, then uses the venv `make test`
  runs in (symlinked as the clone's .venv).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from prm_sync.sandbox import start_sandbox

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent


def getting_started_block() -> list[str]:
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    section = readme.split("## Getting started", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_make_install_creates_the_venv_with_prm_sync(tmp_path: Path) -> None:
    assert "make install" in getting_started_block()[0]
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    plan = subprocess.run(["make", "-n", "install"], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert "-m venv .venv" in plan and "pip install" in plan and "-e '.[dev]'" in plan


def test_getting_started_works_literally(tmp_path: Path) -> None:
    lines = getting_started_block()
    assert any(line.startswith("source .venv/bin/activate") for line in lines)
    clone = tmp_path / "clone"
    clone.mkdir()
    (clone / ".venv").symlink_to(VENV)
    sandbox = start_sandbox("salesforce", generate=5, workdir=tmp_path / "sandbox")
    try:
        script = ["set -euo pipefail"]
        for line in lines:
            command = line.split("#", 1)[0].strip()
            if command == "make install":
                continue  # checked by test_make_install_creates_the_venv_with_prm_sync
            if command.startswith("export SF_INSTANCE_URL="):
                env = {**sandbox.env, "SF_CA_BUNDLE": str(sandbox.emulator.ca_path)}
                command = "export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
            script += [f"echo '$ {command}'", command]
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
        assert shutil.which("prm-sync", path=env["PATH"]) is None  # only the README's steps put it on PATH
        done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=clone, env=env, capture_output=True, text=True,
                              timeout=600)
    finally:
        sandbox.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    assert (clone / "prm" / "config.yaml").exists() and (clone / "prm" / "prm.db").exists()
    assert "Plan (dry run: nothing written)" in done.stdout
    assert os.path.exists(clone / "prm" / "mappings" / "salesforce.yaml")
