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
_BARE: dict[str, str] = {"ä": "a", "ö": "o", "ü": "u", "ø": "o", "å": "a"}
_TWO_WAY_LETTERS = frozenset(TWO_WAY)
_MARK = "\ue000"  # a private-use character: folding leaves it as it is
_TO_MARK = str.maketrans(dict.fromkeys(TWO_WAY, _MARK))
MAX_UNITS = 4
MAX_VARIANTS = 2 ** MAX_UNITS
_WORD = re.compile(r"\w+")


def fold_text(text: str) -> str:
    """Lower-case ASCII letters and digits: accents removed (NFKD), đ -> d and similar."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _lowered(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower()


def has_two_way_letters(text: str) -> bool:
    """Whether `text` has a letter with two ASCII spellings (so more than one spelling)."""
    return not text.isascii() and not _TWO_WAY_LETTERS.isdisjoint(_lowered(text))


def spelling_variants(text: str) -> list[str]:
    """The folded ASCII spellings of `text`, the usual fold (`fold_text`) first; see the bound above.

    The text is folded once with a placeholder for each two-way letter; each spelling then only
    fills the placeholders in."""
    if not has_two_way_letters(text):
        return [fold_text(text)]
    lowered = _lowered(text)
    occurrences = [(i, ch) for i, word in enumerate(_WORD.finditer(lowered)) for ch in word.group() if ch in TWO_WAY]
    pieces = fold_text(lowered.translate(_TO_MARK)).split(_MARK)  # one more piece than occurrences
    units = sorted(set(occurrences))
    if len(units) <= MAX_UNITS:
        choices: list[tuple[bool, ...]] = list(itertools.product((False, True), repeat=len(units)))
    else:
        choices = [(False,) * len(units), (True,) * len(units)]
    found: dict[str, None] = {}
    for choice in choices:
        digraphs = {unit for unit, long in zip(units, choice, strict=True) if long}
        spelled = [pieces[0]]
        for unit, piece in zip(occurrences, pieces[1:], strict=True):
            spelled += (TWO_WAY if unit in digraphs else _BARE)[unit[1]], piece
        found["".join(spelled)] = None
    return list(found)
