"""The same YAML text is parsed once per process; every caller still gets its own, correctly named copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from prm_sync import yamlsource
from prm_sync.yamlsource import YamlLoadError, load_yaml_text

TEXT = "entities:\n  partner:\n    fields:\n      - crm: Name\n        prm: name\n"


def test_an_unchanged_text_is_parsed_once_and_each_caller_gets_its_own_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    parses: list[str] = []
    real = yamlsource._parse_yaml_text

    def counting(text: str, file: str) -> yamlsource.LoadedYaml:
        parses.append(file)
        return real(text, file)

    monkeypatch.setattr(yamlsource, "_PARSED", yamlsource.OrderedDict())
    monkeypatch.setattr(yamlsource, "_parse_yaml_text", counting)
    first = load_yaml_text(TEXT, "a/mapping.yaml")
    first.data["entities"]["partner"]["fields"][0]["crm"] = "Changed"
    second = load_yaml_text(TEXT, "b/mapping.yaml")
    assert parses == ["a/mapping.yaml"]
    assert second.data["entities"]["partner"]["fields"][0]["crm"] == "Name"   # not the first caller's edit
    assert second.file == "b/mapping.yaml"
    assert second.problem(("entities", "partner", "fields", 0, "prm"), "x").line == 5
    load_yaml_text(TEXT + "# changed\n", "a/mapping.yaml")
    assert len(parses) == 2


def test_a_refusal_names_each_file_and_is_not_kept(tmp_path: Path) -> None:
    bad = "a: 1\na: 2\n"
    for name in ("one.yaml", "two.yaml"):
        with pytest.raises(YamlLoadError) as caught:
            load_yaml_text(bad, name)
        assert caught.value.problem.file == name
        assert caught.value.problem.line == 2
