"""Normalisation shared by matching, language and tone detection.

One pass over the message yields the folded text used for matching and the signals
(scripts, emoji, punctuation runs, capitals) that detection and tone read. Nothing here
depends on the library, so a message is normalised once per request.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc

# Code point ranges of the scripts detection cares about, checked in this order.
_SCRIPT_RANGES: tuple[tuple[str, int, int], ...] = (
    ("Latin", 0x0041, 0x024F),
    ("Hiragana", 0x3040, 0x309F),
    ("Katakana", 0x30A0, 0x30FF),
    ("Han", 0x4E00, 0x9FFF),
    ("Han", 0x3400, 0x4DBF),
    ("Han", 0x20000, 0x2EBEF),
    ("Hangul", 0xAC00, 0xD7AF),
    ("Hangul", 0x1100, 0x11FF),
    ("Hangul", 0x3130, 0x318F),
    ("Cyrillic", 0x0400, 0x04FF),
    ("Arabic", 0x0600, 0x06FF),
    ("Arabic", 0x0750, 0x077F),
    ("Arabic", 0xFB50, 0xFDFF),
    ("Arabic", 0xFE70, 0xFEFF),
    ("Thai", 0x0E00, 0x0E7F),
    ("Hebrew", 0x0590, 0x05FF),
    ("Devanagari", 0x0900, 0x097F),
    ("Bengali", 0x0980, 0x09FF),
    ("Tamil", 0x0B80, 0x0BFF),
    ("Greek", 0x0370, 0x03FF),
    ("Latin", 0x1E00, 0x1EFF),  # Vietnamese letters with stacked marks
)
UNSPACED_SCRIPTS = frozenset({"Han", "Hiragana", "Katakana", "Thai"})

_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
_ANY_TRIPLE = re.compile(r"(.)\1\1")  # a cheap test before the exact substitution
_QUESTION_RUN = re.compile(r"[?？]{2,}")
_EXCLAIM_RUN = re.compile(r"[!！]{2,}")


@lru_cache(maxsize=1)
def _punctuation() -> re.Pattern[str]:
    """Punctuation and symbols (Unicode P* and S*, emoji included) as one character class.

    Built once from the Unicode database: `re` has no \\p{P}, and `[^\\w]` would also
    strip the combining vowel signs Thai and Devanagari words are made of.
    """
    ranges: list[tuple[int, int]] = []
    for code in range(0x10000):
        if unicodedata.category(chr(code))[0] in "PS":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    ranges += [(0x1F000, 0x1FAFF)]  # emoji and pictographs beyond the BMP
    return re.compile(_char_class(ranges))


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s.json")


@lru_cache(maxsize=4)
def _s2t(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_traditional(text: str, region: str = "TW") -> str:
    """Simplified → Traditional with the region's vocabulary (Taiwan or Hong Kong)."""
    return str(_s2t("s2hk.json" if region == "HK" else "s2twp.json").convert(text))


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese (other text passes through unchanged)."""
    return str(_t2s().convert(text))


def _char_class(ranges: list[tuple[int, int]]) -> str:
    return "[" + "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges) + "]"


# One compiled character class per script: counting with `findall` runs in C.
_SCRIPT_PATTERNS: dict[str, re.Pattern[str]] = {}
for _name in dict.fromkeys(name for name, _, _ in _SCRIPT_RANGES):
    _ranges = [(low, high) for name, low, high in _SCRIPT_RANGES if name == _name]
    _SCRIPT_PATTERNS[_name] = re.compile(_char_class(_ranges))
_SCRIPT_PATTERNS["Latin"] = re.compile(
    r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]"
)
# (script, pattern, its lowest code point): a script above the text's highest character
# cannot occur in it.
_SCRIPT_SCAN = tuple(
    (name, pattern, min(low for n, low, _ in _SCRIPT_RANGES if n == name))
    for name, pattern in _SCRIPT_PATTERNS.items()
)
_UNSPACED = re.compile(
    _char_class([(low, high) for name, low, high in _SCRIPT_RANGES if name in UNSPACED_SCRIPTS])
)
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\U0001f000-\U0001f2ff\u2b50\u2764\u263a]")


def has_unspaced(text: str) -> bool:
    """True when the text holds Chinese, Japanese or Thai characters."""
    return _UNSPACED.search(text) is not None


def is_emoji(char: str) -> bool:
    return _EMOJI.fullmatch(char) is not None


def count_scripts(text: str) -> dict[str, int]:
    """How many letters of each script the text holds."""
    if text.isascii():
        latin = sum(map(str.isalpha, text))
        return {"Latin": latin} if latin else {}
    counts = {}
    top = ord(max(text))
    for name, pattern, lowest in _SCRIPT_SCAN:
        if lowest > top:
            continue  # no character of the text is that high: skip the scan
        found = len(pattern.findall(text))
        if found:
            counts[name] = found
    return counts


@dataclass(frozen=True, slots=True)
class Normalized:
    """A buyer message folded for matching, with the signals read from it."""

    original: str
    folded: str  # NFKC, case-folded, repeats squeezed, Traditional → Simplified
    match_text: str  # `folded` without punctuation or emoji, single-spaced
    scripts: dict[str, int]
    emoji: tuple[str, ...]
    question_runs: int
    exclaim_runs: int
    caps_ratio: float  # share of upper-case letters among cased letters
    letters: int
    question: bool = False  # a "?" anywhere: questions and complaints read differently
    exclaim: bool = False

    @property
    def main_script(self) -> str | None:
        if not self.scripts:
            return None
        return max(self.scripts.items(), key=lambda kv: kv[1])[0]

    @property
    def unspaced(self) -> bool:
        """True when the message is mostly written without spaces between words."""
        total = sum(self.scripts.values())
        unspaced = sum(n for s, n in self.scripts.items() if s in UNSPACED_SCRIPTS)
        return total > 0 and unspaced * 2 >= total


def normalize(message: str) -> Normalized:
    """Fold a message for matching and read its signals."""
    text = unicodedata.normalize("NFKC", message)
    emoji = tuple(_EMOJI.findall(text)) if not text.isascii() else ()
    scripts = count_scripts(text)
    upper = sum(map(str.isupper, text))
    cased = upper + sum(map(str.islower, text))
    folded = text.casefold()
    if not folded.isascii():
        # Case folding can undo NFKC (a sharp s with a combining accent folds to "ss" and
        # the accent): normalise again, so a folded text normalises to itself.
        folded = unicodedata.normalize("NFKC", folded)
    if _ANY_TRIPLE.search(folded):
        folded = _REPEATS.sub(r"\1", folded)
    if "Han" in scripts:
        folded = to_simplified(folded)
    match_text = " ".join(_punctuation().sub(" ", folded).split())
    return Normalized(
        original=message,
        folded=folded,
        match_text=match_text,
        scripts=scripts,
        emoji=emoji,
        question_runs=len(_QUESTION_RUN.findall(text)),
        exclaim_runs=len(_EXCLAIM_RUN.findall(text)),
        caps_ratio=(upper / cased) if cased else 0.0,
        letters=sum(scripts.values()),
        question="?" in text or "？" in text or "¿" in text or "؟" in text,
        exclaim="!" in text or "！" in text,
    )
