"""How a name with diacritics is written in plain ASCII: "Müller" as "Muller" and as "Mueller".

Most letters have one customary ASCII spelling (`fold_text`: accents and Vietnamese tones
stripped, đ -> d, ß -> ss, æ -> ae, œ -> oe, ø -> o). Five have two, the bare vowel and a digraph:
ä -> a | ae, ö -> o | oe, ü -> u | ue (German, Swedish), ø -> o | oe, å -> a | aa (Danish,
Norwegian). `spelling_variants` lists the spellings of a name that has such letters; a name
without them has exactly one, and plain ASCII is never rewritten ("Mueller" is not "Muller",
"Manuel" and "Blue" stay as written), so two names match when one of them, transliterated,
is the other as written.

Bound: the choice is made per unit, a (word, letter) pair ("Müller & Söhne" has two units,
"Søndergård" two), so "Mueller & Sohne" and "Sondergaard" still match. Up to MAX_UNITS units
every combination is produced; beyond that only the two uniform spellings (every letter as the
bare vowel, every letter as the digraph). A name therefore yields at most 2**MAX_UNITS = 16
spellings however many diacritics it has, and a conflict index holds at most that many name
keys per registration; names without two-way letters (most, including all Vietnamese and
French ones) cost one key, as before.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

# Letters NFKD does not decompose into an ASCII base letter.
_FOLD = str.maketrans({"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "ß": "ss",
                       "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "þ": "th", "ı": "i"})
# Letters with a second customary spelling (after lower-casing, in NFC).
TWO_WAY: dict[str, str] = {"ä": "ae", "ö": "oe", "ü": "ue", "ø": "oe", "å": "aa"}
MAX_UNITS = 4
MAX_VARIANTS = 2 ** MAX_UNITS
_WORD = re.compile(r"\w+")


def fold_text(text: str) -> str:
    """Lower-case ASCII letters and digits: accents removed (NFKD), đ -> d and similar."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def spelling_variants(text: str) -> list[str]:
    """The folded ASCII spellings of `text`, the usual fold (`fold_text`) first; see the bound above."""
    if text.isascii():
        return [text.lower()]
    lowered = unicodedata.normalize("NFC", text).lower()
    if not any(ch in TWO_WAY for ch in lowered):
        return [fold_text(lowered)]
    words = list(_WORD.finditer(lowered))
    units = sorted({(i, ch) for i, word in enumerate(words) for ch in word.group() if ch in TWO_WAY})
    if len(units) <= MAX_UNITS:
        choices: list[tuple[bool, ...]] = list(itertools.product((False, True), repeat=len(units)))
    else:
        choices = [(False,) * len(units), (True,) * len(units)]
    found: dict[str, None] = {}
    for choice in choices:
        digraphs = {unit for unit, long in zip(units, choice, strict=True) if long}
        found[fold_text(_respell(lowered, words, digraphs))] = None
    return list(found)


def _respell(text: str, words: list[re.Match[str]], digraphs: set[tuple[int, str]]) -> str:
    """`text` with the letters of the chosen (word, letter) units written as digraphs."""
    pieces, pos = [], 0
    for i, word in enumerate(words):
        pieces.append(text[pos:word.start()])
        pieces.append("".join(TWO_WAY[ch] if (i, ch) in digraphs else ch for ch in word.group()))
        pos = word.end()
    pieces.append(text[pos:])
    return "".join(pieces)
