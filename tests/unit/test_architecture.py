"""The layers and the connector boundary hold (import-linter, the contracts in pyproject.toml)."""

from __future__ import annotations

import os
from pathlib import Path

from importlinter import cli

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept() -> None:
    here = Path.cwd()
    os.chdir(ROOT)
    try:
        assert cli.lint_imports(config_filename=str(ROOT / "pyproject.toml")) == cli.EXIT_STATUS_SUCCESS
    finally:
        os.chdir(here)
