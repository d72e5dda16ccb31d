"""Shared fixtures of the emulator tests.

Each CRM keeps its fixtures in its own ``*_fixtures.py`` module next to this file
(``sf_fixtures.py``, ``hs_fixtures.py``, ...); every such module is imported here, so its
fixtures are visible to all tests in this folder without editing this file.
"""

from __future__ import annotations

import importlib
from pathlib import Path

for _module_path in sorted(Path(__file__).parent.glob("*_fixtures.py")):
    _module = importlib.import_module(f"{__package__}.{_module_path.stem}")
    for _name in getattr(_module, "__all__", [n for n in dir(_module) if not n.startswith("_")]):
        globals().setdefault(_name, getattr(_module, _name))
