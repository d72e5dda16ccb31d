"""A store-only command loads config.yaml without the checks only the CRM and the schedule need
(issue 17, CLI start-up); the commands that use those sections still refuse them at FILE:LINE."""

from __future__ import annotations

from pathlib import Path

import pytest

from prm_sync.config import load_config
from prm_sync.errors import ConfigError

CONFIG = """\
crm:
  type: hubspot
  hubspot: {access_token: "${HUBSPOT_ACCESS_TOKEN}"}
mappings: mappings/hubspot.yaml
schedule:
  - {entities: [partner], cron: "*/15 * * * *"}
  - {entities: [deal], cron: "61 * * * *"}
"""


def test_a_bad_cron_is_refused_at_its_line_by_the_commands_that_run_the_schedule(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    env = {"HUBSPOT_ACCESS_TOKEN": "pat-test"}
    with pytest.raises(ConfigError) as refused:
        load_config(path, env)
    assert f"{path}:7: schedule[1].cron" in str(refused.value)
    assert "'61 * * * *' is not a cron expression" in str(refused.value)
    local = load_config(path, env, need_crm=False)   # `partners list`: no schedule to run, no APScheduler
    assert [entry.cron for entry in local.schedule] == ["*/15 * * * *", "61 * * * *"]
