"""YAML loading that remembers where every key and item came from.

Admin-edited files (config.yaml, mappings) must answer mistakes with `FILE:LINE: path: message`.
ruamel.yaml's round-trip loader keeps line numbers; this module turns its output into plain
Python values plus a locator from a key path to its line, and reports bad YAML and duplicate
keys as Problems instead of tracebacks.

These files are read defensively (issue 15): only regular files, at most MAX_YAML_BYTES, and
no anchors or aliases (an alias bomb of a few hundred bytes expands to gigabytes; admins do not
need them here). Each refusal is a Problem with the file and line.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import stat
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, NodeEvent

from prm_sync.errors import Problem

PathKey = tuple[str | int, ...]
MAX_YAML_BYTES = 1024 * 1024   # config.yaml and mappings are a few KB; 1 MiB is generous


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


_PARSED: OrderedDict[str, LoadedYaml] = OrderedDict()
_PARSED_MAX = 16


def load_yaml_text(text: str, file: str) -> LoadedYaml:
    """Parse `text` (named `file` in messages); the same text is parsed once per process.

    ruamel's round-trip parser is pure Python (~50 ms for a shipped mapping): a daemon re-reading an
    unchanged mapping for every job, or a command that reads config and mapping more than once, gets
    a copy of the first parse (what a text parses to does not depend on the file's name). Each caller
    gets its own copy: callers may change what they got.
    """
    parsed = _PARSED.get(text)
    if parsed is None:
        parsed = _parse_yaml_text(text, file)   # a refusal raises with this `file`, and is not kept
        _PARSED[text] = parsed
        while len(_PARSED) > _PARSED_MAX:
            _PARSED.popitem(last=False)
    else:
        _PARSED.move_to_end(text)
    return LoadedYaml(file=file, data=copy.deepcopy(parsed.data), lines=dict(parsed.lines))


def _parse_yaml_text(text: str, file: str) -> LoadedYaml:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        _refuse_anchors(yaml, text, file)
        raw = yaml.load(text)
    except DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        key = _duplicate_key_name(exc)
        raise YamlLoadError(Problem(file, line, key, "duplicate key")) from None
    except MarkedYAMLError as exc:
        raise YamlLoadError(syntax_problem(exc, file)) from None
    except YAMLError as exc:
        raise YamlLoadError(Problem(file, None, "", f"invalid YAML: {exc}")) from None
    loaded = LoadedYaml(file=file, data=None)
    loaded.lines[()] = 1
    loaded.data = _plain(raw, (), loaded.lines)
    return loaded


def _refuse_anchors(yaml: YAML, text: str, file: str) -> None:
    """Walk the parser's events (linear in the text, nothing is built) and refuse the first
    anchor (`&name`) or alias (`*name`, also inside a `<<:` merge)."""
    for event in yaml.parse(text):
        anchor = isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor is not None)
        if anchor:
            mark = event.start_mark
            raise YamlLoadError(Problem(
                file, mark.line + 1 if mark else None, "",
                "anchors and aliases are not allowed in this file (&name / *name): write the values out",
            ))


# What the parser says -> words an admin can act on, and which line to name: where the parser
# stopped ("problem"), or where the unclosed construct opened ("context").
_PLAIN_WORDS = (
    ("'\\t'", "problem", "a tab character: YAML indents with spaces only; use spaces"),
    ("tab character", "problem", "a tab character: YAML indents with spaces only; use spaces"),
    ("expected <block end>", "problem", "this line's indentation does not fit the lines above it: indent it "
                                        "like its sibling keys (spaces only)"),
    ("mapping values are not allowed", "problem", "unexpected ':' (an indentation slip, or a value containing "
                                                  "': ' that needs quotes)"),
    ("could not find expected ':'", "problem", "a key without ':' (or an unclosed quote above)"),
    ("expected ',' or ']'", "context", "this '[' list is not closed (or a ',' is missing)"),
    ("expected ',' or '}'", "context", "this '{' mapping is not closed (or a ',' is missing)"),
    ("found unexpected end of stream", "context", "this quote or bracket is never closed"),
)


def syntax_problem(exc: MarkedYAMLError, file: str) -> Problem:
    """A parse error at the line to fix, in words an admin can act on."""
    raw = (exc.problem or exc.context or "invalid YAML").strip()
    for fragment, which, words in _PLAIN_WORDS:
        if fragment in raw:
            first = exc.context_mark if which == "context" else exc.problem_mark
            mark = first or exc.problem_mark or exc.context_mark
            return Problem(file, mark.line + 1 if mark else None, "", f"invalid YAML: {words}")
    mark = exc.problem_mark or exc.context_mark
    return Problem(file, mark.line + 1 if mark else None, "", f"invalid YAML: {raw}")


def load_yaml_file(path: Path, display: str | None = None) -> LoadedYaml:
    """Load `path`; `display` is how the file is named in messages (default: the path as given)."""
    name = display or str(path)
    raw = read_small_regular_file(path, name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise YamlLoadError(Problem(name, None, "", "not UTF-8 text")) from None
    return load_yaml_text(text, name)


def read_small_regular_file(path: Path, name: str, limit: int = MAX_YAML_BYTES) -> bytes:
    """The bytes of `path` if it is a regular file of at most `limit` bytes; YamlLoadError otherwise.

    Opened non-blocking (a FIFO would otherwise wait for a writer), checked with fstat on the open
    descriptor (no race with a swapped path), and read to at most `limit` + 1 bytes.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise YamlLoadError(Problem(name, None, "", "file not found")) from None
    except OSError as exc:
        raise YamlLoadError(Problem(name, None, "", f"cannot read: {exc.strerror}")) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise YamlLoadError(Problem(name, None, "", "not a regular file (a device, FIFO or directory)"))
        if info.st_size > limit:
            raise YamlLoadError(Problem(name, None, "", f"larger than {_size(limit)} ({info.st_size} bytes)"))
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise YamlLoadError(Problem(name, None, "", f"cannot read: {exc.strerror}")) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise YamlLoadError(Problem(name, None, "", f"larger than {_size(limit)}"))
    return data


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit} bytes"


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
