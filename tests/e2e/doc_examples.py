"""Every command example the documentation shows, found by parsing it: the fenced `sh` and `crontab`
blocks of README.md and docs/*.md, and the "Example(s):" epilogs (and root help) of every command.
A new example is covered without touching the tests."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
FENCE = re.compile(r"^\s*```(\w*)\s*$")
SHELL_BLOCKS = ("sh", "bash", "shell", "console", "crontab")


@dataclass(frozen=True)
class Example:
    source: str  # FILE:LINE or `prm-sync CMD --help`
    text: str    # the command as written, from `prm-sync` on, without a trailing comment

    @property
    def argv(self) -> list[str]:
        """The arguments after `prm-sync`."""
        words = shlex.split(self.text, comments=True)
        return words[1:]


def _command_part(line: str) -> str | None:
    """`cd /srv/prm && .venv/bin/prm-sync -q sync >> log 2>&1  # note` -> `prm-sync -q sync`."""
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return None
    starts = [i for i, w in enumerate(words) if w == "prm-sync" or w.endswith("/prm-sync")]
    if not starts:
        return None
    words = ["prm-sync", *words[starts[0] + 1:]]
    for stop in (">>", ">", "2>&1", "&&", "||", "|", ";"):
        if stop in words:
            words = words[:words.index(stop)]
    return shlex.join(words)


def doc_examples() -> Iterator[Example]:
    for path in DOCS:
        kind: str | None = None
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            fence = FENCE.match(line)
            if fence:
                kind = None if kind is not None else fence.group(1)
                continue
            if kind in SHELL_BLOCKS and "prm-sync" in line and not line.lstrip().startswith("#"):
                text = _command_part(line)
                if text:
                    yield Example(f"{path.relative_to(ROOT)}:{number}", text)


def _epilog_lines(text: str) -> Iterator[str]:
    started = False
    for line in text.splitlines():
        stripped = line.strip()
        if re.match(r"Examples?:", stripped):
            started = True
            stripped = re.sub(r"^Examples?:\s*", "", stripped)
        if started and stripped.startswith("prm-sync"):
            yield stripped


def help_examples(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[Example]:
    ctx = click.Context(group)
    if not prefix:
        for text in _epilog_lines(group.help or ""):
            yield Example("prm-sync --help", _command_part(text) or text)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        path = (*prefix, name)
        for text in _epilog_lines(command.epilog or ""):
            yield Example(f"prm-sync {' '.join(path)} --help", _command_part(text) or text)
        if isinstance(command, click.Group):
            yield from help_examples(command, path)


def all_examples() -> list[Example]:
    from prm_sync.cli.main import cli

    return [*doc_examples(), *help_examples(cli)]
