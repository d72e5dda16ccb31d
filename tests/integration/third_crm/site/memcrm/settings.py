"""The `crm.memcrm` section of config.yaml, and MemCRM's registration."""

from __future__ import annotations

from prm_sync.connector import CrmPlugin, CrmTimeouts, SecretField


class MemSettings(CrmTimeouts):
    state_file: str                   # the CRM's records (JSON), shared by every process that opens it
    api_key: str = SecretField()      # checked like a real CRM's credential


def _filter_problem(where: str) -> str | None:
    return None if where.count("=") == 1 else "a MemCRM filter is one field=value"


PLUGIN = CrmPlugin(name="memcrm", label="MemCRM", settings=MemSettings, filter_is_text=True,
                   filter_hint="a MemCRM filter is text: field=value", check_filter=_filter_problem)
