"""`prm-sync sandbox`: serving 10,000 generated partners (how fast: bench/timings.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest


@pytest.mark.parametrize("crm", ["hubspot", "salesforce"])
def test_sandbox_generates_10000_and_serves_them(crm: str, tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("prm-sync")
    proc = subprocess.Popen([str(exe), "sandbox", "--crm", crm, "--generate", "10000", "--dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env={**os.environ})
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        ssl_context = None
        if crm == "salesforce":
            import ssl

            ssl_context = ssl.create_default_context(cafile=info["settings"]["ca_bundle"])
        with urllib.request.urlopen(info["url"] + "/__admin__/counters", timeout=30, context=ssl_context) as answer:
            assert answer.status == 200
        with urllib.request.urlopen(info["url"] + "/__admin__/dump", timeout=30, context=ssl_context) as answer:
            dump = json.loads(answer.read())
        assert len(json.dumps(dump)) > 1_000_000  # 10,000 partners and their records are really there
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0
