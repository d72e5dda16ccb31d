"""`prm-sync sandbox` and the demo: start a built-in CRM emulator, found through the
`prm_sync.sandboxes` entry points (the core never imports a CRM package)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from prm_sync.errors import UsageError


class RunningEmulator(Protocol):
    def stop(self) -> None: ...
    def dump(self) -> dict[str, Any]: ...


@dataclass
class Sandbox:
    """A started emulator and how to point prm-sync at it."""

    crm: str
    emulator: Any
    base_url: str
    env: dict[str, str] = field(default_factory=dict)        # environment variables config.yaml reads
    settings: dict[str, Any] = field(default_factory=dict)   # the crm.<type> section for config.yaml
    #: for the demo: someone closes a deal in the CRM (partner's CRM id, deal name, amount in USD,
    #: the PRM id of the fund request it names): what a sales rep would do, so ROI has a won deal
    won_deal: Callable[[str, str, Decimal, str], None] | None = None

    def stop(self) -> None:
        self.emulator.stop()


def start_sandbox(crm: str, *, port: int = 0, host: str = "127.0.0.1", seed_file: Path | None = None,
                  generate: int | None = None, workdir: Path | None = None, empty: bool = False) -> Sandbox:
    """`empty`: an org / portal as the vendor hands it over, without what the mapping needs (to try
    `prm-sync crm setup`); a sandbox start function takes `empty=True` only if it can serve one."""
    found = [ep for ep in entry_points(group="prm_sync.sandboxes") if ep.name == crm]
    if not found:
        raise UsageError(f"no sandbox is installed for '{crm}'")
    if empty and (seed_file is not None or generate):
        raise UsageError("--empty serves an untouched CRM: it cannot be combined with --seed or --generate")
    start = found[0].load()
    extra = {"empty": True} if empty else {}
    sandbox: Sandbox = start(port=port, host=host, seed_file=seed_file, generate=generate, workdir=workdir, **extra)
    return sandbox
