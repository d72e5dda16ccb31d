"""YAML loading that remembers where every key and item came from.

Admin-edited files (config.yaml, mappings) must answer mistakes with `FILE:LINE: path: message`.
ruamel.yaml's round-trip loader keeps line numbers; this module turns its output into plain
Python values plus a locator from a key path to its line, and reports bad YAML and duplicate
keys as Problems instead of tracebacks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from prm_sync.errors import Problem

PathKey = tuple[str | int, ...]


@dataclass
class LoadedYaml:
    """Plain data from a YAML file, with the line of every key path (1-based)."""

    file: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """Line of the longest prefix of `path` that the file has (a missing key points at its parent)."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), None)

    def problem(self, path: Sequence[str | int], message: str) -> Problem:
        return Problem(self.file, self.line_of(path), dotted(path), message)


def dotted(path: Sequence[str | int]) -> str:
    """('entities', 'partner', 'fields', 0) -> 'entities.partner.fields[0]'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class YamlLoadError(Exception):
    """The file could not be read or parsed; `problem` says where."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def load_yaml_text(text: str, file: str) -> LoadedYaml:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        raw = yaml.load(text)
    except DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        key = _duplicate_key_name(exc)
        raise YamlLoadError(Problem(file, line, key, "duplicate key")) from None
    except MarkedYAMLError as exc:
        mark = exc.context_mark or exc.problem_mark  # where the broken construct starts
        line = mark.line + 1 if mark else None
        what = (exc.problem or exc.context or "invalid YAML").strip()
        raise YamlLoadError(Problem(file, line, "", f"invalid YAML: {what}")) from None
    except YAMLError as exc:
        raise YamlLoadError(Problem(file, None, "", f"invalid YAML: {exc}")) from None
    loaded = LoadedYaml(file=file, data=None)
    loaded.lines[()] = 1
    loaded.data = _plain(raw, (), loaded.lines)
    return loaded


def load_yaml_file(path: Path, display: str | None = None) -> LoadedYaml:
    """Load `path`; `display` is how the file is named in messages (default: the path as given)."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlLoadError(Problem(name, None, "", "file not found")) from None
    except UnicodeDecodeError:
        raise YamlLoadError(Problem(name, None, "", "not UTF-8 text")) from None
    except OSError as exc:
        raise YamlLoadError(Problem(name, None, "", f"cannot read: {exc.strerror}")) from None
    return load_yaml_text(text, name)


def _duplicate_key_name(exc: DuplicateKeyError) -> str:
    text = str(exc.problem or "")
    # ruamel says: found duplicate key "tier" with value ... (original value: ...)
    if '"' in text:
        return text.split('"')[1]
    return ""


def _plain(node: Any, path: PathKey, lines: dict[PathKey, int]) -> Any:
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            key_plain = str(key) if not isinstance(key, (str, int, bool)) else key
            child = (*path, key_plain if isinstance(key_plain, str) else str(key_plain))
            try:
                lines[child] = node.lc.key(key)[0] + 1
            except (KeyError, TypeError):
                lines[child] = lines.get(path, 1)
            out[key_plain] = _plain(value, child, lines)
        return out
    if isinstance(node, CommentedSeq):
        items: list[Any] = []
        for index, value in enumerate(node):
            child = (*path, index)
            try:
                lines[child] = node.lc.item(index)[0] + 1
            except (KeyError, TypeError, IndexError):
                lines[child] = lines.get(path, 1)
            items.append(_plain(value, child, lines))
        return items
    return _scalar(node)


def _scalar(node: Any) -> Any:
    """ruamel's scalar subclasses (ScalarFloat, TimeStamp, ...) as plain Python values."""
    if node is None or isinstance(node, bool):
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, dt.datetime):
        return dt.datetime(*node.timetuple()[:6], node.microsecond, tzinfo=node.tzinfo)
    if isinstance(node, dt.date):
        return dt.date(node.year, node.month, node.day)
    if isinstance(node, str):
        return str(node)
    return node
