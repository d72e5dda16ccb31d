"""Nothing of the partner program is hard-coded: the old tier thresholds (silver 250k, gold 1M,
platinum 3M) appear under prm_sync/ only in docstrings and comments, never as a value in code.
The program lives in config (`program.tiers`, `program.score`); config.example.yaml and tests
may name the figures."""

from __future__ import annotations

import ast
from decimal import Decimal, InvalidOperation
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "prm_sync"
OLD_THRESHOLDS = {Decimal(250_000), Decimal(1_000_000), Decimal(3_000_000)}


def _docstrings(tree: ast.AST) -> set[int]:
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


def thresholds_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    # the bounds of a CLI count (click.IntRange(0, 1_000_000)) are not money
    skip |= {id(arg) for node in ast.walk(tree) if isinstance(node, ast.Call)
             and getattr(node.func, "attr", getattr(node.func, "id", None)) == "IntRange" for arg in node.args}
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or id(node) in skip or isinstance(node.value, bool):
            continue
        if isinstance(node.value, (int, float)):
            value: Decimal | None = Decimal(str(node.value))
        elif isinstance(node.value, str):
            try:
                value = Decimal(node.value.replace("_", "").replace(",", "").strip())
            except InvalidOperation:
                value = None
        else:
            value = None
        if value in OLD_THRESHOLDS:
            hits.append(f"{path.relative_to(CORE.parent)}:{node.lineno}: {node.value!r}")
    return hits


def test_no_old_tier_threshold_in_the_code() -> None:
    assert [hit for path in sorted(CORE.rglob("*.py")) for hit in thresholds_in(path)] == []


def test_the_check_finds_one(tmp_path: Path) -> None:
    leak = tmp_path / "leak.py"
    leak.write_text('"""Gold used to need 1000000."""\nGOLD = 1_000_000\nSILVER = "250000"\nOK = 250_001\n',
                    encoding="utf-8")
    global CORE
    saved, CORE = CORE, tmp_path / "prm_sync"
    try:
        assert thresholds_in(leak) == ["leak.py:2: 1000000", "leak.py:3: '250000'"]
    finally:
        CORE = saved
