"""No Salesforce- or HubSpot-specific branch, literal, name or model under prm_sync/ (docstrings,
comments and the JSON-schema `description=` texts aside): a CRM lives in its own package."""

from __future__ import annotations

import ast
import re
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "prm_sync"
CRM_WORDS = re.compile(r"salesforce|hubspot|soql|sobject|\bhs_|propertyName|highValue|filterGroups|"
                       r"HAS_PROPERTY|CONTAINS_TOKEN|\b__c\b|\w__c\b|\w__r\b", re.IGNORECASE)
#: HubSpot search operators: a string that is exactly one of them is a HubSpot filter model leaking in
CRM_OPERATORS = frozenset({"EQ", "NEQ", "GT", "GTE", "LT", "LTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY",
                           "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"})


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


#: keyword arguments that hold user documentation (JSON-schema descriptions, CLI help)
DOC_KEYWORDS = ("description", "help", "epilog")
#: module-level constants that are CLI help text (examples naming the shipped CRMs)
HELP_CONSTANTS = {"EXAMPLES"}


def _descriptions(tree: ast.AST) -> set[int]:
    found = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.Call)
             for kw in node.keywords if kw.arg in DOC_KEYWORDS for inner in ast.walk(kw.value)}
    found |= {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id in HELP_CONSTANTS for t in node.targets)}
    return found


def crm_specific_code(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree) | _descriptions(tree)
    hits = []
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
        elif isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            text = node.name
        if text and (CRM_WORDS.search(text) or (isinstance(node, ast.Constant) and text in CRM_OPERATORS)):
            hits.append(f"{path.relative_to(CORE.parent)}:{getattr(node, 'lineno', '?')}: {text[:60]!r}")
    return hits


def test_the_core_names_no_crm() -> None:
    hits = [hit for path in sorted(CORE.rglob("*.py")) if "migrations" not in path.parts
            for hit in crm_specific_code(path)]
    assert hits == []


def test_the_grep_finds_a_hubspot_filter_model(tmp_path: Path) -> None:
    leak = tmp_path / "leak.py"
    leak.write_text('''"""A docstring may say propertyName and hs_object_id."""
from typing import Literal

Operator = Literal["EQ", "NEQ", "HAS_PROPERTY"]
WIRE = {"propertyName": "x", "highValue": 2}
MODIFIED = "hs_lastmodifieddate"
# a comment about HubSpot is fine
''', encoding="utf-8")
    original = CORE
    try:
        globals()["CORE"] = tmp_path
        hits = crm_specific_code(leak)
    finally:
        globals()["CORE"] = original
    assert sorted(hit.split(": ", 1)[1] for hit in hits) == sorted([
        "'EQ'", "'NEQ'", "'HAS_PROPERTY'", "'propertyName'", "'highValue'", "'hs_lastmodifieddate'"])
