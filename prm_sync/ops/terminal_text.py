"""Text from the store or the CRM made safe for a terminal.

A name may hold escape sequences (`\\x1b]0;title\\x07` retitles the window, `\\x1b[2J` clears the
screen, OSC 8 makes links) or other control characters; they are removed before anything reaches a
terminal. Rich markup in data (`[/x]`, `[link=…]`) is never parsed: tables get `rich.text.Text`
cells (see prm_sync/cli/render.py), and this module's `plain_line` suits `click.echo`.
"""

from __future__ import annotations

import re

# ESC sequences: OSC (ended by BEL or ST), CSI, DCS/PM/APC/SOS strings, then any other two-byte escape
_ESCAPES = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
    r"|\x9d[^\x07\x9c]*[\x07\x9c]?"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROLS_AND_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def strip_controls(text: str, *, keep_newlines: bool = True) -> str:
    """`text` without escape sequences and control characters (newline and tab kept if asked)."""
    text = _ESCAPES.sub("", text)
    if keep_newlines:
        return _CONTROLS.sub("", text)
    return _CONTROLS_AND_BREAKS.sub(lambda m: " " if m.group() in "\n\t" else "", text)


def plain_line(value: object) -> str:
    """One line of display text: controls removed, line breaks and tabs as spaces."""
    return strip_controls("" if value is None else str(value), keep_newlines=False)
