"""A sync that fails with secrets in the environment, under -v / -vv: no secret value reaches
stdout, stderr (the log), the store, the metrics file or the alert webhook's body.

The failure is a real one: a token exported with a trailing newline (`$(cat token-file)` style)
makes the HTTP client raise `Invalid header value b'Bearer <token>\\n'`, an error whose text
carries the token — into the traceback, the stored run error and the alert.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.ops_workspace import dump_store_text, hubspot_workspace
from tests.integration.ops.webhook import WebhookReceiver


@pytest.mark.parametrize(("verbosity", "log_format"), [("-v", "json"), ("-vv", "text")])
def test_failed_sync_leaks_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verbosity: str,
                                     log_format: str) -> None:
    with hubspot_workspace(tmp_path, monkeypatch, generate=5) as ws, WebhookReceiver() as receiver:
        ws.write_config(alerts=True)
        token = ws.sandbox.env["HUBSPOT_ACCESS_TOKEN"]
        secrets = [token, receiver.url, receiver.path, receiver.path.rsplit("/", 1)[-1]]
        log, out, metrics = tmp_path / "prm-sync.log", tmp_path / "stdout.txt", tmp_path / "prm-sync.prom"
        process = ws.spawn("--log-format", log_format, verbosity, "sync", "--metrics-file", str(metrics),
                           log=log, stdout=out,
                           env={"HUBSPOT_ACCESS_TOKEN": token + "\n", "PRM_SYNC_TEST_WEBHOOK": receiver.url})
        assert process.wait(timeout=60) == 70   # an internal error (exit codes: README)
        assert receiver.received.wait(10)

        stderr, stdout = log.read_text(), out.read_text()
        store_text = dump_store_text(ws.store_url)
        bodies = [b.decode() for b in receiver.bodies]
        places = {"stdout": stdout, "stderr/log": stderr, "store": store_text, "metrics": metrics.read_text(),
                  **{f"webhook body {i}": b for i, b in enumerate(bodies)}}
        for where, text in places.items():
            for secret in secrets:
                assert secret not in text, f"{secret!r} leaked into {where}"

        # It could have leaked: the failure's text, traceback and stored error held the token.
        assert "Invalid header value" in stderr and "Bearer ***" in stderr and "Traceback" in stderr
        assert "Bearer ***" in store_text and "failed" in store_text
        (body,) = receiver.json_bodies()
        assert body["prm_sync"]["reasons"] == ["failure"] and "Bearer ***" in body["text"]
        if log_format == "json":
            records = [json.loads(line) for line in stderr.splitlines() if line.strip()]
            assert len({r["run_id"] for r in records}) == 1
            assert any("Traceback" in r.get("exc", "") for r in records)
        status = {s.labels["status"]: s.value for family in text_string_to_metric_families(metrics.read_text())
                  for s in family.samples if s.name == "prm_sync_last_run_status"}
        assert status["failed"] == 1 and status["ok"] == 0
