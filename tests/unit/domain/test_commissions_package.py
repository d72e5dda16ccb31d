"""prm_sync.domain.commissions loads its parts on first use (issue 17: loading config.yaml needs the plan
models only); its names mean what they meant when the package imported everything at once."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys, types
import prm_sync.domain.commissions.plans
assert sorted(m for m in sys.modules if m.startswith("prm_sync.domain.commissions")) == [
    "prm_sync.domain.commissions", "prm_sync.domain.commissions.plans"], "more than the plan models"
import prm_sync.domain.commissions.reconcile          # imports the explain submodule first
import prm_sync.domain.commissions.calculate
import prm_sync.domain.commissions as package
from prm_sync.domain.commissions import calculate, explain, reconcile, LOCKED_STATUSES
for name in package.__all__:
    value = getattr(package, name)
    assert not isinstance(value, types.ModuleType), name
assert callable(calculate) and callable(explain) and callable(reconcile) and "paid" in LOCKED_STATUSES
print("ok")
"""


def test_the_plan_models_load_alone_and_every_name_is_the_function_not_its_submodule() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
